"""Where stock is and how it got there: master data, the append-only ledger and its balances."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Event, Warehouse, warehouse_kept
from inventory.choices import (
    MovementKind,
    ReceiptStatus,
    ReservationStatus,
    TaskKind,
    TaskStatus,
    TemperatureClass,
    Velocity,
    ZoneKind,
)


class Zone(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="zones")
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=ZoneKind.choices)
    temperature_class = models.CharField(
        _("temperature class"),
        max_length=8,
        choices=TemperatureClass.choices,
        default=TemperatureClass.AMBIENT,
    )
    hazmat_allowed = models.BooleanField(_("hazmat allowed"), default=False)

    class Meta:
        ordering = ["warehouse_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="zone_code_per_warehouse")
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"

    def clean(self) -> None:
        warehouse_kept(self)

    def sop_scopes(self) -> set[str]:
        """The parts of the floor it is, for the procedures that apply in it (SopScope)."""
        scopes = {"all"}
        if self.hazmat_allowed:
            scopes.add("hazmat")
        if self.temperature_class in ("chilled", "frozen"):
            scopes.add(self.temperature_class)
        if self.kind == "dock":
            scopes.add("dock")
        return scopes


class Location(models.Model):
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="locations")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="locations")
    barcode = models.CharField(_("barcode"), max_length=32, unique=True)
    pick_sequence = models.PositiveIntegerField(_("pick path sequence"), default=0)
    dock_distance_m = models.PositiveIntegerField(_("distance to dock (m)"), default=0)
    capacity_volume_l = models.DecimalField(
        _("capacity volume (l)"), max_digits=10, decimal_places=2, default=1000
    )
    capacity_weight_kg = models.DecimalField(
        _("capacity weight (kg)"), max_digits=10, decimal_places=2, default=1000
    )
    is_blocked = models.BooleanField(_("blocked"), default=False)
    blocked_reason = models.CharField(_("blocked reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["warehouse_id", "pick_sequence", "barcode"]
        indexes = [models.Index(fields=["warehouse", "pick_sequence"], name="location_pick_path")]

    def __str__(self) -> str:
        return self.barcode

    def clean(self) -> None:
        if self.zone_id and self.warehouse_id and self.zone.warehouse_id != self.warehouse_id:
            raise ValidationError({"zone": _("The zone is in another warehouse.")})
        warehouse_kept(self, field="zone")


class Item(models.Model):
    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    gtin = models.CharField(_("GTIN"), max_length=14, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=8, default="EA")
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=10, decimal_places=3, default=0)
    volume_l = models.DecimalField(_("volume (l)"), max_digits=10, decimal_places=3, default=0)
    temperature_class = models.CharField(
        _("temperature class"),
        max_length=8,
        choices=TemperatureClass.choices,
        default=TemperatureClass.AMBIENT,
    )
    hazmat = models.BooleanField(_("hazardous"), default=False)
    lot_tracked = models.BooleanField(_("lot tracked"), default=False)
    shelf_life_days = models.PositiveIntegerField(_("shelf life (days)"), null=True, blank=True)
    velocity = models.CharField(
        _("velocity class"), max_length=1, choices=Velocity.choices, default=Velocity.MEDIUM
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(weight_kg__gte=0), name="item_weight_not_negative"),
            models.CheckConstraint(condition=Q(volume_l__gte=0), name="item_volume_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    def clean(self) -> None:
        """The SKU is how other systems, labels and the event feed know the item: it stays
        once stock of it has moved or been reserved. Lot tracking stays as it is while any of
        it is on hand, whose balances are kept with lots or without."""
        before = (
            Item.objects.filter(pk=self.pk).values("sku", "lot_tracked").first()
            if self.pk
            else None
        )
        if before is None:
            return
        if self.sku != before["sku"] and (
            StockMovement.objects.filter(item_id=self.pk).exists()
            or Reservation.objects.filter(item_id=self.pk).exists()
        ):
            raise ValidationError(
                {
                    "sku": _(
                        "%(sku)s has stock history, so its SKU stays; make a new item and "
                        "deactivate this one."
                    )
                    % {"sku": before["sku"]}
                }
            )
        if self.lot_tracked != before["lot_tracked"] and (
            StockBalance.objects.filter(item_id=self.pk, on_hand__gt=0).exists()
        ):
            raise ValidationError(
                {
                    "lot_tracked": _(
                        "%(sku)s is on hand; lot tracking changes only when none of it is."
                    )
                    % {"sku": before["sku"]}
                }
            )


class ReorderPolicy(models.Model):
    """When an item runs low in one warehouse: reorder point and safety stock."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="reorder_policies")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+")
    reorder_point = models.PositiveIntegerField(_("reorder point"), default=0)
    safety_stock = models.PositiveIntegerField(_("safety stock"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "warehouse"], name="reorder_policy_once"),
            models.CheckConstraint(
                condition=Q(safety_stock__lte=F("reorder_point")),
                name="safety_stock_within_reorder_point",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.sku}@{self.warehouse.code} ROP {self.reorder_point}"


