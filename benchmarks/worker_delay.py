"""Issue 12: the delay between a reminder's due time and its send, with the worker running
as in production (one round every WORKER_INTERVAL_SECONDS), on SQLite and PostgreSQL.

    .venv/app/bin/python benchmarks/worker_delay.py [--reminders 300] [--spread 60] [--interval 5]
        [--send-ms 50] [--workers 1 2] [--engines sqlite postgresql]

A new database per run (PostgreSQL at TEST_POSTGRES_URL) holding ``--reminders`` approved
WeChat bookings, each with its day-before reminder, due on the worker's clock (a working
hour, so quiet hours never hold them back):

- ``spread``: due one after another over ``--spread`` seconds from two seconds after the
  worker starts (a dealer's reminders arriving through a round);
- ``burst``: all due at the same instant (the dealer's 10:00 reminder hour).

The worker(s) run ``run_forever`` in threads with ``--interval`` between rounds and send
through a stand-in for wechatpy's client that takes ``--send-ms`` per message (WeChat's
answer time; nothing leaves the machine). Printed: p50, p95 and max of ``sent_at - due_at``
over every reminder (each is sent exactly once, checked), both on the worker's clock.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, select  # noqa: E402

from dealer import clock  # noqa: E402
from dealer.catalog import load_catalog  # noqa: E402
from dealer.db import unit_of_work  # noqa: E402
from dealer.models import Appointment, DraftWorkOrder, FollowupTask  # noqa: E402
from dealer.services.followups import task_key  # noqa: E402
from dealer.status import AppointmentStatus, DraftStatus  # noqa: E402
from dealer.tasks import TaskChannel, TaskKind, TaskState  # noqa: E402
from dealer.worker import Worker, WorkerSettings  # noqa: E402
from worker_claims import bench_database  # noqa: E402


class SlowPush:
    """Stands in for dealer.wechat_push.WeChatPush: every send takes ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def send_text(self, openid: str, _text: str) -> None:
        time.sleep(self.seconds)
        with self.lock:
            self.sent.append(openid)

    def send_template(self, openid: str, _template_id: str, _data: dict) -> None:
        self.send_text(openid, "")


def _fill(url: str, dues: list[datetime]) -> None:
    """Approved WeChat bookings a week ahead, each with its reminder due at ``dues[n]``."""
    start = dues[0] + timedelta(days=7)
    with unit_of_work(url) as session:
        for n, due in enumerate(dues):
            draft = DraftWorkOrder(idempotency_key=f"delay:{n}", status=DraftStatus.approved, channel="wechat",
                                   conversation_id=f"openid-delay-{n}", service_type="maintenance", start_at=start)
            session.add(draft)
            session.flush()
            session.add(Appointment(draft_id=draft.id, start_at=start, status=AppointmentStatus.confirmed))
            session.add(FollowupTask(key=task_key(TaskKind.reminder, draft.id), kind=TaskKind.reminder,
                                     channel=TaskChannel.wechat, state=TaskState.pending, draft_id=draft.id,
                                     due_at=due, run_at=due, created_at=due - timedelta(days=1)))


def _run(url: str, shape: str, args: argparse.Namespace, workers: int) -> list[float]:
    catalog = load_catalog()
    # A working hour on the workers' clock (quiet hours would hold WeChat back).
    moment = clock.now(catalog.timezone).replace(hour=11, minute=0, second=0, microsecond=0)
    worker_clock = clock.Clock.reading(moment)
    first = worker_clock.now(timezone.utc) + timedelta(seconds=2)
    if shape == "spread":
        step = args.spread / max(args.reminders - 1, 1)
        dues = [first + timedelta(seconds=step * n) for n in range(args.reminders)]
    else:
        dues = [first] * args.reminders
    _fill(url, dues)
    push = SlowPush(args.send_ms / 1000)
    crew = [Worker(url, catalog, clock=worker_clock, push=push, batch=args.batch,
                   last_message=lambda _conversation: time.time()) for _ in range(workers)]
    threads = [threading.Thread(target=w.run_forever, args=(args.interval,)) for w in crew]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + args.spread + 120
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            with unit_of_work(url) as session:
                if not session.scalar(select(func.count()).where(FollowupTask.kind == TaskKind.reminder,
                                                                 FollowupTask.state != TaskState.sent)):
                    break
    finally:
        for w in crew:
            w.stopping.set()
        for thread in threads:
            thread.join()
    with unit_of_work(url) as session:
        rows = session.execute(select(FollowupTask.due_at, FollowupTask.sent_at, FollowupTask.state)
                               .where(FollowupTask.kind == TaskKind.reminder)).all()
    assert all(state == TaskState.sent for _due, _sent, state in rows), "not every reminder was sent"
    assert len(push.sent) == len(set(push.sent)) == args.reminders, "a reminder went out twice or not at all"
    return sorted((sent - due).total_seconds() for due, sent, _state in rows)


def _percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=300)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which the spread ones fall due")
    parser.add_argument("--interval", type=float, default=WorkerSettings.model_fields["worker_interval_seconds"].default,
                        help="seconds between rounds (WORKER_INTERVAL_SECONDS)")
    parser.add_argument("--send-ms", type=float, default=50.0, help="WeChat's answer time per message")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--shapes", nargs="+", default=["spread", "burst"])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    for engine in args.engines:
        for workers in args.workers:
            for shape in args.shapes:
                with bench_database(engine) as url:
                    delays = _run(url, shape, args, workers)
                print(f"{engine:10s} workers={workers} {shape:6s} reminders={args.reminders} "
                      f"interval={args.interval:g}s send={args.send_ms:g}ms: due->sent "
                      f"p50 {_percentile(delays, 0.5):.2f} s, p95 {_percentile(delays, 0.95):.2f} s, "
                      f"max {delays[-1]:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
