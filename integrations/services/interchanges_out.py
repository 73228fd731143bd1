"""What every interchange Handoff sends a partner needs: its next control number, its
`edi.sent` event, and, when it goes again, its document made anew under a new one with the
old one kept."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from core.events import event_record
from integrations.models import EdiControlCounter, InterchangeOut


def control_number_next(partner: str) -> int:
    """The control number of the next interchange Handoff sends `partner` (ISA05:ISA06 as
    it sends): 1, 2, … 999,999,999, then 1 again, each handed out once under the row lock of
    the partner's counter, which the caller's transaction holds until it commits."""
    table = EdiControlCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (partner, last_number) VALUES (%s, 1) "
            f"ON CONFLICT (partner) DO UPDATE SET last_number = {table}.last_number "
            "%% 999999999 + 1 RETURNING last_number",
            [partner],
        )
        return int(cursor.fetchone()[0])


def interchange_made_anew(kept: InterchangeOut, control: int, document: str) -> None:
    """Keep a 945, an 856 or an 820 made anew: its document under this control number,
    issued now, the number it went under before kept with the others (`earlier`)."""
    kept.earlier = [
        *kept.earlier,
        {"control": kept.control_number, "issued_at": kept.issued_at.isoformat()},
    ]
    kept.control_number, kept.document, kept.issued_at = f"{control:09d}", document, timezone.now()
    type(kept).objects.filter(pk=kept.pk).update(
        earlier=kept.earlier,
        control_number=kept.control_number,
        document=kept.document,
        issued_at=kept.issued_at,
    )


def interchange_sent(
    sent: InterchangeOut,
    *,
    kind: str,
    partner: str,
    about: tuple[str, str, int],
    told: dict,
    actor: AbstractBaseUser | None,
    resends: str = "",
) -> None:
    """`edi.sent` of an interchange Handoff sent a partner, in the caller's transaction, for
    the webhooks and the event feed: its kind (945, 856, 820), the partner, its control
    number and document, what it `told` of (the order, the stop, the bill), and the number
    it sends again, if it does. `about`: the aggregate it is of (type, id) and its
    warehouse."""
    aggregate_type, aggregate_id, warehouse = about
    event_record(
        type="edi.sent",
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        warehouse=warehouse,
        payload={
            "kind": kind,
            "partner": partner,
            "interchange": sent.control_number,
            **told,
            "document": sent.document,
            **({"resends": resends} if resends else {}),
        },
        actor=actor,
    )
