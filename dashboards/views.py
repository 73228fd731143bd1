"""Pages for people: what they need to see now, read through selectors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import role_in, warehouse_ids_for
from core.models import Membership, Warehouse
from inventory import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login: the user's warehouses and roles, and where to go next."""
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("warehouse")
        .order_by("warehouse__code")
    )
    return render(request, "dashboards/home.html", {"memberships": memberships})


FLOOR_ROLES_HERE = {"operator", "supervisor", "admin"}


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """The warehouse floor on a scanner or tablet: my next task, a scan box, the day's work.

    `?fragment=tasks` returns only the task part, for the live refresh.
    """
    warehouses = list(Warehouse.objects.filter(pk__in=warehouse_ids_for(request.user)))
    chosen = next(
        (w for w in warehouses if w.code == request.GET.get("warehouse")),
        warehouses[0] if warehouses else None,
    )
    context: dict = {"warehouses": warehouses, "warehouse": chosen}
    if chosen is not None:
        tasks = selectors.tasks_for_floor(warehouse_id=chosen.pk, user_id=request.user.pk)
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        context.update(
            next_task=tasks[0] if tasks else None,
            later=tasks[1:],
            zones=selectors.work_by_zone(warehouse_id=chosen.pk, since=midnight),
            may_work=role_in(request.user, chosen.pk) in FLOOR_ROLES_HERE,
            floor_text=_floor_text(),
        )
    template = (
        "dashboards/_floor_tasks.html"
        if request.GET.get("fragment") == "tasks"
        else "dashboards/floor.html"
    )
    return render(request, template, context)


def _floor_text() -> dict[str, str]:
    """What the scan box says, in the page's language."""
    return {
        "scan_location": _("Scan the location"),
        "scan_item": _("Scan the item"),
        "scan_lot": _("Scan the lot"),
        "scan_target": _("Scan where you put it"),
        "enter_quantity": _("Enter the quantity and press Enter"),
        "wrong_location": _("Wrong location: expected %(expected)s, scanned %(scanned)s."),
        "wrong_item": _("Wrong item: expected %(expected)s, scanned %(scanned)s."),
        "wrong_lot": _("Wrong lot: expected %(expected)s, scanned %(scanned)s."),
        "ok": _("OK"),
        "done": _("Done: %(quantity)s × %(item)s."),
    }


@login_required
def stock_overview(request: HttpRequest) -> HttpResponse:
    """One warehouse's stock at a glance: totals, open work, reorder needs, the latest ledger."""
    warehouses = list(Warehouse.objects.filter(pk__in=warehouse_ids_for(request.user)))
    chosen = next(
        (w for w in warehouses if w.code == request.GET.get("warehouse")),
        warehouses[0] if warehouses else None,
    )
    context: dict = {"warehouses": warehouses, "warehouse": chosen}
    if chosen is not None:
        ids = [chosen.pk]
        below = selectors.items_below_reorder_point(warehouse_ids=ids)
        context.update(
            totals=selectors.stock_totals(warehouse_ids=ids),
            tasks=selectors.tasks_open_by_kind(warehouse_ids=ids),
            below=below[:12],
            below_count=len(below),
            movements=list(selectors.movements_recent(warehouse_ids=ids)[:15]),
        )
    return render(request, "dashboards/stock_overview.html", context)
