from django.apps import AppConfig

RELAY_DISPATCH_UID = "integrations.relay_on_commit"


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from core.events import event_committed, events_published
        from integrations.tasks import edi_out_on_events, relay_on_commit

        event_committed.connect(relay_on_commit, dispatch_uid=RELAY_DISPATCH_UID)
        events_published.connect(edi_out_on_events, dispatch_uid="integrations.edi_out_on_events")
