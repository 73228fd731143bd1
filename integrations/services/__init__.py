"""State changes of the integrations app."""

from integrations.services.webhooks import (
    webhook_deliver,
    webhook_deliveries_create,
    webhook_replay,
    webhook_secret_rotate,
    webhook_subscribe,
    webhooks_due,
)

__all__ = [
    "webhook_deliver",
    "webhook_deliveries_create",
    "webhook_replay",
    "webhook_secret_rotate",
    "webhook_subscribe",
    "webhooks_due",
]
