"""Who may see and change what: the warehouse is the unit of access."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.utils.translation import gettext as _

from core.choices import Role
from core.exceptions import Forbidden
from core.models import Membership, Warehouse


def roles_known(user: AbstractBaseUser, roles: dict[int, str]) -> None:
    """For an authentication that read the user's memberships with the user: keep them as
    {warehouse id: role} on the user object for the life of the request, so they are not
    read again."""
    user._handoff_roles = roles  # type: ignore[attr-defined]


def _roles(user: AbstractBaseUser) -> dict[int, str]:
    """{warehouse id: role} of a member, read once and cached on the user object for the
    life of the request."""
    roles = getattr(user, "_handoff_roles", None)
    if roles is None:
        # Plain SQL: read on every API request, and building the ORM query cost more than
        # running it.
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "warehouse_id", "role" FROM "{Membership._meta.db_table}" '
                'WHERE "user_id" = %s',
                [user.pk],
            )
            roles = dict(cursor.fetchall())
        roles_known(user, roles)
    return roles


def roles_of(user: AbstractBaseUser | AnonymousUser) -> dict[int, str]:
    """{warehouse id: role} of the user's memberships (none for a visitor), read once a
    request."""
    return _roles(user) if user.is_authenticated else {}  # type: ignore[arg-type]


def warehouse_ids_for(user: AbstractBaseUser | AnonymousUser) -> frozenset[int]:
    """The ids of the warehouses the user belongs to (all of them for a superuser).

    Cached on the user object for the life of the request.
    """
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_handoff_warehouse_ids", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        ids = frozenset(Warehouse.objects.values_list("pk", flat=True))
    else:
        ids = frozenset(_roles(user))
    user._handoff_warehouse_ids = ids  # type: ignore[union-attr]
    return ids


def role_in(user: AbstractBaseUser | AnonymousUser, warehouse_id: int) -> str | None:
    """The user's role in the warehouse, `admin` for a superuser, None for a stranger."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    return _roles(user).get(warehouse_id)  # type: ignore[arg-type]


def role_anywhere(
    user: AbstractBaseUser | AnonymousUser,
    roles: Iterable[str],
    warehouse_ids: Iterable[int] | None = None,
) -> bool:
    """Whether the user has one of these roles in one of these warehouses (by default, in
    any of theirs)."""
    allowed = set(roles)
    ids = warehouse_ids_for(user) if warehouse_ids is None else warehouse_ids
    return any(role_in(user, w) in allowed for w in ids)


def require_role_anywhere(
    user: AbstractBaseUser | AnonymousUser,
    roles: Iterable[str],
    warehouse_ids: Iterable[int] | None = None,
) -> None:
    """Raise Forbidden, naming the roles needed, unless `role_anywhere`."""
    if not role_anywhere(user, roles, warehouse_ids):
        needed = ", ".join(sorted(roles))
        raise Forbidden(_("This needs one of these roles: %(roles)s.") % {"roles": needed})


def require_role(
    user: AbstractBaseUser | AnonymousUser, warehouse_id: int, roles: Iterable[str]
) -> str:
    """Return the user's role in the warehouse, or raise Forbidden naming what is needed.

    A user who is not a member at all gets the same answer as for a warehouse that does not
    exist (NotFound), so one warehouse's existence is not revealed to another's staff.
    """
    from core.exceptions import NotFound

    role = role_in(user, warehouse_id)
    if role is None:
        raise NotFound(_("No such warehouse."), field="warehouse")
    allowed = set(roles)
    if role not in allowed:
        needed = ", ".join(str(Role(r).label) for r in sorted(allowed))
        raise Forbidden(
            _("Your role here is %(role)s; this needs one of: %(needed)s.")
            % {"role": Role(role).label, "needed": needed}
        )
    return role


def members(*, warehouse_id: int, roles: Iterable[str]) -> list[AbstractBaseUser]:
    """The people with one of these roles in the warehouse, by username."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(memberships__warehouse_id=warehouse_id, memberships__role__in=list(roles))
        .order_by("username")
    )
