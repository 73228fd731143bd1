from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from core.events import event_committed
        from integrations.tasks import events_relay

        def relay_on_commit(**kwargs: object) -> None:
            # Runs after commit; in the embedded default the task runs right here (eager).
            events_relay.delay()

        event_committed.connect(relay_on_commit, dispatch_uid="integrations.relay_on_commit")
