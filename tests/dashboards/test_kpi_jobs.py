"""A long KPI range is computed by a Celery task while the page shows a progress bar fed by
it; the demo comes with weeks of history so every KPI has a trend."""

import datetime
import re

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import Warehouse
from dashboards.board import kpi_board
from dashboards.tasks import PROGRESS_LISTENERS, demo_load, kpi_board_compute
from dashboards.views import KPI_LABELS
from tests.realstack import celery_worker, running, stack_env, wait_for, worker_ready


def _year(code: str) -> str:
    end = timezone.localdate() + datetime.timedelta(days=1)
    return f"/kpis/?warehouse={code}&start={end - datetime.timedelta(days=365)}&end={end}"


@pytest.mark.django_db(transaction=True)
def test_the_demo_loads_as_a_task_reporting_progress_with_weeks_of_history(client):
    seen: list[tuple[int, int]] = []
    PROGRESS_LISTENERS.append(lambda done, total: seen.append((done, total)))
    try:
        result = demo_load.apply()  # around the demo warehouses' own today
    finally:
        PROGRESS_LISTENERS.clear()
    assert result.get()["done"] == result.get()["total"] == seen[-1][0] == seen[-1][1]
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert len(seen) > 100  # a bar that moves, not a jump from 0 to done
    warehouse = Warehouse.objects.get(code="BJ1")
    end = datetime.datetime.combine(warehouse.today(), datetime.time(), warehouse.zone())
    board = kpi_board(
        warehouse_id=warehouse.pk, start=end - datetime.timedelta(days=28), end=end, freq="W-SUN"
    )
    for name, kpi in board.items():
        assert kpi["value"] is not None, name
        assert len(kpi["trend"]) >= 4, name
    assert 0.8 < board["on_time_shipping"]["value"] <= 1.0
    assert 0 < board["inventory_record_accuracy"]["value"] < 1.0  # some counts missed


def test_a_finished_job_reports_success_and_its_board_renders(
    client, site, person, django_assert_max_num_queries
):
    manager = person("manager", site.warehouse)
    client.force_login(manager)
    # The page's range: from midnight to midnight on the warehouse's clock.
    end = datetime.datetime.combine(timezone.localdate(), datetime.time(), site.warehouse.zone())
    year_ago = (end - datetime.timedelta(days=365)).isoformat()
    job = kpi_board_compute.apply(args=(site.warehouse.pk, year_ago, end.isoformat(), "D"))
    assert client.get(f"/kpis/jobs/{job.id}/").json()["state"] == "SUCCESS"
    today = timezone.localdate()
    asked = f"start={today - datetime.timedelta(days=365)}&end={today}"
    with django_assert_max_num_queries(8):  # the job's board: nothing computed again
        page = client.get(
            f"/kpis/?warehouse={site.warehouse.code}&{asked}&job={job.id}"
        ).content.decode()
    assert page.count('class="card kpi"') == len(KPI_LABELS) == 15
    assert 'id="kpi-job"' not in page


def test_a_job_of_another_warehouse_is_not_shown(client, site, other_site, person):
    client.force_login(person("manager", site.warehouse))
    end = datetime.datetime.combine(timezone.localdate(), datetime.time(), datetime.UTC)
    month_ago = (end - datetime.timedelta(days=30)).isoformat()
    job = kpi_board_compute.apply(args=(other_site.warehouse.pk, month_ago, end.isoformat(), "D"))
    page = client.get(f"/kpis/?warehouse={site.warehouse.code}&job={job.id}")
    assert page.status_code == 200  # its own board, computed afresh, not the other one


