"""Customers, their orders, and how each order line is reserved across warehouses."""

import re

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Replace, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Warehouse, warehouse_kept
from inventory.choices import TemperatureClass
from inventory.models import Item, Location, Reservation
from shipping.choices import (
    PLATE_MOST,
    AppointmentStatus,
    HoldReason,
    LoadStatus,
    OrderStatus,
    Priority,
    ServiceLevel,
    ShipmentStatus,
    StopStatus,
    TrackingSource,
    TrackingStatus,
    UnitStatus,
    WaveStatus,
)

WAYBILL_MAX = 40


class Customer(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # Its EDI address (ISA qualifier and ID), if it takes ship notices (X12 856) by EDI.
    edi_qualifier = models.CharField(_("EDI ID qualifier"), max_length=2, default="ZZ")
    edi_id = models.CharField(
        _("EDI ID"), max_length=15, blank=True, help_text=_("Empty: no ship notices by EDI.")
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ShipTo(models.Model):
    """A delivery address of a customer, with where it is and when it takes deliveries."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ship_tos")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=255)
    city = models.CharField(_("city"), max_length=80)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    window_opens = models.TimeField(_("delivery window opens"), default="08:00")
    window_closes = models.TimeField(_("delivery window closes"), default="18:00")

    class Meta:
        ordering = ["customer_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "code"], name="ship_to_code_per_customer"),
            models.CheckConstraint(
                condition=Q(window_opens__lt=models.F("window_closes")),
                name="ship_to_window_opens_before_it_closes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer.code}/{self.code} {self.city}"


class Order(models.Model):
    """A customer order from the ERP; `warehouse` is where it ships from.

    An order that no single warehouse can ship complete is split: the order keeps the part of
    its main warehouse, and each other warehouse's part becomes an order of its own
    (`split_from` the original, reference `<ref>/<warehouse>`), which goes through waves,
    loads and shipping on its own like any order of that warehouse."""

    # An ERP posts orders all day: each index below is written with every one. The customer's
    # index is order_ref_once_per_customer, the warehouse's order_wh_status, and the load,
    # wave, stop and split are indexed only where set (see Meta), which a new order is not.
    external_ref = models.CharField(_("order reference"), max_length=64)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    ship_to = models.ForeignKey(ShipTo, on_delete=models.PROTECT, related_name="orders")
    warehouse = models.ForeignKey(
        Warehouse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.RECEIVED
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    requested_delivery_date = models.DateField(_("requested delivery date"))
    promised_ship_date = models.DateField(_("promised ship date"))
    cutoff_at = models.DateTimeField(_("cut-off"), null=True, blank=True)
    allocation_note = models.JSONField(_("allocation decision"), default=dict, blank=True)
    load = models.ForeignKey(
        "Load",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        db_index=False,
    )
    wave = models.ForeignKey(
        "Wave",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        db_index=False,
    )
    stop = models.ForeignKey(
        "Stop",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        db_index=False,
    )
    received_at = models.DateTimeField(default=timezone.now)
    allocated_at = models.DateTimeField(null=True, blank=True)
    # Kept for the backorder rate: events are pruned, this is not.
    ever_backordered = models.BooleanField(default=False)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    split_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="split_parts",
        verbose_name=_("split from"),
        db_index=False,
    )

    class Meta:
        ordering = ["priority", "promised_ship_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "external_ref"], name="order_ref_once_per_customer"
            )
        ]
        indexes = [
            models.Index(fields=["warehouse", "status"], name="order_wh_status"),
            models.Index(fields=["status"], name="order_status"),
            *(
                models.Index(
                    fields=[name], name=f"order_{name}", condition=Q(**{f"{name}__isnull": False})
                )
                for name in ("load", "wave", "stop", "split_from")
            ),
        ]

    def __str__(self) -> str:
        return self.external_ref


class OrderLine(models.Model):
    # Its index is order_line_no_once.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_no = models.PositiveIntegerField(_("line"))
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="order_line_no_once"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no}"

    @property
    def reference(self) -> str:
        """The opaque reference inventory reserves this line's stock under."""
        return f"order:{self.order_id}:line:{self.line_no}"

    @staticmethod
    def of_reference(reference: str) -> tuple[int, int] | None:
        """(order id, line number) of a stock reference made by `reference`; None for a
        reference of anything else."""
        found = _LINE_REFERENCE.fullmatch(reference)
        return (int(found[1]), int(found[2])) if found else None


_LINE_REFERENCE = re.compile(r"order:(\d+):line:(\d+)")  # as OrderLine.reference writes it


class LineReservation(models.Model):
    """Stock reserved for an order line in one warehouse (a line split across two has two)."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    reservation = models.OneToOneField(Reservation, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("reserved"))

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.line} @ {self.warehouse_id}: {self.quantity}"


NETWORK_KM_PER_DAY_MOST = 10_000  # an overnight flight across China is fast; this is faster


class Carrier(models.Model):
    """A carrier and its tariff: what a trip on one of its vehicles costs, with the vehicle's
    own rate per km (`Vehicle.cost_per_km`); see `shipping.tariffs`. All rates 0: no tariff
    known. A carrier with a network (`network_km_per_day` above 0) collects at the dock and
    delivers in days by distance (`shipping.routing.network_calls`), not on a route of ours."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    service_level = models.CharField(
        _("service level"), max_length=12, choices=ServiceLevel.choices
    )
    rate_per_trip = models.DecimalField(
        _("rate per trip"), max_digits=9, decimal_places=2, default=0
    )
    rate_per_stop = models.DecimalField(
        _("rate per stop"), max_digits=9, decimal_places=2, default=0
    )
    rate_per_kg = models.DecimalField(_("rate per kg"), max_digits=9, decimal_places=4, default=0)
    minimum_charge = models.DecimalField(
        _("minimum charge per trip"), max_digits=9, decimal_places=2, default=0
    )
    network_km_per_day = models.PositiveIntegerField(
        _("km a day through its network"),
        default=0,
        validators=[MaxValueValidator(NETWORK_KM_PER_DAY_MOST)],
        help_text=_(
            "0: its trucks drive our routes, from the dock and back. Above 0: it collects at "
            "our dock and delivers through its own network, this many km a day; its truck is "
            "free again once it leaves our dock."
        ),
    )
    # Its EDI address (ISA qualifier and ID), if it is tendered its loads by EDI (X12 204)
    # and answers them (X12 990).
    edi_qualifier = models.CharField(_("EDI ID qualifier"), max_length=2, default="ZZ")
    edi_id = models.CharField(
        _("EDI ID"), max_length=15, blank=True, help_text=_("Empty: no load tenders by EDI.")
    )
    collects_at = models.TimeField(
        _("collects at"),
        null=True,
        blank=True,
        help_text=_(
            "A network carrier's daily collection at our dock: its truck leaves then, on the "
            "warehouse's clock. Empty: as soon as the goods are ready."
        ),
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_per_trip__gte=0)
                & Q(rate_per_stop__gte=0)
                & Q(rate_per_kg__gte=0)
                & Q(minimum_charge__gte=0),
                name="carrier_rates_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Vehicle(models.Model):
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="vehicles")
    plate = models.CharField(_("plate"), max_length=16, unique=True)
    home_warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="vehicles"
    )
    capacity_weight_kg = models.DecimalField(_("payload (kg)"), max_digits=9, decimal_places=1)
    capacity_volume_l = models.DecimalField(_("load volume (l)"), max_digits=9, decimal_places=1)
    temperature_class = models.CharField(
        _("coldest it can carry"),
        max_length=8,
        choices=TemperatureClass.choices,
        default=TemperatureClass.AMBIENT,
    )
    cost_per_km = models.DecimalField(
        _("cost per km"),
        max_digits=7,
        decimal_places=2,
        default=0,
        help_text=_("Running cost (own fleet) or hire rate per km driven, the way back too."),
    )

    class Meta:
        ordering = ["plate"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_weight_kg__gt=0) & Q(capacity_volume_l__gt=0),
                name="vehicle_capacity_positive",
            ),
            models.CheckConstraint(condition=Q(cost_per_km__gte=0), name="vehicle_cost_per_km"),
        ]

    def __str__(self) -> str:
        return self.plate

    @property
    def network(self) -> int:
        """Its carrier's `network_km_per_day`: 0 for a truck that drives our routes."""
        return self.carrier.network_km_per_day


