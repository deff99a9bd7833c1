"""The advisor workspace with 10,000 drafts: list API, inbox page, a draft's page.

Seeds a fresh database (SQLite by default, or --database-url for PostgreSQL)
with --drafts (10,000) drafts spread over 60 days (bulk insert: a synthetic
load, so the slots' capacity is not enforced), and a Rasa tracker store (the
``events`` table of Rasa's SQL tracker store) holding a 40-turn conversation
for one of them. Starts the API as a real process, logs in, then measures:

- GET /api/drafts (newest 50, and filtered by status / date / phone / urgent);
- GET /advisor (the inbox page, 50 rows) and a filtered inbox;
- GET /advisor/drafts/{id} (transcript of 40 turns, symptom sheet, audit log).

Prints p50/p95 per request kind; exits 1 if a target is missed (list and inbox
p95 < 200 ms, draft page p95 < 300 ms).

Run: PYTHONPATH=. .venv/app/bin/python benchmarks/advisor_workspace.py [--drafts 10000] [--requests 200] [--database-url URL]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, select, text

from dealer.__main__ import migrate, seed
from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.models import Advisor, DraftWorkOrder
from dealer.settings import get_settings
from devtools.stack import Stack, StackConfig, free_port

TARGETS_MS = {"list": 200.0, "inbox": 200.0, "draft page": 300.0}
SYMPTOMS = {"when": "最近一周", "where": "踩刹车的时候", "what": "刹车有异响", "frequency": "每次都有",
            "driving_impact": "不影响开", "tried": "没处理过"}
TRANSCRIPT_TURNS = 40
PLATE_LETTERS = "ABCDEFGHJK"


def seed_drafts(database_url: str, count: int) -> tuple[int, str]:
    """Bulk-insert ``count`` drafts; returns the id and sender of the one with a transcript."""
    catalog = load_catalog(get_settings().catalog_path)
    rng = random.Random(2026)
    today = datetime.now(catalog.timezone).date()
    with unit_of_work(database_url) as session:
        advisor_ids = list(session.scalars(select(Advisor.id)))
        now = datetime.now(timezone.utc)
        rows = []
        for number in range(count):
            day = today + timedelta(days=number % 60)
            start = datetime.combine(day, catalog.opens_at, catalog.timezone) + timedelta(
                minutes=catalog.slot_minutes * rng.randrange(18)
            )
            repair = number % 3 == 0
            rows.append({
                "idempotency_key": f"bench-{number}", "status": rng.choice(["draft"] * 6 + ["approved", "rejected"]),
                "channel": rng.choice(["rest", "webchat", "wechat"]), "conversation_id": f"bench-{number}",
                "customer_name": "王先生", "phone": f"139{number:08d}",
                "plate": f"沪{PLATE_LETTERS[number % 10]}{number % 100000:05d}", "model": "迈腾",
                "mileage_km": 10000 + number, "service_type": "repair" if repair else "maintenance",
                "start_at": start, "advisor_id": advisor_ids[number % len(advisor_ids)], "first_visit": False,
                "symptoms": SYMPTOMS if repair else None, "symptom_completeness": 6 if repair else None,
                "symptom_tags": {"parts": ["刹车"], "symptoms": ["异响"]} if repair else None,
                "urgent": number % 97 == 0, "needs_human": number % 89 == 0, "version": 1,
                "created_at": now - timedelta(minutes=count - number), "updated_at": now,
            })
        for first in range(0, count, 1000):
            session.execute(insert(DraftWorkOrder), rows[first:first + 1000])
        target = session.scalar(select(DraftWorkOrder).where(DraftWorkOrder.idempotency_key == "bench-42"))
        return target.id, target.conversation_id


def write_transcript(tracker_db: Path, sender: str, turns: int) -> None:
    """A conversation in the layout of Rasa's SQL tracker store (table ``events``)."""
    engine = create_engine(f"sqlite:///{tracker_db}")
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        ))
        connection.execute(text("CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id)"))
        stamp = time.time() - 3600
        rows = []
        for turn in range(turns // 2):
            for type_name, words in (("user", f"第{turn + 1}句:刹车的时候有异响,最近一周都这样"),
                                     ("action", None),
                                     ("bot", f"好的,请问还有其他的吗?({turn + 1})")):
                stamp += 2
                data = {"event": type_name, "timestamp": stamp}
                if words:
                    data["text"] = words
                rows.append({"sender_id": sender, "type_name": type_name, "timestamp": stamp,
                             "data": json.dumps(data, ensure_ascii=False)})
        # Other conversations in the same store, as in production.
        for other in range(2000):
            rows.append({"sender_id": f"other-{other}", "type_name": "user", "timestamp": stamp,
                         "data": json.dumps({"event": "user", "text": "你好"})})
        connection.execute(text(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:sender_id, :type_name, :timestamp, :data)"
        ), rows)
    engine.dispose()


