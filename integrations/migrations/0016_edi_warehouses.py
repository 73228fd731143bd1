"""The warehouses an interchange received (or refused) was of, from a JSON list of ids to a
table the database can filter by: the EDI log chooses each office's interchanges in the
query, not among the last 800 of every warehouse."""

from django.db import migrations, models


def warehouses_from_ids(apps, schema_editor) -> None:
    """Each interchange's and refusal's warehouses as its `warehouse_ids` said (ids of
    warehouses since deleted aside)."""
    warehouse = apps.get_model("core", "Warehouse")
    there = set(warehouse.objects.values_list("pk", flat=True))
    for name, key in (("EdiInterchange", "ediinterchange_id"), ("EdiRefusal", "edirefusal_id")):
        model = apps.get_model("integrations", name)
        through = model.warehouses.through
        rows = [
            through(**{key: pk, "warehouse_id": w})
            for pk, ids in model.objects.values_list("pk", "warehouse_ids").iterator()
            for w in sorted(set(ids or []) & there)
        ]
        through.objects.bulk_create(rows, batch_size=1000)


def ids_from_warehouses(apps, schema_editor) -> None:
    """Back: each one's `warehouse_ids` from its warehouses."""
    for name, key in (("EdiInterchange", "ediinterchange_id"), ("EdiRefusal", "edirefusal_id")):
        model = apps.get_model("integrations", name)
        of: dict[int, list[int]] = {}
        for pk, w in model.warehouses.through.objects.values_list(key, "warehouse_id"):
            of.setdefault(pk, []).append(w)
        for pk, ids in of.items():
            model.objects.filter(pk=pk).update(warehouse_ids=sorted(ids))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_warehouse_waves_release_on_time"),
        ("integrations", "0015_freight_remittances"),
    ]

    operations = [
        migrations.AddField(
            model_name="ediinterchange",
            name="warehouses",
            field=models.ManyToManyField(blank=True, related_name="+", to="core.warehouse"),
        ),
        migrations.AddField(
            model_name="edirefusal",
            name="warehouses",
            field=models.ManyToManyField(blank=True, related_name="+", to="core.warehouse"),
        ),
        migrations.RunPython(warehouses_from_ids, ids_from_warehouses),
    ]
