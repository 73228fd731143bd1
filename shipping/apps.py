from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = "Shipping"

    def ready(self) -> None:
        from core.events import events_published
        from shipping.tasks import backorders_on_events, waves_on_events

        events_published.connect(backorders_on_events, dispatch_uid="shipping.backorders_on_events")
        events_published.connect(waves_on_events, dispatch_uid="shipping.waves_on_events")

        from inventory.signals import reservations_lost
        from shipping.services.orders import reservations_lost_received

        reservations_lost.connect(
            reservations_lost_received, dispatch_uid="shipping.reservations_lost_received"
        )
