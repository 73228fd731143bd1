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


def _in_flight_at_most(limit: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Six requests at once through a handler built with WEB_THREADS=limit: how many ran at
    the same time (each takes 50 ms in its thread)."""
    import threading
    import time

    from django.core.handlers.base import BaseHandler
    from django.http import HttpResponse

    running, most, lock = [0], [0], threading.Lock()

    def slow_view(self, request):  # type: ignore[no-untyped-def]
        with lock:
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

    assert asyncio.run(all_at_once()) == [200] * 6
    return most[0]


@pytest.mark.django_db(transaction=True)
def test_web_threads_bounds_the_requests_a_process_runs_at_once(monkeypatch) -> None:
    assert _in_flight_at_most("2", monkeypatch) == 2


@pytest.mark.django_db(transaction=True)
def test_without_web_threads_requests_run_side_by_side(monkeypatch) -> None:
    assert _in_flight_at_most("0", monkeypatch) > 2
