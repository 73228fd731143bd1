"""Settling the carriers' bills (X12 210) their tariffs could not pass: one billed above
its tariff beyond the tolerance (disputed), or with no tariff to check it by (unpriced),
waits for the office, which pays it as billed, pays the tariff, or refuses it. The bills
decided are told to their carriers at the warehouse's daily payment run
(`HANDOFF_PAYMENT_RUN_AT`, on its clock; or when the office sends them sooner): one X12 820
per carrier, saying what of each bill is paid, and why any less."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError, NotFound
from core.models import Warehouse
from integrations.edi.remittance import remittance_820
from integrations.models import INVOICES_OPEN, FreightInvoice, FreightRemittance, InvoiceStatus
from integrations.selectors import (
    bills_to_remit,
    bills_waiting_for_run,
    edi_not_waiting,
    remittance_of,
)
from integrations.services.interchanges_out import (
    control_number_next,
    interchange_made_anew,
    interchange_sent,
)

NOTE_MOST = 500


class Settlement(models.TextChoices):
    PAY_BILLED = "pay_billed", gettext_lazy("Pay as billed")
    PAY_TARIFF = "pay_tariff", gettext_lazy("Pay the tariff")
    REFUSE = "refuse", gettext_lazy("Refuse")


SETTLED_AS = {
    Settlement.PAY_BILLED: InvoiceStatus.ACCEPTED,
    Settlement.PAY_TARIFF: InvoiceStatus.SHORT_PAID,
    Settlement.REFUSE: InvoiceStatus.REFUSED,
}


def _settled_text(invoice: FreightInvoice) -> str:
    who = invoice.settled_by.get_username() if invoice.settled_by else _("someone")
    at = timezone.localtime(invoice.settled_at).strftime("%Y-%m-%d %H:%M")
    return _("%(who)s settled it on %(at)s: %(status)s.") % {
        "who": who,
        "at": at,
        "status": invoice.get_status_display().lower(),
    }


@service
def freight_invoice_settle(
    *,
    invoice_id: int,
    settlement: str,
    note: str,
    actor: AbstractBaseUser | None,
    now: datetime.datetime | None = None,
) -> FreightInvoice:
    """Settle a disputed or unpriced bill (`shipment.invoice_settled`): paid as billed (what
    it bills is payable; above the tariff it needs a note saying why, as detention agreed),
    at the tariff (the tariff is payable; a bill with no tariff cannot be), or refused (nothing
    payable, a note saying why; the carrier bills again under a new number). The alert of a
    disputed bill clears, and the bill waits for the warehouse's next payment run
    (`remittances_send`), which tells the carrier in an 820. A bill within
    its tariff, or settled already, is a conflict naming who settled it; the row lock makes
    two clerks at once settle it once."""
    invoice = (
        FreightInvoice.objects.select_for_update(of=("self",))
        .select_related("carrier", "shipment__load", "settled_by", "interchange")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFound(_("No freight invoice %(id)s.") % {"id": invoice_id})
    if settlement not in Settlement.values:
        raise DomainError(
            _("Say pay_billed, pay_tariff or refuse."), field="settlement", code="invalid"
        )
    note = note.strip()
    if len(note) > NOTE_MOST:
        raise DomainError(
            _("At most %(n)s characters.") % {"n": NOTE_MOST}, field="note", code="too_long"
        )
    if invoice.status not in INVOICES_OPEN:
        raise Conflict(
            _("Invoice %(number)s is settled: %(status)s.")
            % {"number": invoice.number, "status": invoice.get_status_display().lower()}
            + (" " + _settled_text(invoice) if invoice.settled_at else ""),
            field="status",
            code="settled",
        )
    if settlement == Settlement.PAY_TARIFF and invoice.tariff is None:
        raise DomainError(
            _("Invoice %(number)s has no tariff to pay: pay it as billed, or refuse it.")
            % {"number": invoice.number},
            field="settlement",
            code="no_tariff",
        )
    needs_note = settlement == Settlement.REFUSE or (
        settlement == Settlement.PAY_BILLED and invoice.status == InvoiceStatus.DISPUTED
    )
    if needs_note and not note:
        raise DomainError(
            _("Say why (as the carrier was told), for whoever reads this bill later."),
            field="note",
            code="required",
        )
    invoice.status = SETTLED_AS[settlement]
    invoice.payable = {
        Settlement.PAY_BILLED: invoice.amount,
        Settlement.PAY_TARIFF: invoice.tariff,
        Settlement.REFUSE: None,
    }[settlement]
    invoice.settled_at = now or timezone.now()
    invoice.settled_by = actor if actor is not None and actor.is_authenticated else None
    invoice.settled_note = note
    invoice.save(update_fields=["status", "payable", "settled_at", "settled_by", "settled_note"])
    load = invoice.shipment.load
    event_record(
        type="shipment.invoice_settled",
        aggregate_type="shipment",
        aggregate_id=invoice.shipment.reference,
        warehouse=load.warehouse_id,
        payload={
            "shipment": invoice.shipment.reference,
            "load": load.reference,
            "carrier": invoice.carrier.code,
            "invoice": invoice.number,
            "amount": str(invoice.amount),
            "tariff": str(invoice.tariff) if invoice.tariff is not None else None,
            "status": invoice.status,
            "payable": str(invoice.payable) if invoice.payable is not None else None,
            "note": note,
        },
        actor=actor,
    )
    return invoice


def payment_run_last(warehouse: Warehouse, now: datetime.datetime) -> datetime.datetime:
    """The warehouse's last payment run at or before `now`: today's, at
    `HANDOFF_PAYMENT_RUN_AT` on its clock, once that has come; else yesterday's."""
    zone = warehouse.zone()
    today = now.astimezone(zone).date()
    run = datetime.datetime.combine(today, settings.HANDOFF_PAYMENT_RUN_AT, tzinfo=zone)
    if run > now:
        run = datetime.datetime.combine(
            today - datetime.timedelta(days=1), settings.HANDOFF_PAYMENT_RUN_AT, tzinfo=zone
        )
    return run


