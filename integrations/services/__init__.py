"""State changes of the integrations app."""

from integrations.services.edi import (
    AnswerFor,
    OrderSaid,
    StatusFor,
    acknowledgments_record,
    carrier_statuses_record,
    edi_out_issue_due,
    edi_refusal_record,
    load_tender_issue,
    load_tenders_issue_due,
    receipts_expected_record,
    ship_notice_issue,
    shipping_advice_issue,
    shipping_advices_issue_due,
    shipping_orders_record,
    tender_responses_record,
)
from integrations.services.routing_guide import (
    load_tender_pass_on,
    load_tenders_pass_on_due,
    load_tenders_pass_on_of,
)
from integrations.services.webhooks import (
    webhook_deliver,
    webhook_deliveries_create,
    webhook_replay,
    webhook_secret_rotate,
    webhook_subscribe,
    webhooks_due,
)

__all__ = [
    "AnswerFor",
    "OrderSaid",
    "StatusFor",
    "acknowledgments_record",
    "carrier_statuses_record",
    "edi_out_issue_due",
    "edi_refusal_record",
    "load_tender_issue",
    "load_tender_pass_on",
    "load_tenders_issue_due",
    "load_tenders_pass_on_due",
    "load_tenders_pass_on_of",
    "receipts_expected_record",
    "ship_notice_issue",
    "shipping_advice_issue",
    "shipping_advices_issue_due",
    "shipping_orders_record",
    "tender_responses_record",
    "webhook_deliver",
    "webhook_deliveries_create",
    "webhook_replay",
    "webhook_secret_rotate",
    "webhook_subscribe",
    "webhooks_due",
]
