"""Beat inside the ASGI server, for the embedded default.

On the real stack a beat process sends `CELERY_BEAT_SCHEDULE`'s sweeps to the workers. The
embedded default has no broker and no worker: its tasks run in-process. So that time still
moves things there as it does on the real stack (a wave released when its picking must
start, a tender passed on when its carrier did not answer in time, a webhook tried again,
alerts that only time opens, such as a truck waiting at the gate), the server runs the same
schedule itself, with Celery's own scheduler: each sweep comes due as beat would send it and
runs eagerly, as every embedded task does.

The clock ticks in the server's event loop and runs each tick's sweeps in a worker thread,
as a request's view runs. What a sweep publishes (`async_to_sync` to the in-memory channel
layer) therefore runs in the server's loop, where the sockets listen, as a request's does.
"""

import asyncio
import contextlib
import logging

from asgiref.sync import sync_to_async
from celery.beat import Scheduler
from django.db import close_old_connections

log = logging.getLogger(__name__)

MAX_SLEEP_S = 1.0  # so a sweep due sooner (a schedule shorter than beat's default) is on time


def _scheduler() -> Scheduler:
    from config.celery_app import app

    return Scheduler(app, max_interval=MAX_SLEEP_S)


def _tick(scheduler: Scheduler) -> float:
    """Run the sweeps that are due; seconds until the next one (at most `MAX_SLEEP_S`). A
    sweep that fails is logged by the scheduler and comes round again on its schedule."""
    try:
        return scheduler.tick()
    except Exception:
        log.exception("embedded beat: a tick failed")
        return MAX_SLEEP_S
    finally:
        close_old_connections()


class EmbeddedBeat:
    """The schedule's sweeps, run in this process from `start()` until `stop()`."""

    def __init__(self) -> None:
        self._stopping = asyncio.Event()
        self._ticking: asyncio.Task | None = None

    async def start(self) -> None:
        scheduler = await sync_to_async(_scheduler, thread_sensitive=False)()
        self._ticking = asyncio.create_task(self._run(scheduler), name="embedded-beat")
        log.info("embedded beat: %d sweeps", len(scheduler.schedule))

    async def _run(self, scheduler: Scheduler) -> None:
        while not self._stopping.is_set():
            sleep = await sync_to_async(_tick, thread_sensitive=False)(scheduler)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=min(sleep, MAX_SLEEP_S))

    async def stop(self) -> None:
        """Returns once a sweep under way has finished; none starts after."""
        self._stopping.set()
        if self._ticking is not None:
            await self._ticking
