"""Issue 12: how fast the worker claims due work, on SQLite and PostgreSQL.

    .venv/app/bin/python benchmarks/worker_claims.py [--tasks 10000] [--workers 1 2]

A new database per engine (PostgreSQL at TEST_POSTGRES_URL), ``--tasks`` due WeChat
reminder rows inserted at once, then one or two workers (threads, each its own
connection) claim and settle them in batches of ``--batch``. The rows name no booking,
so each is settled as skipped: the figure is the claim/settle cost per row, the
database's share of sending; WeChat's own time is not in it. Also printed: the delay
between a row's due time and its settling, on the worker's clock.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from dealer import clock  # noqa: E402
from dealer.__main__ import migrate  # noqa: E402
from dealer.catalog import load_catalog  # noqa: E402
from dealer.db import get_engine, unit_of_work  # noqa: E402
from dealer.models import FollowupTask  # noqa: E402
from dealer.tasks import TaskChannel, TaskKind, TaskState  # noqa: E402
from dealer.worker import Worker  # noqa: E402

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _fill(url: str, count: int) -> None:
    now = clock.now(timezone.utc)
    rows = [{"key": f"bench:{n}", "kind": TaskKind.reminder, "channel": TaskChannel.wechat,
             "state": TaskState.pending, "due_at": now, "run_at": now, "attempts": 0, "complaint": False,
             "created_at": now} for n in range(count)]
    with unit_of_work(url) as session:
        session.execute(insert(FollowupTask), rows)


def _run(url: str, tasks: int, workers: int, batch: int) -> tuple[float, float]:
    _fill(url, tasks)
    catalog = load_catalog()
    # A working hour, so quiet hours never hold the reminders back.
    moment = clock.now(catalog.timezone).replace(hour=11, minute=0)
    fixed = clock.Clock.reading(moment)
    crew = [Worker(url, catalog, clock=fixed, push=object(), batch=batch) for _ in range(workers)]
    started = time.perf_counter()
    threads = [threading.Thread(target=w.run_once) for w in crew]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    with unit_of_work(url) as session:
        left = session.scalar(select(func.count()).where(FollowupTask.key.like("bench:%"),
                                                         FollowupTask.state != TaskState.skipped))
    assert left == 0, f"{left} rows not settled"
    return tasks / seconds, seconds


@contextmanager
def bench_database(engine: str) -> Iterator[str]:
    """A new, migrated database (SQLite in a temporary directory, PostgreSQL at
    TEST_POSTGRES_URL), dropped afterwards."""
    with tempfile.TemporaryDirectory() as directory:
        admin, name = None, None
        if engine == "sqlite":
            url = f"sqlite:///{Path(directory) / 'bench.db'}"
        else:
            name = f"dealer_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
        try:
            migrate(url)
            yield url
        finally:
            get_engine(url).dispose()
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    for engine in args.engines:
        for workers in args.workers:
            with bench_database(engine) as url:
                rate, seconds = _run(url, args.tasks, workers, args.batch)
            print(f"{engine:10s} workers={workers} tasks={args.tasks} batch={args.batch}: "
                  f"{rate:8.0f} tasks/s ({seconds:.1f} s; due-to-settled delay at most {seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
