"""How services run: one transaction each, retried when the database picks it as a deadlock victim."""

import functools
import random
import re
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction
from django.db.models import Field, Model

P = ParamSpec("P")
R = TypeVar("R")

# PostgreSQL SQLSTATEs that mean "nothing was done, run it again".
_RETRYABLE = {"40P01", "40001"}  # deadlock_detected, serialization_failure
_ATTEMPTS = 5


def _retryable(error: OperationalError) -> bool:
    cause = error.__cause__
    return getattr(cause, "pgcode", None) in _RETRYABLE


def service(func: Callable[P, R]) -> Callable[P, R]:
    """Run a service in one transaction; as the outermost one, retry it on deadlock.

    Inside another transaction it is a savepoint and errors propagate to the caller, whose
    own transaction (if it is a service) is the one retried.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except OperationalError as error:
                if attempt == _ATTEMPTS or not _retryable(error):
                    raise
                time.sleep(random.uniform(0, 0.005 * 2**attempt))  # 10, 20, 40, 80 ms at most
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


M = TypeVar("M", bound=Model)


class Prepared:
    """A hand-written statement with %(name)s parameters, run on every order or API call.

    On PostgreSQL it is prepared once per database session, then executed by name: planning
    these statements took longer than running them. PREPARE is not undone by a rollback, and
    the web server's sessions live on in core.pgpool. `types` ({name: SQL type}, in any
    order) may be left out where PostgreSQL can tell each parameter's type from where it
    stands. On another database the statement runs as written, with the same parameters,
    except that `= ANY(%(name)s)` with a list becomes `IN (...)` of its values: past that, it
    must be SQL that database speaks too.
    """

    def __init__(self, name: str, sql: str, types: dict[str, str] | None = None) -> None:
        self.sql = sql
        self.names = list(types) if types else list(dict.fromkeys(re.findall(r"%\((\w+)\)s", sql)))
        declared = f"({', '.join(types[n] for n in self.names)})" if types else ""
        self.prepare = f"PREPARE {name}{declared} AS " + re.sub(
            r"%\((\w+)\)s", lambda m: f"${self.names.index(m.group(1)) + 1}", sql
        )
        self.execute = f"EXECUTE {name}" + (
            f"({', '.join('%s' for _ in self.names)})" if self.names else ""
        )
        self.sessions: weakref.WeakSet[Any] = weakref.WeakSet()  # psycopg2 connections

    def run(self, cursor: Any, values: dict[str, Any]) -> None:
        """Execute on `cursor` (of the default connection) with these parameter values."""
        if connection.vendor != "postgresql":
            cursor.execute(*_any_as_in(self.sql, values))
            return
        session = connection.connection
        if session not in self.sessions:
            cursor.execute(self.prepare)
            self.sessions.add(session)
        cursor.execute(self.execute, [values[name] for name in self.names])


_ANY = re.compile(r"=\s*ANY\(%\((\w+)\)s\)")


def _any_as_in(sql: str, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """`= ANY(%(name)s)` of a list written as `IN (%(name_0)s, ...)`, one parameter a value,
    for a database without arrays."""
    params = dict(values)

    def listed(match: re.Match[str]) -> str:
        name = match.group(1)
        items = params.pop(name)
        params.update({f"{name}_{n}": item for n, item in enumerate(items)})
        return "IN (" + ", ".join(f"%({name}_{n})s" for n in range(len(items))) + ")"

    return _ANY.sub(listed, sql), params


@functools.cache
def select_list(model: type[Model], alias: str) -> tuple[list[str], str]:
    """For a hand-written read of `model` under a table alias: its field names (attnames) and
    the matching column list, in model order, as `from_db_row` expects them."""
    fields = model._meta.concrete_fields
    return [f.attname for f in fields], ", ".join(f'{alias}."{f.column}"' for f in fields)


def from_db_row(model: type[M], row: Sequence[Any]) -> M:
    """A model instance from a row read with `select_list(model, ...)`'s columns, as the ORM
    would have loaded it (not adding, on this connection)."""
    return model.from_db(connection.alias, select_list(model, "")[0], row)


@functools.cache
def _insert_sql(model: type[Model]) -> tuple[list[Field], str, str]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    head = f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES '
    return fields, head, row


def rows_insert(objs: Sequence[M]) -> Sequence[M]:
    """Insert new instances of one model in one plain statement and set their primary keys,
    as `bulk_create` does (no `save()`, no signals; field defaults and `pre_save` applied),
    without building the statement through the ORM: for the rows written with every order.
    """
    if not objs:
        return objs
    model = type(objs[0])
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
        return model._default_manager.bulk_create(objs)
    fields, head, row = _insert_sql(model)
    params = [value for obj in objs for value in _insert_values(obj, fields)]
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(f'{head}{", ".join([row] * len(objs))} RETURNING "{pk.column}"', params)
        ids = [r[0] for r in cursor.fetchall()]
    for obj, new_id in zip(objs, ids, strict=True):
        _inserted(obj, new_id)
    return objs


def _insert_values(obj: Model, fields: list[Field]) -> list[Any]:
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def _inserted(obj: Model, new_id: Any) -> None:
    """Mark an instance as the row just inserted with this primary key, as the ORM does."""
    setattr(obj, type(obj)._meta.pk.attname, new_id)
    obj._state.adding = False
    obj._state.db = connection.alias


def row_insert_unless_taken(obj: Model, *, unique: Sequence[str]) -> bool:
    """Insert one new instance in one plain statement unless a row with the same values of
    the `unique` fields (which a unique constraint covers) already exists, or is being
    inserted by a transaction still open, which is waited for. True, with the primary key
    set, if it was inserted; False, with nothing written, if the values were taken. The
    check and the insert are one statement: no race between them, no savepoint."""
    model = type(obj)
    fields, head, row = _insert_sql(model)
    conflict = ", ".join(f'"{model._meta.get_field(name).column}"' for name in unique)
    with connection.cursor() as cursor:
        cursor.execute(
            f'{head}{row} ON CONFLICT ({conflict}) DO NOTHING RETURNING "{model._meta.pk.column}"',
            _insert_values(obj, fields),
        )
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    _inserted(obj, inserted[0])
    return True


def row_update(obj: Model, **changes: Any) -> None:
    """Set these fields on a saved instance, in memory and in one plain UPDATE by primary key
    (as `QuerySet.update`: no `save()`, no signals), for the rows changed with every order."""
    meta = type(obj)._meta
    fields = [meta.get_field(name) for name in changes]
    for field, value in zip(fields, changes.values(), strict=True):
        if field.is_relation and not isinstance(value, Model):
            setattr(obj, field.attname, value)  # an id, or None
        else:
            setattr(obj, field.name, value)
    assignments = ", ".join(f'"{f.column}" = %s' for f in fields)
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{meta.db_table}" SET {assignments} WHERE "{meta.pk.column}" = %s',
            [*params, obj.pk],
        )


def rows_update(objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Write these fields of saved instances of one model, each row by its primary key, in
    one plain UPDATE run for every row (`executemany`; no `save()`, no signals): as
    `bulk_update` does, without building a CASE for every field and row through the ORM."""
    if not objs:
        return
    meta = type(objs[0])._meta
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f'"{f.column}" = %s' for f in columns)
    params = [
        [*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns), obj.pk]
        for obj in objs
    ]
    sql = f'UPDATE "{meta.db_table}" SET {assignments} WHERE "{meta.pk.column}" = %s'
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_batch

            # Many statements a round trip, not one each (psycopg2's executemany).
            execute_batch(cursor.cursor, sql, params, page_size=200)
        else:
            cursor.executemany(sql, params)
