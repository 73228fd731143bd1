"""A stop's waybill: the carrier's number for its consignment (see `shipping.waybills`)."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict
from shipping.models import Carrier, Stop
from shipping.waybills import waybill_clean


@service
def stop_waybill_record(*, stop: Stop, waybill: str, actor: AbstractBaseUser | None) -> Stop:
    """Give a stop its carrier's waybill (`shipment.waybill_recorded`), or take a mistyped
    one off (an empty waybill), at any time, on the road or after. The waybill is kept as
    `waybill_clean` makes it. No other stop of the same carrier has it: the carrier is
    locked here, so two stops never take one number at once; a taken number is a Conflict
    naming the stop that has it. The same waybill again: nothing written."""
    waybill = waybill_clean(waybill)
    stop = Stop.objects.select_related("shipment__carrier", "shipment__load", "ship_to").get(
        pk=stop.pk
    )
    if stop.waybill == waybill:
        return stop
    carrier = stop.shipment.carrier
    Carrier.objects.select_for_update().filter(pk=carrier.pk).first()
    if waybill:
        other = (
            Stop.objects.filter(shipment__carrier=carrier, waybill=waybill)
            .exclude(pk=stop.pk)
            .select_related("shipment", "ship_to")
            .first()
        )
        if other is not None:
            raise Conflict(
                _(
                    "%(carrier)s's waybill %(waybill)s is already on shipment %(shipment)s, "
                    "stop %(n)s (%(ship_to)s)."
                )
                % {
                    "carrier": carrier.name,
                    "waybill": waybill,
                    "shipment": other.shipment.reference,
                    "n": other.sequence,
                    "ship_to": other.ship_to.name,
                },
                field="waybill",
                code="waybill_taken",
            )
    before = stop.waybill
    Stop.objects.filter(pk=stop.pk).update(waybill=waybill)
    stop.waybill = waybill
    event_record(
        type="shipment.waybill_recorded",
        aggregate_type="shipment",
        aggregate_id=stop.shipment.reference,
        warehouse=stop.shipment.load.warehouse_id,
        payload={
            "shipment": stop.shipment.reference,
            "stop": stop.sequence,
            "ship_to": stop.ship_to.code,
            "carrier": carrier.code,
            "waybill": waybill,
            "before": before,
        },
        actor=actor,
    )
    return stop