class Lot(models.Model):
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots")
    code = models.CharField(_("lot"), max_length=40)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # A quality hold (a recall, a supplier's notice, a temperature excursion): while
    # `held_at` is set, nothing of the lot is reserved, and no truck leaves with it.
    held_at = models.DateTimeField(_("held since"), null=True, blank=True)
    hold_reason = models.CharField(_("why held"), max_length=200, blank=True)

    class Meta:
        ordering = ["item_id", "expires_on", "code"]
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="lot_code_per_item")]

    def __str__(self) -> str:
        return f"{self.item.sku}/{self.code}"


class StockBalance(models.Model):
    """On hand and reserved for one item, lot and location: the sum of the ledger, kept in step."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="balances")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    # The lot's hold, on the row every reservation locks: a reservation that waited for
    # this row while the lot was put on hold sees it here once it has the lock.
    held = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(on_hand__gte=0), name="balance_on_hand_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="balance_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="balance_reserved_within_on_hand"
            ),
            models.UniqueConstraint(
                fields=["item", "location", "lot"],
                condition=Q(lot__isnull=False),
                name="balance_once_per_item_location_lot",
            ),
            models.UniqueConstraint(
                fields=["item", "location"],
                condition=Q(lot__isnull=True),
                name="balance_once_per_item_location_no_lot",
            ),
        ]
        indexes = [models.Index(fields=["warehouse", "item"], name="balance_warehouse_item")]

    def __str__(self) -> str:
        return (
            f"{self.item_id}@{self.location_id} lot {self.lot_id}: {self.on_hand}/{self.reserved}"
        )


class StockMovement(models.Model):
    """One line of the stock ledger. Append-only: never edited or deleted, only reversed."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=MovementKind.choices)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="movement_quantity_positive"),
            models.CheckConstraint(
                condition=Q(from_location__isnull=False) | Q(to_location__isnull=False),
                name="movement_has_a_location",
            ),
        ]
        indexes = [
            models.Index(fields=["warehouse", "item", "created_at"], name="movement_wh_item_time"),
            models.Index(fields=["reference"], name="movement_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} x {self.item_id}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise ValueError("Stock movements are append-only; post a reversing movement.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("Stock movements are append-only; post a reversing movement.")


class Reservation(models.Model):
    """Stock promised to an opaque reference (an order line, for shipping)."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("reference"), max_length=80)
    requested = models.PositiveIntegerField(_("requested"))
    status = models.CharField(
        max_length=8, choices=ReservationStatus.choices, default=ReservationStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        # Looked up by the whole reference only: no second, pattern index beside it.
        indexes = [models.Index(fields=["reference"], name="reservation_reference")]

    def __str__(self) -> str:
        return f"R{self.pk} {self.reference}"


class Allocation(models.Model):
    """The part of a reservation held at one balance. Balance.reserved = sum of its allocations."""

    reservation = models.ForeignKey(
        Reservation, on_delete=models.PROTECT, related_name="allocations"
    )
    balance = models.ForeignKey(StockBalance, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.IntegerField(_("still reserved"))
    picked = models.IntegerField(_("picked"), default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="allocation_not_negative"),
            models.CheckConstraint(
                condition=Q(picked__gte=0), name="allocation_picked_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"R{self.reservation_id} @ balance {self.balance_id}: {self.quantity}"


class Supplier(models.Model):
    """A supplier the warehouses receive from (shared by all warehouses): its code, its name,
    the EDI ID its ship notices (X12 856) come from, and the phone the dock calls when its
    truck is late. A receipt names it by its code, its name (case and spaces aside) or,
    coming by EDI, its sender."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    edi_id = models.CharField(
        _("EDI ID"),
        max_length=40,
        blank=True,
        help_text=_("ISA qualifier:ID its 856s come from, e.g. ZZ:YILIEDI"),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["edi_id"], condition=~Q(edi_id=""), name="supplier_edi_id_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Receipt(models.Model):
    """An expected receipt (ASN) from a supplier: `supplier` as the receipt named it, and the
    supplier of the master data it names (`from_supplier`), when it names one."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="receipts")
    reference = models.CharField(_("reference"), max_length=60)
    supplier = models.CharField(_("supplier"), max_length=120)
    from_supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts"
    )
    expected_on = models.DateField(_("expected on"))
    status = models.CharField(
        max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.EXPECTED
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-expected_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "reference"], name="receipt_ref_per_wh")
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def supplier_name(self) -> str:
        """Its supplier's name as the master data has it, else as the receipt gives it."""
        return self.from_supplier.name if self.from_supplier_id else self.supplier


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    expected_quantity = models.PositiveIntegerField(_("expected"))
    received_quantity = models.PositiveIntegerField(_("received"), default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["receipt", "item"], name="receipt_line_per_item")
        ]

    def __str__(self) -> str:
        return (
            f"{self.receipt_id}/{self.item_id}: {self.received_quantity}/{self.expected_quantity}"
        )

    @property
    def variance(self) -> int:
        """Received minus expected: positive is an over-receipt, negative an under-receipt."""
        return self.received_quantity - self.expected_quantity


class ReceiptUnit(models.Model):
    """A pallet (or case) the supplier's ship notice says is coming on a receipt, by the GS1
    SSCC on its label, with what it holds: scanning the label receives all of it at once."""

    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="units")
    sscc = models.CharField(_("SSCC"), max_length=18)
    received_at = models.DateTimeField(null=True, blank=True)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # where it was received

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["receipt", "sscc"], name="receipt_unit_once")
        ]

    def __str__(self) -> str:
        return self.sscc


class ReceiptUnitLine(models.Model):
    """What an expected pallet holds of one item (and lot)."""

    unit = models.ForeignKey(ReceiptUnit, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    lot_code = models.CharField(_("lot"), max_length=40, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.quantity} × {self.item_id}"


class Task(models.Model):
    """Work for the floor (putaway, pick, count, replenish), confirmed by scanning."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="tasks")
    kind = models.CharField(max_length=10, choices=TaskKind.choices)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=0)
    allocation = models.ForeignKey(
        Allocation, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    reference = models.CharField(max_length=80, blank=True)
    blind = models.BooleanField(default=False)
    system_quantity = models.IntegerField(null=True, blank=True)
    counted_quantity = models.IntegerField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["warehouse", "status", "kind"], name="task_queue")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    def sop_scopes(self) -> set[str]:
        """Where on the floor the task takes its person: the parts of its place, and of its
        target's (the procedures that apply there, SopScope)."""
        scopes = self.location.zone.sop_scopes()
        if self.to_location is not None:
            scopes |= self.to_location.zone.sop_scopes()
        return scopes
