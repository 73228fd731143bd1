"""Token authentication for other systems, read in one plain query."""

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from core.access import roles_known
from core.db import Prepared
from core.models import Membership


@functools.cache
def _token_user_sql() -> tuple[list[str], Prepared]:
    """The user model's field names, and the join that reads a token's created time, its
    user's columns in that order, then one membership (warehouse id, role) per row: a row per
    membership, or one row with two NULLs for a user without any."""
    user = get_user_model()._meta
    fields = [f.attname for f in user.concrete_fields]
    columns = ", ".join(f'u."{f.column}"' for f in user.concrete_fields)
    sql = (
        f'SELECT t."created", {columns}, m."warehouse_id", m."role" '
        f'FROM "{Token._meta.db_table}" t '
        f'JOIN "{user.db_table}" u ON u."{user.pk.column}" = t."user_id" '
        f'LEFT JOIN "{Membership._meta.db_table}" m ON m."user_id" = u."{user.pk.column}" '
        'WHERE t."key" = %(key)s'
    )
    return fields, Prepared("handoff_token_user", sql)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same header, same refusals), with the token and its user
    read by one hand-written join instead of an ORM query built anew for every request: an
    ERP authenticates with every order it posts. The same statement reads the user's
    memberships, which every API request checks next (`core.access`)."""

    def authenticate_credentials(self, key: str) -> tuple[AbstractBaseUser, Any]:
        fields, sql = _token_user_sql()
        with connection.cursor() as cursor:
            sql.run(cursor, {"key": key})
            rows = cursor.fetchall()
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        row = rows[0]
        user = get_user_model().from_db(connection.alias, fields, row[1:-2])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token.from_db(
            connection.alias, ["key", "user_id", "created"], [key, user.pk, row[0]]
        )
        token.user = user
        roles_known(user, {r[-2]: r[-1] for r in rows if r[-2] is not None})
        return user, token
