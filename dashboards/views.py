"""Pages for people: what they need to see now, read through selectors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.access import warehouse_ids_for
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
