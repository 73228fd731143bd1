import datetime
import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import require_role, require_role_anywhere, role_in, warehouse_ids_for
from core.api.parsers import BodyParser, MultiPartParser
from core.api.serializers import EventSerializer
from core.choices import (
    EDI_LOG_ROLES,
    FLOOR_ROLES,
    FREIGHT_BILL_ROLES,
    MASTER_DATA_ROLES,
    ORDER_ROLES,
    SENSOR_ROLES,
    TRACKING_ROLES,
    Role,
)
from core.events import events_sequence
from core.exceptions import Conflict, DomainError, Forbidden, NotFound
from core.selectors import warehouses_of
from integrations.edi.acknowledgment import acknowledgments
from integrations.edi.asn_intake import receipts_said
from integrations.edi.carrier_status import carrier_statuses
from integrations.edi.freight_invoice import freight_invoices
from integrations.edi.intake import orders_said
from integrations.edi.ship_notice_in import ship_notices_in
from integrations.edi.shipping_order import shipping_orders
from integrations.edi.tender_response import tender_responses
from integrations.edi.x12 import FunctionalGroup, Interchange, X12Error, interchange_read
from integrations.epcis import EpcisError
from integrations.epcis import observations as epcis_observations
from integrations.models import (
    INVOICES_OPEN,
    InvoiceStatus,
    Sensor,
    ShipNotice,
    ShippingAdvice,
)
from integrations.selectors import (
    edi_order_of,
    edi_resend_warehouse,
    events_after,
    load_tender_last,
    sensor_of_device,
    sensor_readings,
    sensors_watched,
    tender_to_answer,
)
from integrations.services import (
    AnswerFor,
    InvoiceFor,
    StatusFor,
    acknowledgments_record,
    carrier_statuses_record,
    edi_refusal_record,
    edi_resend,
    freight_invoices_record,
    receipts_expected_record,
    shipping_orders_record,
    tender_responses_record,
)
from integrations.services.epcis import epcis_reads_record
from integrations.services.sensors import sensor_readings_record, sensor_register
from integrations.sheets import orders as sheets
from integrations.sheets import reading
from integrations.sheets.items import items_from_sheet
from shipping.choices import OrderStatus
from shipping.models import Load, Stop
from shipping.selectors import orders_visible, shipment_of_load, stop_by_waybill
from shipping.waybills import waybill_clean


class FeedQuery(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)
    type = serializers.CharField(required=False, allow_blank=True)
    aggregate_type = serializers.CharField(required=False, allow_blank=True)
    aggregate_id = serializers.CharField(required=False, allow_blank=True)