class Driver(models.Model):
    """Someone who drives a carrier's vehicles; based at a warehouse, if the carrier says."""

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="drivers")
    name = models.CharField(_("name"), max_length=80)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    home_warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.SET_NULL, related_name="drivers"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Dock(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="docks")
    code = models.CharField(_("code"), max_length=16)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["warehouse_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="dock_code_per_warehouse")
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"

    def clean(self) -> None:
        warehouse_kept(self)


class Load(models.Model):
    """One vehicle's trip from one warehouse, with its orders."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="loads")
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="loads")
    driver = models.ForeignKey(
        Driver, null=True, blank=True, on_delete=models.PROTECT, related_name="loads"
    )
    status = models.CharField(
        max_length=10, choices=LoadStatus.choices, default=LoadStatus.PLANNED, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    departed_at = models.DateTimeField(null=True, blank=True)
    # How full the vehicle left (for the vehicle fill KPI), set at departure.
    weight_fill_pct = models.FloatField(null=True, blank=True)
    volume_fill_pct = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.reference


class DockAppointment(models.Model):
    """A vehicle's slot at a dock. On PostgreSQL an exclusion constraint forbids two
    appointments overlapping on one dock (migration 0003)."""

    dock = models.ForeignKey(Dock, on_delete=models.PROTECT, related_name="appointments")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="appointments")
    load = models.OneToOneField(
        Load, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointment"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["dock", "starts_at"], name="appointment_dock_time")]

    def __str__(self) -> str:
        return f"{self.dock} {self.starts_at:%Y-%m-%d %H:%M} {self.vehicle}"


# What a plate is written with besides its letters and digits: two spellings of one plate
# that differ only in these, or in case, name one truck.
PLATE_SEPARATORS = (" ", "-", "·")


# A hold whose supplier's truck is in: checked in at the gate and not out.
TRUCK_IN = Q(checked_in_at__isnull=False, checked_out_at__isnull=True)


def plate_key(plate: str) -> str:
    """The plate as one truck: upper case, its separators left out."""
    for separator in PLATE_SEPARATORS:
        plate = plate.replace(separator, "")
    return plate.upper()


def plate_key_of(field: str) -> models.Func:
    """`plate_key` of a plate column, in the database."""
    expression: models.Func | models.F = models.F(field)
    for separator in PLATE_SEPARATORS:
        expression = Replace(expression, models.Value(separator), models.Value(""))
    return Upper(expression)


class DockHold(models.Model):
    """A door kept from loading for a while: a supplier's truck unloading at it (receiving,
    with the receipt it brings if known), a repair, or another reason. No appointment is
    booked at it in those hours, nor is a hold placed over a live appointment or another
    hold (both under the door's row lock; on PostgreSQL an exclusion constraint also keeps
    two live holds of one door apart, migration 0018). Released, it holds the door no more."""

    dock = models.ForeignKey(Dock, on_delete=models.PROTECT, related_name="holds")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=12, choices=HoldReason.choices)
    receipt = models.ForeignKey(
        "inventory.Receipt", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    placed_at = models.DateTimeField(default=timezone.now)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The supplier's truck at the gate (a receiving hold): the plate its ship notice or the
    # office said to expect, its plate as the gate reads it, and when it came in and left,
    # what its dwell at the door is measured from.
    expected_plate = models.CharField(_("plate expected"), max_length=PLATE_MOST, blank=True)
    plate = models.CharField(_("plate"), max_length=PLATE_MOST, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="dock_hold_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=models.F("checked_in_at")),
                name="dock_hold_out_after_in",
            ),
            # A truck is in at one door at a time, whichever clerks check it in at once.
            models.UniqueConstraint(
                plate_key_of("plate"),
                condition=TRUCK_IN,
                name="dock_hold_plate_in_once",
            ),
        ]
        indexes = [models.Index(fields=["dock", "starts_at"], name="dock_hold_dock_time")]

    def __str__(self) -> str:
        return f"{self.dock} {self.starts_at:%Y-%m-%d %H:%M} {self.reason}"

    @property
    def truck_in(self) -> bool:
        """Whether its supplier's truck is in (`TRUCK_IN`)."""
        return self.checked_in_at is not None and self.checked_out_at is None

    @property
    def dwell_minutes(self) -> float | None:
        """The supplier's truck's minutes from the gate in to out; None until it is out."""
        if self.checked_in_at is None or self.checked_out_at is None:
            return None
        return round((self.checked_out_at - self.checked_in_at).total_seconds() / 60, 1)


