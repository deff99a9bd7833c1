"""Concurrent complete bookings against the running system.

Starts the three real processes on free ports with a fresh SQLite database
(like benchmarks/turns.py), then runs --conversations (20) complete bookings at
the same time through the REST channel, each with its own sender and its own
customer facts (name, phone, plate, model, mileage, slot; every third one a
returning customer). The bookings share --slots (10) slots, two per slot (the
dealer's slot capacity), so capacity is used up exactly. The customer answers
the question actually asked (so the returning customers' last-service step
follows the booking script); the time is a button payload, so the slot is
deterministic. Then it reads every draft back through the advisor API and checks:

- every conversation ended in 预约成功 with no HTTP error;
- exactly that many drafts exist;
- each draft's name/phone/plate/model/mileage/start/first_visit (and empty
  last_service/extra_requests) are its own conversation's, matched by
  conversation_id, with no phone or plate of another conversation in it;
- no slot holds more drafts than its capacity, and one more customer asking
  for a filled slot is told it is 约满.

Prints per-turn latency p50/p95 over all turns (and per step) and a summary;
exits 1 if any check fails or the p95 target (250 ms) is missed.

By default every customer answers at once (back-to-back, the worst case);
--think-ms adds a customer's reading/typing pause between turns.

Run: PYTHONPATH=. .venv/app/bin/python benchmarks/load_bookings.py [--conversations 20] [--slots 10] [--think-ms 0]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from dealer.__main__ import migrate, seed
from dealer.catalog import load_catalog
from dealer.settings import get_settings
from devtools.stack import Stack, StackConfig, free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")
P95_TARGET_MS = 250.0

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
PROVINCES = "沪京苏浙粤川鲁豫鄂湘皖闽赣冀辽吉黑陕晋渝"
MODELS = ["迈腾", "速腾", "宝来", "高尔夫", "探岳", "朗逸", "帕萨特", "途观L", "凌渡", "途昂",
          "轩逸", "天籁", "奇骏", "思域", "雅阁", "飞度", "探歌", "桑塔纳", "途岳", "揽巡"]
# (what the customer says, the kilometres the draft must hold)
MILEAGES = [("三万五公里", 35000), ("两万公里", 20000), ("一万二公里", 12000), ("八千公里", 8000),
            ("四万公里", 40000), ("六万公里", 60000), ("15000公里", 15000), ("十二万公里", 120000),
            ("九万八公里", 98000), ("五千公里", 5000), ("七万公里", 70000), ("两万八公里", 28000),
            ("三万公里", 30000), ("五万五公里", 55000), ("22000公里", 22000), ("八万公里", 80000),
            ("一万公里", 10000), ("四万五公里", 45000), ("十万公里", 100000), ("6000公里", 6000)]


@dataclass
class Customer:
    index: int
    sender: str
    name: str
    phone: str
    plate: str
    model: str
    mileage_text: str
    mileage_km: int
    start: datetime
    first_visit: bool

    def answer(self, asked: str) -> tuple[str, str] | None:
        """What this customer says to the assistant's latest question: (message, step), None when unknown.

        The driver answers the question actually asked, so optional steps (the
        last service, asked only of returning customers) and their order follow
        the booking script rather than being hard-coded here.
        """
        for keyword, step, message in (
            ("同意吗", "privacy_consent", "同意"),  # first: the notice names phone, plate and model
            ("是否正确", "confirm", "对的"),
            ("其他需要", "extra_requests", "没有了"),
            ("上次保养", "last_service", "记不清了"),
            ("之前来", "first_visit", "第一次来" if self.first_visit else "来过"),
            ("公里", "mileage", self.mileage_text),
            ("车架号", "vin", "不记得了"),  # before 车牌: the VIN question says the plate will do
            ("车型", "car_model", self.model),
            ("车牌", "plate", self.plate),
            ("手机号", "phone", self.phone),
            ("贵姓", "customer_name", self.name),
            ("几点", "time", '/inform{"time": "%s"}' % self.start.isoformat()),
            ("什么项目", "service_type", "保养"),
        ):
            if keyword in asked:
                return message, step
        return None


@dataclass
class Outcome:
    customer: Customer
    timings_ms: list[float] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # which question each turn answered
    deviations: list[str] = field(default_factory=list)  # a step asked twice, an unknown question
    booked: bool = False
    read_back: str = ""


def customers(n: int, slots: int, sender_prefix: str) -> list[Customer]:
    day = (datetime.now(SHANGHAI) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    people = []
    for i in range(n):
        mileage_text, mileage_km = MILEAGES[i % len(MILEAGES)]
        people.append(
            Customer(
                index=i,
                sender=f"{sender_prefix}-{i:02d}",
                name=SURNAMES[i % len(SURNAMES)] + ("先生" if i % 2 == 0 else "女士"),
                phone=f"139{i:02d}{(i * 7919 + 1234) % 1000000:06d}",
                plate=f"{PROVINCES[i % len(PROVINCES)]}{'ABCDEFGHJK'[i % 10]}{(i + 1) * 137 % 100000:05d}",
                model=MODELS[i % len(MODELS)],
                mileage_text=mileage_text,
                mileage_km=mileage_km,
                start=day + timedelta(minutes=30 * (i % slots)),
                first_visit=i % 3 != 0,
            )
        )
    return people


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


OPENING = "我想预约做保养"
MAX_TURNS = 16


async def converse(
    client: httpx.AsyncClient, url: str, customer: Customer, start_gate: asyncio.Event, think_ms: float
) -> Outcome:
    outcome = Outcome(customer)
    await start_gate.wait()
    message, step = OPENING, "opening"
    for turn in range(MAX_TURNS):
        if think_ms:
            # The customer reads and types; spread so conversations do not move in lockstep
            # (first messages arrive spread over one think time, not all at once).
            factor = (customer.index % 20) / 20 if turn == 0 else 0.5 + ((customer.index * 7 + turn * 3) % 10) / 10
            await asyncio.sleep(think_ms / 1000 * factor)
        began = time.perf_counter()
        try:
            response = await client.post(url, json={"sender": customer.sender, "message": message})
            elapsed = (time.perf_counter() - began) * 1000
            response.raise_for_status()
            bubbles = [r.get("text") or "" for r in response.json()]
        except (httpx.HTTPError, ValueError) as error:
            outcome.http_errors.append(f"turn {turn} {message!r}: {type(error).__name__}: {error}")
            return outcome
        outcome.timings_ms.append(elapsed)
        outcome.steps.append(step)
        replies = "\n".join(bubbles)
        if step == "confirm":
            outcome.booked = "预约成功" in replies
            if not outcome.booked:
                outcome.deviations.append(f"confirmed, got {replies!r}")
            return outcome
        if step in outcome.steps[:-1]:
            outcome.deviations.append(f"{step} asked again after {message!r}: {replies!r}")
        if "是否正确" in replies:
            outcome.read_back = replies
            for fact in (customer.name, customer.phone, customer.plate, customer.model, str(customer.mileage_km)):
                if fact not in replies:
                    outcome.deviations.append(f"read-back lacks {fact!r}: {replies!r}")
        # The question is the last bubble (a welcome-back or a refusal may come before it).
        question = bubbles[-1] if bubbles else ""
        next_turn = customer.answer(question)
        if next_turn is None:
            outcome.deviations.append(f"turn {turn} {message!r}: unknown question {replies!r}")
            return outcome
        message, step = next_turn
    outcome.deviations.append(f"no confirmation after {MAX_TURNS} turns")
    return outcome


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def check_drafts(drafts: list[dict], people: list[Customer], capacity: int) -> tuple[list[str], int]:
    """Problems found, and how many drafts are entirely correct."""
    problems = []
    correct = 0
    if len(drafts) != len(people):
        problems.append(f"{len(drafts)} drafts, expected {len(people)}")
    by_sender = {c.sender: c for c in people}
    seen = Counter(d.get("conversation_id") for d in drafts)
    for sender, count in seen.items():
        if sender not in by_sender:
            problems.append(f"draft of unknown conversation {sender!r}")
        elif count > 1:
            problems.append(f"{count} drafts for {sender}")
    for missing in set(by_sender) - set(seen):
        problems.append(f"no draft for {missing}")
    for draft in drafts:
        customer = by_sender.get(draft.get("conversation_id"))
        if customer is None:
            continue
        actual = {
            "name": draft["customer"]["name"],
            "phone": draft["customer"]["phone"],
            "plate": draft["vehicle"]["plate"],
            "model": draft["vehicle"]["model"],
            "mileage_km": draft["vehicle"]["mileage_km"],
            "start": draft["booking"]["start"],
            "first_visit": draft["booking"]["first_visit"],
            "last_service": draft.get("last_service"),
            "extra_requests": draft.get("extra_requests"),
        }
        expected = {
            "name": customer.name,
            "phone": customer.phone,
            "plate": customer.plate,
            "model": customer.model,
            "mileage_km": customer.mileage_km,
            "start": customer.start.isoformat(),
            "first_visit": customer.first_visit,
            "last_service": None,  # "记不清了" (returning) or never asked (first visit)
            "extra_requests": None,  # "没有了"
        }
        for key, value in expected.items():
            if actual[key] != value:
                problems.append(f"{customer.sender}: {key} is {actual[key]!r}, expected {value!r}")
        # Facts of any other conversation must not appear anywhere in this draft.
        wrong = [key for key, value in expected.items() if actual[key] != value]
        blob = json.dumps(draft, ensure_ascii=False)
        for other in people:
            if other is customer:
                continue
            for fact in (other.phone, other.plate):
                if fact in blob:
                    wrong.append(fact)
                    problems.append(f"{customer.sender}: contains {other.sender}'s {fact}")
        if not wrong and seen[customer.sender] == 1:
            correct += 1
    per_slot = Counter(d["booking"]["start"] for d in drafts)
    for start, count in sorted(per_slot.items()):
        if count > capacity:
            problems.append(f"slot {start} holds {count} drafts (capacity {capacity})")
    return problems, correct


async def full_slot_probe(client: httpx.AsyncClient, url: str, start: datetime) -> str:
    """One more customer asks for the first slot after the load: the reply (约满 once it holds `capacity`)."""
    sender = f"probe-full-{int(time.time())}"
    (await client.post(url, json={"sender": sender, "message": "我想预约做保养"})).raise_for_status()
    reply = await client.post(url, json={"sender": sender, "message": '/inform{"time": "%s"}' % start.isoformat()})
    reply.raise_for_status()
    return texts(reply.json())


async def run_load(
    config: StackConfig, people: list[Customer], think_ms: float
) -> tuple[list[Outcome], float, str]:
    url = config.url(config.rasa_port, "/webhooks/rest/webhook")
    limits = httpx.Limits(max_connections=len(people) + 5, max_keepalive_connections=len(people) + 5)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        for i in range(10):  # warm-up: NLU, a rule, the action server
            (await client.post(url, json={"sender": f"warm-{i % 2}", "message": "您好"})).raise_for_status()
        warm = await client.post(url, json={"sender": "warm-form", "message": "我想预约做保养"})
        warm.raise_for_status()
        gate = asyncio.Event()
        tasks = [asyncio.create_task(converse(client, url, c, gate, think_ms)) for c in people]
        began = time.perf_counter()
        gate.set()
        outcomes = await asyncio.gather(*tasks)
        wall = time.perf_counter() - began
        probe = await full_slot_probe(client, url, people[0].start)
    return list(outcomes), wall, probe


def read_drafts(config: StackConfig) -> list[dict]:
    with httpx.Client(base_url=config.url(config.api_port), timeout=30) as api:
        token = api.post("/api/auth/token", data={"username": "advisor", "password": "advisor"})
        token.raise_for_status()
        api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        listing = api.get("/api/drafts", params={"limit": 100})
        listing.raise_for_status()
        body = listing.json()
    if body["total"] != len(body["items"]):
        raise RuntimeError(f"API total {body['total']} but {len(body['items'])} items returned")
    return body["items"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--slots", type=int, default=10)
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean pause between a reply and the next message (0: back-to-back, the worst case)")
    args = parser.parse_args()

    settings = get_settings()
    workdir = Path(tempfile.mkdtemp(prefix="load-bookings-"))
    database_url = f"sqlite:///{workdir / 'dealer.db'}"
    migrate(database_url)
    seed(database_url, settings.catalog_path, demo=True)
    capacity = load_catalog(settings.catalog_path).slot_capacity  # 2 for the demo dealer
    config = StackConfig(
        rasa_port=free_port(), action_port=free_port(), api_port=free_port(),
        database_url=database_url, tracker_db=workdir / "tracker.db", log_dir=workdir / "logs",
        extra_env={"APP_ENV": "test"},
    )
    people = customers(args.conversations, args.slots, f"load-{int(time.time())}")
    assert len({c.phone for c in people}) == len(people), "phones must be distinct"
    assert len({c.plate for c in people}) == len(people), "plates must be distinct"
    with Stack(config) as stack:
        healthy = stack.wait_healthy(timeout=300)
        outcomes, wall, probe = asyncio.run(run_load(config, people, args.think_ms))
        try:
            drafts = read_drafts(config)
            api_error = None
        except (httpx.HTTPError, RuntimeError, KeyError) as error:
            drafts, api_error = [], f"{type(error).__name__}: {error}"

    timings = [t for o in outcomes for t in o.timings_ms]
    failed = [o for o in outcomes if o.http_errors or not o.booked]
    if api_error is None:
        problems, correct = check_drafts(drafts, people, capacity)
    else:
        problems, correct = [f"reading drafts: {api_error}"], 0
    p50 = statistics.median(timings) if timings else float("nan")
    p95 = percentile(timings, 0.95) if timings else float("nan")

    print(f"time to healthy (fresh DB): {healthy:.1f} s; work dir {workdir}")
    print(f"{len(people)} concurrent bookings over {args.slots} slots (capacity {capacity}), "
          f"think time {args.think_ms:.0f} ms, wall {wall:.1f} s, {len(timings) / wall:.1f} turns/s")
    print(f"turns: {len(timings)}, p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(timings, default=0):.1f} ms "
          f"(target p95 <= {P95_TARGET_MS:.0f} ms)")
    by_step: dict[str, list[float]] = {}
    for outcome in outcomes:
        for step, ms in zip(outcome.steps, outcome.timings_ms):
            by_step.setdefault(step, []).append(ms)
    print("per step p50/p95 ms: " + ", ".join(
        f"{step} {statistics.median(v):.0f}/{percentile(v, 0.95):.0f}" for step, v in by_step.items()))
    print(f"errors: {len(failed)} conversation(s) "
          f"({sum(len(o.http_errors) for o in outcomes)} HTTP error(s), "
          f"{sum(1 for o in outcomes if not o.http_errors and not o.booked)} not ending in 预约成功)")
    for outcome in failed:
        print(f"  FAILED {outcome.customer.sender}: {outcome.http_errors or 'no 预约成功'}")
    deviations = [(o.customer.sender, d) for o in outcomes for d in o.deviations]
    print(f"turns per booking: {Counter(len(o.steps) for o in outcomes)}; "
          f"steps: {' > '.join(max((o.steps for o in outcomes if not o.customer.first_visit), key=len, default=[]))} "
          f"(returning customers)")
    print(f"deviations (a step asked twice, an unknown question, a read-back missing a fact): {len(deviations)}")
    for sender, deviation in deviations[:20]:
        print(f"  {sender}: {deviation}")
    print(f"drafts: {len(drafts)} read, {correct} correct; problems: {len(problems)}")
    for problem in problems[:40]:
        print(f"  {problem}")
    per_slot = Counter(d["booking"]["start"] for d in drafts)
    slot_full = per_slot[people[0].start.isoformat()] >= capacity
    probe_ok = ("约满" in probe) == slot_full  # refused exactly when the bookings filled it
    print(f"one more customer asking for the {people[0].start:%H:%M} slot "
          f"({'full' if slot_full else 'not full'}): {probe.splitlines()[0] if probe else '(no reply)'!r}")
    print("drafts per slot: " + ", ".join(f"{s[11:16]}={n}" for s, n in sorted(per_slot.items())))

    checks = {
        "no errors": not failed,
        "drafts correct": not problems and correct == len(people),
        "full slot refused" if slot_full else "free slot offered": probe_ok,
        f"p95 <= {P95_TARGET_MS:.0f} ms": p95 <= P95_TARGET_MS,
    }
    for name, ok in checks.items():
        print(f"[{'PASS' if ok else 'FAIL'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
