"""Remittances (X12 820) per payment run: one 820 tells a carrier of many bills. Each 820
sent so far told of one bill: it keeps it, as one run of one bill, with that bill's
warehouse, carrier and currency."""

from zoneinfo import ZoneInfo

import django.db.models.deletion
from django.db import migrations, models


def runs_of_one_bill(apps, schema_editor) -> None:
    """Each 820 sent so far: its bill's warehouse, carrier and currency, and the bill's
    remittance it."""
    remittance = apps.get_model("integrations", "FreightRemittance")
    invoice = apps.get_model("integrations", "FreightInvoice")
    for sent in remittance.objects.select_related(
        "invoice__shipment__load__warehouse"
    ).iterator():
        bill = sent.invoice
        warehouse = bill.shipment.load.warehouse
        decided = bill.settled_at or bill.received_at
        remittance.objects.filter(pk=sent.pk).update(
            warehouse_id=warehouse.pk,
            carrier_id=bill.carrier_id,
            currency=bill.currency,
            paid_on=decided.astimezone(ZoneInfo(warehouse.time_zone)).date(),
        )
        invoice.objects.filter(pk=bill.pk).update(remitted_in_id=sent.pk)


def bills_of_runs(apps, schema_editor) -> None:
    """Back: each 820's bill, the first of its run's (a run of several cannot go back whole)."""
    remittance = apps.get_model("integrations", "FreightRemittance")
    invoice = apps.get_model("integrations", "FreightInvoice")
    for sent in remittance.objects.iterator():
        first = invoice.objects.filter(remitted_in_id=sent.pk).order_by("pk").first()
        if first is not None:
            remittance.objects.filter(pk=sent.pk).update(invoice_id=first.pk)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_warehouse_waves_release_on_time"),
        ("integrations", "0017_edi_warehouse_ids_gone"),
        ("shipping", "0021_dock_hold_plate_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="freightremittance",
            name="warehouse",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.warehouse",
            ),
        ),
        migrations.AddField(
            model_name="freightremittance",
            name="carrier",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="shipping.carrier",
            ),
        ),
        migrations.AddField(
            model_name="freightremittance",
            name="currency",
            field=models.CharField(default="", max_length=3),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="freightremittance",
            name="paid_on",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="freightinvoice",
            name="remitted_in",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="integrations.freightremittance",
            ),
        ),
        migrations.AlterField(
            model_name="freightremittance",
            name="invoice",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="remittance",
                to="integrations.freightinvoice",
            ),
        ),
        migrations.RunPython(runs_of_one_bill, bills_of_runs),
    ]
