"""The page a customer follows its order on (`/track/<token>/`, no login), by the link the
office gives it from the order's page or the ERP from `GET /api/v1/orders/{id}/consignee-link/`:
where each part of the order is, in the customer's words (received, being prepared, on its
way, delivered), when it leaves and when it is expected, with the carrier and its waybill,
the carrier's last report, and who signed for it (with the photo of the signed delivery
note, if the driver took one). Nothing of the warehouse's inside (no
locations, no other customers' stops). Times are on the clock of the warehouse shipping it.
It reloads itself every two minutes until the order is done, and closes
`HANDOFF_TRACKING_OPEN_DAYS` after."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from dashboards.consignee_links import consignee_link_closed_since, order_id_of
from dashboards.views import render_local
from shipping.choices import OrderStatus
from shipping.models import Order
from shipping.selectors import order_consigned

# The customer's steps, and the order statuses in each.
STEPS = ("received", "preparing", "on_the_way", "delivered")
STEP_OF = {
    OrderStatus.RECEIVED: "received",
    OrderStatus.ALLOCATED: "received",
    OrderStatus.BACKORDERED: "received",
    OrderStatus.RELEASED: "preparing",
    OrderStatus.PICKED: "preparing",
    OrderStatus.PACKED: "preparing",
    OrderStatus.STAGED: "preparing",
    OrderStatus.LOADED: "preparing",
    OrderStatus.SHIPPED: "on_the_way",
    OrderStatus.DELIVERED: "delivered",
    OrderStatus.REFUSED: "delivered",
    OrderStatus.CANCELLED: "cancelled",
}
RELOAD_S = 120


def _part(order: Order, shipped: dict[int, int], last_seen: dict) -> dict:
    step = STEP_OF[order.status]
    stop = order.stop
    appointment = getattr(order.load, "appointment", None) if order.load_id else None
    late = (
        stop is not None
        and step == "on_the_way"
        and timezone.localdate(stop.eta) > order.requested_delivery_date
    )
    return {
        "order": order,
        "step": step,
        "steps": [(name, STEPS.index(name) <= STEPS.index(step)) for name in STEPS]
        if step in STEPS
        else [],
        "lines": [(line, shipped.get(line.line_no, 0)) for line in order.lines.all()],
        "stop": stop,
        "carrier": stop.shipment.carrier if stop is not None else None,
        "leaves": appointment.ends_at if appointment and step == "preparing" else None,
        "last_seen": last_seen.get(order.pk),
        "late": late,
    }


@never_cache
def consignee_page(request: HttpRequest, token: str) -> HttpResponse:
    """The order of the link, with every part split from it. Not found for a link that is
    not one; gone (410) once the link closed."""
    found = order_consigned(order_id=order_id_of(token))
    if found is None:
        raise Http404
    placed = found.placed
    warehouse = next((p.warehouse for p in found.parts if p.warehouse_id), None)
    closed = consignee_link_closed_since(found.done_at, timezone.now())
    with timezone.override(warehouse.zone() if warehouse else timezone.get_current_timezone()):
        parts = [_part(p, found.shipped[p.pk], found.last_seen) for p in found.parts]
    page = render_local(
        request,
        "dashboards/consignee.html",
        {
            "placed": placed,
            "token": token,
            "parts": [] if closed else parts,
            "closed": closed,
            "reload_s": RELOAD_S if found.done_at is None else None,
        },
        warehouse,
    )
    if closed:
        page.status_code = 410
    return page


@never_cache
def consignee_photo(request: HttpRequest, token: str, part: int) -> FileResponse:
    """The photo of the signed delivery note of one part of the link's order (the proof of
    delivery its driver took). Not found for a part not of this order or with no photo, nor
    once the link closed."""
    found = order_consigned(order_id=order_id_of(token))
    if found is None or consignee_link_closed_since(found.done_at, timezone.now()):
        raise Http404
    stop = next((p.stop for p in found.parts if p.pk == part and p.stop_id), None)
    if stop is None or not stop.pod_photo:
        raise Http404
    return FileResponse(stop.pod_photo.open("rb"), filename=stop.pod_photo.name.rsplit("/", 1)[-1])
