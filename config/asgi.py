"""ASGI entry point: HTTP through Django, WebSockets through Channels (session-authenticated)."""

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


class OneThreadASGIHandler(ASGIHandler):
    """Django over ASGI with the middleware and the view run in one go in the request's thread.

    Every view of Handoff is synchronous (DRF, templates, psycopg2), and so are most of
    Django's middleware. Loaded in async mode, as the stock handler does, each
    `MiddlewareMixin` middleware hands its `process_request` and `process_response` to a
    thread and back, and a sync-only middleware (WhiteNoise) hands the rest of the chain back
    to the event loop: a dozen hops between the event loop and the request's thread for one
    request, each waiting for the GIL. Here the chain is loaded in sync mode, as under WSGI,
    and called with one `sync_to_async` (thread-sensitive: everything sync of one request,
    the request signals included, runs in one thread). The event loop still reads the body
    and writes the response.

    `WEB_THREADS` (> 0) gives a process that many request threads, kept for its life as a
    threaded WSGI server keeps its pool; each request takes a free one (the most recently
    used) for all of its sync work, and the others wait their turn in the event loop, first
    come first served. The stock handler starts a thread for every request and another to
    join it; and on a busy process every running request's thread contends for the GIL, so
    a request holding row locks waits behind all the others: fewer at once keeps lock
    holders short and the slowest answers less slow. 0 (the default) means a new thread per
    request and no bound, as in stock Django.

    With request threads, a process also sheds keep-alive connections when too many of its
    requests wait: a response sent while `WEB_KEEPALIVE_QUEUE` (> 0) or more of them wait
    for a thread says `Connection: close`, and that client connects again, to whichever
    process takes it. The server's processes share one listening socket and each keeps the
    connections it accepted; accepted in bursts, they fall unevenly (16 clients on three
    processes as 3, 5 and 8), each process answers at the same pace with its threads, and
    the clients of the crowded one wait twice as long as the rest. Shedding only from a
    crowded process evens them out, as Envoy's overload action that disables keep-alive
    does between hosts. 0 never sheds.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)
        self._thread_count = int(os.environ.get("WEB_THREADS") or 0)
        self._idle_threads: asyncio.LifoQueue[ThreadPoolExecutor] | None = None
        self._shed_from = int(os.environ.get("WEB_KEEPALIVE_QUEUE") or 0)
        self._waiting = 0  # requests of this process waiting for a thread

    def _threads(self) -> "asyncio.LifoQueue[ThreadPoolExecutor]":
        """The process's request threads (each an executor of one thread), made on first use
        in the serving event loop."""
        if self._idle_threads is None:
            self._idle_threads = asyncio.LifoQueue()
            for n in range(self._thread_count):
                self._idle_threads.put_nowait(
                    ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{n}")
                )
        return self._idle_threads

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if self._thread_count <= 0 or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        threads = self._threads()
        self._waiting += 1
        try:
            thread = await threads.get()
        finally:
            self._waiting -= 1
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, self._shedding(send))
        finally:
            threads.put_nowait(thread)

    def _shedding(self, send: Callable) -> Callable:
        """`send`, adding `Connection: close` to the response if, when it starts, this
        process has `WEB_KEEPALIVE_QUEUE` or more requests waiting for a thread."""
        if self._shed_from <= 0:
            return send

        async def send_or_shed(message: dict) -> None:
            if message["type"] == "http.response.start" and self._waiting >= self._shed_from:
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (b"connection", b"close")],
                }
            await send(message)

        return send_or_shed


def _django_asgi_app() -> ASGIHandler:
    import django

    django.setup(set_prefix=False)
    return OneThreadASGIHandler()


django_asgi_app = _django_asgi_app()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.beat import EmbeddedBeat  # noqa: E402
from dashboards.routing import websocket_urlpatterns  # noqa: E402


async def lifespan(scope: dict, receive: Callable, send: Callable) -> None:
    """The server's start and stop (ASGI lifespan): with `HANDOFF_CLOCK` (the embedded
    default), beat's sweeps run in this process from start to stop (`config.beat`)."""
    from django.conf import settings

    beat = EmbeddedBeat() if settings.HANDOFF_CLOCK else None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if beat is not None:
                await beat.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if beat is not None:
                await beat.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter(
    {
        "lifespan": lifespan,
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
