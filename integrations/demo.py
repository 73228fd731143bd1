"""The demo's cold chain: a sensor in each warehouse's chilled and frozen rooms and in each
refrigerated truck, with a day of readings every five minutes; Beijing's chilled room has
had its door left open for the last 35 minutes, which is an alert on its floor. Its EDI: the
first customer takes ship notices (856); Deppon is tendered its loads (204) and has
answered them (990): it declined the second for want of a driver, which went on by itself to
the truck hired from ZTO, and accepted the others; it has billed its last two trips from
Beijing (210), the later above its tariff, and has been told in Beijing's payment run what
is paid of the earlier (820)."""

import datetime
import hashlib
import math
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from core.models import Warehouse
from core.services import record_save
from integrations.edi.freight_invoice import freight_invoices
from integrations.edi.tender_response import tender_responses
from integrations.edi.x12 import interchange_read
from integrations.models import EdiInterchange, FreightInvoice, LoadTender, Sensor
from integrations.services.edi import (
    AnswerFor,
    InvoiceFor,
    edi_out_issue_due,
    freight_invoices_record,
    tender_responses_record,
)
from integrations.services.freight_bills import remittances_send
from integrations.services.sensors import ReadingInput, sensor_readings_record, sensor_register
from inventory.models import Zone
from shipping.models import Carrier, Customer, Shipment, Vehicle

EVERY = datetime.timedelta(minutes=5)
DAY = datetime.timedelta(hours=24)
DOOR_OPEN = datetime.timedelta(minutes=35)


def _day_of(sensor: Sensor, now: datetime.datetime, *, door_open: bool) -> list[ReadingInput]:
    """A day of readings in the middle of the sensor's range, a degree up and down with the
    compressor's cycle; warm for the last 35 minutes if its door was left open."""
    middle = (sensor.low_c + sensor.high_c) / 2
    swing = min(Decimal(1), (sensor.high_c - sensor.low_c) / 4)
    out = []
    start = (now - DAY).replace(second=0, microsecond=0)
    steps = int(DAY / EVERY)
    for n in range(steps + 1):
        at = start + n * EVERY
        value = middle + swing * Decimal(str(round(math.sin(n / 5), 2)))
        if door_open and at >= now - DOOR_OPEN:
            minutes = Decimal((at - (now - DOOR_OPEN)).total_seconds() / 60)
            value = min(sensor.high_c + 1 + minutes / 10, sensor.high_c + Decimal("5.5"))
        out.append(
            ReadingInput(
                at=at, temperature=value.quantize(Decimal("0.01")), humidity=Decimal("62.0")
            )
        )
    return out


def ship_notices_demo_load() -> int:
    """The demo's first customer takes ship notices by EDI: its stops on the road get their
    856s (idempotent)."""
    customer = Customer.objects.order_by("code").first()
    if customer is None:
        return 0
    if not customer.edi_id:  # as the customers API sets it (`customer.updated`)
        customer.edi_id = f"{customer.code}MART"
        record_save(instance=customer, actor=None, warehouse_id=None)
    return edi_out_issue_due()


TENDERED_TO = ("DEPPON", "DEPPONTMS")  # the demo's carrier that takes EDI, and its EDI ID


def _from_carrier(carrier: Carrier, group: str, kind: str, bodies: list[list[str]]) -> str:
    """An interchange from the carrier's TMS: one `kind` set a body (its segments between ST
    and SE), in one functional group of `group` (GS01), under a control number of its own."""
    now = timezone.now().astimezone(datetime.UTC)
    control = f"{9000 + EdiInterchange.objects.count():09d}"
    lines = [
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*{carrier.edi_qualifier}*{carrier.edi_id:<15}*ZZ*"
        f"{'HANDOFF':<15}*{now:%y%m%d}*{now:%H%M}*U*00401*{control}*0*P*>~",
        f"GS*{group}*{carrier.edi_id}*HANDOFF*{now:%Y%m%d}*{now:%H%M}*1*X*004010~",
    ]
    for n, body in enumerate(bodies, start=1):
        lines += [f"ST*{kind}*{n:04d}~", *(f"{s}~" for s in body), f"SE*{len(body) + 2}*{n:04d}~"]
    lines += [f"GE*{len(bodies)}*1~", f"IEA*1*{control}~"]
    return "\n".join(lines) + "\n"


def _answer_990(carrier: Carrier, answers: list[tuple[LoadTender, str, str]]) -> str:
    """The 990 interchange the carrier's TMS sends: one 990 a (tender, A or D, reason)."""
    day = timezone.now().astimezone(datetime.UTC)
    bodies = []
    for tender, code, reason in answers:
        body = [f"B1*{carrier.code}*{tender.load.reference}*{day:%Y%m%d}*{code}"]
        if reason:
            body.append(f"V9*REJ*{reason}")
        bodies.append(body)
    return _from_carrier(carrier, "GF", "990", bodies)


