"""Customers, their orders, and how each order line is reserved across warehouses."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Warehouse
from inventory.models import Item, Reservation
from shipping.choices import OrderStatus, Priority


class Customer(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)

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
    """A customer order from the ERP; `warehouse` is where it ships from (the main part when
    it had to be split)."""

    external_ref = models.CharField(_("order reference"), max_length=64)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    ship_to = models.ForeignKey(ShipTo, on_delete=models.PROTECT, related_name="orders")
    warehouse = models.ForeignKey(
        Warehouse, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.RECEIVED, db_index=True
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    requested_delivery_date = models.DateField(_("requested delivery date"))
    promised_ship_date = models.DateField(_("promised ship date"))
    cutoff_at = models.DateTimeField(_("cut-off"), null=True, blank=True)
    allocation_note = models.JSONField(_("allocation decision"), default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    allocated_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["priority", "promised_ship_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "external_ref"], name="order_ref_once_per_customer"
            )
        ]
        indexes = [models.Index(fields=["warehouse", "status"], name="order_wh_status")]

    def __str__(self) -> str:
        return self.external_ref


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
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
