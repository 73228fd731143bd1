"""Shipping API: customers and ship-tos, orders with allocation, changes and cancellation."""

import datetime
import functools
from collections.abc import Callable

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import require_role_anywhere, warehouse_ids_for
from core.api.base import MasterDataViewSet, ScopedViewSet
from core.choices import (
    LOT_PULL_ROLES,
    MASTER_DATA_ROLES,
    ORDER_ROLES,
    PLANNING_ROLES,
    TRACKING_ROLES,
    Role,
)
from shipping import services
from shipping.api import serializers as s
from shipping.models import Customer, LineReservation, Order, OrderLine, ShipTo
from shipping.selectors import orders_visible, orders_with_details

PRINT_NOW = OpenApiParameter(
    "print", str, description="1: the page opens the print dialogue as it loads"
)


def _may(request: Request, roles: frozenset[str], warehouse_id: int | None = None) -> None:
    """The caller needs one of `roles` in the given warehouse (or in any of theirs)."""
    require_role_anywhere(request.user, roles, [warehouse_id] if warehouse_id else None)


class GlobalMasterDataViewSet(MasterDataViewSet):
    """Master data shared by all warehouses (customers): writable by master-data roles."""

    def get_queryset(self) -> QuerySet:
        return self.queryset.all()

    def _check(self, warehouse_id: int | None) -> None:
        _may(self.request, MASTER_DATA_ROLES)


class CustomerViewSet(GlobalMasterDataViewSet):
    queryset = Customer.objects.all()
    serializer_class = s.CustomerSerializer
    filterset_fields = ["code"]


class ShipToViewSet(GlobalMasterDataViewSet):
    queryset = ShipTo.objects.select_related("customer")
    serializer_class = s.ShipToSerializer
    filterset_fields = {"customer__code": ["exact"], "city": ["exact"]}


def _as_prefetched(order: Order, written: list[tuple[OrderLine, list[LineReservation]]]) -> None:
    """Give a new order what it was written with as if prefetched by `orders_with_details`
    (Django's own way: querysets whose results are already there); no split parts."""

    def known(model: type[Model], rows: list) -> QuerySet:
        # A bare queryset holding the rows: the related manager hands the cached one out as it
        # is, so it needs no filter of its own (building those cost more than the answer).
        queryset = QuerySet(model=model)
        queryset._result_cache = rows
        queryset._prefetch_done = True
        return queryset

    for line, held in written:
        line._prefetched_objects_cache = {"reservations": known(LineReservation, held)}
    order._prefetched_objects_cache = {
        "lines": known(OrderLine, [line for line, _ in written]),
        "split_parts": known(Order, []),
    }


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Orders: an ERP posts them (allocated in the request); dispatch changes or cancels them.

    Scoped to orders shipping from, or holding stock in, the caller's warehouses.
    """

    serializer_class = s.OrderSerializer
    filterset_fields = {
        "status": ["exact", "in"],
        "external_ref": ["exact"],
        "customer__code": ["exact"],
        "warehouse__code": ["exact"],
        "promised_ship_date": ["exact", "lte", "gte"],
    }

    def get_queryset(self) -> QuerySet[Order]:
        visible = orders_visible(warehouse_ids=warehouse_ids_for(self.request.user))
        return orders_with_details(visible)

    def _answer(self, order: Order, code: int = status.HTTP_200_OK) -> Response:
        """The order as it is now. The caller may see it: it just created it, or found it
        through the scoped queryset before changing it. A new order the service answers with
        its lines and reservations attached (allocated whole) is not read back."""
        written = getattr(order, "written", None)
        if written is None:
            order = orders_with_details(Order.objects.filter(pk=order.pk)).get()
        else:
            _as_prefetched(order, written)
        return Response(self.get_serializer(order).data, code)

    @extend_schema(responses={(200, "text/html"): str}, parameters=[PRINT_NOW])
    @action(detail=True, methods=["get"], url_path="delivery-note")
    def delivery_note(self, request: Request, pk: str) -> HttpResponse:
        """The order's delivery note (送货单) for its receiver to sign: what of it is packed,
        line by line, with its truck, stop and units; 404 until something is packed."""
        order = self.get_object()
        return _delivery_notes_page(request, [order.pk], order.external_ref)

    @extend_schema(request=s.OrderCreateInput, responses={201: s.OrderSerializer})
    def create(self, request: Request) -> Response:
        _may(request, ORDER_ROLES)
        data = s.OrderCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        order = services.order_create(
            customer=v["customer"],
            ship_to=v["ship_to"],
            external_ref=v["external_ref"],
            lines=[services.LineInput(line["item"], line["quantity"]) for line in v["lines"]],
            priority=v["priority"],
            requested_delivery_date=v["requested_delivery_date"],
            promised_ship_date=v["promised_ship_date"],
            cutoff_at=v.get("cutoff_at"),
            actor=request.user,
        )
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        _may(request, ORDER_ROLES, order.warehouse_id)
        return self._answer(services.order_allocate(order=order, actor=request.user))

    @extend_schema(request=s.LineChangeInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], url_path="change-line")
    def change_line(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        _may(request, ORDER_ROLES, order.warehouse_id)
        data = s.LineChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_line_change(order=order, actor=request.user, **data.validated_data)
        return self._answer(order)

    @extend_schema(request=s.CancelInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        _may(request, ORDER_ROLES, order.warehouse_id)
        data = s.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_cancel(
            order=order, reason=data.validated_data["reason"], actor=request.user
        )
        return self._answer(order)

    @extend_schema(request=s.LotPullInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"], url_path="pull-lot")
    def pull_lot(self, request: Request, pk: str) -> Response:
        """Take the goods of a held lot picked for the order back out of it, to a place in its
        warehouse (quarantine, say): its units holding some are broken down, and the order
        picks as many again from other stock, or the rest follows as a backorder
        (`order.lot_pulled`). 409 while a unit of it is on a truck (`unit_loaded`). The
        floor or quality, in the order's warehouse."""
        order = self.get_object()
        _may(request, LOT_PULL_ROLES, order.warehouse_id)
        data = _valid(s.LotPullInput, request)
        order = services.order_lot_pull(
            order=order, lot=data["lot"], to_location=data["to_location"], actor=request.user
        )
        return self._answer(order)


