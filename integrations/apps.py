from django.apps import AppConfig

RELAY_DISPATCH_UID = "integrations.relay_on_commit"


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from core.events import event_committed, events_published
        from integrations.tasks import relay_on_commit, shipping_advices_on_events

        event_committed.connect(relay_on_commit, dispatch_uid=RELAY_DISPATCH_UID)
        events_published.connect(
            shipping_advices_on_events, dispatch_uid="integrations.shipping_advices_on_events"
        )