@pytest.mark.realstack
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_year_of_kpis_runs_in_the_worker_while_the_page_shows_progress(
    client, site, person, tmp_path
):
    from inventory.services import stock_receive
    from tests.factories import ItemFactory

    # A change, so no board cached by an earlier run (Redis outlives test databases) applies.
    stock_receive(item=ItemFactory(), quantity=1, location=site.loc["dock_in"], actor=None)
    client.force_login(person("manager", site.warehouse))
    worker = celery_worker(stack_env(settings.REDIS_URL), tmp_path, "kpis")
    with running(worker):
        worker_ready(settings.REDIS_URL)
        page = client.get(_year(site.warehouse.code)).content.decode()
        assert '<progress id="kpi-progress"' in page
        job = re.search(r'data-job="([^"]+)"', page).group(1)
        final = wait_for(
            lambda: (
                (state := client.get(f"/kpis/jobs/{job}/").json())["state"] == "SUCCESS" and state
            )
        )
        assert final["done"] == final["total"] == len(KPI_LABELS) + 1  # the rows read, each KPI
        done = client.get(_year(site.warehouse.code) + f"&job={job}").content.decode()
        assert done.count('class="card kpi"') == len(KPI_LABELS)


def test_the_kpi_board_names_every_kpi_in_chinese(client, site, person):
    client.force_login(person("manager", site.warehouse))
    client.cookies["django_language"] = "zh-hans"

    page = client.get(f"/kpis/?warehouse={site.warehouse.code}").content.decode()

    titles = re.findall(r'<section class="card kpi"[^>]*>\s*<h3>(.*?)</h3>', page)
    assert len(titles) == len(KPI_LABELS)
    assert "准时发运率" in titles and "车辆装载率，体积（%）" in titles
    assert [t for t in titles if not re.search(r"[\u4e00-\u9fff]", t)] == []  # none left in English


def test_the_range_s_to_is_the_last_day_shown(client, site, person):
    client.force_login(person("manager", site.warehouse))
    page = client.get(
        f"/kpis/?warehouse={site.warehouse.code}&start=2026-11-01&until=2026-11-30"
    ).content.decode()
    assert 'name="until" value="2026-11-30"' in page
    assert "start=2026-11-01&end=2026-12-01&trend=daily&export=csv" in page  # the API's end

    today = site.warehouse.today()
    page = client.get(f"/kpis/?warehouse={site.warehouse.code}").content.decode()
    assert f'name="until" value="{today}"' in page
    assert f'name="start" value="{today - datetime.timedelta(days=29)}"' in page


def test_today_s_point_is_marked_as_so_far(client, site, person):
    """A count recorded today gives today's inventory accuracy: its point is a hollow dot
    titled "so far", and the board says what the hollow dot means."""
    from inventory.services import count_record, count_tasks_create, stock_receive
    from tests.factories import ItemFactory

    item = ItemFactory()
    stock_receive(item=item, quantity=5, location=site.loc["a1"], actor=None)
    (count,) = count_tasks_create(
        warehouse=site.warehouse, item=item, location=site.loc["a1"], actor=None
    )
    count_record(task=count, counted_quantity=5, actor=person("operator", site.warehouse))
    client.force_login(person("manager", site.warehouse))

    page = client.get(f"/kpis/?warehouse={site.warehouse.code}").content.decode()
    tile = page[page.index('data-kpi="inventory_record_accuracy"') :]
    tile = tile[: tile.index("</section>")]
    assert tile.count('<g class="dots"') == 1  # the one day with a count: today
    assert (
        '<g class="dots" style="fill: #fff; stroke: #0b6e4f; stroke-width: 2">'
        '<desc class="label">so far</desc>'
    ) in tile
    assert "today so far" in page

    weekly = client.get(f"/kpis/?warehouse={site.warehouse.code}&trend=weekly").content.decode()
    assert "this week so far" in weekly and '<desc class="label">so far</desc>' in weekly
    past = client.get(
        f"/kpis/?warehouse={site.warehouse.code}&start=2026-01-01&until=2026-01-31"
    ).content.decode()
    assert "so far" not in past


def test_a_range_past_what_a_date_holds_is_the_default_range(client, site, person):
    client.force_login(person("manager", site.warehouse))
    page = client.get(f"/kpis/?warehouse={site.warehouse.code}&start=0001-01-01&until=9999-12-31")
    assert page.status_code == 200  # before, a 500: a day after 9999-12-31
    today = site.warehouse.today()
    assert f'name="until" value="{today:%Y-%m-%d}"' in page.content.decode()
