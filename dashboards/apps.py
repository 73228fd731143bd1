from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from core.events import events_published
        from dashboards.tasks import alerts_on_events

        events_published.connect(alerts_on_events, dispatch_uid="dashboards.alerts_on_events")
