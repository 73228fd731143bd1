"""The JSON lists of warehouse ids, copied to `warehouses` by 0016, go (a migration of their
own: PostgreSQL alters no table in the transaction that wrote rows pointing at it)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("integrations", "0016_edi_warehouses")]

    operations = [
        migrations.RemoveField(model_name="ediinterchange", name="warehouse_ids"),
        migrations.RemoveField(model_name="edirefusal", name="warehouse_ids"),
    ]
