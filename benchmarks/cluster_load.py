"""Complete bookings over Rasa replicas behind the balancer (issue 14).

Starts the production layout of `make run-cluster` on free ports (devtools/cluster.py):
--replicas Rasa servers and --action-replicas action servers behind HAProxy, the API and
the worker, a fresh PostgreSQL dealer database and a fresh PostgreSQL tracker store (both
dropped afterwards), the Redis lock store under a key prefix of its own. Then
--conversations complete bookings, --concurrency at a time, each with its own sender and
customer facts (the way benchmarks/load_bookings.py drives them: the customer answers the
question actually asked, the time is a button payload; every third a returning customer),
spread two per slot (the dealer's capacity) over 16 slots a day from the day after
tomorrow. Every other conversation pauses like a customer (1.5-4.5 s, --think-ms 3000)
between turns; the others answer back-to-back.

Where a message goes (--route):
- ``alternate`` (default): message k of conversation i goes straight to replica
  (i + k) mod N, so every conversation's messages alternate between the replicas (the
  action calls still go through the balancer);
- ``balancer``: every message through HAProxy's round robin (the response's X-Served-By
  says which replica answered; the share of a conversation's messages that changed
  replica is printed).

Then it checks, and exits 1 unless all pass:
- every conversation ended in 预约成功 without an HTTP error;
- the tracker store (read with SQL) holds each conversation's messages exactly once and in
  the order sent, each turn ends with action_listen, and no event is stored twice;
- exactly one draft per booking, each its own conversation's facts (load_bookings's
  check_drafts, read through the API), no slot over capacity;
- no lock left in Redis.

Prints p50/p95 per turn (all, back-to-back, paused) and the throughput.

Run: PYTHONPATH=. .venv/app/bin/python benchmarks/cluster_load.py [--replicas 2] [--conversations 200]
     [--concurrency 40] [--route alternate|balancer] [--action-replicas N] [--think-ms 3000]
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_bookings import MILEAGES, MODELS, PROVINCES, SURNAMES, Customer, check_drafts, percentile  # noqa: E402

from dealer.catalog import load_catalog  # noqa: E402
from dealer.settings import get_settings  # noqa: E402
from devtools.cluster import Cluster, ClusterConfig, ensure_haproxy, ensure_postgres, ensure_redis  # noqa: E402
from devtools.cluster import prepare_dealer_database  # noqa: E402
from devtools.stack import REPO_ROOT, StackConfig  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SLOTS_PER_DAY = 16  # 09:00 .. 16:30, two bookings each
OPENING = "我想预约做保养"
MAX_TURNS = 18


class Booker(Customer):
    def answer(self, asked: str) -> tuple[str, str] | None:
        if "同意吗" in asked:  # the privacy notice (its text names phone, plate and model)
            return "同意", "privacy_consent"
        return super().answer(asked)


def bookers(n: int, prefix: str) -> list[Booker]:
    day0 = (datetime.now(SHANGHAI) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    people = []
    for i in range(n):
        slot = i // 2
        mileage_text, mileage_km = MILEAGES[i % len(MILEAGES)]
        people.append(Booker(
            index=i,
            sender=f"{prefix}-{i:03d}",
            name=SURNAMES[i % len(SURNAMES)] + ("先生" if i % 2 == 0 else "女士"),
            phone=f"139{(i * 7919 + 10007) % 100000000:08d}",
            plate=f"{PROVINCES[i % len(PROVINCES)]}{'ABCDEFGHJK'[i % 10]}{(i + 1) * 137 % 100000:05d}",
            model=MODELS[i % len(MODELS)],
            mileage_text=mileage_text,
            mileage_km=mileage_km,
            start=day0 + timedelta(days=slot // SLOTS_PER_DAY, minutes=30 * (slot % SLOTS_PER_DAY)),
            first_visit=i % 3 != 0,
        ))
    return people


@dataclass
class Run:
    customer: Booker
    paused: bool
    sent: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    timings_ms: list[float] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    booked: bool = False


async def converse(client: httpx.AsyncClient, urls: list[str], route: str, customer: Booker,
                   paused: bool, think_ms: float, gate: asyncio.Semaphore) -> Run:
    run = Run(customer, paused)
    async with gate:
        message, step = OPENING, "opening"
        for turn in range(MAX_TURNS):
            if paused and turn:
                await asyncio.sleep(think_ms / 1000 * (0.5 + ((customer.index * 7 + turn * 3) % 10) / 10))
            url = urls[(customer.index + turn) % len(urls)] if route == "alternate" else urls[0]
            began = time.perf_counter()
            try:
                response = await client.post(url, json={"sender": customer.sender, "message": message})
                elapsed = (time.perf_counter() - began) * 1000
                response.raise_for_status()
                bubbles = [r.get("text") or "" for r in response.json()]
            except (httpx.HTTPError, ValueError) as error:
                run.errors.append(f"turn {turn} {message!r}: {type(error).__name__}: {error}")
                return run
            run.sent.append(message)
            run.served.append(response.headers.get("x-served-by") or f"rasa{urls.index(url) + 1}")
            run.timings_ms.append(elapsed)
            run.steps.append(step)
            if step == "confirm":
                run.booked = "预约成功" in "\n".join(bubbles)
                return run
            nxt = customer.answer(bubbles[-1] if bubbles else "")
            if nxt is None:
                run.errors.append(f"turn {turn} {message!r}: unknown question {bubbles!r}")
                return run
            message, step = nxt
        run.errors.append(f"no confirmation after {MAX_TURNS} turns")
        return run


async def drive(config: ClusterConfig, people: list[Booker], route: str, concurrency: int,
                think_ms: float) -> tuple[list[Run], float]:
    base = config.base
    if route == "alternate":
        urls = [f"http://127.0.0.1:{port}/webhooks/rest/webhook" for port in config.rasa_ports]
    else:
        urls = [base.url(base.rasa_port, "/webhooks/rest/webhook")]
    limits = httpx.Limits(max_connections=concurrency + 10, max_keepalive_connections=concurrency + 10)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        for i in range(4 * len(config.rasa_ports)):  # warm-up of every replica: NLU, a rule, a form, an action
            url = f"http://127.0.0.1:{config.rasa_ports[i % len(config.rasa_ports)]}/webhooks/rest/webhook"
            (await client.post(url, json={"sender": f"warm-{uuid.uuid4().hex[:6]}",
                                          "message": "您好" if i % 2 else OPENING})).raise_for_status()
        gate = asyncio.Semaphore(concurrency)
        began = time.perf_counter()
        runs = await asyncio.gather(*(
            converse(client, urls, route, c, c.index % 2 == 1, think_ms, gate) for c in people))
        return list(runs), time.perf_counter() - began


def tracker_problems(tracker_url: str, runs: list[Run]) -> tuple[list[str], int, int, int]:
    """(problems, events read, messages lost, events duplicated) over every conversation."""
    engine = sa.create_engine(tracker_url)
    by_sender: dict[str, list[dict]] = {}
    with engine.connect() as connection:
        for sender, data in connection.execute(
                sa.text("SELECT sender_id, data FROM events WHERE sender_id LIKE 'cl-%' ORDER BY id")):
            by_sender.setdefault(sender, []).append(json.loads(data))
    engine.dispose()
    problems, lost, duplicated = [], 0, 0
    for run in runs:
        events = by_sender.get(run.customer.sender, [])
        counts = Counter(json.dumps(e, sort_keys=True) for e in events)
        twice = sum(n - 1 for n in counts.values() if n > 1)
        duplicated += twice
        if twice:
            problems.append(f"{run.customer.sender}: {twice} event(s) stored twice")
        users = [e.get("text") for e in events if e["event"] == "user"]
        if users != run.sent:
            missing = len(Counter(run.sent) - Counter(users))
            lost += missing
            problems.append(f"{run.customer.sender}: messages in the tracker {len(users)}, sent {len(run.sent)}"
                            f" ({missing} missing)")
        turns: list[list[dict]] = []
        for event in events:
            if event["event"] == "user":
                turns.append([event])
            elif turns:
                turns[-1].append(event)
        for turn in turns:
            actions = [e["name"] for e in turn if e["event"] == "action"]
            if not actions or actions[-1] != "action_listen":
                problems.append(f"{run.customer.sender}: turn {turn[0].get('text')!r} ends with {actions[-1:]}")
    return problems, sum(len(v) for v in by_sender.values()), lost, duplicated


def read_drafts(config: ClusterConfig) -> list[dict]:
    base = config.base
    with httpx.Client(base_url=base.url(base.api_port), timeout=60) as api:
        token = api.post("/api/auth/token", data={"username": "advisor", "password": "advisor"})
        token.raise_for_status()
        api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        items: list[dict] = []
        while True:
            page = api.get("/api/drafts", params={"limit": 100, "offset": len(items)})
            page.raise_for_status()
            body = page.json()
            items += body["items"]
            if not body["items"] or len(items) >= body["total"]:
                return items


def new_database(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def redis_command(url: str, *args: str) -> object:
    import socket

    parsed = make_url(url.replace("redis://", "redis+x://", 1))
    with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 6379), timeout=5) as sock:
        reader = sock.makefile("rb")
        for command in (["SELECT", str(parsed.database or 0)], list(args)):
            sock.sendall(b"*%d\r\n" % len(command)
                         + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in (c.encode() for c in command)))
        reader.readline()
        line = reader.readline().rstrip(b"\r\n")
        if line[:1] == b"*":
            return [reader.readline() and reader.readline().rstrip(b"\r\n").decode() for _ in range(int(line[1:]))]
        return line.decode()


def free_ports(count: int) -> list[int]:
    import socket

    probes = [socket.socket() for _ in range(count)]
    for probe in probes:
        probe.bind(("127.0.0.1", 0))
    ports = [probe.getsockname()[1] for probe in probes]
    for probe in probes:
        probe.close()
    return ports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--action-replicas", type=int, default=None, help="default: as many as --replicas")
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=40, help="conversations at a time")
    parser.add_argument("--route", choices=("alternate", "balancer"), default="alternate")
    parser.add_argument("--think-ms", type=float, default=3000.0, help="mean pause of the paused half")
    parser.add_argument("--keep", action="store_true", help="keep the two databases")
    args = parser.parse_args()
    action_replicas = args.action_replicas or args.replicas

    os.environ.setdefault("APP_ENV", "test")  # demo accounts in the dealer database
    ensure_haproxy()
    ensure_postgres()
    redis_url = ensure_redis()
    database_url, tracker_url = new_database("bench_dealer"), new_database("bench_tracker")
    prepare_dealer_database(database_url)
    capacity = load_catalog(get_settings().catalog_path).slot_capacity
    key_prefix = f"bench{uuid.uuid4().hex[:8]}"
    ports = free_ports(5 + args.replicas + action_replicas)
    front_rasa, front_actions, front_api, stats, api = ports[:5]
    workdir = Path(tempfile.mkdtemp(prefix="cluster-load-"))
    base = StackConfig(
        rasa_port=front_rasa, action_port=front_actions, api_port=front_api, worker_port=free_ports(1)[0],
        database_url=database_url, tracker_store_url=tracker_url, lock_store_url=redis_url,
        tracker_db=workdir / "unused.db",
        extra_env={"APP_ENV": "test", "LOCK_STORE_KEY_PREFIX": key_prefix, "LOGIN_RATE_LIMIT": "1000/minute"},
    )
    config = ClusterConfig(
        base=base, rasa_ports=tuple(ports[5:5 + args.replicas]), action_ports=tuple(ports[5 + args.replicas:]),
        api_port=api, stats_port=stats, log_dir=workdir / "logs", balancer_config=workdir / "haproxy.cfg",
    )
    people = bookers(args.conversations, f"cl-{int(time.time())}")
    assert len({c.phone for c in people}) == len(people) and len({c.plate for c in people}) == len(people)
    cluster = Cluster(config)
    try:
        cluster.start()
        healthy = cluster.wait_healthy(300)
        runs, wall = asyncio.run(drive(config, people, args.route, args.concurrency, args.think_ms))
        drafts = read_drafts(config)
        problems_tracker, events_read, lost, duplicated = tracker_problems(tracker_url, runs)
        locks_left = redis_command(redis_url, "KEYS", f"{key_prefix}:lock:*")
    finally:
        cluster.stop()
        if not args.keep:
            drop_database(database_url)
            drop_database(tracker_url)

    timings = [t for r in runs for t in r.timings_ms]
    b2b = [t for r in runs if not r.paused for t in r.timings_ms]
    paused = [t for r in runs if r.paused for t in r.timings_ms]
    failed = [r for r in runs if r.errors or not r.booked]
    problems_drafts, correct = check_drafts(drafts, people, capacity)
    switches = sum(a != b for r in runs for a, b in zip(r.served, r.served[1:]))
    pairs = sum(max(0, len(r.served) - 1) for r in runs)
    per_replica = Counter(s for r in runs for s in r.served)

    def fig(values: list[float]) -> str:
        if not values:
            return "-"
        return f"p50 {statistics.median(values):.0f} ms, p95 {percentile(values, 0.95):.0f} ms"

    load = os.getloadavg()
    print(f"{args.replicas} Rasa replica(s), {action_replicas} action server(s), route {args.route}; "
          f"healthy in {healthy:.1f} s; load average {load[0]:.1f}/{load[1]:.1f}; logs {config.log_dir}")
    print(f"{len(people)} bookings, {args.concurrency} at a time (half paused ~{args.think_ms:.0f} ms, "
          f"half back-to-back), wall {wall:.1f} s, {len(timings)} turns, {len(timings) / wall:.1f} turns/s")
    print(f"turns: all {fig(timings)}; back-to-back {fig(b2b)}; paused {fig(paused)}; "
          f"max {max(timings, default=0):.0f} ms")
    print(f"messages per replica: {dict(sorted(per_replica.items()))}; consecutive messages of a conversation "
          f"on another replica: {switches}/{pairs} ({switches / max(1, pairs):.0%})")
    print(f"conversations failed: {len(failed)}")
    for run in failed[:10]:
        print(f"  {run.customer.sender}: {run.errors or 'no 预约成功'}")
    print(f"tracker: {events_read} events; messages lost {lost}, events duplicated {duplicated}; "
          f"problems {len(problems_tracker)}")
    for problem in problems_tracker[:10]:
        print(f"  {problem}")
    print(f"drafts: {len(drafts)} read, {correct} correct, exactly one per booking: "
          f"{len(drafts) == len(people) and not problems_drafts}; problems {len(problems_drafts)}")
    for problem in problems_drafts[:10]:
        print(f"  {problem}")
    print(f"locks left in Redis: {len(locks_left)}")
    checks = {
        "every booking 预约成功": not failed,
        "no tracker event lost or duplicated": not problems_tracker and not lost and not duplicated,
        "one correct draft per booking": not problems_drafts and correct == len(people),
        "no lock left": not locks_left,
    }
    if args.route == "alternate" and args.replicas > 1:
        checks["messages alternated"] = switches == pairs
    for name, ok in checks.items():
        print(f"[{'PASS' if ok else 'FAIL'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
