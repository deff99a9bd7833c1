"""What a booking turn costs one Rasa process against a trivial turn (issue 14).

Starts the real three processes on free ports with a fresh SQLite database (as
benchmarks/load_bookings.py does), warms up, then, at the same concurrency and with
nobody pausing between turns (a saturated closed loop: the processes' throughput):

1. trivial turns: ``--conversations`` conversations of ``--greetings`` greetings each
   (NLU and a rule; no action server, no dealer database);
2. booking turns: as many complete first-visit or returning maintenance bookings
   (the form's turns call the action server, read the dealer database, and the last
   one writes the draft), driven as load_bookings.py drives them.

Prints turns per second of each and the cost ratio (trivial turns/s ÷ booking turns/s;
1.0: a booking turn costs no more than a trivial one), and the CPU time each process spent
per turn (from /proc: user + system), whose ratio for the Rasa server (the process that
saturates: one event loop on one core) moves far less than wall-clock throughput with
whatever else uses the two cores. ``--rounds`` (3) alternates the two phases so that the
machine's other load weighs on both; run it twice or more.

    PYTHONPATH=. .venv/app/bin/python benchmarks/turn_cost.py [--conversations 60] [--concurrency 20]
        [--py-spy /path/to/py-spy --profile-dir DIR] [--speedups-off NAMES] [--postgres]

With ``--py-spy`` (a py-spy binary; not a dependency of the project) the Rasa server and
the action server are sampled during each phase; the collapsed stacks are written to
DIR/<phase>-rasa.txt and DIR/<phase>-actions.txt. ``--speedups-off`` (names of
bot/speedups.py, comma-separated, or ``all``) runs the Rasa server with Rasa's own methods
in their place (BOT_SPEEDUPS_OFF), to compare under the same load. ``--postgres`` runs the
production stores of one replica (PostgreSQL dealer database and tracker store, the Redis
lock store: bot/endpoints.cluster.yml) instead of the SQLite files.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from benchmarks.load_bookings import SHANGHAI, converse, customers, percentile
from dealer.__main__ import migrate, seed
from dealer.settings import get_settings
from devtools.stack import Stack, StackConfig, free_port

SLOTS_PER_DAY = 16  # 09:00-16:30, two bookings each (the demo dealer's capacity)
MOBILE_PREFIXES = ("139", "138", "137", "136", "135", "150", "151", "152")


async def greetings(client: httpx.AsyncClient, url: str, sender: str, count: int, gate: asyncio.Semaphore) -> list[float]:
    timings = []
    async with gate:
        for _ in range(count):
            began = time.perf_counter()
            (await client.post(url, json={"sender": sender, "message": "您好"})).raise_for_status()
            timings.append((time.perf_counter() - began) * 1000)
    return timings


async def booking(client, url, customer, gate: asyncio.Semaphore):
    async with gate:
        opened = asyncio.Event()
        opened.set()
        return await converse(client, url, customer, opened, 0.0)


def cpu_seconds(pid: int) -> Cpu:
    """User and system CPU time of a process so far (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return Cpu(int(fields[11]) / tick, int(fields[12]) / tick)


class Cpu(NamedTuple):
    user: float
    system: float

    def __sub__(self, other: "Cpu") -> "Cpu":  # type: ignore[override]
        return Cpu(self.user - other.user, self.system - other.system)

    def __add__(self, other: "Cpu") -> "Cpu":  # type: ignore[override]
        return Cpu(self.user + other.user, self.system + other.system)


def start_profilers(phase: str, py_spy: str | None, out: Path | None, pids: dict[str, int]) -> list[subprocess.Popen]:
    if not py_spy:
        return []
    out.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([py_spy, "record", "-p", str(pid), "-f", "raw", "-r", "200",
                              "-o", str(out / f"{phase}-{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in pids.items()]


def stop_profilers(profilers: list[subprocess.Popen]) -> None:
    for profiler in profilers:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
    for profiler in profilers:
        profiler.wait(timeout=60)


async def measure(url: str, conversations: int, per_conversation: int, concurrency: int, rounds: int = 1,
                  profile: tuple[str | None, Path | None, dict[str, int]] = (None, None, {})) -> dict:
    """``rounds`` rounds of a trivial phase then a booking phase, so that whatever else
    the machine does weighs on both kinds alike; py-spy samples the first round only."""
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    figures: dict = {"trivial": [], "booking": []}
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        for i in range(20):  # warm-up: NLU, a rule, the action server, a form
            (await client.post(url, json={"sender": f"warm-{i % 3}", "message": "您好"})).raise_for_status()
        (await client.post(url, json={"sender": "warm-form", "message": "我想预约做保养"})).raise_for_status()

        gate = asyncio.Semaphore(concurrency)
        run = f"{int(time.time())}"
        days_per_round = -(-conversations // (2 * SLOTS_PER_DAY)) + 1
        first_day = (datetime.now(SHANGHAI) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
        for round_ in range(rounds):
            sampled = profile if round_ == 0 else (None, None, profile[2])
            figures["trivial"].append(await _phase("trivial", sampled, lambda: asyncio.gather(
                *(greetings(client, url, f"cost-hi-{run}-{round_}-{i}", per_conversation, gate)
                  for i in range(conversations)))))

            people = customers(conversations, SLOTS_PER_DAY, f"cost-bk-{run}-{round_}")
            day = first_day + timedelta(days=round_ * days_per_round)
            for i, person in enumerate(people):  # two per slot, as many days as it takes
                if round_:  # new customers: an earlier round's would find their own booking
                    person.phone = MOBILE_PREFIXES[round_ % len(MOBILE_PREFIXES)] + person.phone[3:]
                    person.plate = f"{person.plate[:2]}{((i + 1) * 137 + round_ * 7) % 100000:05d}"
                slot = i // 2
                person.start = day + timedelta(days=slot // SLOTS_PER_DAY, minutes=30 * (slot % SLOTS_PER_DAY))
            figures["booking"].append(await _phase("booking", sampled, lambda: asyncio.gather(
                *(booking(client, url, person, gate) for person in people))))
    return figures


async def _phase(name: str, profile: tuple[str | None, Path | None, dict[str, int]], run: Any) -> dict:
    """One phase's turns, wall time, CPU time per process and (bookings) outcomes."""
    pids = profile[2]
    cpu_before = {process: cpu_seconds(pid) for process, pid in pids.items()}
    profilers = start_profilers(name, *profile)
    began = time.perf_counter()
    results = await run()
    wall = time.perf_counter() - began
    stop_profilers(profilers)
    cpu = {process: cpu_seconds(pid) - cpu_before[process] for process, pid in pids.items()}
    if name == "trivial":
        timings = [t for conversation in results for t in conversation]
        return {"turns": timings, "wall": wall, "cpu": cpu, "booked": 0, "bookings": 0, "errors": 0}
    return {"turns": [t for outcome in results for t in outcome.timings_ms], "wall": wall, "cpu": cpu,
            "booked": sum(outcome.booked for outcome in results), "bookings": len(results),
            "errors": sum(len(outcome.http_errors) + len(outcome.deviations) for outcome in results)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--greetings", type=int, default=10, help="turns per trivial conversation (a booking has 10-11)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of a trivial then a booking phase")
    parser.add_argument("--py-spy", help="a py-spy binary: sample the Rasa and action servers while they book")
    parser.add_argument("--profile-dir", type=Path, default=Path("results/profile"))
    parser.add_argument("--speedups-off", default="", help="bot/speedups.py names to leave out (BOT_SPEEDUPS_OFF)")
    parser.add_argument("--postgres", action="store_true",
                        help="the production stores of one replica: the dealer database and the tracker store on "
                             "fresh PostgreSQL databases (dropped afterwards), the lock store on Redis")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="turn-cost-"))
    stores: dict = {"tracker_db": workdir / "tracker.db"}
    if args.postgres:
        from benchmarks.cluster_load import drop_database, new_database
        from devtools.cluster import ensure_postgres, ensure_redis, prepare_dealer_database

        ensure_postgres()
        database_url, tracker_url = new_database("cost_dealer"), new_database("cost_tracker")
        prepare_dealer_database(database_url)
        stores.update(tracker_store_url=tracker_url, lock_store_url=ensure_redis())
    else:
        database_url = f"sqlite:///{workdir / 'dealer.db'}"
        migrate(database_url)
        seed(database_url, get_settings().catalog_path, demo=True)
    config = StackConfig(
        rasa_port=free_port(), action_port=free_port(), api_port=free_port(), worker_port=free_port(),
        database_url=database_url, log_dir=workdir / "logs", **stores,
        extra_env={"APP_ENV": "test", "BOT_SPEEDUPS_OFF": args.speedups_off,
                   "LOCK_STORE_KEY_PREFIX": f"cost{os.getpid()}"},
    )
    try:
        with Stack(config) as stack:
            stack.wait_healthy(timeout=300)
            pids = {name: stack.processes[name].pid for name in ("rasa", "actions")}
            figures = asyncio.run(measure(config.url(config.rasa_port, "/webhooks/rest/webhook"),
                                          args.conversations, args.greetings, args.concurrency, args.rounds,
                                          (args.py_spy, args.profile_dir, pids)))
    finally:
        if args.postgres:
            drop_database(database_url)
            drop_database(tracker_url)

    print(f"load average {os.getloadavg()[0]:.1f}; {args.conversations} conversations each, "
          f"{args.concurrency} at a time, back-to-back, {args.rounds} round(s) of both kinds"
          + ("; PostgreSQL stores, Redis lock store" if args.postgres else "")
          + (f"; Rasa's own for: {args.speedups_off}" if args.speedups_off else ""))
    for round_, (trivial, booking) in enumerate(zip(figures["trivial"], figures["booking"]), 1):
        if args.rounds > 1:
            print(f"round {round_}: cost {_rate(trivial) / _rate(booking):.2f}, Rasa CPU "
                  f"{_cpu_ms(trivial, 'rasa'):.1f} / {_cpu_ms(booking, 'rasa'):.1f} ms "
                  f"(ratio {_cpu_ms(booking, 'rasa') / _cpu_ms(trivial, 'rasa'):.2f})")
    trivial, booking = _total(figures["trivial"]), _total(figures["booking"])
    print(f"trivial: {len(trivial['turns'])} turns in {trivial['wall']:.1f} s = {_rate(trivial):.1f} turns/s "
          f"(p50 {percentile(trivial['turns'], 0.5):.0f} ms, p95 {percentile(trivial['turns'], 0.95):.0f} ms)")
    print(f"booking: {len(booking['turns'])} turns in {booking['wall']:.1f} s = {_rate(booking):.1f} turns/s "
          f"(p50 {percentile(booking['turns'], 0.5):.0f} ms, p95 {percentile(booking['turns'], 0.95):.0f} ms); "
          f"{booking['booked']}/{booking['bookings']} booked, {booking['errors']} errors or deviations")
    print(f"cost of a booking turn / a trivial turn: {_rate(trivial) / _rate(booking):.2f}")
    for name in ("rasa", "actions"):
        print(f"CPU per turn, {name}: trivial {_cpu_ms(trivial, name):.1f} ms, booking {_cpu_ms(booking, name):.1f} ms"
              + (f" (ratio {_cpu_ms(booking, name) / _cpu_ms(trivial, name):.2f})" if name == "rasa" else "")
              + f"; of which in the kernel: trivial {_cpu_ms(trivial, name, 'system'):.1f} ms,"
              f" booking {_cpu_ms(booking, name, 'system'):.1f} ms")
    figures = booking
    return 0 if figures["booked"] == figures["bookings"] and not figures["errors"] else 1


def _total(phases: list[dict]) -> dict:
    """The phases of one kind added up."""
    total: dict = {"turns": [], "wall": 0.0, "cpu": {}, "booked": 0, "bookings": 0, "errors": 0}
    for phase in phases:
        total["turns"] += phase["turns"]
        for key in ("wall", "booked", "bookings", "errors"):
            total[key] += phase[key]
        for process, cpu in phase["cpu"].items():
            total["cpu"][process] = total["cpu"][process] + cpu if process in total["cpu"] else cpu
    return total


def _rate(phase: dict) -> float:
    return len(phase["turns"]) / phase["wall"]


def _cpu_ms(phase: dict, process: str, part: str | None = None) -> float:
    cpu = phase["cpu"][process]
    return (getattr(cpu, part) if part else sum(cpu)) * 1000 / len(phase["turns"])


if __name__ == "__main__":
    raise SystemExit(main())