# --- the handoff: dock, loads, waves, picking, packing, loading, the road -----------------

from django.http import FileResponse, Http404  # noqa: E402
from rest_framework.exceptions import NotFound  # noqa: E402

from core.access import require_role  # noqa: E402
from core.choices import FLOOR_ROLES  # noqa: E402
from core.exceptions import Conflict, DomainError  # noqa: E402
from core.models import Warehouse  # noqa: E402
from inventory.models import Task  # noqa: E402
from shipping.choices import LoadStatus  # noqa: E402
from shipping.documents import delivery_notes_html, load_manifest_html  # noqa: E402
from shipping.filtersets import DockHoldFilter, ShipmentFilter  # noqa: E402
from shipping.labels import unit_label_html  # noqa: E402
from shipping.models import (  # noqa: E402
    Carrier,
    Dock,
    DockAppointment,
    DockHold,
    Driver,
    HandlingUnit,
    Load,
    Shipment,
    Stop,
    Vehicle,
    Wave,
)
from shipping.planning import loads_proposed, slot_suggested  # noqa: E402
from shipping.selectors import (  # noqa: E402
    VehicleChoice,
    delivery_notes,
    load_manifest,
    load_planned_orders,
    load_route,
    stop_by_waybill,
    stop_photographed,
    trip_back,
    trucks_day,
    vehicles_ranked,
)

DISPATCH_ROLES = PLANNING_ROLES
GATE_ROLES = PLANNING_ROLES | FLOOR_ROLES
WAYBILL_PATH = [
    OpenApiParameter(
        "carrier", OpenApiTypes.STR, OpenApiParameter.PATH, description="The carrier's code."
    ),
    OpenApiParameter(
        "waybill",
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        description="The carrier's number for the consignment, as its label prints it.",
    ),
]


def _delivery_notes_page(request: Request, order_ids: list[int], what: str) -> HttpResponse:
    """The delivery notes of these orders, those shipping from the caller's warehouses; 404
    naming `what` if none has anything packed."""
    notes = delivery_notes(order_ids=order_ids, warehouse_ids=warehouse_ids_for(request.user))
    if not notes:
        raise NotFound(_("Nothing of %(what)s is packed yet.") % {"what": what})
    return HttpResponse(
        delivery_notes_html(notes, print_now=request.GET.get("print") == "1"),
        content_type="text/html; charset=utf-8",
    )


def _valid(serializer_class: type, request: Request) -> dict:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _orders_named(refs: list[str], warehouse: Warehouse) -> list[Order]:
    """The warehouse's orders of these references, or a DomainError naming those it lacks."""
    orders = list(Order.objects.filter(external_ref__in=refs, warehouse=warehouse))
    missing = sorted(set(refs) - {o.external_ref for o in orders})
    if missing:
        raise DomainError(
            _("No order %(orders)s ships from %(warehouse)s.")
            % {"orders": ", ".join(missing), "warehouse": warehouse.code},
            field="orders",
        )
    return orders


def _vehicle_best(
    warehouse: Warehouse, orders: list[Order], slot: services.DockSlot | None
) -> Vehicle:
    """The best free vehicle of the warehouse that takes the orders, on no trip the load's
    would overlap (with no `slot`, on no trip at all), or a DomainError naming `vehicle` and
    why each one cannot."""
    ranked = vehicles_ranked(warehouse_id=warehouse.pk, orders=orders)

    @functools.cache
    def back(network: int) -> datetime.datetime:
        """When a vehicle so going is back from the load's trip (one route for all)."""
        assert slot is not None
        return trip_back(
            warehouse=warehouse,
            ship_tos=[o.ship_to for o in orders],
            leaves_at=slot.ends_at,
            network=network,
        )

    def booked(choice: VehicleChoice) -> str:
        """Why the vehicle's trips keep it from this load ("" if they do not)."""
        met = [
            t
            for t in choice.trips
            if slot is None or t.meets(slot.starts_at, back(choice.vehicle.network))
        ]
        return f"on {met[0].load.reference}, give the load a slot clear of it" if met else ""

    for choice in ranked:
        if choice.usable and not booked(choice):
            return choice.vehicle
    why = "; ".join(f"{c.vehicle.plate}: {c.refusal or booked(c)}" for c in ranked) or _(
        "it has none"
    )
    raise DomainError(
        _("No vehicle of %(warehouse)s takes these orders (%(why)s).")
        % {"warehouse": warehouse.code, "why": why},
        field="vehicle",
    )


class CarrierViewSet(GlobalMasterDataViewSet):
    queryset = Carrier.objects.all()
    serializer_class = s.CarrierSerializer


