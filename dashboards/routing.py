"""WebSocket routes (Channels)."""

from django.urls import path

from dashboards.consumers import LiveConsumer

websocket_urlpatterns = [path("ws/live/", LiveConsumer.as_asgi())]
