"""Helpers for real-stack tests: start the project's own processes against the test database."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database this test run uses (pytest-django's test_… database)."""
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def stack_env(redis_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis_url,
        # The test settings: same as base, with the test suite's fast password hasher.
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DJANGO_LOG_LEVEL": "WARNING",
        "HANDOFF_RELAY_SWEEP_S": "1",
        "HANDOFF_WEBHOOK_SWEEP_S": "1",
        "HANDOFF_WEBHOOK_LEASE_S": "2",
        "HANDOFF_ALERTS_EVERY_S": "3600",
        "HANDOFF_BACKORDER_RETRY_S": "3600",
        **extra,
    }


def embedded_env(**extra: str) -> dict[str, str]:
    """The embedded default (no broker: tasks in-process, the in-memory channel layer) on
    this test run's database, SQLite or PostgreSQL."""
    d = connection.settings_dict
    sqlite = d["ENGINE"] == "django.db.backends.sqlite3"
    url = f"sqlite:///{d['NAME']}" if sqlite else test_database_url()
    return {**stack_env("", **extra), "DATABASE_URL": url}


class Process:
    """A child process in its own process group, so it and its children die together."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)


class Supervised:
    """A process started again whenever it has exited, as the deployment's restart policy
    does (docker-compose: `restart: unless-stopped`); `check()` looks and restarts."""

    def __init__(self, start: Callable[[], Process]) -> None:
        self.start = start
        self.process = start()

    def check(self) -> None:
        if self.process.popen.poll() is not None:
            self.process = self.start()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        self.process.kill(sig)


def celery_worker(env: dict[str, str], tmp: Path, name: str) -> Process:
    """A Celery worker with embedded beat (sweeps every second in these tests)."""
    return Process(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-B",
            "-Q",
            "handoff",
            "-c",
            "2",
            "-l",
            "warning",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "-s",
            str(tmp / f"beat-{name}"),
        ],
        # As platform/entrypoint.sh runs it: a worker keeps its database connections.
        {"DATABASE_CONN_MAX_AGE": "60", **env},
    )


def uvicorn(env: dict[str, str], port: int, workers: int = 1) -> Process:
    """The ASGI server as platform/entrypoint.sh runs it (which defaults to three workers)."""
    return Process(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(workers),
            "--ws-per-message-deflate",  # as the entrypoint: live events go uncompressed
            "false",
        ],
        {  # as the entrypoint
            **env,
            "DATABASE_POOL_SIZE": env.get("DATABASE_POOL_SIZE", "20"),
            "WEB_THREADS": env.get("WEB_THREADS", "2"),
            "WEB_KEEPALIVE_QUEUE": env.get("WEB_KEEPALIVE_QUEUE", "5"),
        },
    )


def redis_server(port: int) -> Process:
    return Process(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        dict(os.environ),
    )


def wait_for(check, timeout: float = 30.0, every: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll `check()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            result = check()
            if result:
                return result
        time.sleep(every)
    raise AssertionError(f"gave up waiting after {timeout} s")


def worker_ready(broker_url: str) -> None:
    from celery import Celery

    probe = Celery(broker=broker_url, set_as_current=False)
    wait_for(lambda: probe.control.ping(timeout=0.5), timeout=40)


@contextlib.contextmanager
def running(*processes: Process | Supervised) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
            process.kill()
