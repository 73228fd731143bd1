from django.db import migrations, models
from django.db.models import Max

STILL_TO_PICK = ("received", "allocated", "backordered", "released")


def waves_already_picked(apps, schema_editor):
    """Released waves whose orders were all picked before waves could be: picked, when the
    last of their orders was (its `order.picked` event), else when released."""
    Wave = apps.get_model("shipping", "Wave")
    Event = apps.get_model("core", "Event")
    for wave in Wave.objects.filter(status="released"):
        statuses = set(wave.orders.values_list("status", flat=True))
        if statuses & set(STILL_TO_PICK) or not statuses - {"cancelled"}:
            continue
        refs = list(wave.orders.values_list("external_ref", flat=True))
        last = Event.objects.filter(
            type="order.picked", aggregate_type="order", aggregate_id__in=refs
        ).aggregate(at=Max("occurred_at"))["at"]
        Wave.objects.filter(pk=wave.pk).update(status="picked", picked_at=last or wave.released_at)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_warehouse_hours_as_times"),
        ("shipping", "0009_order_refused"),
    ]

    operations = [
        migrations.AddField(
            model_name="wave",
            name="picked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(waves_already_picked, migrations.RunPython.noop),
    ]
