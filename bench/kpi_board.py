"""KPI board computation over 1,000,000 synthetic order lines (200,000 orders of 5 lines in
90 days) with their shipments, loads and gate events, on PostgreSQL: one warehouse, 90 days,
cold (first computation in a fresh process) and warm (the same board again, nothing changed).
Ends with one JSON line."""

import datetime
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import bench_database_url, bench_site, database_recreate, django_setup

ORDERS = int(os.environ.get("BENCH_ORDERS", "200000"))
LINES_PER_ORDER = 5
DAYS = 90

SYNTHETIC = """
INSERT INTO shipping_order (external_ref, customer_id, ship_to_id, warehouse_id, status, priority,
    requested_delivery_date, promised_ship_date, allocation_note, received_at, allocated_at,
    ever_backordered, shipped_at, delivered_at)
SELECT 'B-' || n, %(customer)s, %(ship_to)s, %(warehouse)s,
       CASE WHEN n %% 50 = 0 THEN 'backordered' ELSE 'delivered' END, 3,
       ((t + interval '30 hours') AT TIME ZONE %(zone)s)::date,
       ((t + interval '6 hours') AT TIME ZONE %(zone)s)::date, '{}'::jsonb, t, t,
       n %% 20 = 0,
       CASE WHEN n %% 50 = 0 THEN NULL ELSE t + (n %% 17 + 2) * interval '1 hour' END,
       CASE WHEN n %% 50 = 0 THEN NULL ELSE t + (n %% 29 + 12) * interval '1 hour' END
FROM (SELECT n, now() - (n %% (%(days)s * 1440)) * interval '1 minute' AS t
      FROM generate_series(1, %(orders)s) AS n) AS s;

INSERT INTO shipping_orderline (order_id, line_no, item_id, quantity)
SELECT o.id, l, %(item)s, 1 + (o.id + l) %% 7
FROM shipping_order o CROSS JOIN generate_series(1, %(lines)s) AS l;

INSERT INTO shipping_load (warehouse_id, reference, vehicle_id, status, created_at, departed_at,
    weight_fill_pct, volume_fill_pct)
SELECT %(warehouse)s, 'BL-' || n, %(vehicle)s, 'departed', d, d, 40 + n %% 55, 30 + n %% 60
FROM (SELECT n, now() - (n %% (%(days)s * 24)) * interval '1 hour' AS d
      FROM generate_series(1, %(orders)s / 40) AS n) AS s;

INSERT INTO shipping_dockappointment (dock_id, vehicle_id, starts_at, ends_at, status,
    checked_in_at, checked_out_at)
SELECT %(dock)s, %(vehicle)s, d, d + interval '1 hour', 'checked_out',
       d + (n %% 20) * interval '1 minute', d + (n %% 20 + 20 + n %% 70) * interval '1 minute'
FROM (SELECT n, now() - n * interval '1 hour' - interval '2 hours' AS d
      FROM generate_series(1, %(days)s * 24) AS n) AS s;
"""


def main() -> None:
    url = bench_database_url()
    database_recreate(url)
    django_setup(url)
    from django.db import connection

    from inventory.models import Item
    from shipping.models import Carrier, Customer, Dock, ShipTo, Vehicle

    warehouse, _ = bench_site(code="BJ1")
    customer = Customer.objects.create(code="C1", name="Customer")
    ship_to = ShipTo.objects.create(
        customer=customer,
        code="MAIN",
        name="Shop",
        address="-",
        city="Beijing",
        latitude=39.95,
        longitude=116.45,
    )
    item = Item.objects.create(sku="SKU-1", name="Item")
    carrier = Carrier.objects.create(code="OWN", name="Own", service_level="own_fleet")
    vehicle = Vehicle.objects.create(
        carrier=carrier, plate="B-1", capacity_weight_kg=9000, capacity_volume_l=9000
    )
    dock = Dock.objects.create(warehouse=warehouse, code="D1")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            SYNTHETIC,
            {
                "customer": customer.pk,
                "ship_to": ship_to.pk,
                "warehouse": warehouse.pk,
                "item": item.pk,
                "vehicle": vehicle.pk,
                "dock": dock.pk,
                "orders": ORDERS,
                "lines": LINES_PER_ORDER,
                "days": DAYS,
                "zone": warehouse.time_zone,  # dates are the warehouse's, as in the app
            },
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM shipping_orderline")
        lines = cursor.fetchone()[0]
    generated_s = time.monotonic() - started
    connection.close()

    from dashboards.board import kpi_board

    end = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)
    start = end - datetime.timedelta(days=DAYS)
    t0 = time.monotonic()
    cold = kpi_board(warehouse_id=warehouse.pk, start=start, end=end, freq="D")
    cold_s = time.monotonic() - t0
    t0 = time.monotonic()
    warm = kpi_board(warehouse_id=warehouse.pk, start=start, end=end, freq="D")
    warm_s = time.monotonic() - t0
    assert warm == cold
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "bench": "kpi_board",
                "order_lines": lines,
                "orders": ORDERS,
                "days": DAYS,
                "generated_s": round(generated_s, 1),
                "cold_s": round(cold_s, 3),
                "warm_s": round(warm_s, 4),
                "peak_mb": round(peak_mb, 1),
                "on_time_shipping": cold["on_time_shipping"]["value"],
            }
        )
    )


if __name__ == "__main__":
    main()
