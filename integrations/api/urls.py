from django.urls import path
from rest_framework.routers import SimpleRouter

from integrations.api.views import EventFeedView, WebhookDeliveryViewSet, WebhookViewSet

router = SimpleRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [path("events/", EventFeedView.as_view(), name="event-feed"), *router.urls]
