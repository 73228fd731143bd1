"""State changes of the integrations app."""

from integrations.services.edi import StatusFor, carrier_statuses_record, edi_refusal_record
from integrations.services.webhooks import (
    webhook_deliver,
    webhook_deliveries_create,
    webhook_replay,
    webhook_secret_rotate,
    webhook_subscribe,
    webhooks_due,
)

__all__ = [
    "StatusFor",
    "carrier_statuses_record",
    "edi_refusal_record",
    "webhook_deliver",
    "webhook_deliveries_create",
    "webhook_replay",
    "webhook_secret_rotate",
    "webhook_subscribe",
    "webhooks_due",
]
