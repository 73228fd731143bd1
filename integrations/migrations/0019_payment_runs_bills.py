"""An 820's bills are the bills that name it (`FreightInvoice.remittance`); the one bill it
named goes (a migration of its own: PostgreSQL alters no table in the transaction that
wrote its rows)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("integrations", "0018_payment_runs")]

    operations = [
        migrations.RemoveField(model_name="freightremittance", name="invoice"),
        migrations.RenameField(
            model_name="freightinvoice", old_name="remitted_in", new_name="remittance"
        ),
        migrations.AlterField(
            model_name="freightinvoice",
            name="remittance",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="bills",
                to="integrations.freightremittance",
            ),
        ),
        migrations.AlterField(
            model_name="freightremittance",
            name="warehouse",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.warehouse",
            ),
        ),
        migrations.AlterField(
            model_name="freightremittance",
            name="paid_on",
            field=models.DateField(),
        ),
        migrations.AlterField(
            model_name="freightremittance",
            name="carrier",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="shipping.carrier",
            ),
        ),
    ]
