"""Reads of the shared kernel: warehouses, and the procedures a person still needs."""

import datetime
import functools
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.access import role_in, warehouse_ids_for
from core.choices import Role
from core.db import Prepared, from_db_row, select_list
from core.models import Sop, TrainingRecord, Warehouse

# A system relaying what people did (a voice-picking or WMS integration) is not trained itself.
UNTRAINED_MAY_WORK = frozenset({Role.INTEGRATION})


def warehouses_active() -> list[Warehouse]:
    """The active warehouses, by code, in one plain query: allocation ranks them for every
    order taken."""
    with connection.cursor() as cursor:
        _warehouses_active().run(cursor, {})
        return [from_db_row(Warehouse, row) for row in cursor.fetchall()]


@functools.cache
def _warehouses_active() -> Prepared:
    _, columns = select_list(Warehouse, "w")
    return Prepared(
        "handoff_warehouses_active",
        f'SELECT {columns} FROM "{Warehouse._meta.db_table}" w WHERE w."is_active" ORDER BY w."code"',
    )


def warehouses_releasing_on_time(ids: Iterable[int | None]) -> set[int]:
    """Those of these warehouses that release their waves on time by themselves. One query."""
    return set(
        Warehouse.objects.filter(
            pk__in=[pk for pk in ids if pk is not None], waves_release_on_time=True
        ).values_list("pk", flat=True)
    )


def warehouses_of(user: AbstractBaseUser | AnonymousUser) -> list[Warehouse]:
    """The warehouses the user works at, by code. One query (and one for the memberships,
    once a request)."""
    return list(Warehouse.objects.filter(pk__in=warehouse_ids_for(user)).order_by("code"))


def sops_missing(
    *,
    user: AbstractBaseUser | None,
    warehouse_id: int,
    scopes: Iterable[str],
    on: datetime.date | None = None,
) -> list[Sop]:
    """The procedures that apply to these parts of the warehouse's floor and need a training
    the person does not have: none of their current version, or one expired by `on`
    (today). Empty for a system's account, or no person at all (a task the system itself
    does). One query."""
    if user is None or role_in(user, warehouse_id) in UNTRAINED_MAY_WORK:
        return []
    on = on or timezone.localdate()
    trained = TrainingRecord.objects.filter(
        user_id=user.pk, sop=OuterRef("pk"), version=OuterRef("version")
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
    return list(
        Sop.objects.filter(
            Q(warehouse__isnull=True) | Q(warehouse_id=warehouse_id),
            requires_training=True,
            scope__in=list(scopes),
            effective_from__lte=on,
        )
        .exclude(Exists(trained))
        .order_by("code")
    )