def tenders_demo_load() -> int:
    """Deppon takes load tenders by EDI: its planned loads are tendered (204), and its TMS
    has answered, through the 990 intake: the second declined for want of a driver, the
    others accepted (idempotent)."""
    carrier = Carrier.objects.filter(code=TENDERED_TO[0]).first()
    if carrier is None or LoadTender.objects.exists():
        return 0
    carrier.edi_id = TENDERED_TO[1]  # as the carriers API sets it (`carrier.updated`)
    record_save(instance=carrier, actor=None, warehouse_id=None)
    edi_out_issue_due()
    tenders = list(LoadTender.objects.filter(carrier=carrier).select_related("load").order_by("pk"))
    answers = [
        (t, "D", "NO DRIVER FREE") if n == 1 else (t, "A", "") for n, t in enumerate(tenders)
    ]
    if not answers:
        return 0
    text = _answer_990(carrier, answers)
    interchange = interchange_read(text)
    said = [r for group in interchange.groups for r in tender_responses(group)]
    tender_responses_record(
        interchange=interchange,
        digest=hashlib.sha256(text.encode()).hexdigest(),
        answers=[AnswerFor(r, t) for r, (t, _code, _reason) in zip(said, answers, strict=True)],
        actor=None,
    )
    return len(tenders)


def invoices_demo_load() -> int:
    """Deppon has billed its last two trips from Beijing (X12 210), through the 210 intake:
    the earlier one at its tariff, the later one with an hour's detention on top, above it
    (an alert for the office); the earlier went in Beijing's last payment run (an 820)
    (idempotent)."""
    carrier = Carrier.objects.filter(code=TENDERED_TO[0]).exclude(edi_id="").first()
    if carrier is None or FreightInvoice.objects.exists():
        return 0
    shipments = list(
        Shipment.objects.filter(
            carrier=carrier, load__warehouse__code="BJ1", freight_cost__isnull=False
        )
        .select_related("load", "carrier")
        .order_by("-departed_at")[:2]
    )
    if len(shipments) < 2:
        return 0
    bodies = []
    for n, shipment in enumerate(reversed(shipments)):
        freight = int(shipment.freight_cost * 100)
        detention = 8000 if n == 1 else 0
        day = shipment.departed_at.astimezone(datetime.UTC)
        body = [
            f"B3**DP{day:%y%m%d}{n + 1:02d}*{shipment.load.reference}*PP**{day:%Y%m%d}*"
            f"{freight + detention}****{carrier.code}",
            f"C3*{settings.HANDOFF_CURRENCY}",
            f"L1*1***{freight}****400****FREIGHT",
        ]
        if detention:
            body.append(f"L1*2***{detention}****DET****DETENTION 1H")
        bodies.append(body)
    text = _from_carrier(carrier, "IM", "210", bodies)
    interchange = interchange_read(text)
    said = [i for group in interchange.groups for i in freight_invoices(group)]
    freight_invoices_record(
        interchange=interchange,
        digest=hashlib.sha256(text.encode()).hexdigest(),
        invoices=[
            InvoiceFor(i, shipment) for i, shipment in zip(said, reversed(shipments), strict=True)
        ],
        actor=None,
    )
    remittances_send(warehouse_id=shipments[0].load.warehouse_id, until=timezone.now(), actor=None)
    return len(said)


def integrations_demo_load(*, warehouses: dict[str, Warehouse]) -> str:
    """The demo's sensors and their last day (idempotent: none is added twice), and its
    ship notices."""
    ship_notices_demo_load()
    tenders_demo_load()
    if Sensor.objects.exists():
        return f"{Sensor.objects.count()} sensors"
    now = timezone.now()
    sensors = []
    for code, warehouse in warehouses.items():
        for zone in Zone.objects.filter(
            warehouse=warehouse, temperature_class__in=["chilled", "frozen"]
        ):
            chilled = zone.temperature_class == "chilled"
            sensors.append(
                sensor_register(
                    device=f"{code.lower()}-{zone.code.lower()}-1",
                    name=f"{zone.name} 1",
                    zone=zone,
                    # The demo's chilled rooms say 0-4 °C on their doors.
                    low_c=Decimal("0") if chilled else None,
                    high_c=Decimal("4") if chilled else None,
                    actor=None,
                )
            )
        for vehicle in Vehicle.objects.filter(
            home_warehouse=warehouse, temperature_class__in=["chilled", "frozen"]
        ):
            sensors.append(
                sensor_register(
                    device=f"reefer-{vehicle.pk}",
                    name=f"{vehicle.plate} 冷机 reefer",
                    vehicle=vehicle,
                    actor=None,
                )
            )
    door_left_open = next(
        (s for s in sensors if s.zone_id and s.zone.temperature_class == "chilled"), None
    )
    for sensor in sensors:
        sensor_readings_record(
            sensor=sensor,
            readings=_day_of(sensor, now, door_open=sensor == door_left_open),
            actor=None,
        )
    return f"{len(sensors)} sensors"
