from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = "Shipping"

    def ready(self) -> None:
        from core.events import events_published
        from shipping.tasks import backorders_on_events

        events_published.connect(backorders_on_events, dispatch_uid="shipping.backorders_on_events")