class Wave(models.Model):
    """Orders released to the floor together, timed so picking ends before the truck is due."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="waves")
    load = models.OneToOneField(
        Load, null=True, blank=True, on_delete=models.SET_NULL, related_name="wave"
    )
    status = models.CharField(max_length=10, choices=WaveStatus.choices, default=WaveStatus.PLANNED)
    lines_per_picker_hour = models.PositiveIntegerField(_("lines per picker hour"), default=60)
    pickers = models.PositiveIntegerField(_("pickers"), default=2)
    margin_minutes = models.PositiveIntegerField(_("ready before the truck (min)"), default=30)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    # When the last of its orders was picked: its truck's goods were ready.
    picked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lines_per_picker_hour__gt=0) & Q(pickers__gt=0),
                name="wave_picking_capacity_positive",
            )
        ]

    def __str__(self) -> str:
        return f"W{self.pk}"


class SerialCounter(models.Model):
    """A named counter handed out under a row lock (SSCC serial references)."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class HandlingUnit(models.Model):
    """A pallet or carton of one order, identified by its GS1 SSCC."""

    sscc = models.CharField(_("SSCC"), max_length=18, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="units")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    load = models.ForeignKey(
        Load, null=True, blank=True, on_delete=models.PROTECT, related_name="units"
    )
    status = models.CharField(max_length=12, choices=UnitStatus.choices, default=UnitStatus.PACKED)
    weight_kg = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    packed_at = models.DateTimeField(default=timezone.now)
    loaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.sscc


