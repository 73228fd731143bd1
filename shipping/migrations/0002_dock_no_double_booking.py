"""A dock is never double-booked: on PostgreSQL an exclusion constraint (btree_gist) refuses
two live appointments of one dock whose times overlap."""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE shipping_dockappointment
    ADD CONSTRAINT dock_appointment_no_overlap
    EXCLUDE USING gist (dock_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    WHERE (status <> 'cancelled');
"""
BACKWARD = """
ALTER TABLE shipping_dockappointment DROP CONSTRAINT IF EXISTS dock_appointment_no_overlap;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("shipping", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
