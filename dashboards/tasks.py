"""Celery tasks of dashboards: each is named like the service it calls."""

import datetime

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from dashboards.board import kpi_board, scorecards
from dashboards.services import alerts_evaluate as evaluate

# Set while an evaluation is queued and has not started: events meanwhile ride along with it.
ALERTS_PENDING_KEY = "handoff:alerts-pending"
# Set when events the rules look at were published and no evaluation has seen them yet.
ALERTS_CHANGED_KEY = "handoff:alerts-changed"


@shared_task(name="dashboards.alerts_evaluate", ignore_result=True)
def alerts_evaluate() -> dict[str, int]:
    """Run the alert rules now (the flags are cleared first, so later events queue another)."""
    cache.delete_many([ALERTS_PENDING_KEY, ALERTS_CHANGED_KEY])
    return evaluate()


@shared_task(name="dashboards.alerts_evaluate_if_changed", ignore_result=True)
def alerts_evaluate_if_changed() -> dict[str, int] | None:
    """Beat's short tick: run the rules if their inputs changed since the last run."""
    if cache.get(ALERTS_CHANGED_KEY) is None:
        return None
    return alerts_evaluate()


# Event types that can open or clear an alert condition.
ALERT_INPUTS = (
    "stock.",
    "order.",
    "wave.",
    "pick.",
    "vehicle.",
    "appointment.",
    "shipment.",
    "load.",
    "webhook.",
    "edi.",
    "sensor.",
    "lot.",
)


def alerts_on_events(*, types: frozenset[str], **kwargs: object) -> None:
    """Listener of `core.events.events_published`: evaluate the rules when something
    they look at changed (never for alert.* events, so alerts do not feed themselves).

    With HANDOFF_ALERTS_GAP_S = 0 (embedded) the rules run after every such batch. Above 0
    (the real stack) the batch only marks the inputs changed and beat's tick of that period
    runs the rules once for everything since: under a steady stream of stock changes the
    rules run at most once per gap, not once per change, and leave the CPU to the live path.
    """
    if not any(t.startswith(ALERT_INPUTS) for t in types):
        return
    if settings.HANDOFF_ALERTS_GAP_S > 0:
        cache.set(ALERTS_CHANGED_KEY, 1, timeout=None)
    elif cache.add(ALERTS_PENDING_KEY, 1, timeout=60):
        alerts_evaluate.delay()


# Called with (done, total) by long tasks as they go, in the process running them: a command
# that runs a task in-process draws its progress bar from here; a page reads the task's
# PROGRESS state from the result backend instead.
PROGRESS_LISTENERS: list = []


def _reporter(task, steps: dict):  # type: ignore[no-untyped-def]
    def report(done: int, total: int) -> None:
        steps.update(done=done, total=total)
        task.update_state(state="PROGRESS", meta=dict(steps))
        for listen in PROGRESS_LISTENERS:
            listen(done, total)

    return report


@shared_task(name="dashboards.demo_load", bind=True)
def demo_load(self, today: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    """Load the demo (see `dashboards.demo.demo_load`), reporting its progress; `today`
    (ISO) defaults to the demo warehouses' own date."""
    from dashboards.demo import demo_load as load

    steps = {"done": 0, "total": 0}
    day = datetime.date.fromisoformat(today) if today else None
    summary = load(today=day, progress=_reporter(self, steps))
    return {**steps, **summary}


# Where a KPI job leaves its board for the page that started it (an hour is plenty).
KPI_JOB_KEY = "handoff:kpi-job:{}"
KPI_JOB_TTL_S = 3600


@shared_task(name="dashboards.kpi_board_compute", bind=True)
def kpi_board_compute(self, warehouse_id: int, start: str, end: str, freq: str) -> dict:  # type: ignore[no-untyped-def]
    """Compute a KPI board for a long range, reporting progress (state PROGRESS with
    `done` and `total`) for the page's progress bar; the board, and the carriers' and the
    suppliers' scorecards of the range, are left under the job's id."""

    steps = {"done": 0, "total": 0}
    begins, ends = datetime.datetime.fromisoformat(start), datetime.datetime.fromisoformat(end)
    board = kpi_board(
        warehouse_id=warehouse_id,
        start=begins,
        end=ends,
        freq=freq,
        progress=_reporter(self, steps),
    )
    cards = scorecards(warehouse_id=warehouse_id, start=begins, end=ends)
    cache.set(
        KPI_JOB_KEY.format(self.request.id),
        {"asked": [warehouse_id, start, end, freq], "board": board, "cards": cards},
        timeout=KPI_JOB_TTL_S,
    )
    return steps