class VehicleViewSet(GlobalMasterDataViewSet):
    queryset = Vehicle.objects.select_related("carrier", "home_warehouse")
    serializer_class = s.VehicleSerializer
    filterset_fields = {"carrier__code": ["exact"], "temperature_class": ["exact"]}


class DriverViewSet(GlobalMasterDataViewSet):
    queryset = Driver.objects.select_related("carrier")
    serializer_class = s.DriverSerializer


class DockViewSet(MasterDataViewSet):
    queryset = Dock.objects.select_related("warehouse")
    serializer_class = s.DockSerializer
    write_roles = MASTER_DATA_ROLES


class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Dock appointments: book, move, cancel; the gate checks trucks in and out."""

    serializer_class = s.AppointmentSerializer
    warehouse_field = "dock__warehouse_id"
    filterset_fields = {"status": ["exact"], "dock": ["exact"], "starts_at": ["gte", "lt"]}
    queryset = DockAppointment.objects.select_related("dock__warehouse", "vehicle", "load")

    @extend_schema(request=s.AppointmentBookInput, responses={201: s.AppointmentSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(s.AppointmentBookInput, request)
        require_role(request.user, data["dock"].warehouse_id, DISPATCH_ROLES)
        appointment = services.appointment_book(actor=request.user, **data)
        return self._answer(appointment, status.HTTP_201_CREATED)

    @extend_schema(request=s.AppointmentMoveInput, responses=s.AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        appointment = self.get_object()
        require_role(request.user, appointment.dock.warehouse_id, DISPATCH_ROLES)
        data = _valid(s.AppointmentMoveInput, request)
        return self._answer(
            services.appointment_move(appointment=appointment, actor=request.user, **data)
        )

    @extend_schema(request=None, responses=s.AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        appointment = self.get_object()
        require_role(request.user, appointment.dock.warehouse_id, DISPATCH_ROLES)
        return self._answer(
            services.appointment_cancel(appointment=appointment, actor=request.user)
        )

    @extend_schema(request=s.GateInput, responses=s.AppointmentSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, pk: str) -> Response:
        appointment = self.get_object()
        require_role(request.user, appointment.dock.warehouse_id, GATE_ROLES)
        data = _valid(s.GateInput, request)
        return self._answer(
            services.vehicle_check_in(
                appointment=appointment, actor=request.user, at=data.get("at")
            )
        )

    @extend_schema(request=s.GateInput, responses=s.AppointmentSerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request: Request, pk: str) -> Response:
        appointment = self.get_object()
        require_role(request.user, appointment.dock.warehouse_id, GATE_ROLES)
        data = _valid(s.GateInput, request)
        return self._answer(
            services.vehicle_check_out(
                appointment=appointment, actor=request.user, at=data.get("at")
            )
        )


class DockHoldViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Doors held from loading for a while: a supplier's truck unloading (receiving, with its
    receipt if known), a repair, or another reason. No appointment is booked at a door while
    it is held, nor a hold placed over a live appointment (409 naming it). `?live=true` for
    those not released; `?inside=true` for those whose supplier's truck is in; `?dock=`,
    `?reason=`, `?starts_at__gte=`, `?starts_at__lt=`. Placed and released by the office and
    the floor's supervisors (`PLANNING_ROLES`); the supplier's truck checked in and out at a
    receiving hold by them and the floor (`GATE_ROLES`), its dwell measured."""

    serializer_class = s.DockHoldSerializer
    warehouse_field = "dock__warehouse_id"
    filterset_class = DockHoldFilter
    queryset = DockHold.objects.select_related(
        "dock__warehouse", "receipt", "placed_by", "released_by"
    )

    @extend_schema(request=s.DockHoldInput, responses={201: s.DockHoldSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(s.DockHoldInput, request)
        require_role(request.user, data["dock"].warehouse_id, DISPATCH_ROLES)
        hold = services.dock_hold_place(actor=request.user, **data)
        return self._answer(hold, status.HTTP_201_CREATED)

    @extend_schema(request=s.DockHoldDailyInput, responses={201: s.DockHoldsPlaced})
    @action(detail=False, methods=["post"])
    def daily(self, request: Request) -> Response:
        """Hold a door at the same hours of the warehouse's clock on `days` days running (a
        door kept for receiving every morning): all or none, a conflict naming its day."""
        data = _valid(s.DockHoldDailyInput, request)
        require_role(request.user, data["dock"].warehouse_id, DISPATCH_ROLES)
        holds = services.dock_holds_place_daily(actor=request.user, **data)
        rows = self.get_queryset().filter(pk__in=[h.pk for h in holds]).order_by("starts_at")
        return Response(
            {"holds": self.get_serializer(rows, many=True).data}, status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=s.DockHoldSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str) -> Response:
        hold = self.get_object()
        require_role(request.user, hold.dock.warehouse_id, DISPATCH_ROLES)
        return self._answer(services.dock_hold_release(hold=hold, actor=request.user))

    @extend_schema(request=s.SupplierGateInput, responses=s.DockHoldSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, pk: str) -> Response:
        """The gate lets the supplier's truck in to the door held for its receiving: its
        dwell starts (`supplier_truck.checked_in`)."""
        hold = self.get_object()
        require_role(request.user, hold.dock.warehouse_id, GATE_ROLES)
        data = _valid(s.SupplierGateInput, request)
        return self._answer(services.supplier_truck_check_in(hold=hold, actor=request.user, **data))

    @extend_schema(request=s.WalkInInput, responses={201: s.DockHoldSerializer})
    @action(detail=False, methods=["post"], url_path="walk-in")
    def walk_in(self, request: Request) -> Response:
        """A supplier's truck at the gate with no door held for it: the first door free
        for `minutes` from now is held for its receiving and the truck checked in to it,
        both or neither (409 `no_door_free` when none is: it waits in the yard)."""
        data = _valid(s.WalkInInput, request)
        require_role(request.user, data["warehouse"].pk, GATE_ROLES)
        hold = services.supplier_truck_walk_in(actor=request.user, **data)
        return self._answer(hold, status.HTTP_201_CREATED)

    @extend_schema(request=s.GateInput, responses=s.DockHoldSerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request: Request, pk: str) -> Response:
        """The supplier's truck leaves: its dwell is measured, and the door is free from
        then (`supplier_truck.checked_out`)."""
        hold = self.get_object()
        require_role(request.user, hold.dock.warehouse_id, GATE_ROLES)
        data = _valid(s.GateInput, request)
        return self._answer(
            services.supplier_truck_check_out(hold=hold, actor=request.user, at=data.get("at"))
        )


class LoadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Loads: build from orders, plan the wave, scan units on, depart."""

    serializer_class = s.LoadSerializer
    filterset_fields = {"status": ["exact"], "reference": ["exact"]}
    queryset = Load.objects.select_related(
        "warehouse", "vehicle", "driver", "wave", "appointment"
    ).prefetch_related("orders")

    @extend_schema(request=s.LoadBuildInput, responses={201: s.LoadSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(s.LoadBuildInput, request)
        require_role(request.user, data["warehouse"].pk, DISPATCH_ROLES)
        orders = _orders_named(data["orders"], data["warehouse"])
        slot = (
            services.DockSlot(data["dock"], data["starts_at"], data["ends_at"])
            if data.get("dock")
            else None
        )
        vehicle = data.get("vehicle") or _vehicle_best(data["warehouse"], orders, slot)
        load = services.load_build(
            warehouse=data["warehouse"],
            vehicle=vehicle,
            orders=orders,
            slot=slot,
            driver=data.get("driver"),
            actor=request.user,
        )
        return self._answer(load, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[s.VehicleChoiceQuery], responses=s.VehicleChoiceSerializer(many=True)
    )
    @action(detail=False, methods=["get"], url_path="vehicle-choice", pagination_class=None)
    def vehicle_choice(self, request: Request) -> Response:
        """The warehouse's vehicles for these orders, best first: free ones that take the
        goods, the cheapest for their trip by the tariffs, own fleet before hired carriers,
        the fullest first; then the others, with why not, each with its cost.
        `?warehouse=BJ&orders=SO-1&orders=SO-2`, or `?warehouse=BJ&load=L-…` for another
        truck for a planned load (POST /loads/{id}/vehicle/ puts it there)."""
        params = {"warehouse": request.query_params.get("warehouse")}
        if "orders" in request.query_params:
            params["orders"] = request.query_params.getlist("orders")
        if "load" in request.query_params:
            params["load"] = request.query_params["load"]
        query = s.VehicleChoiceQuery(data=params, context={"request": request})
        query.is_valid(raise_exception=True)
        warehouse = query.validated_data["warehouse"]
        require_role(request.user, warehouse.pk, DISPATCH_ROLES)
        load = None
        if query.validated_data.get("load"):
            reference = query.validated_data["load"]
            found = load_planned_orders(warehouse_id=warehouse.pk, reference=reference)
            if found is None:
                raise DomainError(
                    _("No planned load %(load)s at %(warehouse)s.")
                    % {"load": reference, "warehouse": warehouse.code},
                    field="load",
                )
            load, orders = found
        else:
            orders = _orders_named(query.validated_data["orders"], warehouse)
        ranked = vehicles_ranked(
            warehouse_id=warehouse.pk, orders=orders, excluding=load.pk if load else None
        )
        return Response(s.VehicleChoiceSerializer(ranked, many=True).data)

    @extend_schema(responses={(200, "text/html"): str}, parameters=[PRINT_NOW])
    @action(detail=True, methods=["get"], url_path="delivery-notes")
    def delivery_notes(self, request: Request, pk: str) -> HttpResponse:
        """The delivery notes of the load's orders, one page each, in the order the truck
        reaches them: what the driver hands over at each stop; 404 until something is
        packed."""
        load = self.get_object()
        ids = list(load.orders.exclude(status="cancelled").values_list("pk", flat=True))
        return _delivery_notes_page(request, ids, load.reference)

    @extend_schema(responses={(200, "text/html"): str}, parameters=[PRINT_NOW])
    @action(detail=True, methods=["get"])
    def manifest(self, request: Request, pk: str) -> HttpResponse:
        """The load's manifest (装车交接单): the paper its driver signs for the units at the
        dock, order by order in the order of the stops; 404 until something is packed."""
        load = self.get_object()
        manifest = load_manifest(load_id=load.pk, warehouse_ids=warehouse_ids_for(request.user))
        if manifest is None or not manifest["orders"]:
            raise NotFound(_("Nothing of %(what)s is packed yet.") % {"what": load.reference})
        return HttpResponse(
            load_manifest_html(manifest, print_now=request.GET.get("print") == "1"),
            content_type="text/html; charset=utf-8",
        )

    @extend_schema(
        parameters=[s.RouteQuery],
        responses={
            200: s.RouteSerializer,
            409: OpenApiResponse(description="The load has left: its stops are on its shipment."),
        },
    )
    @action(detail=True, methods=["get"])
    def route(self, request: Request, pk: str) -> Response:
        """The stops in the order the truck would drive them, each with its ETA in the ship-to's
        delivery window, if it left at `leaves_at`."""
        load = self.get_object()
        if load.status not in (LoadStatus.PLANNED, LoadStatus.LOADING):
            raise Conflict(
                _("Load %(load)s is %(status)s: its stops are on its shipment.")
                % {"load": load.reference, "status": load.get_status_display().lower()},
                field="load",
            )
        query = s.RouteQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        route = load_route(load=load, leaves_at=query.validated_data.get("leaves_at"))
        return Response(
            s.RouteSerializer(
                {
                    "load": load.reference,
                    "leaves_at": route["leaves_at"],
                    "late_minutes": route["late_minutes"],
                    "km": round(route["km"], 1),
                    "cost": route["cost"],
                    "stops": [
                        {"sequence": n, "call": call, "km": round(call.km, 1)}
                        for n, call in enumerate(route["calls"], start=1)
                    ],
                }
            ).data
        )

    @extend_schema(
        responses={
            200: s.SlotSuggestedSerializer,
            409: OpenApiResponse(description="The load has left its dock."),
        }
    )
    @action(detail=True, methods=["get"])
    def slot(self, request: Request, pk: str) -> Response:
        """The dock slot to book (or to move its appointment to): the truck leaves as soon as
        its goods are picked and loaded if its first shop is open by then, else the morning
        it next opens, not waiting there; at a door free then (see shipping/planning.py).
        Book it with POST /appointments/."""
        load = self.get_object()
        require_role(request.user, load.warehouse_id, DISPATCH_ROLES)
        if load.status not in (LoadStatus.PLANNED, LoadStatus.LOADING):
            raise Conflict(
                _("Load %(load)s is %(status)s: it has left its dock.")
                % {"load": load.reference, "status": load.get_status_display().lower()},
                field="load",
            )
        slot = slot_suggested(load=load)
        return Response(
            s.SlotSuggestedSerializer(
                {
                    "load": load.reference,
                    "dock": slot.dock.code if slot.dock else None,
                    "dock_id": slot.dock.pk if slot.dock else None,
                    "starts_at": slot.slot_starts_at,
                    "ends_at": slot.leaves_at,
                    "late_minutes": slot.late_minutes,
                    "stops": [
                        {"sequence": n, "call": call, "km": round(call.km, 1)}
                        for n, call in enumerate(slot.route, start=1)
                    ],
                }
            ).data
        )

    @extend_schema(parameters=[s.TrucksDayQuery], responses=s.TruckDaySerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def trucks(self, request: Request) -> Response:
        """The warehouse's vehicles and their trips between `start` and `end` (by default 6
        hours back to 30 ahead; 7 days at most): from the dock (slot, check-in or departure)
        until the truck is back from its last stop, as known now, and whether it will not be
        back in time for its next trip. `?warehouse=BJ1&start=…&end=…`."""
        query = s.TrucksDayQuery(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        require_role(request.user, data["warehouse"].pk, DISPATCH_ROLES)
        day = trucks_day(
            warehouse_id=data["warehouse"].pk,
            start=data["start"],
            end=data["end"],
            now=timezone.now(),
        )
        return Response(s.TruckDaySerializer(day, many=True).data)

    @extend_schema(parameters=[s.WarehouseQuery], responses=s.LoadPlanSerializer)
    @action(detail=False, methods=["get"])
    def proposed(self, request: Request) -> Response:
        """Loads proposed for the allocated orders waiting for one, on the warehouse's free
        vehicles (see shipping/planning.py), and the orders they leave waiting with the
        reason (`no_vehicle`, `goods`, `window`, `picking`, `room`, `trips`); nothing is
        written. `?warehouse=BJ1`."""
        query = s.WarehouseQuery(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        warehouse = query.validated_data["warehouse"]
        require_role(request.user, warehouse.pk, DISPATCH_ROLES)
        return Response(s.LoadPlanSerializer(loads_proposed(warehouse=warehouse)).data)

    @extend_schema(request=s.WavePlanInput, responses={201: s.WaveSerializer})
    @action(detail=True, methods=["post"], url_path="plan-wave")
    def plan_wave(self, request: Request, pk: str) -> Response:
        load = self.get_object()
        require_role(request.user, load.warehouse_id, DISPATCH_ROLES)
        wave = services.wave_plan(load=load, actor=request.user, **_valid(s.WavePlanInput, request))
        return Response(s.WaveSerializer(wave).data, status.HTTP_201_CREATED)

    @extend_schema(request=s.OrderRefInput, responses=s.LoadSerializer)
    @action(detail=True, methods=["post"], url_path="add-order")
    def add_order(self, request: Request, pk: str) -> Response:
        """Put an allocated order on a planned load, and on its wave if not yet picked."""
        load = self.get_object()
        require_role(request.user, load.warehouse_id, DISPATCH_ROLES)
        ref = _valid(s.OrderRefInput, request)["order"]
        order = Order.objects.filter(external_ref=ref, warehouse_id=load.warehouse_id).first()
        if order is None:
            raise DomainError(
                _("No order %(order)s ships from this warehouse.") % {"order": ref}, field="order"
            )
        services.load_order_add(load=load, order=order, actor=request.user)
        return self._answer(load)

    @extend_schema(request=s.OrderRefInput, responses=s.LoadSerializer)
    @action(detail=True, methods=["post"], url_path="remove-order")
    def remove_order(self, request: Request, pk: str) -> Response:
        """Take an order off a planned load whose wave is not on the floor."""
        load = self.get_object()
        require_role(request.user, load.warehouse_id, DISPATCH_ROLES)
        ref = _valid(s.OrderRefInput, request)["order"]
        order = load.orders.filter(external_ref=ref).first()
        if order is None:
            raise DomainError(
                _("Order %(order)s is not on load %(load)s.")
                % {"order": ref, "load": load.reference},
                field="order",
            )
        services.load_order_remove(load=load, order=order, actor=request.user)
        return self._answer(load)

    @extend_schema(request=s.LoadVehicleInput, responses=s.LoadSerializer)
    @action(detail=True, methods=["post"])
    def vehicle(self, request: Request, pk: str) -> Response:
        """Put a planned load on another vehicle, or give it another driver: its booked dock
        slot goes with it; a truck already at its door, or one on another trip then, is a
        409 naming the field."""
        load = self.get_object()
        require_role(request.user, load.warehouse_id, DISPATCH_ROLES)
        data = _valid(s.LoadVehicleInput, request)
        vehicle = data["vehicle"]
        if "driver" in data:
            driver = data["driver"]
        else:  # the driver stays if he drives for the vehicle's carrier
            kept = load.driver is not None and load.driver.carrier_id == vehicle.carrier_id
            driver = load.driver if kept else None
        services.load_vehicle_change(load=load, vehicle=vehicle, driver=driver, actor=request.user)
        return self._answer(load)

    @extend_schema(request=None, responses=s.LoadSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel a planned load whose wave is not on the floor: its orders stay allocated."""
        load = self.get_object()
        require_role(request.user, load.warehouse_id, DISPATCH_ROLES)
        services.load_cancel(load=load, actor=request.user)
        return self._answer(load)

    def _unit_scanned(self, request: Request, move: Callable[..., HandlingUnit]) -> Response:
        """A floor person scans a unit (`sscc`) for this load; `move` puts it on or off."""
        load = self.get_object()
        require_role(request.user, load.warehouse_id, FLOOR_ROLES)
        unit = move(load=load, sscc=_valid(s.ScanInput, request)["sscc"], actor=request.user)
        return Response(s.UnitSerializer(unit).data)

    @extend_schema(request=s.ScanInput, responses=s.UnitSerializer)
    @action(detail=True, methods=["post"])
    def scan(self, request: Request, pk: str) -> Response:
        """Scan a staged unit onto the truck."""
        return self._unit_scanned(request, services.load_scan)

    @extend_schema(request=s.ScanInput, responses=s.UnitSerializer)
    @action(detail=True, methods=["post"])
    def unload(self, request: Request, pk: str) -> Response:
        """Take a unit off the truck, back to its lane."""
        return self._unit_scanned(request, services.unit_unload)

    @extend_schema(request=s.GateInput, responses=s.ShipmentSerializer)
    @action(detail=True, methods=["post"])
    def depart(self, request: Request, pk: str) -> Response:
        load = self.get_object()
        require_role(request.user, load.warehouse_id, GATE_ROLES)
        shipment = services.load_depart(
            load=load, actor=request.user, at=_valid(s.GateInput, request).get("at")
        )
        return Response(
            s.ShipmentSerializer(ShipmentViewSet.queryset.get(pk=shipment.pk)).data,
            status.HTTP_201_CREATED,
        )


class WaveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Waves with their timing: when to release, when the goods will be ready."""

    serializer_class = s.WaveSerializer
    filterset_fields = ["status"]
    queryset = Wave.objects.select_related("warehouse", "load__appointment").prefetch_related(
        "orders"
    )

    @extend_schema(request=s.OrderRefInput, responses=s.WaveSerializer)
    @action(detail=True, methods=["post"], url_path="add-order")
    def add_order(self, request: Request, pk: str) -> Response:
        wave = self.get_object()
        require_role(request.user, wave.warehouse_id, DISPATCH_ROLES | {Role.SUPERVISOR})
        ref = _valid(s.OrderRefInput, request)["order"]
        order = Order.objects.filter(external_ref=ref, warehouse_id=wave.warehouse_id).first()
        if order is None:
            raise DomainError(
                _("No order %(order)s ships from this warehouse.") % {"order": ref}, field="order"
            )
        wave = services.wave_order_add(wave=wave, order=order, actor=request.user)
        return self._answer(wave)

    @extend_schema(request=None, responses=s.WaveSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str) -> Response:
        wave = self.get_object()
        require_role(request.user, wave.warehouse_id, DISPATCH_ROLES | {Role.SUPERVISOR})
        wave = services.wave_release(wave=wave, actor=request.user)
        return self._answer(wave)


class PickViewSet(ScopedViewSet):
    """An order's pick task confirmed by scans; short picks are re-allocated."""

    queryset = Task.objects.filter(kind="pick").select_related("allocation__reservation")
    serializer_class = s.PickConfirmInput  # what OPTIONS describes

    @extend_schema(request=s.PickConfirmInput, responses=None)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        require_role(request.user, task.warehouse_id, FLOOR_ROLES)
        data = _valid(s.PickConfirmInput, request)
        done = services.order_pick_confirm(task=task, actor=request.user, **data)
        from inventory.api.serializers import TaskSerializer
        from inventory.api.views import TaskViewSet

        return Response(TaskSerializer(TaskViewSet.base_queryset().get(pk=done.pk)).data)


class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Handling units (SSCC): list, stage to a lane, print the label."""

    serializer_class = s.UnitSerializer
    lookup_field = "sscc"
    filterset_fields = {"status": ["exact"], "order__external_ref": ["exact"]}
    queryset = HandlingUnit.objects.select_related("order", "location", "load").prefetch_related(
        "lines__line__item"
    )

    @extend_schema(request=s.StageInput, responses=s.UnitSerializer)
    @action(detail=True, methods=["post"])
    def stage(self, request: Request, sscc: str) -> Response:
        unit = self.get_object()
        require_role(request.user, unit.warehouse_id, FLOOR_ROLES)
        unit = services.unit_stage(
            unit=unit, lane=_valid(s.StageInput, request)["lane"], actor=request.user
        )
        return self._answer(unit)

    @extend_schema(responses={(200, "text/html"): str}, parameters=[PRINT_NOW])
    @action(detail=True, methods=["get"])
    def label(self, request: Request, sscc: str) -> HttpResponse:
        return HttpResponse(
            unit_label_html(self.get_object(), print_now=request.GET.get("print") == "1"),
            content_type="text/html; charset=utf-8",
        )


class ShipmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Shipments on the road: tracking events in, ETAs out, proof of delivery."""

    serializer_class = s.ShipmentSerializer
    warehouse_field = "load__warehouse_id"
    filterset_class = ShipmentFilter
    queryset = Shipment.objects.select_related("load__warehouse", "carrier").prefetch_related(
        "stops__ship_to", "stops__orders", "tracking"
    )

    def _answer(self, shipment_id: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=shipment_id)).data)

    @staticmethod
    def _stop(shipment: Shipment, sequence: str) -> Stop:
        """The shipment's stop of that sequence (from the URL), or a refusal naming `stop`."""
        stop = Stop.objects.filter(shipment=shipment, sequence=int(sequence)).first()
        if stop is None:
            raise DomainError(_("The shipment has no stop %(n)s.") % {"n": sequence}, field="stop")
        return stop

    def _delivered(self, request: Request, stop: Stop) -> Response:
        """The delivery the body tells of (`DeliveryInput`) at the stop, recorded."""
        data = _valid(s.DeliveryInput, request)
        returned = [(line["item"], line["quantity"]) for line in data.pop("returned", [])]
        services.delivery_record(stop=stop, actor=request.user, returned=returned, **data)
        return self._answer(stop.shipment_id)

    def _stop_by_waybill(self, carrier: str, waybill: str) -> Stop:
        """The stop of the caller's warehouses that the carrier knows by this waybill (typed
        as it prints it), else 404."""
        stop = stop_by_waybill(
            carrier=carrier,
            waybill=services.waybill_clean(waybill),
            warehouse_ids=warehouse_ids_for(self.request.user),
        )
        if stop is None:
            raise NotFound(
                _("No shipment of carrier %(carrier)s has waybill %(waybill)s.")
                % {"carrier": carrier, "waybill": waybill}
            )
        return stop

    @extend_schema(request=s.TrackingInput, responses=s.ShipmentSerializer)
    @action(detail=True, methods=["post"])
    def events(self, request: Request, pk: str) -> Response:
        shipment = self.get_object()
        require_role(request.user, shipment.load.warehouse_id, TRACKING_ROLES)
        data = _valid(s.TrackingInput, request)
        services.tracking_record(
            shipment=shipment,
            actor=request.user,
            stop_sequence=data.pop("stop", None),
            **data,
        )
        return self._answer(shipment.pk)

    @extend_schema(request=s.DeliveryInput, responses=s.ShipmentSerializer)
    @action(detail=True, methods=["post"], url_path=r"stops/(?P<sequence>\d+)/deliver")
    def deliver(self, request: Request, pk: str, sequence: str) -> Response:
        shipment = self.get_object()
        require_role(request.user, shipment.load.warehouse_id, TRACKING_ROLES | {Role.OPERATOR})
        stop = self._stop(shipment, sequence)
        return self._delivered(request, stop)

    @extend_schema(request=s.WaybillInput, responses=s.ShipmentSerializer)
    @action(detail=True, methods=["post"], url_path=r"stops/(?P<sequence>\d+)/waybill")
    def waybill(self, request: Request, pk: str, sequence: str) -> Response:
        """Record the carrier's waybill of one stop's consignment (or take a wrong one off):
        its events and proof of delivery can then come in by that number."""
        shipment = self.get_object()
        require_role(request.user, shipment.load.warehouse_id, TRACKING_ROLES)
        stop = self._stop(shipment, sequence)
        data = _valid(s.WaybillInput, request)
        services.stop_waybill_record(stop=stop, waybill=data["waybill"], actor=request.user)
        return self._answer(shipment.pk)

    @extend_schema(request=s.TrackingInput, responses=s.ShipmentSerializer, parameters=WAYBILL_PATH)
    @action(
        detail=False,
        methods=["post"],
        url_path=r"waybills/(?P<carrier>[^/]+)/(?P<waybill>[^/]+)/events",
        url_name="waybill-events",
    )
    def waybill_events(self, request: Request, carrier: str, waybill: str) -> Response:
        """A carrier's status of one consignment, by its waybill: as posting to the
        shipment's events with that stop named (a `stop` in the body must be that one)."""
        stop = self._stop_by_waybill(carrier, waybill)
        require_role(request.user, stop.shipment.load.warehouse_id, TRACKING_ROLES)
        data = _valid(s.TrackingInput, request)
        named = data.pop("stop", None)
        if named is not None and named != stop.sequence:
            raise DomainError(
                _("Waybill %(waybill)s is stop %(n)s of shipment %(shipment)s.")
                % {"waybill": stop.waybill, "n": stop.sequence, "shipment": stop.shipment},
                field="stop",
            )
        services.tracking_record(
            shipment=stop.shipment, actor=request.user, stop_sequence=stop.sequence, **data
        )
        return self._answer(stop.shipment_id)

    @extend_schema(request=s.DeliveryInput, responses=s.ShipmentSerializer, parameters=WAYBILL_PATH)
    @action(
        detail=False,
        methods=["post"],
        url_path=r"waybills/(?P<carrier>[^/]+)/(?P<waybill>[^/]+)/deliver",
        url_name="waybill-deliver",
    )
    def waybill_deliver(self, request: Request, carrier: str, waybill: str) -> Response:
        """A carrier's proof of delivery (or refusal) of one consignment, by its waybill: as
        posting to the delivery of the shipment's stop it names."""
        stop = self._stop_by_waybill(carrier, waybill)
        require_role(
            request.user, stop.shipment.load.warehouse_id, TRACKING_ROLES | {Role.OPERATOR}
        )
        return self._delivered(request, stop)

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"stops/(?P<sequence>\d+)/photo")
    def photo(self, request: Request, pk: str, sequence: str) -> FileResponse:
        """The proof-of-delivery photo of one of the shipment's stops; 404 if none. The order's
        page links it for the office (signed in, the same scope by warehouse)."""
        shipment = self.get_object()
        stop = stop_photographed(shipment_id=shipment.pk, sequence=int(sequence))
        if stop is None:
            raise Http404
        return FileResponse(
            stop.pod_photo.open("rb"), filename=stop.pod_photo.name.rsplit("/", 1)[-1]
        )


