"""Master-data writes made through the API: saved in one transaction with their event."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model, ProtectedError
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from core.db import service
from core.events import event_record
from core.exceptions import Conflict, DomainError


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
