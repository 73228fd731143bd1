"""ASGI entry point: HTTP through Django, WebSockets through Channels (session-authenticated)."""

import asyncio
import os

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


class OneThreadASGIHandler(ASGIHandler):
    """Django over ASGI with the middleware and the view run in one go in the request's thread.

    Every view of Handoff is synchronous (DRF, templates, psycopg2), and so are most of
    Django's middleware. Loaded in async mode, as the stock handler does, each
    `MiddlewareMixin` middleware hands its `process_request` and `process_response` to a
    thread and back, and a sync-only middleware (WhiteNoise) hands the rest of the chain back
    to the event loop: a dozen hops between the event loop and the request's thread for one
    request, each waiting for the GIL. Here the chain is loaded in sync mode, as under WSGI,
    and called with one `sync_to_async` (thread-sensitive: one thread per request, as
    before). The event loop still reads the body and writes the response.

    `WEB_THREADS` (> 0) bounds how many requests a process runs at once, as a threaded WSGI
    server's pool does; the others wait their turn in the event loop, first come first
    served. On a busy process every running request's thread contends for the GIL, and a
    request holding row locks then waits behind all the others: fewer at once keeps lock
    holders short and the slowest answers less slow. 0 (the default) means no bound.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain = sync_to_async(self._middleware_chain, thread_sensitive=True)
        limit = int(os.environ.get("WEB_THREADS") or 0)
        if limit <= 0:
            self._middleware_chain = chain
            return
        slots = asyncio.Semaphore(limit)  # bound to the loop that first waits on it

        async def in_turn(request: HttpRequest) -> HttpResponseBase:
            async with slots:
                return await chain(request)

        self._middleware_chain = in_turn


def _django_asgi_app() -> ASGIHandler:
    import django

    django.setup(set_prefix=False)
    return OneThreadASGIHandler()


django_asgi_app = _django_asgi_app()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from dashboards.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