class OrderPackViewSet(ScopedViewSet):
    """Pack an order's picked goods into a handling unit with an SSCC."""

    queryset = Order.objects.all()
    serializer_class = s.PackInput  # what OPTIONS describes

    def get_queryset(self) -> QuerySet[Order]:
        return Order.objects.filter(warehouse_id__in=warehouse_ids_for(self.request.user))

    @extend_schema(request=s.PackInput, responses={201: s.UnitSerializer})
    @action(detail=True, methods=["post"])
    def pack(self, request: Request, pk: str) -> Response:
        order = self.get_object()
        require_role(request.user, order.warehouse_id, FLOOR_ROLES)
        data = _valid(s.PackInput, request)
        contents = None
        if data.get("contents"):
            lines = {line.line_no: line for line in order.lines.all()}
            contents = []
            for index, row in enumerate(data["contents"]):
                if row["line_no"] not in lines:
                    raise DomainError(
                        _("No line %(n)s.") % {"n": row["line_no"]},
                        field=f"contents[{index}].line_no",
                    )
                contents.append((lines[row["line_no"]], row["quantity"]))
        unit = services.unit_pack(order=order, contents=contents, actor=request.user)
        return Response(
            s.UnitSerializer(UnitViewSet.queryset.get(pk=unit.pk)).data, status.HTTP_201_CREATED
        )


