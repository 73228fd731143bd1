"""Reads of the shared kernel."""

import functools

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection

from core.access import warehouse_ids_for
from core.db import Prepared, from_db_row, select_list
from core.models import Warehouse


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


def warehouses_of(user: AbstractBaseUser | AnonymousUser) -> list[Warehouse]:
    """The warehouses the user works at, by code. One query (and one for the memberships,
    once a request)."""
    return list(Warehouse.objects.filter(pk__in=warehouse_ids_for(user)).order_by("code"))
