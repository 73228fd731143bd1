"""Settling the carriers' bills (X12 210) their tariffs could not pass: one billed above
its tariff beyond the tolerance (disputed), or with no tariff to check it by (unpriced),
waits for the office, which pays it as billed, pays the tariff, or refuses it. Each bill,
once decided, is answered with an X12 820 telling the carrier what is paid, and why any
less."""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError, NotFound
from integrations.edi.remittance import remittance_820
from integrations.models import INVOICES_OPEN, FreightInvoice, FreightRemittance, InvoiceStatus
from integrations.selectors import edi_not_waiting, remittance_of
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
    disputed bill clears, and the carrier is sent its 820 (`remittance_send`). A bill within
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
    remittance_send(invoice, actor=actor)
    return invoice


def remittance_send(
    invoice: FreightInvoice, *, actor: AbstractBaseUser | None
) -> FreightRemittance:
    """Send the carrier the 820 of a bill decided in the caller's transaction (approved as it
    came, or settled), under the next control number of the partner that sent its 210, as
    `edi.sent` with the interchange in its payload (for the webhooks and the event feed)."""
    partner = invoice.interchange.sender
    control = control_number_next(partner)
    sent = FreightRemittance.objects.create(
        invoice=invoice,
        partner=partner,
        control_number=f"{control:09d}",
        document=remittance_820(remittance_of(invoice=invoice, control=control)),
    )
    _remittance_sent(sent, invoice, actor=actor)
    return sent


def remittance_resent(
    remittance: FreightRemittance, was: str, actor: AbstractBaseUser | None
) -> FreightRemittance:
    """The 820 made anew for its bill, the bill's row locked, unless it went again
    meanwhile (`edi_not_waiting`)."""
    invoice = FreightInvoice.objects.select_for_update(of=("self",)).get(pk=remittance.invoice_id)
    remittance = FreightRemittance.objects.get(pk=remittance.pk)
    if remittance.control_number != was:
        raise edi_not_waiting(remittance.partner, was)
    control = control_number_next(remittance.partner)
    interchange_made_anew(
        remittance, control, remittance_820(remittance_of(invoice=invoice, control=control))
    )
    _remittance_sent(remittance, invoice, actor=actor, resends=was)
    return remittance


def _remittance_sent(
    sent: FreightRemittance,
    invoice: FreightInvoice,
    *,
    actor: AbstractBaseUser | None,
    resends: str = "",
) -> None:
    """`edi.sent` of an 820, with its interchange (and the control number it sends again)."""
    shipment = invoice.shipment
    interchange_sent(
        sent,
        kind="820",
        partner=sent.partner,
        about=("shipment", shipment.reference, shipment.load.warehouse_id),
        told={
            "shipment": shipment.reference,
            "carrier": invoice.carrier.code,
            "invoice": invoice.number,
            "status": invoice.status,
            "payable": str(invoice.payable) if invoice.payable is not None else None,
        },
        actor=actor,
        resends=resends,
    )