# --- a lot's trace ------------------------------------------------------------------------

from core.choices import QUALITY_HOLD_ROLES  # noqa: E402
from inventory import services as stock_services  # noqa: E402
from inventory.api.serializers import BlockInput, LotSerializer  # noqa: E402
from inventory.models import Lot  # noqa: E402
from shipping.selectors import lot_trace  # noqa: E402


class LotQualityViewSet(ScopedViewSet):
    """Quality's side of a lot: hold it (a recall, a failed test, a cold-chain excursion),
    lift the hold, and read its trace."""

    queryset = Lot.objects.select_related("item")
    serializer_class = s.LotTraceSerializer

    @extend_schema(request=BlockInput, responses=LotSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: str) -> Response:
        """Hold the lot in every warehouse: nothing of it is reserved, what orders held of it
        is reserved again elsewhere (or they wait), and no truck leaves with a unit of it
        (`lot.held`). An admin, manager or integration account, in any warehouse."""
        lot = self.get_object()
        require_role_anywhere(request.user, QUALITY_HOLD_ROLES)
        data = _valid(BlockInput, request)
        lot = services.lot_hold(lot=lot, reason=data["reason"], actor=request.user)
        return Response(LotSerializer(lot, context={"request": request}).data)

    @extend_schema(request=None, responses=LotSerializer)
    @action(detail=True, methods=["post"], url_path="lift-hold")
    def lift_hold(self, request: Request, pk: str) -> Response:
        """Lift the lot's hold: its stock is reserved again, and the backorders waiting for
        its item are tried again (`lot.hold_lifted`)."""
        lot = self.get_object()
        require_role_anywhere(request.user, QUALITY_HOLD_ROLES)
        lot = stock_services.lot_hold_lift(lot=lot, actor=request.user)
        return Response(LotSerializer(lot, context={"request": request}).data)

    def get_queryset(self) -> QuerySet[Lot]:
        # Lots are of the catalogue, as items are; what the trace shows is the caller's.
        return Lot.objects.select_related("item")

    @extend_schema(responses=s.LotTraceSerializer)
    @action(detail=True, methods=["get"])
    def trace(self, request: Request, pk: str) -> Response:
        """Where the lot came from (receipts and suppliers), where it is (on hand, reserved
        for whom) and where it went (units packed of it: orders, customers, addresses,
        shipments), in the caller's warehouses."""
        lot = self.get_object()
        trace = lot_trace(lot=lot, warehouse_ids=warehouse_ids_for(request.user))
        return Response(s.LotTraceSerializer(trace).data)
