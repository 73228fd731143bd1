"""The ASGI application answers HTTP through the whole middleware chain."""

import asyncio

import pytest
from asgiref.testing import ApplicationCommunicator

from config.asgi import OneThreadASGIHandler, application


def _scope(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def _get(path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    async def run() -> tuple[int, dict[bytes, bytes], bytes]:
        communicator = ApplicationCommunicator(application, _scope(path))
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(5)
        body = await communicator.receive_output(5)
        await communicator.wait()
        return start["status"], {k.lower(): v for k, v in start["headers"]}, body["body"]

    return asyncio.run(run())


@pytest.mark.django_db(transaction=True)
def test_a_request_passes_the_whole_middleware_chain_and_the_view() -> None:
    status, headers, body = _get("/login/")
    assert status == 200
    assert b"csrfmiddlewaretoken" in body  # the view, with the CSRF middleware's token
    assert headers[b"x-content-type-options"] == b"nosniff"  # the outermost middleware
    assert headers[b"x-frame-options"] == b"DENY"  # the innermost Django middleware
    assert headers[b"content-language"] in (b"en", b"zh-hans")  # the locale middleware


def test_the_chain_is_loaded_sync_and_entered_once() -> None:
    handler = OneThreadASGIHandler()
    assert asyncio.iscoroutinefunction(handler._middleware_chain)
    # One hop into a thread, around a chain loaded as under WSGI.
    assert not asyncio.iscoroutinefunction(handler._middleware_chain.func)


def _in_flight(limit: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, set[int]]:
    """Six requests at once, twice, through a handler built with WEB_THREADS=limit: how many
    ran at the same time (each takes 50 ms in its thread), and in which threads."""
    import threading
    import time

    from django.core.handlers.base import BaseHandler
    from django.http import HttpResponse

    running, most, lock = [0], [0], threading.Lock()
    threads: set[int] = set()

    def slow_view(self, request):  # type: ignore[no-untyped-def]
        with lock:
            threads.add(threading.get_ident())
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return HttpResponse("ok")

    monkeypatch.setattr(BaseHandler, "_get_response", slow_view)
    monkeypatch.setenv("WEB_THREADS", limit)
    handler = OneThreadASGIHandler()

    async def one() -> int:
        communicator = ApplicationCommunicator(handler, _scope("/ping/"))
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(5)
        await communicator.receive_output(5)
        await communicator.wait()
        return start["status"]

    async def all_at_once() -> list[int]:
        return await asyncio.gather(*(one() for _ in range(6)))

    async def twice() -> list[int]:
        return [*await all_at_once(), *await all_at_once()]

    assert asyncio.run(twice()) == [200] * 12
    return most[0], threads


@pytest.mark.django_db(transaction=True)
def test_web_threads_bounds_the_requests_a_process_runs_at_once_in_threads_it_keeps(
    monkeypatch,
) -> None:
    most, threads = _in_flight("2", monkeypatch)
    assert most == 2
    assert len(threads) == 2  # twelve requests, two threads: none started per request


@pytest.mark.django_db(transaction=True)
def test_without_web_threads_requests_run_side_by_side_each_in_a_new_thread(monkeypatch) -> None:
    most, threads = _in_flight("0", monkeypatch)
    assert most > 2
    assert len(threads) >= most


@pytest.mark.django_db(transaction=True)
def test_a_kept_request_thread_answers_request_after_request_from_the_database(
    monkeypatch,
) -> None:
    monkeypatch.setenv("WEB_THREADS", "1")
    handler = OneThreadASGIHandler()

    async def health() -> tuple[int, bytes]:
        communicator = ApplicationCommunicator(handler, _scope("/health/"))
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(5)
        body = await communicator.receive_output(5)
        await communicator.wait()
        return start["status"], body["body"]

    async def in_turn() -> list[tuple[int, bytes]]:
        return [await health() for _ in range(3)]

    for status, body in asyncio.run(in_turn()):
        assert status == 200
        assert b'"status": "ok"' in body


def _closes(shed_from: str, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Four requests at once to a process of one request thread (each takes 50 ms in it),
    built with WEB_KEEPALIVE_QUEUE=shed_from: whether each answer, in the order they were
    sent, closes its connection."""
    import time

    from django.core.handlers.base import BaseHandler
    from django.http import HttpResponse

    def slow_view(self, request):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        return HttpResponse("ok")

    monkeypatch.setattr(BaseHandler, "_get_response", slow_view)
    monkeypatch.setenv("WEB_THREADS", "1")
    monkeypatch.setenv("WEB_KEEPALIVE_QUEUE", shed_from)
    handler = OneThreadASGIHandler()

    async def one(n: int) -> bool:
        await asyncio.sleep(n * 0.005)  # sent in this order, all before the first is answered
        communicator = ApplicationCommunicator(handler, _scope("/ping/"))
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(5)
        await communicator.receive_output(5)
        await communicator.wait()
        assert start["status"] == 200
        return (b"connection", b"close") in start["headers"]

    async def all_at_once() -> list[bool]:
        return list(await asyncio.gather(*(one(n) for n in range(4))))

    return asyncio.run(all_at_once())


@pytest.mark.django_db(transaction=True)
def test_a_crowded_process_closes_the_connections_it_answers_while_others_wait(
    monkeypatch,
) -> None:
    # The first answer leaves three waiting, the second two: both say "Connection: close",
    # so their clients connect again, maybe to a process less crowded. The last two leave
    # fewer than two waiting and keep their connections.
    assert _closes("2", monkeypatch) == [True, True, False, False]


@pytest.mark.django_db(transaction=True)
def test_without_web_keepalive_queue_every_connection_is_kept(monkeypatch) -> None:
    assert _closes("0", monkeypatch) == [False, False, False, False]