class EventFeedView(APIView):
    """The events of the caller's warehouses in commit order, after a sequence number.

    Poll with `after` set to the last `sequence` you processed (returned as `next_after`);
    an event never appears before its transaction committed, and never if it rolled back.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="Last sequence you have."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many (1000)."),
            OpenApiParameter("type", OpenApiTypes.STR, description="Comma-separated types."),
            OpenApiParameter("aggregate_type", OpenApiTypes.STR),
            OpenApiParameter("aggregate_id", OpenApiTypes.STR),
        ],
        responses=inline_serializer(
            "EventFeedPage",
            {
                "results": EventSerializer(many=True),
                "next_after": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        query = FeedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        events_sequence()  # stamp anything committed since the relay last ran
        events = list(
            events_after(
                after=params["after"],
                warehouse_ids=warehouse_ids_for(request.user),
                types=params.get("type", "").split(","),
                aggregate_type=params.get("aggregate_type") or None,
                aggregate_id=params.get("aggregate_id") or None,
                limit=params["limit"],
            )
        )
        next_after = events[-1].sequence if events else params["after"]
        return Response(
            {"results": EventSerializer(events, many=True).data, "next_after": next_after}
        )


# --- webhooks out ---------------------------------------------------------------------------

from rest_framework import mixins, status  # noqa: E402
from rest_framework.decorators import action  # noqa: E402

from core.api.base import ScopedViewSet  # noqa: E402
from integrations import services  # noqa: E402
from integrations.api import serializers as s  # noqa: E402
from integrations.filtersets import FreightInvoiceFilter  # noqa: E402
from integrations.models import FreightInvoice, WebhookDelivery, WebhookSubscription  # noqa: E402

WEBHOOK_ROLES = {Role.ADMIN, Role.INTEGRATION}


class WebhookViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ScopedViewSet
):
    """Webhook subscriptions of the caller's warehouses (admins and integration users)."""

    queryset = WebhookSubscription.objects.select_related("warehouse")
    serializer_class = s.SubscriptionSerializer

    @extend_schema(request=s.SubscribeInput, responses={201: s.SubscriptionWithSecretSerializer})
    def create(self, request: Request) -> Response:
        data = s.SubscribeInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        require_role(request.user, data.validated_data["warehouse"].pk, WEBHOOK_ROLES)
        subscription = services.webhook_subscribe(actor=request.user, **data.validated_data)
        return Response(
            s.SubscriptionWithSecretSerializer(subscription).data, status.HTTP_201_CREATED
        )

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        require_role(self.request.user, instance.warehouse_id, WEBHOOK_ROLES)
        instance.delete()

    @extend_schema(request=None, responses=s.SubscriptionWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        subscription = self.get_object()
        require_role(request.user, subscription.warehouse_id, WEBHOOK_ROLES)
        subscription = services.webhook_secret_rotate(subscription=subscription, actor=request.user)
        return Response(s.SubscriptionWithSecretSerializer(subscription).data)

    @extend_schema(responses=s.DeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        subscription = self.get_object()
        rows = WebhookDelivery.objects.filter(subscription=subscription).select_related("event")
        page = self.paginate_queryset(rows.order_by("-pk"))
        return self.get_paginated_response(s.DeliverySerializer(page, many=True).data)


class FreightInvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The carriers' bills (X12 210) of the caller's warehouses' loads, newest first, each
    with what its carrier's tariff priced the trip at, what is payable, and the X12 820 that
    told the carrier so (`remittance`); `?status=open` for those the office has still to
    settle (disputed, unpriced). Settling one is for the
    office and the accounts payable system (`FREIGHT_BILL_ROLES`)."""

    queryset = FreightInvoice.objects.select_related(
        "carrier", "shipment__load__warehouse", "settled_by", "interchange", "remittance"
    ).order_by("-received_at", "-pk")
    serializer_class = s.FreightInvoiceSerializer
    warehouse_field = "shipment__load__warehouse_id"
    filterset_class = FreightInvoiceFilter

    @extend_schema(request=s.SettleInput, responses=s.FreightInvoiceSerializer)
    @action(detail=True, methods=["post"])
    def settle(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        require_role(request.user, invoice.shipment.load.warehouse_id, FREIGHT_BILL_ROLES)
        given = s.SettleInput(data=request.data)
        given.is_valid(raise_exception=True)
        invoice = services.freight_invoice_settle(
            invoice_id=invoice.pk,
            settlement=given.validated_data["settlement"],
            note=given.validated_data.get("note", ""),
            actor=request.user,
        )
        return Response(s.FreightInvoiceSerializer(invoice).data)

    @extend_schema(request=s.PaymentRunInput, responses=s.PaymentRunSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="payment-run")
    def payment_run(self, request: Request) -> Response:
        """The warehouse's payment run now, not at `HANDOFF_PAYMENT_RUN_AT`: every bill of
        its loads decided and not yet told goes to its carrier, one X12 820 per carrier
        (`[]` with none waiting). For the office and the accounts payable system."""
        given = s.PaymentRunInput(data=request.data, context={"request": request})
        given.is_valid(raise_exception=True)
        warehouse = given.validated_data["warehouse"]
        require_role(request.user, warehouse.pk, FREIGHT_BILL_ROLES)
        sent = services.remittances_send(
            warehouse_id=warehouse.pk, until=timezone.now(), actor=request.user
        )
        return Response(s.PaymentRunSerializer(sent, many=True).data)

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], url_path="edi/820")
    def remittance(self, request: Request, pk: str) -> HttpResponse:
        """The X12 820 of the payment run that told the carrier what of this bill (and the
        others of that run) is to be paid, and why any less, as sent (`text/plain`), made
        anew if it went again. A bill the office has still to settle has none yet (409
        `not_settled`); nor has one decided that waits for its warehouse's next payment run
        (409 `payment_run_next`, saying when)."""
        invoice = self.get_object()  # with its remittance (`queryset`)
        sent = invoice.remittance
        if sent is not None:
            return HttpResponse(sent.document, content_type="text/plain; charset=utf-8")
        if invoice.status in INVOICES_OPEN:
            raise Conflict(
                _("Invoice %(number)s is %(status)s: its 820 goes when the office settles it.")
                % {"number": invoice.number, "status": invoice.get_status_display().lower()},
                field="status",
                code="not_settled",
            )
        raise Conflict(
            _(
                "Invoice %(number)s is decided (%(status)s): its 820 goes at the payment run, "
                "at %(at)s on %(warehouse)s's clock, or when the office sends it sooner."
            )
            % {
                "number": invoice.number,
                "status": invoice.get_status_display().lower(),
                "at": settings.HANDOFF_PAYMENT_RUN_AT.strftime("%H:%M"),
                "warehouse": invoice.shipment.load.warehouse.code,
            },
            field="remittance",
            code="payment_run_next",
        )


class WebhookDeliveryViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """A delivery's log, and replay."""

    queryset = WebhookDelivery.objects.select_related("event", "subscription")
    serializer_class = s.DeliverySerializer
    warehouse_field = "subscription__warehouse_id"

    @extend_schema(request=None, responses=s.DeliverySerializer)
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str) -> Response:
        delivery = self.get_object()
        require_role(request.user, delivery.subscription.warehouse_id, WEBHOOK_ROLES)
        delivery = services.webhook_replay(delivery=delivery, actor=request.user)
        from integrations.relay import webhooks_request

        webhooks_request()
        return Response(s.DeliverySerializer(delivery).data)


# --- EDI in ------------------------------------------------------------------------------


class X12Parser(BodyParser):
    """An X12 interchange as sent, as text (UTF-8, of which ASCII is part)."""

    media_type = "application/edi-x12"
    too_big = gettext_lazy("An interchange is at most 5 MB; send it in parts.")

    def parse(self, stream, media_type=None, parser_context=None) -> str:  # type: ignore[no-untyped-def]
        try:
            return super().parse(stream, media_type, parser_context).decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError(_("An interchange is text, in UTF-8 or ASCII.")) from None


class X12TextParser(X12Parser):
    media_type = "text/plain"


T = TypeVar("T")


def _read(text: str, reader: Callable[[FunctionalGroup], list[T]]) -> tuple[Interchange, list[T]]:
    """The interchange and what `reader` reads in each of its groups, or the API's refusal
    naming the fault's segment and element."""
    try:
        interchange = interchange_read(text)
        return interchange, [said for group in interchange.groups for said in reader(group)]
    except X12Error as error:
        raise DomainError(f"{error.field}: {error.message}", field=error.field) from None


def _envelope(text: str) -> tuple[str, str, bool]:
    """Who sent the interchange ("ISA05:ISA06"), its control number, and whether it is a
    test, where its fixed-length ISA holds them ("" if no ISA starts it)."""
    isa = text.lstrip("\ufeff \t\r\n")
    if not isa.startswith("ISA"):
        return "", "", False
    return f"{isa[32:34]}:{isa[35:50].strip()}", isa[90:99], isa[102:103] == "T"


def _received_schema(name: str, told: str, each: serializers.Serializer) -> Callable:
    """The schema of an EDI intake: the interchange as the body, and the answer: the
    interchange, what was done of it (`told`, a list of `each`), and the 997."""
    return extend_schema(
        request={"application/edi-x12": OpenApiTypes.STR, "text/plain": OpenApiTypes.STR},
        responses=inline_serializer(
            name,
            {
                "interchange": serializers.CharField(),
                "sender": serializers.CharField(),
                "test": serializers.BooleanField(),
                "replayed": serializers.BooleanField(),
                told: each,
                "acknowledgment": serializers.CharField(help_text="The 997, in X12."),
            },
        ),
    )


class EdiInView(APIView):
    """An X12 interchange posted as the body, as sent: acted on by `_received`, or refused,
    and then kept as refused (`edi_refusal_record`: the integration-failure alert), a test
    interchange's refusal aside."""

    parser_classes = [X12Parser, X12TextParser]
    kind = ""

    def post(self, request: Request) -> Response:
        text = request.data
        if not isinstance(text, str):
            raise DomainError(_("Send the interchange as the body, as text."))
        try:
            return self._received(request, text)
        except DomainError as refused:
            sender, control, test = _envelope(text)
            if not test:  # a test interchange's refusal alerts nobody
                edi_refusal_record(
                    sender=sender,
                    control=control,
                    kind=self.kind,
                    message=refused.message,
                    warehouse_ids=sorted(warehouse_ids_for(request.user)),
                    actor=request.user,
                )
            raise

    def _received(self, request: Request, text: str) -> Response:
        """The interchange acted on, or a DomainError saying why not."""
        raise NotImplementedError


def _acted(
    record: Callable[..., tuple[dict, bool]],
    request: Request,
    interchange: Interchange,
    text: str,
    **said: object,
) -> Response:
    """The interchange's answer: `record` (the service of its kind) acts on what it `said`,
    knowing the interchange by its digest (the same one sent again gets the answer given);
    a test interchange (ISA15 T) is acted on, then undone."""

    def act() -> tuple[dict, bool]:
        return record(
            interchange=interchange,
            digest=hashlib.sha256(text.encode()).hexdigest(),
            actor=request.user,
            **said,
        )

    if interchange.test:
        with transaction.atomic():
            answer, replayed = act()
            transaction.set_rollback(True)
    else:
        answer, replayed = act()
    return Response({**answer, "replayed": replayed})


class CarrierStatusEdiView(EdiInView):
    """A carrier's shipment statuses as an X12 214 interchange (the body as sent:
    `Content-Type: application/edi-x12` or `text/plain`). How Handoff reads a 214 (B10-01
    the waybill, B10-03 the SCAC, which is the carrier's code here; AT7 statuses with MS1
    places and K1 remarks) is in `integrations.edi.carrier_status`. All of it is acted on,
    or nothing: a fault names its segment and element. The answer lists each status,
    applied or skipped and why, with the 997 that acknowledges the interchange. The same
    interchange sent again gets the same answer (`replayed`), and nothing is done again. A
    test interchange (ISA15 T) is checked all the way and then undone."""

    kind = "214"

    @_received_schema(
        "CarrierStatusesReceived",
        "statuses",
        inline_serializer(
            "CarrierStatusReceived",
            {
                "where": serializers.CharField(),
                "carrier": serializers.CharField(),
                "waybill": serializers.CharField(),
                "code": serializers.CharField(),
                "shipment": serializers.CharField(allow_null=True),
                "stop": serializers.IntegerField(allow_null=True),
                "applied": serializers.BooleanField(),
                "skipped": serializers.CharField(),
            },
            many=True,
        ),
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def _received(self, request: Request, text: str) -> Response:
        """The interchange acted on, or a DomainError saying why not."""
        interchange, statuses = _read(text, carrier_statuses)
        warehouse_ids = warehouse_ids_for(request.user)
        items = []
        for said in statuses:
            if said.kind is None:
                items.append(StatusFor(said, None))
                continue
            where = f"{said.where} B10-01"
            try:
                waybill = waybill_clean(said.waybill)
            except DomainError as error:
                raise DomainError(f"{where}: {error.message}", field=where) from None
            stop = stop_by_waybill(
                carrier=said.carrier, waybill=waybill, warehouse_ids=warehouse_ids
            )
            if stop is None:
                raise DomainError(
                    _("%(where)s: no stop of carrier %(carrier)s has waybill %(waybill)s.")
                    % {"where": where, "carrier": said.carrier, "waybill": waybill},
                    field=where,
                )
            require_role(request.user, stop.shipment.load.warehouse_id, TRACKING_ROLES)
            items.append(StatusFor(said, stop))
        return _acted(
            carrier_statuses_record,
            request,
            interchange,
            text,
            statuses=items,
        )


class ShippingOrderEdiView(EdiInView):
    """A depositor's warehouse shipping orders as an X12 940 interchange (the body as sent:
    `Content-Type: application/edi-x12` or `text/plain`), one order a 940: W05-01 N a new
    order, F a cancel. How Handoff reads a 940 is in `integrations.edi.shipping_order`.
    Every order is checked before any is taken, each problem named by its 940, segment and
    element; then all are taken and allocated as `POST /api/v1/orders/` takes one, or none.
    The answer lists each order with its status and warehouse, and the 997. The same
    interchange sent again gets the same answer (`replayed`). A test interchange (ISA15 T)
    is checked and taken, then undone. Each order's shipment is answered with a 945
    (`GET /api/v1/orders/{id}/edi/945/`, and the `edi.sent` event)."""

    kind = "940"

    @_received_schema(
        "ShippingOrdersReceived",
        "orders",
        inline_serializer(
            "ShippingOrderReceived",
            {
                "where": serializers.CharField(),
                "order": serializers.IntegerField(),
                "reference": serializers.CharField(),
                "purpose": serializers.ChoiceField(choices=["new", "cancel"]),
                "status": serializers.CharField(),
                "warehouse": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def _received(self, request: Request, text: str) -> Response:
        """The interchange acted on, or a DomainError saying why not."""
        require_role_anywhere(request.user, ORDER_ROLES)
        interchange, said = _read(text, shipping_orders)
        return _acted(
            shipping_orders_record,
            request,
            interchange,
            text,
            orders=orders_said(said, context={"request": request}),
        )


class SupplierShipNoticeEdiView(EdiInView):
    """A supplier's ship notices (ASNs) as an X12 856 interchange (the body as sent:
    `Content-Type: application/edi-x12` or `text/plain`), one 856 a receipt expected at one of
    the warehouses the sender receives for (N1 ST N1-04): its items by SKU or GTIN, and the
    pallets it announces by their SSCCs (MAN GM) with what each holds, lots and expiry
    included, so that the floor receives a pallet whole by a scan of its label. When DTM 017
    gives the time its truck comes (DTM03, on the warehouse's clock), the first door free
    then is held for it (`door`), or the answer says why none is (`door_not_held`). How Handoff
    reads an 856 is in `integrations.edi.ship_notice_in`. Every 856 is checked before any is
    taken, each problem named by its 856, segment and element; then all are taken, or none.
    The answer lists each receipt, with the 997; the same interchange sent again gets the
    same answer (`replayed`). A test interchange (ISA15 T) is checked and taken, then
    undone."""

    kind = "856"

    @_received_schema(
        "ShipNoticesReceived",
        "receipts",
        inline_serializer(
            "ShipNoticeReceived",
            {
                "where": serializers.CharField(),
                "receipt": serializers.IntegerField(),
                "reference": serializers.CharField(),
                "warehouse": serializers.CharField(),
                "lines": serializers.IntegerField(),
                "pallets": serializers.IntegerField(),
                "door": inline_serializer(
                    "ShipNoticeDoor",
                    {
                        "hold": serializers.IntegerField(),
                        "dock": serializers.CharField(),
                        "starts_at": serializers.DateTimeField(),
                        "ends_at": serializers.DateTimeField(),
                        "expected_plate": serializers.CharField(),
                    },
                    allow_null=True,
                ),
                "door_not_held": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def _received(self, request: Request, text: str) -> Response:
        """The interchange acted on, or a DomainError saying why not."""
        interchange, said = _read(text, ship_notices_in)
        roles = FLOOR_ROLES | MASTER_DATA_ROLES
        receiving = [w for w in warehouses_of(request.user) if role_in(request.user, w.pk) in roles]
        return _acted(
            receipts_expected_record,
            request,
            interchange,
            text,
            receipts=receipts_said(said, warehouses=receiving),
        )


class AcknowledgmentEdiView(EdiInView):
    """A partner's functional acknowledgments of the interchanges Handoff sent it (945s,
    856s, 204s, 820s), as an X12 997 interchange (the body as sent: `Content-Type:
    application/edi-x12` or `text/plain`): AK1-02 the group's control number (ISA13 of
    ours), AK5 each set's status, AK9 the group's. How Handoff reads a 997 is in
    `integrations.edi.acknowledgment`. Each is kept as the interchange's last word, an
    `edi.acknowledged` event; a rejected one is an alert for the office of the warehouse it
    was of. Nothing answers a 997; the answer lists what was read."""

    kind = "997"

    @_received_schema(
        "AcknowledgmentsReceived",
        "acknowledged",
        inline_serializer(
            "AcknowledgmentReceived",
            {
                "where": serializers.CharField(),
                "interchange": serializers.CharField(),
                "kind": serializers.CharField(allow_null=True),
                "status": serializers.ChoiceField(choices=["A", "E", "P", "R"]),
                "applied": serializers.BooleanField(),
                "skipped": serializers.CharField(),
            },
            many=True,
        ),
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def _received(self, request: Request, text: str) -> Response:
        """The interchange acted on, or a DomainError saying why not."""
        require_role_anywhere(request.user, ORDER_ROLES)
        interchange, said = _read(text, acknowledgments)
        return _acted(
            acknowledgments_record,
            request,
            interchange,
            text,
            acknowledgments=said,
            warehouse_ids=set(warehouse_ids_for(request.user)),
        )


class TenderResponseEdiView(EdiInView):
    """A carrier's answers to the loads Handoff tendered it (X12 204), as an X12 990
    interchange (the body as sent: `Content-Type: application/edi-x12` or `text/plain`):
    B1-01 its SCAC, B1-02 the load's reference, B1-04 A accepted or D declined, a decline's
    reason in V9. How Handoff reads a 990 is in `integrations.edi.tender_response`. Each
    answers the load's last tender to that carrier, from the EDI ID it was sent to; all of
    the interchange is acted on, or nothing. A decline is an alert on the dispatch board. The
    answer lists each, applied or skipped and why, with the 997; the same interchange sent
    again gets the same answer (`replayed`). A test interchange (ISA15 T) is checked all the
    way and then undone."""

    kind = "990"

    @_received_schema(
        "TenderResponsesReceived",
        "answers",
        inline_serializer(
            "TenderResponseReceived",
            {
                "where": serializers.CharField(),
                "carrier": serializers.CharField(),
                "load": serializers.CharField(),
                "answer": serializers.ChoiceField(choices=["accepted", "declined"]),
                "tender": serializers.CharField(),
                "applied": serializers.BooleanField(),
                "skipped": serializers.CharField(),
            },
            many=True,
        ),
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def _received(self, request: Request, text: str) -> Response:
        """The interchange acted on, or a DomainError saying why not."""
        interchange, responses = _read(text, tender_responses)
        warehouse_ids = warehouse_ids_for(request.user)
        answers = []
        for said in responses:
            where = f"{said.where}, {said.segment.where}"
            tender = tender_to_answer(
                load=said.load, carrier=said.carrier, warehouse_ids=warehouse_ids
            )
            if tender is None:
                raise DomainError(
                    _("%(where)s: no load %(load)s was tendered to carrier %(carrier)s.")
                    % {"where": f"{where} B102", "load": said.load, "carrier": said.carrier},
                    field=f"{where} B102",
                )
            if tender.partner != interchange.partner:
                raise DomainError(
                    _(
                        "ISA06: load %(load)s was tendered to %(partner)s; this interchange is "
                        "from %(sender)s."
                    )
                    % {"load": said.load, "partner": tender.partner, "sender": interchange.partner},
                    field="ISA06",
                )
            require_role(request.user, tender.load.warehouse_id, TRACKING_ROLES)
            answers.append(AnswerFor(said, tender))
        return _acted(
            tender_responses_record,
            request,
            interchange,
            text,
            answers=answers,
        )


class FreightInvoiceEdiView(EdiInView):
    """A carrier's bills for the loads it carried, as an X12 210 interchange (the body as
    sent: `Content-Type: application/edi-x12` or `text/plain`): B3-02 its invoice number,
    B3-03 the load's reference, B3-06 the date, B3-07 the amount due in cents, B3-11 its
    SCAC; L1 its charges. How Handoff reads a 210 is in `integrations.edi.freight_invoice`.
    Each is checked against what the carrier's tariff priced the trip at when the truck
    left: approved, disputed (above it by more than `HANDOFF_FREIGHT_TOLERANCE_PCT` or
    `_ABS`: an alert for the office) or unpriced (no tariff known). From the carrier's EDI
    ID, of a load that left on its truck, in Handoff's currency; all of the interchange is
    taken, or nothing. The answer lists each, with the 997; the same interchange sent again
    gets the same answer (`replayed`)."""

    kind = "210"

    @_received_schema(
        "FreightInvoicesReceived",
        "invoices",
        inline_serializer(
            "FreightInvoiceReceived",
            {
                "where": serializers.CharField(),
                "invoice": serializers.CharField(),
                "load": serializers.CharField(),
                "amount": serializers.DecimalField(max_digits=12, decimal_places=2),
                "tariff": serializers.DecimalField(
                    max_digits=12, decimal_places=2, allow_null=True
                ),
                # A bill received already is told as it stands: settled since, maybe.
                "status": serializers.ChoiceField(choices=InvoiceStatus.values),
                "applied": serializers.BooleanField(),
                "skipped": serializers.CharField(),
            },
            many=True,
        ),
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def _received(self, request: Request, text: str) -> Response:
        """The interchange acted on, or a DomainError saying why not."""
        interchange, invoices = _read(text, freight_invoices)
        warehouse_ids = warehouse_ids_for(request.user)
        items = []
        for said in invoices:
            where = f"{said.where}, {said.segment.where}"
            shipment = shipment_of_load(reference=said.load, warehouse_ids=warehouse_ids)
            if shipment is None:
                raise DomainError(
                    _("%(where)s: no load %(load)s of yours has left; it is billed once it has.")
                    % {"where": f"{where} B303", "load": said.load},
                    field=f"{where} B303",
                )
            carrier = shipment.carrier
            if said.carrier != carrier.code:
                raise DomainError(
                    _("%(where)s: load %(load)s left with %(carrier)s, not %(said)s.")
                    % {
                        "where": f"{where} B311",
                        "load": said.load,
                        "carrier": carrier.code,
                        "said": said.carrier,
                    },
                    field=f"{where} B311",
                )
            partner = f"{carrier.edi_qualifier}:{carrier.edi_id}"
            if not carrier.edi_id or partner != interchange.partner:
                raise DomainError(
                    _(
                        "ISA06: load %(load)s left with %(carrier)s, whose EDI ID is "
                        "%(partner)s; this interchange is from %(sender)s."
                    )
                    % {
                        "load": said.load,
                        "carrier": carrier.code,
                        "partner": partner if carrier.edi_id else "—",
                        "sender": interchange.partner,
                    },
                    field="ISA06",
                )
            if said.currency and said.currency != settings.HANDOFF_CURRENCY:
                raise DomainError(
                    _("%(where)s: Handoff's tariffs are in %(ours)s, not %(said)s.")
                    % {
                        "where": f"{said.where} C301",
                        "ours": settings.HANDOFF_CURRENCY,
                        "said": said.currency,
                    },
                    field=f"{said.where} C301",
                )
            require_role(request.user, shipment.load.warehouse_id, TRACKING_ROLES)
            items.append(InvoiceFor(said, shipment))
        return _acted(
            freight_invoices_record,
            request,
            interchange,
            text,
            invoices=items,
        )


class LoadTenderView(APIView):
    """The last X12 204 Handoff sent about this load (`text/plain`), as issued: its tender,
    its last change, or its withdrawal; `?control=` one of its earlier ones by control
    number. A load never tendered by EDI has none (404)."""

    @extend_schema(
        parameters=[OpenApiParameter("control", str, description="ISA13 of an earlier 204.")],
        responses={(200, "text/plain"): OpenApiTypes.STR},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        load = Load.objects.filter(pk=pk, warehouse_id__in=warehouse_ids_for(request.user)).first()
        if load is None:
            raise NotFound(_("No load %(id)s in your warehouses.") % {"id": pk})
        tender = load_tender_last(load, control=request.query_params.get("control", ""))
        if tender is None:
            raise NotFound(
                _("No load tender (EDI 204) was sent for load %(load)s.") % {"load": load.reference}
            )
        return HttpResponse(tender.document, content_type="text/plain; charset=utf-8")


class EdiResendInput(serializers.Serializer):
    partner = serializers.CharField(
        max_length=40, help_text="ISA qualifier:ID of the partner it went to, e.g. ZZ:DEPPONTMS."
    )
    control = serializers.RegexField(
        r"\A[0-9]{9}\Z", help_text="Its control number (ISA13), nine digits."
    )


class EdiResendView(APIView):
    """Send again an interchange Handoff sent a partner (a 945, an 856, a 204, an 820) that
    the partner's 997 rejected, or has not acknowledged: made anew under the partner's next
    control number (a 945, an 856 or an 820 from what Handoff knows now, so a code mended
    since goes with it; a 204 as the tender said), as `edi.sent` with `resends`. For the
    office and the integrations' keepers of its warehouse. One the partner took (997 A or E)
    is not sent again (409); one unknown, or sent again already, is 404."""

    @extend_schema(
        request=EdiResendInput,
        responses=inline_serializer(
            "EdiSentAgain",
            {
                "kind": serializers.CharField(),
                "was": serializers.CharField(),
                "control": serializers.CharField(),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        check = EdiResendInput(data=request.data)
        check.is_valid(raise_exception=True)
        partner, control = check.validated_data["partner"], check.validated_data["control"]
        warehouse_id = edi_resend_warehouse(partner=partner, control=control)
        require_role(request.user, warehouse_id, EDI_LOG_ROLES)
        again = edi_resend(partner=partner, control=control, actor=request.user)
        return Response({"kind": again.kind, "was": again.was, "control": again.control})


# An interchange due out, not written yet: the relay's worker writes it moments after the truck
# leaves (and beat's sweep, if the worker was down); a GET only reads.
_ISSUING = gettext_lazy(
    "It shipped; its %(what)s is being issued, under the partner's next control number. "
    "Ask again in a minute."
)


class ShippingAdviceView(APIView):
    """The X12 945 that told the depositor this order (or this part of a split order) has
    shipped, as issued at its departure (`text/plain`): how much of each line shipped, with
    lots and SSCCs, the carrier and the waybill. An order that came another way has none
    (404); one not shipped yet, not yet (409 `not_shipped`); one shipped whose 945 the worker
    has not written yet, not yet either (409 `issuing`). Reading it writes nothing."""

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR})
    def get(self, request: Request, pk: int) -> HttpResponse:
        order = orders_visible(warehouse_ids=warehouse_ids_for(request.user)).filter(pk=pk).first()
        if order is None:
            raise NotFound(_("No order %(id)s in your warehouses.") % {"id": pk})
        advice = ShippingAdvice.objects.filter(order=order).first()
        if advice is None and edi_order_of(order) is None:
            raise NotFound(
                _("Order %(ref)s did not come in an EDI 940, so no 945 answers it.")
                % {"ref": order.external_ref}
            )
        if advice is None and order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            raise Conflict(
                _("Order %(ref)s is %(status)s: its 945 is issued when it ships.")
                % {"ref": order.external_ref, "status": order.get_status_display().lower()},
                field="status",
                code="not_shipped",
            )
        if advice is None:
            raise Conflict(_ISSUING % {"what": "945"}, field="status", code="issuing")
        return HttpResponse(advice.document, content_type="text/plain; charset=utf-8")


# --- sheets in ------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CsvParser(BodyParser):
    """A sheet sent as the body, as it is (its bytes: the reader finds the encoding)."""

    media_type = "text/csv"
    most = reading.MAX_BYTES
    too_big = reading.TOO_BIG


class XlsxParser(CsvParser):
    media_type = XLSX


def _sheet_sent(request: Request, what: str) -> tuple[bytes, str]:
    """The sheet sent as the body (CSV or XLSX, by its content type) or as the multipart
    field `file`, and its name (`<what>.csv` or `.xlsx` for a body)."""
    if isinstance(request.data, bytes):
        kind = "xlsx" if request.content_type.startswith(XLSX) else "csv"
        return request.data, f"{what}.{kind}"
    upload = request.data.get("file")
    if upload is None or not hasattr(upload, "read"):
        raise DomainError(_("Send the sheet as the body, or as the file field."), field="file")
    if upload.size > reading.MAX_BYTES:  # not read into memory to be refused
        raise DomainError(str(reading.TOO_BIG), field="file")
    return upload.read(), upload.name or ""


def _sheet_schema(name: str, answer: serializers.Serializer) -> Callable:
    """The schema of a sheet's intake: the sheet as the body or the multipart field `file`."""
    return extend_schema(
        request={
            "text/csv": OpenApiTypes.BINARY,
            XLSX: OpenApiTypes.BINARY,
            "multipart/form-data": inline_serializer(name, {"file": serializers.FileField()}),
        },
        responses={201: answer},
    )


class OrderSheetView(APIView):
    """Orders from a sheet an ERP exported (CSV or XLSX, one row an order line: see
    `integrations.sheets.orders` for the columns, in English or Chinese), as the body
    (`Content-Type: text/csv` or the XLSX type) or as the multipart field `file`. Every
    order is taken and allocated as `POST /api/v1/orders/` takes one, or none: a refusal
    names each problem by its row and column (`row 4 quantity`)."""

    parser_classes = [CsvParser, XlsxParser, MultiPartParser]

    @_sheet_schema(
        "OrderSheetUpload",
        inline_serializer(
            "OrdersTakenFromSheet",
            {
                "count": serializers.IntegerField(),
                "orders": inline_serializer(
                    "OrderTakenFromSheet",
                    {
                        "id": serializers.IntegerField(),
                        "external_ref": serializers.CharField(),
                        "customer": serializers.CharField(),
                        "status": serializers.CharField(),
                        "warehouse": serializers.CharField(allow_null=True),
                    },
                    many=True,
                ),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        warehouses = warehouses_of(request.user)
        require_role_anywhere(request.user, ORDER_ROLES)
        content, name = _sheet_sent(request, "orders")
        orders = sheets.orders_from_sheet(
            content=content,
            name=name,
            zone=warehouses[0].zone(),
            actor=request.user,
            context={"request": request},
        )
        return Response(
            {
                "count": len(orders),
                "orders": [
                    {
                        "id": o.pk,
                        "external_ref": o.external_ref,
                        "customer": o.customer.code,
                        "status": o.status,
                        "warehouse": o.warehouse.code if o.warehouse_id else None,
                    }
                    for o in orders
                ],
            },
            status=201,
        )


class ItemSheetView(APIView):
    """The item catalogue from a sheet an ERP exported (CSV or XLSX, one row an item found
    by its SKU: see `integrations.sheets.items` for the columns, in English or Chinese), as
    the body or the multipart field `file`. A known SKU is updated with what its row says
    (an empty cell changes nothing), a new one added; all of them, or none: a refusal names
    each problem by its row and column (`row 3 gtin`). Needs an admin, manager or
    integration role."""

    parser_classes = [CsvParser, XlsxParser, MultiPartParser]

    @_sheet_schema(
        "ItemSheetUpload",
        inline_serializer(
            "ItemsTakenFromSheet",
            {
                "added": serializers.ListField(child=serializers.CharField()),
                "changed": serializers.ListField(child=serializers.CharField()),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        require_role_anywhere(request.user, MASTER_DATA_ROLES)
        content, name = _sheet_sent(request, "items")
        added, changed = items_from_sheet(content=content, name=name, actor=request.user)
        return Response(
            {"added": [i.sku for i in added], "changed": [i.sku for i in changed]}, status=201
        )


# --- cold chain ------------------------------------------------------------------------------


class SensorsView(APIView):
    """The sensors of cold rooms and refrigerated trucks: `GET` those of your warehouses,
    each with its last reading and the excursion its goods are in now, if any; `POST`
    puts one in a zone or a truck (its range from the goods' temperature class unless
    given). A sensor reports over MQTT (`handoff/sensors/<device>/reading`) or the API."""

    @extend_schema(responses=s.SensorSerializer(many=True))
    def get(self, request: Request) -> Response:
        sensors = sensors_watched(warehouse_ids=warehouse_ids_for(request.user))
        return Response(s.SensorSerializer(sensors, many=True).data)

    @extend_schema(request=s.SensorInput, responses={201: s.SensorSerializer})
    def post(self, request: Request) -> Response:
        check = s.SensorInput(data=request.data, context={"request": request})
        check.is_valid(raise_exception=True)
        attrs = check.validated_data
        where = attrs.get("zone") or attrs.get("vehicle")
        warehouse_id = where.warehouse_id if attrs.get("zone") else where.home_warehouse_id
        if warehouse_id is not None:
            require_role(request.user, warehouse_id, MASTER_DATA_ROLES)
        sensor = sensor_register(**attrs, actor=request.user)
        sensor.open_excursion = None
        return Response(s.SensorSerializer(sensor).data, status=201)


class ReadingsQuery(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="Default: 24 hours ago.")


class SensorReadingsView(APIView):
    """A sensor's readings: `GET` since a time (24 hours by default), oldest first; `POST`
    one reading or many (`{"readings": [...]}`, 1,000 at most) from a gateway that speaks
    HTTP rather than MQTT, or a hand-held thermometer's, read in a cold room. A reading of a
    moment already kept is a duplicate and left alone; the answer says how many were kept
    and whether the goods are out of range now."""

    @extend_schema(parameters=[ReadingsQuery], responses=s.ReadingOutSerializer(many=True))
    def get(self, request: Request, device: str) -> Response:
        sensor = self._sensor(request, device)
        query = ReadingsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = query.validated_data.get("since") or timezone.now() - datetime.timedelta(days=1)
        rows = sensor_readings(sensor=sensor, since=since)
        return Response(s.ReadingOutSerializer(rows, many=True).data)

    @extend_schema(
        request=s.ReadingsInput,
        responses=inline_serializer(
            "ReadingsKept",
            {
                "device": serializers.CharField(),
                "kept": serializers.IntegerField(),
                "duplicates": serializers.IntegerField(),
                "excursion": inline_serializer(
                    "ExcursionNow",
                    {
                        "kind": serializers.CharField(),
                        "since": serializers.DateTimeField(),
                        "worst": serializers.DecimalField(max_digits=5, decimal_places=2),
                    },
                    allow_null=True,
                ),
            },
        ),
    )
    def post(self, request: Request, device: str) -> Response:
        sensor = self._sensor(request, device)
        require_role(request.user, sensor.warehouse_id, SENSOR_ROLES)
        kept = sensor_readings_record(
            sensor=sensor, readings=s.readings_parsed(request.data), actor=request.user
        )
        return Response(kept)

    def _sensor(self, request: Request, device: str) -> Sensor:
        sensor = sensor_of_device(device, warehouse_ids_for(request.user))
        if sensor is None:
            raise NotFound(_("No sensor %(device)s in your warehouses.") % {"device": device})
        return sensor


# --- EPCIS in -----------------------------------------------------------------------------------


class JsonLdParser(JSONParser):
    media_type = "application/ld+json"


class EpcisCaptureView(APIView):
    """GS1 EPCIS 2.0 capture: what RFID portals and scanners read, as an EPCISDocument
    (JSON or JSON-LD). Loading events put their SSCCs onto their trucks, unit by unit (how
    Handoff reads a document is in `integrations.epcis`); a unit already on its truck is
    skipped, and one that may not go (above all onto the wrong truck at the door the event
    names) is refused with why, an event the dock's screens see. Receiving events receive
    the pallets a supplier's ship notice announced, each whole, where the event's
    `bizLocation` says they are. A document that cannot be read is refused whole, naming
    the field."""

    parser_classes = [JSONParser, JsonLdParser]

    @extend_schema(
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/ld+json": OpenApiTypes.OBJECT,
        },
        responses=inline_serializer(
            "EpcisCaptured",
            {
                "events": serializers.IntegerField(),
                "loaded": serializers.IntegerField(),
                "received": serializers.IntegerField(),
                "skipped": serializers.IntegerField(),
                "refused": serializers.IntegerField(),
                "other_epcs": serializers.IntegerField(help_text="EPCs that are not SSCCs."),
                "units": inline_serializer(
                    "EpcisUnitRead",
                    {
                        "where": serializers.CharField(),
                        "epc": serializers.CharField(),
                        "sscc": serializers.CharField(),
                        "outcome": serializers.ChoiceField(
                            choices=["loaded", "received", "skipped", "refused"]
                        ),
                        "load": serializers.CharField(allow_null=True),
                        "receipt": serializers.CharField(allow_null=True),
                        "why": serializers.CharField(),
                    },
                    many=True,
                ),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        warehouse_ids = sorted(
            w
            for w in warehouse_ids_for(request.user)
            if role_in(request.user, w)
            in FLOOR_ROLES  # the floor, and its RFID middleware (an integration)
        )
        if not warehouse_ids:
            raise Forbidden(_("Reads are sent by the floor, or by its RFID middleware."))
        try:
            read = epcis_observations(request.data)
        except EpcisError as error:
            raise DomainError(f"{error.field}: {error.message}", field=error.field) from None
        return Response(
            epcis_reads_record(observations=read, warehouse_ids=warehouse_ids, actor=request.user)
        )


class ShipNoticeView(APIView):
    """The X12 856 that told the customer what is coming to this stop, as issued when its
    truck left (`text/plain`): its orders, their units' SSCCs and what each holds. A stop of
    a customer with no EDI ID has none (404); one whose 856 the worker has not written yet, not
    yet (409 `issuing`). Reading it writes nothing."""

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR})
    def get(self, request: Request, pk: int, sequence: int) -> HttpResponse:
        stop = (
            Stop.objects.filter(
                shipment__pk=pk,
                sequence=sequence,
                shipment__load__warehouse_id__in=warehouse_ids_for(request.user),
            )
            .select_related("ship_to__customer")
            .first()
        )
        if stop is None:
            raise NotFound(
                _("No stop %(n)s of shipment %(id)s in your warehouses.")
                % {"n": sequence, "id": pk}
            )
        notice = ShipNotice.objects.filter(stop=stop).first()
        if notice is None and not stop.ship_to.customer.edi_id:
            raise NotFound(
                _("%(customer)s takes no ship notices by EDI: it has no EDI ID.")
                % {"customer": stop.ship_to.customer.code}
            )
        if notice is None:
            raise Conflict(_ISSUING % {"what": "856"}, field="stop", code="issuing")
        return HttpResponse(notice.document, content_type="text/plain; charset=utf-8")