def measure(client: httpx.Client, path: str, requests: int, **params) -> list[float]:
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, params=params)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return timings


def summary(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drafts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="an empty database (default: a new SQLite file)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'dealer.db'}"
    migrate(database_url)
    seed(database_url, get_settings().catalog_path, demo=True)
    started = time.perf_counter()
    draft_id, sender = seed_drafts(database_url, args.drafts)
    print(f"seeded {args.drafts} drafts in {time.perf_counter() - started:.1f} s ({database_url.split(':')[0]})")
    tracker_db = workdir / "tracker.db"
    write_transcript(tracker_db, sender, TRANSCRIPT_TURNS)

    config = StackConfig(api_port=free_port(), database_url=database_url, tracker_db=tracker_db,
                         log_dir=workdir / "logs", extra_env={"APP_ENV": "test"}, services=("api",))
    stack = Stack(config).start()
    try:
        stack.wait_healthy(timeout=60)
        base = config.url(config.api_port)
        with httpx.Client(base_url=base, timeout=30) as api, httpx.Client(base_url=base, timeout=30) as pages:
            token = api.post("/api/auth/token", data={"username": "advisor", "password": "advisor"}).json()
            api.headers["Authorization"] = f"Bearer {token['access_token']}"
            pages.post("/advisor/login", data={"username": "advisor", "password": "advisor"})
            total = api.get("/api/drafts", params={"limit": 1}).json()["total"]
            assert total == args.drafts, total
            page = pages.get(f"/advisor/drafts/{draft_id}").text
            assert page.count('class="customer"') == TRANSCRIPT_TURNS // 2, "transcript not shown"
            day = (datetime.now(load_catalog().timezone).date() + timedelta(days=7)).isoformat()
            for warm in ("/api/drafts", "/advisor"):
                (api if warm.startswith("/api") else pages).get(warm)
            results = {
                "list": measure(api, "/api/drafts", args.requests),
                "list ?status=draft&date=": measure(api, "/api/drafts", args.requests, status="draft", date=day),
                "list ?phone=": measure(api, "/api/drafts", args.requests, phone="13900004242"),
                "list ?urgent=true": measure(api, "/api/drafts", args.requests, urgent="true"),
                "inbox": measure(pages, "/advisor", args.requests),
                "inbox ?flag=urgent": measure(pages, "/advisor", args.requests, flag="urgent"),
                "draft page": measure(pages, f"/advisor/drafts/{draft_id}", args.requests),
            }
    finally:
        stack.stop()

    failed = False
    print(f"{'request':28} {'p50 ms':>8} {'p95 ms':>8}  target")
    for name, timings in results.items():
        p50, p95 = summary(timings)
        target = TARGETS_MS.get(name.split(" ?")[0])
        verdict = "" if target is None else ("ok" if p95 < target else "MISSED") + f" (<{target:.0f})"
        failed |= verdict.startswith("MISSED")
        print(f"{name:28} {p50:8.1f} {p95:8.1f}  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
