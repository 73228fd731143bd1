from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from core.events import event_committed
        from integrations.tasks import relay_request

        def relay_on_commit(**kwargs: object) -> None:
            relay_request()

        event_committed.connect(relay_on_commit, dispatch_uid="integrations.relay_on_commit")
