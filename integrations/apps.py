from django.apps import AppConfig

RELAY_DISPATCH_UID = "integrations.relay_on_commit"


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from core.events import event_committed
        from integrations.tasks import relay_on_commit

        event_committed.connect(relay_on_commit, dispatch_uid=RELAY_DISPATCH_UID)
