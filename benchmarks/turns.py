"""Turn latency and memory of the running system (issue 2's targets).

Starts the three real processes on free ports with a fresh database, then:
- the p50 of a greeting turn (Rasa's own floor: NLU + a rule, no action server);
- the p50/p95 of booking turns, which call the action server and read or write
  the dealer database (the form's validation turns and the confirming turn; the
  first-visit maintenance flow of dealer/booking_script.yml);
- the resident memory (RSS) of each process tree after the run.

Run: make bench   (or: PYTHONPATH=. .venv/app/bin/python benchmarks/turns.py)
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from dealer.__main__ import migrate, seed
from dealer.settings import get_settings
from devtools.stack import Stack, StackConfig, free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")
GREETINGS = 200
BOOKINGS = 40


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(l for l in status.splitlines() if l.startswith("VmRSS")).split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pids.extend(int(c) for c in children)
        except (FileNotFoundError, StopIteration):
            continue
    return total / 1024


def booking_turns(client: httpx.Client, url: str, n: int) -> list[float]:
    first_day = (datetime.now(SHANGHAI) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    timings = []
    for i in range(n):
        start = first_day + timedelta(days=i // 16, minutes=30 * (i % 16))
        sender = f"bench-booking-{i}"
        client.post(url, json={"sender": sender, "message": "我想预约做保养"})
        for text in (
            '/inform{"time": "%s"}' % start.isoformat(),
            "王先生",
            f"138{i:08d}",
            "第一次来",
            f"沪A{i:05d}",
            "迈腾",
            "三万五公里",
            "没有了",
            "/affirm",
        ):
            began = time.perf_counter()
            reply = client.post(url, json={"sender": sender, "message": text})
            timings.append((time.perf_counter() - began) * 1000)
            reply.raise_for_status()
        assert "预约成功" in json.dumps(reply.json(), ensure_ascii=False), reply.json()
    return timings


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    database_url = f"sqlite:///{workdir / 'dealer.db'}"
    migrate(database_url)
    seed(database_url, get_settings().catalog_path, demo=True)
    config = StackConfig(
        rasa_port=free_port(), action_port=free_port(), api_port=free_port(),
        database_url=database_url, tracker_db=workdir / "tracker.db", log_dir=workdir / "logs",
    )
    with Stack(config) as stack:
        healthy = stack.wait_healthy(timeout=300)
        url = config.url(config.rasa_port, "/webhooks/rest/webhook")
        with httpx.Client(timeout=30) as client:
            for _ in range(10):  # warm-up
                client.post(url, json={"sender": "bench-warm", "message": "您好"})
            greeting = []
            for i in range(GREETINGS):
                began = time.perf_counter()
                client.post(url, json={"sender": f"bench-greet-{i % 10}", "message": "您好"}).raise_for_status()
                greeting.append((time.perf_counter() - began) * 1000)
            booking = booking_turns(client, url, BOOKINGS)
        memory = {name: rss_mb(p.pid) for name, p in stack.processes.items()}

    greet_p50 = statistics.median(greeting)
    book_p50, book_p95 = statistics.median(booking), percentile(booking, 0.95)
    print(f"time to healthy (cold start, fresh DB): {healthy:.1f} s")
    print(f"greeting turn: p50 {greet_p50:.1f} ms ({GREETINGS} turns)")
    print(f"booking turns: p50 {book_p50:.1f} ms, p95 {book_p95:.1f} ms ({len(booking)} turns, {BOOKINGS} bookings)")
    print(f"booking p95 / greeting p50: {book_p95 / greet_p50:.2f} (target <= 4)")
    for name, mb in memory.items():
        print(f"RSS {name}: {mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
