from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from dashboards.tasks import alerts_on_events
        from integrations.relay import events_published

        events_published.connect(alerts_on_events, dispatch_uid="dashboards.alerts_on_events")
