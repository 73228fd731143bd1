"""Two live holds of one door never overlap: on PostgreSQL an exclusion constraint
(btree_gist, as for the appointments) refuses them; a released hold holds nothing."""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE shipping_dockhold
    ADD CONSTRAINT dock_hold_no_overlap
    EXCLUDE USING gist (dock_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    WHERE (released_at IS NULL);
"""
BACKWARD = """
ALTER TABLE shipping_dockhold DROP CONSTRAINT IF EXISTS dock_hold_no_overlap;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("shipping", "0017_dock_holds")]
    operations = [migrations.RunPython(forward, backward)]