class HandlingUnitLine(models.Model):
    unit = models.ForeignKey(HandlingUnit, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="packed")
    lot = models.ForeignKey(
        "inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="unit_line_positive")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.quantity} x {self.line_id}"


class Shipment(models.Model):
    """A load on the road: its stops, its tracking, its proof of delivery."""

    load = models.OneToOneField(Load, on_delete=models.PROTECT, related_name="shipment")
    reference = models.CharField(max_length=32, unique=True)
    # The carrier that took the load away: its vehicle's carrier at departure.
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("carrier")
    )
    status = models.CharField(
        max_length=10, choices=ShipmentStatus.choices, default=ShipmentStatus.IN_TRANSIT
    )
    departed_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    # As planned when it left: the km there and back, and the trip's cost by the vehicle's
    # tariff then (null if none was known), in settings.HANDOFF_CURRENCY.
    km_planned = models.DecimalField(
        _("km planned"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    freight_cost = models.DecimalField(
        _("freight cost"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.reference


class Stop(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveIntegerField()
    ship_to = models.ForeignKey(ShipTo, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=StopStatus.choices, default=StopStatus.PENDING)
    planned_eta = models.DateTimeField()
    eta = models.DateTimeField()
    arrived_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    receiver_name = models.CharField(max_length=80, blank=True)
    # The carrier's number for this stop's consignment (waybill, PRO number), once it gives
    # one: unique among the stops its carrier delivers (`stop_waybill_record`).
    waybill = models.CharField(_("waybill"), max_length=WAYBILL_MAX, blank=True, db_index=True)
    pod_photo = models.FileField(upload_to="pod/%Y/%m/", null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["shipment_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "sequence"], name="stop_sequence_once")
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}#{self.sequence}"


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking")
    stop = models.ForeignKey(
        Stop, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=TrackingStatus.choices)
    at = models.DateTimeField()
    place = models.CharField(max_length=120, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    source = models.CharField(
        max_length=8, choices=TrackingSource.choices, default=TrackingSource.API
    )
    note = models.CharField(max_length=255, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status} {self.at:%H:%M}"
