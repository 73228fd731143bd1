import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0013: on PostgreSQL a table whose rows changed in a transaction cannot be
    # altered in it while its deferred foreign-key checks are pending.
    dependencies = [
        ("shipping", "0013_shipment_carrier"),
    ]

    operations = [
        migrations.AlterField(
            model_name="shipment",
            name="carrier",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="shipments",
                to="shipping.carrier",
                verbose_name="carrier",
            ),
        ),
        migrations.AddField(
            model_name="stop",
            name="waybill",
            field=models.CharField(
                blank=True, db_index=True, max_length=40, verbose_name="waybill"
            ),
        ),
    ]
