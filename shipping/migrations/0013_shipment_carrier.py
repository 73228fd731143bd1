import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def carriers_of_shipments(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    """Shipments already on the road or done: the carrier is their vehicle's."""
    Shipment = apps.get_model("shipping", "Shipment")
    Load = apps.get_model("shipping", "Load")
    Shipment.objects.update(
        carrier_id=Subquery(
            Load.objects.filter(pk=OuterRef("load_id")).values("vehicle__carrier_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0012_carrier_network"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipment",
            name="carrier",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="shipments",
                to="shipping.carrier",
                verbose_name="carrier",
            ),
        ),
        migrations.RunPython(carriers_of_shipments, migrations.RunPython.noop),
    ]
