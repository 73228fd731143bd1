"""A vehicle and its driver on one trip at a time: the check every service that gives a load
its vehicle, driver or dock slot makes (see `shipping.selectors.Trip`)."""

import datetime
from types import EllipsisType

from django.utils.translation import gettext as _

from core.clock import clock_text
from core.exceptions import Conflict
from shipping.choices import LoadStatus, OrderStatus
from shipping.models import Driver, Load, Vehicle
from shipping.selectors import Trip, trip_back, trips_holding


def _whole(trip: Trip, who: str, field: str) -> Conflict:
    load = trip.load
    if load.status == LoadStatus.DEPARTED:
        said = _("%(who)s is on the road with load %(load)s until its shipment completes.")
    elif load.status == LoadStatus.PLANNED and getattr(load, "appointment", None) is None:
        said = _(
            "%(who)s already has load %(load)s planned, with no dock slot: book that one's "
            "slot first, so that a second trip can be timed around it."
        )
    else:
        said = _("%(who)s is at the dock with load %(load)s.")
    return Conflict(said % {"who": who, "load": load.reference}, field=field, code="on_a_trip")


def trip_clear(
    *,
    vehicle: Vehicle,
    driver: Driver | None,
    trip: tuple[datetime.datetime, datetime.datetime] | None,
    load: Load | None = None,
    field: str = "starts_at",
) -> None:
    """Raise (Conflict) unless the vehicle and the driver (locked here, vehicle first) are
    free for a trip from its slot's start until it is back (`trip`; None: a load with no slot
    yet) besides the live loads other than `load`: none of those holds them whole, and none
    of their trips overlaps this one; a trip with no slot needs them free of every live load.
    The conflict names the field to change: the vehicle (or the driver), or the slot (or
    `field`, what made the trip longer)."""
    Vehicle.objects.select_for_update().filter(pk=vehicle.pk).first()
    if driver is not None:
        Driver.objects.select_for_update().filter(pk=driver.pk).first()
    holding = trips_holding(
        vehicle_ids=[vehicle.pk],
        driver_ids=[driver.pk] if driver is not None else [],
        excluding=load.pk if load is not None else None,
    )
    for other in holding:
        on_vehicle = other.load.vehicle_id == vehicle.pk
        who, held = (vehicle.plate, "vehicle") if on_vehicle else (driver.name, "driver")
        if other.whole:
            raise _whole(other, who, held)
        zone = other.load.warehouse.zone()  # times as read on its warehouse's clock
        if trip is None:
            raise Conflict(
                _(
                    "%(who)s has load %(load)s from %(start)s until about %(back)s: give this "
                    "load a dock slot too, so that the two trips do not overlap."
                )
                % {
                    "who": who,
                    "load": other.load.reference,
                    "start": clock_text(other.starts_at, zone),
                    "back": clock_text(other.back_at, zone),
                },
                field="starts_at",
                code="on_a_trip",
            )
        if other.meets(*trip):
            raise Conflict(
                _(
                    "%(who)s is on load %(load)s from %(start)s until about %(back)s; this "
                    "trip would take it from %(mine)s until about %(mine_back)s."
                )
                % {
                    "who": who,
                    "load": other.load.reference,
                    "start": clock_text(other.starts_at, zone),
                    "back": clock_text(other.back_at, zone),
                    "mine": clock_text(trip[0], zone),
                    "mine_back": clock_text(trip[1], zone),
                },
                field=field,
                code="on_a_trip",
            )


def load_trip_clear(
    load: Load,
    vehicle: Vehicle,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    *,
    field: str = "starts_at",
    driver: Driver | EllipsisType | None = ...,
) -> None:
    """`trip_clear` for the load's trip as its orders stand: from `starts_at`, leaving at
    `ends_at` (the end of its dock slot) on its route, with `driver` (by default its own)."""
    load = Load.objects.select_related("warehouse", "driver").get(pk=load.pk)
    ship_tos = [
        o.ship_to
        for o in load.orders.exclude(status=OrderStatus.CANCELLED).select_related("ship_to")
    ]
    back = trip_back(
        warehouse=load.warehouse, ship_tos=ship_tos, leaves_at=ends_at, network=vehicle.network
    )
    trip_clear(
        vehicle=vehicle,
        driver=load.driver if driver is ... else driver,
        trip=(starts_at, back),
        load=load,
        field=field,
    )
