"""The ASGI application answers HTTP through the whole middleware chain."""

import asyncio

import pytest
from asgiref.testing import ApplicationCommunicator

from config.asgi import OneThreadASGIHandler, application


def _get(path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    async def run() -> tuple[int, dict[bytes, bytes], bytes]:
        scope = {
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
        communicator = ApplicationCommunicator(application, scope)
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