@service
def remittances_send(
    *,
    warehouse_id: int,
    until: datetime.datetime,
    actor: AbstractBaseUser | None,
) -> list[FreightRemittance]:
    """The payment run of one warehouse, as of `until`: every bill of its loads decided by
    then (approved as it came, or settled) that no 820 has told of yet goes in one X12 820
    per carrier, partner that sent its 210 and currency, dated `until`'s day on the
    warehouse's clock, under the partner's next control number (`edi.sent` each, the
    interchange in its payload). The bills' rows are locked, so two runs at once tell each
    bill once; with none waiting, nothing is sent."""
    warehouse = Warehouse.objects.get(pk=warehouse_id)
    bills = list(
        bills_to_remit(warehouse_ids=[warehouse_id])
        .filter(decided_at__lte=until)
        .select_for_update(of=("self",))
        .select_related("interchange")
        .order_by("received_at", "pk")
    )
    runs: dict[tuple[str, int, str], list[FreightInvoice]] = {}
    for bill in bills:
        runs.setdefault((bill.interchange.sender, bill.carrier_id, bill.currency), []).append(bill)
    paid_on = until.astimezone(warehouse.zone()).date()
    sent: list[FreightRemittance] = []
    for (partner, carrier_id, currency), of_run in runs.items():
        control = control_number_next(partner)
        remittance = FreightRemittance.objects.create(
            warehouse=warehouse,
            carrier_id=carrier_id,
            partner=partner,
            currency=currency,
            paid_on=paid_on,
            control_number=f"{control:09d}",
        )
        FreightInvoice.objects.filter(pk__in=[bill.pk for bill in of_run]).update(
            remittance=remittance
        )
        remittance.document = remittance_820(remittance_of(remittance=remittance, control=control))
        remittance.save(update_fields=["document"])
        _remittance_sent(remittance, actor=actor)
        sent.append(remittance)
    return sent


def remittances_send_due(now: datetime.datetime | None = None) -> int:
    """The payment runs due: for each warehouse with bills decided before its last payment
    run (`payment_run_last`) and not told yet, that run (`remittances_send`), each in a
    transaction of its own; how many 820s went."""
    now = now or timezone.now()
    first_decided = {w["warehouse_id"]: w["first_decided"] for w in bills_waiting_for_run()}
    count = 0
    for warehouse in Warehouse.objects.filter(pk__in=first_decided).order_by("pk"):
        run = payment_run_last(warehouse, now)
        if first_decided[warehouse.pk] <= run:
            count += len(remittances_send(warehouse_id=warehouse.pk, until=run, actor=None))
    return count


def remittance_resent(
    remittance: FreightRemittance, was: str, actor: AbstractBaseUser | None
) -> FreightRemittance:
    """The 820 of a payment run made anew for its bills, its row locked, unless it went
    again meanwhile (`edi_not_waiting`)."""
    remittance = FreightRemittance.objects.select_for_update().get(pk=remittance.pk)
    if remittance.control_number != was:
        raise edi_not_waiting(remittance.partner, was)
    control = control_number_next(remittance.partner)
    interchange_made_anew(
        remittance, control, remittance_820(remittance_of(remittance=remittance, control=control))
    )
    _remittance_sent(remittance, actor=actor, resends=was)
    return remittance


def _remittance_sent(
    sent: FreightRemittance, *, actor: AbstractBaseUser | None, resends: str = ""
) -> None:
    """`edi.sent` of an 820, with its interchange, its carrier, what it pays in all, and
    each bill's number, status and what is paid (and the control number it sends again)."""
    bills = list(sent.bills.select_related("shipment").order_by("received_at", "pk"))
    interchange_sent(
        sent,
        kind="820",
        partner=sent.partner,
        about=("remittance", f"RA{sent.pk:09d}", sent.warehouse_id),
        told={
            "carrier": sent.carrier.code,
            "currency": sent.currency,
            "paid_on": sent.paid_on.isoformat(),
            "payable": str(sum((b.payable or Decimal(0) for b in bills), Decimal(0))),
            "bills": [
                {
                    "invoice": bill.number,
                    "shipment": bill.shipment.reference,
                    "status": bill.status,
                    "payable": str(bill.payable) if bill.payable is not None else None,
                }
                for bill in bills
            ],
        },
        actor=actor,
        resends=resends,
    )
