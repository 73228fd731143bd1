from django.urls import path

from integrations.api.views import EventFeedView

urlpatterns = [
    path("events/", EventFeedView.as_view(), name="event-feed"),
]
