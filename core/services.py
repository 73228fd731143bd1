"""Master-data writes made through the API, saved in one transaction with their event; and
the standard operating procedures and who is trained on them (`sop_publish`, a new
version asking for training again; `training_record`)."""

import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model, ProtectedError
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import role_in
from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError
from core.models import Sop, SopScope, TrainingRecord, Warehouse


def _label(instance: Model) -> str:
    return instance._meta.model_name or "record"


@service
def record_save(
    *, instance: Model, actor: AbstractBaseUser | None, warehouse_id: int | None
) -> Model:
    """Create or update a master-data record (its fields already validated);
    `<model>.created|updated`. A record that breaks its model's own rules (`clean`: a place
    stays in its warehouse, an item's SKU once it has stock history, ...), a unique field or
    a constraint (one per warehouse, capacity above zero, ...) is refused naming the field,
    and nothing is written."""
    created = instance.pk is None
    try:
        instance.clean()  # the model's own rules: what may not change once in use
        instance.validate_unique()
        instance.validate_constraints()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(
            " ".join(messages), field=None if field == NON_FIELD_ERRORS else field
        ) from None
    instance.save()
    payload: dict[str, Any] = model_to_dict(instance)
    event_record(
        type=f"{_label(instance)}.{'created' if created else 'updated'}",
        aggregate_type=_label(instance),
        aggregate_id=instance.pk,
        warehouse=warehouse_id,
        payload=payload,
        actor=actor,
    )
    return instance


@service
def warehouse_waves_release_set(
    *, warehouse: Warehouse, on: bool, actor: AbstractBaseUser | None
) -> Warehouse:
    """Switch whether the warehouse's waves go to the floor by themselves on time
    (`Warehouse.waves_release_on_time`): `warehouse.waves_release_set`, saying on or off.
    Switched as it is already: nothing written."""
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    if warehouse.waves_release_on_time == on:
        return warehouse
    Warehouse.objects.filter(pk=warehouse.pk).update(waves_release_on_time=on)
    warehouse.waves_release_on_time = on
    event_record(
        type="warehouse.waves_release_set",
        aggregate_type="warehouse",
        aggregate_id=warehouse.code,
        warehouse=warehouse.pk,
        payload={"warehouse": warehouse.code, "on_time": on},
        actor=actor,
    )
    return warehouse


@service
def record_delete(
    *, instance: Model, actor: AbstractBaseUser | None, warehouse_id: int | None
) -> None:
    """Delete a master-data record nothing refers to; `<model>.deleted`. In use: Conflict."""
    label, pk = _label(instance), instance.pk
    try:
        instance.delete()
    except ProtectedError:
        raise Conflict(
            _(
                "This %(what)s is in use (stock, movements or tasks refer to it); "
                "deactivate it instead."
            )
            % {"what": instance._meta.verbose_name}
        ) from None
    event_record(
        type=f"{label}.deleted",
        aggregate_type=label,
        aggregate_id=pk,
        warehouse=warehouse_id,
        payload={"id": pk},
        actor=actor,
    )


def _sop_event(sop: Sop, type: str, actor: AbstractBaseUser | None, **extra: object) -> None:
    event_record(
        type=type,
        aggregate_type="sop",
        aggregate_id=sop.code,
        warehouse=sop.warehouse_id,
        payload={
            "sop": sop.code,
            "title": sop.title,
            "version": sop.version,
            "scope": sop.scope,
            **extra,
        },
        actor=actor,
    )


@service
def sop_publish(
    *,
    code: str,
    title: str,
    scope: str,
    body: str,
    warehouse: Warehouse | None = None,
    requires_training: bool = True,
    valid_days: int | None = None,
    effective_from: datetime.date | None = None,
    actor: AbstractBaseUser | None,
) -> Sop:
    """Publish a procedure (`sop.published`): a new code at version 1, or a known one's next
    version, whose training is asked of everyone again (a training of an older version no
    longer counts). Its scope says where on the floor it applies."""
    if scope not in SopScope.values:
        raise DomainError(
            _("Not a part of the floor: %(scope)s.") % {"scope": scope}, field="scope"
        )
    for name, value in (("code", code), ("title", title), ("body", body)):
        if not (value or "").strip():
            raise DomainError(_("This field is required."), field=name)
    sop = Sop.objects.select_for_update().filter(code=code.strip()).first()
    fields = {
        "title": title.strip(),
        "scope": scope,
        "body": body.strip(),
        "warehouse": warehouse,
        "requires_training": requires_training,
        "valid_days": valid_days,
        "effective_from": effective_from or timezone.localdate(),
    }
    if sop is None:
        sop = Sop.objects.create(code=code.strip(), **fields)
    else:
        for name, value in fields.items():
            setattr(sop, name, value)
        sop.version += 1
        sop.save()
    _sop_event(sop, "sop.published", actor)
    return sop


@service
def training_record(
    *,
    user: AbstractBaseUser,
    sop: Sop,
    trained_on: datetime.date,
    trainer: AbstractBaseUser | None,
    note: str = "",
) -> TrainingRecord:
    """Record that a person was trained on the procedure's current version on a day
    (`training.recorded`), valid for its `valid_days` from then. Refused: a day to come, a
    person who works in none of the procedure's warehouses, a training of this version
    already recorded."""
    if trained_on > timezone.localdate():
        raise DomainError(_("That day is still to come."), field="trained_on")
    if sop.warehouse_id is not None and role_in(user, sop.warehouse_id) is None:
        raise DomainError(
            _("%(user)s does not work at %(warehouse)s.")
            % {"user": user.get_username(), "warehouse": sop.warehouse.code},  # type: ignore[union-attr]
            field="user",
        )
    if TrainingRecord.objects.filter(user=user, sop=sop, version=sop.version).exists():
        raise DomainError(
            _("%(user)s is already trained on %(sop)s v%(version)s.")
            % {"user": user.get_username(), "sop": sop.code, "version": sop.version},
            field="user",
        )
    record = TrainingRecord.objects.create(
        user=user,
        sop=sop,
        version=sop.version,
        trained_on=trained_on,
        expires_on=trained_on + datetime.timedelta(days=sop.valid_days) if sop.valid_days else None,
        trainer=trainer,
        note=(note or "").strip()[:200],
    )
    _sop_event(
        sop,
        "training.recorded",
        trainer,
        user=user.get_username(),
        trained_on=trained_on.isoformat(),
        expires_on=record.expires_on.isoformat() if record.expires_on else None,
    )
    return record
