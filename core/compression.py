"""Pages and API answers gzip-compressed for clients that accept it.

Handoff answers its users directly (uvicorn, no proxy in front in docker-compose), many of
them on phones and on networks far from the server. A KPI board is some 300 KB of SVG
charts, a dispatch board 40 KB of HTML: compressed, a tenth of that. Images (photos of
delivery notes) are compressed already and go as they are. Django's GZipMiddleware pads
each compressed answer with random bytes against BREACH.
"""

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

# Answers that carry no body: compressed, they would carry a gzip stream of nothing, which
# an HTTP server refuses to send (a browser's "not modified" for its cached icon, say).
NO_BODY = frozenset({204, 304})


class CompressedAnswers(GZipMiddleware):
    """GZipMiddleware, but not for images, nor for answers that carry no body."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.status_code in NO_BODY or response.get("Content-Type", "").startswith("image/"):
            return response
        return super().process_response(request, response)
