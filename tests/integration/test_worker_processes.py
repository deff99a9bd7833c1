"""Issue 12 end to end, the rest of "Done when" against real processes (`python -m dealer.worker`
as `make run` starts it, the Rasa server, the action server, the API), each worker's clock
injected through DEALER_CLOCK / DEALER_CLOCK_AT:

- two worker processes on one PostgreSQL dealer database with a full day's due WeChat
  reminders: the simulated WeChat server receives exactly one message per reminder;
- quiet hours: a worker whose clock reads 22:30 sends nothing; started again just before
  their end it sends each reminder once, and none before 08:00;
- a web-chat booking (the /chat page's channel) approved through the API: its reminder is a
  提醒电话 on the advisors' call list the day before, and the worker sends nothing to WeChat.

This module runs its own system (Rasa, actions, API on free ports, over its own SQLite
dealer database and tracker store), not the shared ``running_system``: its workers run on
clocks days ahead, and a worker on a shared database would also send other tests' due
reminders and mark their appointments no-show. The WeChat customers' 48-hour windows are
opened by real messages through the Rasa server's WeChat channel, so the workers read them
from a tracker store Rasa wrote.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from sqlalchemy import select

from dealer import clock
from dealer.__main__ import migrate, seed
from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.models import FollowupTask
from dealer.reminder_script import load_reminder_script
from dealer.services import schedule
from dealer.services.booking import BookingRequest, book_once
from dealer.services.followups import reminder_due
from dealer.services.review import approve_draft
from dealer.settings import get_settings
from dealer.tasks import TaskChannel, TaskKind, TaskState
from devtools.stack import REPO_ROOT, Stack, StackConfig, free_port, fresh_stack, shared_secrets
from tests import wechat_sim
from tests.conftest import ARTIFACTS, RunningSystem
# The project's PostgreSQL dealer database of its own (tests/cluster/conftest.py).
from tests.cluster.conftest import postgres_dealer_database  # noqa: F401
from tests.integration.test_wechat_channel import Customer, WeChat
from tests.wechat_sim import APP_ID, APP_SECRET, FakeWeChatApi

CATALOG = load_catalog()
SCRIPT = load_reminder_script()
LOGS = ARTIFACTS / "worker-processes-logs"


# --- the system and the workers --------------------------------------------------------


@dataclass
class System:
    running: RunningSystem  # say(), api(): the same helpers as the shared running system
    wechat: WeChat  # the WeChat channel of its Rasa server, its server API simulated

    @property
    def config(self) -> StackConfig:
        return self.running.config


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    model = REPO_ROOT / "models" / "dealer.tar.gz"
    assert model.exists(), "no trained model: run `flock /tmp/train.lock make train`"
    workdir = tmp_path_factory.mktemp("worker-processes")
    env = {"APP_ENV": "test", **wechat_sim.stack_env(fake_api_port=free_port())}
    stack, database_url = fresh_stack(workdir, LOGS / "system", env)
    # The workers are the tests' own processes, each on its own clock.
    stack = Stack(replace(stack.config, services=("rasa", "actions", "api")))
    config = stack.config
    api = FakeWeChatApi(port=urlparse(env["WECHAT_API_BASE_URL"]).port).start()
    stack.start()
    try:
        stack.wait_healthy(timeout=300)
        rasa_url = config.url(config.rasa_port)
        wechat = WeChat(url=f"{rasa_url}/webhooks/wechat/webhook", rasa_url=rasa_url,
                        rasa_token=shared_secrets(config)["RASA_AUTH_TOKEN"], api=api)
        yield System(RunningSystem(config=config, database_url=database_url, stack=stack), wechat)
    finally:
        stack.stop()
        api.stop()


@pytest.fixture(scope="module")
def postgres_running() -> None:
    """The local PostgreSQL server, started by the project's own script when it is not up
    (as `make test` does); a server given by TEST_POSTGRES_URL is used as it is."""
    if not os.environ.get("TEST_POSTGRES_URL"):
        subprocess.run([str(REPO_ROOT / "devtools" / "ensure_postgres.sh")], check=True, timeout=60)


class SlowWeChatApi(FakeWeChatApi):
    """The simulated WeChat server API taking ``delay`` seconds over each message (before it
    records it), so that one worker cannot drain the queue before the other has claimed."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def _send(self, token: str, body: dict, raw: bytes) -> dict:
        time.sleep(self.delay)  # in the request's own thread: concurrent sends overlap
        return super()._send(token, body, raw)


@contextmanager
def worker_process(system: System, name: str, database_url: str, api: FakeWeChatApi, reads: datetime,
                   anchored_at: float | None = None, interval: float = 0.2) -> Iterator[Stack]:
    """``python -m dealer.worker`` over ``database_url``, Rasa's tracker store of ``system``
    giving the WeChat windows, sending to ``api``; its clock reads ``reads`` at real time
    ``anchored_at`` (default: when it starts) and runs on. Its log: LOGS/<name>/worker.log."""
    log_dir = LOGS / name
    shutil.rmtree(log_dir, ignore_errors=True)  # this run's log only
    env = {
        **system.config.extra_env,
        "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET, "WECHAT_API_BASE_URL": api.base_url,
        "DEALER_CLOCK": reads.isoformat(), "DEALER_CLOCK_AT": "" if anchored_at is None else repr(anchored_at),
        "WORKER_INTERVAL_SECONDS": str(interval), "WORKER_BATCH": "3",
    }
    config = replace(system.config, services=("worker",), worker_port=free_port(), database_url=database_url,
                     log_dir=log_dir, extra_env=env)
    stack = Stack(config).start()
    try:
        yield stack
    finally:
        # A generous grace: on a loaded machine the task in hand (a send, a retention job) may
        # take a while; a worker that never stops is still killed, and fails the checks.
        stack.stop(grace=60.0)


def worker_log(name: str) -> str:
    return (LOGS / name / "worker.log").read_text(encoding="utf-8", errors="replace")


def sent_in_log(name: str) -> int:
    """Reminders the worker logged as sent (dealer/worker.py: "reminder task N sent on WeChat")."""
    return len(re.findall(r"reminder task \d+ sent on WeChat", worker_log(name)))


# --- bookings --------------------------------------------------------------------------


def today() -> date:
    return clock.now(CATALOG.timezone).date()


def at_local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), CATALOG.timezone).replace(hour=hour, minute=minute,
                                                                                second=second)


def approved_wechat_bookings(database_url: str, customers: list[Customer], day: date) -> dict[str, int]:
    """One approved WeChat maintenance booking per customer on ``day``, two per slot from
    the opening (the capacity), approved now (through the booking and review services, as
    the action server and the API do); openid -> draft id."""
    now = clock.now(timezone.utc)
    starts = [slot for slot in schedule.day_slots(at_local(day, 12), CATALOG)
              if schedule.slot_problem(slot, CATALOG, now) is None]
    assert len(starts) * CATALOG.slot_capacity >= len(customers), "more customers than a day's capacity"
    drafts = {}
    for n, customer in enumerate(customers):
        request = BookingRequest(
            idempotency_key=f"worker-processes-{uuid.uuid4().hex}", channel="wechat",
            conversation_id=customer.openid, service_type="maintenance",
            start=starts[n // CATALOG.slot_capacity], customer_name="周先生",
            phone=f"1361234{n:04d}", plate=f"浙C{n:05d}", privacy_consent_at=now,
        )
        drafts[customer.openid] = book_once(database_url, request, CATALOG, now).draft_id
    with unit_of_work(database_url) as session:
        for draft_id in drafts.values():
            approve_draft(session, draft_id, "advisor", catalog=CATALOG, now=now)
    return drafts


def reminders(database_url: str, draft_ids) -> dict[int, FollowupTask]:
    """draft id -> its reminder task."""
    with unit_of_work(database_url) as session:
        tasks = session.scalars(select(FollowupTask).where(FollowupTask.kind == TaskKind.reminder,
                                                           FollowupTask.draft_id.in_(list(draft_ids)))).all()
        for task in tasks:
            session.expunge(task)
    return {task.draft_id: task for task in tasks}


def wait_until_all_sent(database_url: str, draft_ids, timeout: float) -> dict[int, FollowupTask]:
    deadline = time.monotonic() + timeout
    while True:
        tasks = reminders(database_url, draft_ids)
        if all(t.state == TaskState.sent for t in tasks.values()) or time.monotonic() > deadline:
            return tasks
        time.sleep(0.2)


def wechat_customers(system: System, count: int) -> list[Customer]:
    """WeChat users who have just written to the Official Account: their 48-hour windows are open."""
    customers = [Customer(system.wechat) for _ in range(count)]
    for customer in customers:
        assert customer.says("你好")
    return customers


# --- 1. two workers on PostgreSQL ------------------------------------------------------


def test_two_worker_processes_on_postgresql_send_each_reminder_once(system, postgres_running,
                                                                     postgres_dealer_database):
    database_url = postgres_dealer_database.url
    customers = wechat_customers(system, 36)
    day = today() + timedelta(days=3)
    drafts = approved_wechat_bookings(database_url, customers, day)  # a full day: 18 slots x 2
    assert len(drafts) == 36
    due = {t.run_at for t in reminders(database_url, drafts.values()).values()}
    assert due == {reminder_due(at_local(day, 12), CATALOG)}  # all due the day before at 10:00

    # Both workers' clocks read 20 s before that moment, on one anchor; both are going
    # round (every 20 ms while idle) before it comes, so they claim the due rows at the
    # same time: a claim that is not exclusive shows as a task claimed twice (attempts 2).
    lead = 20.0
    anchor = time.time()
    reads = reminder_due(at_local(day, 12), CATALOG).astimezone(CATALOG.timezone) - timedelta(seconds=lead)
    wechat = SlowWeChatApi(delay=0.05).start()
    try:
        with worker_process(system, "pg-worker-a", database_url, wechat, reads, anchor, interval=0.02) as first, \
                worker_process(system, "pg-worker-b", database_url, wechat, reads, anchor, interval=0.02) as second:
            first.wait_healthy(timeout=60)
            second.wait_healthy(timeout=60)
            assert time.time() < anchor + lead, "the workers took longer to start than the lead given them"
            assert wechat.sent == []  # not due yet
            tasks = wait_until_all_sent(database_url, drafts.values(), timeout=lead + 90)
            time.sleep(1)  # a few more rounds of both: nothing goes out again
        codes = [s.processes["worker"].returncode for s in (first, second)]
    finally:
        wechat.stop()

    assert codes == [0, 0]  # SIGTERM: both finished the task in hand and stopped
    for openid in drafts:
        to_customer = wechat.messages_to(openid)
        assert len(to_customer) == 1, (openid, len(to_customer))
        assert to_customer[0]["msgtype"] == "text"  # inside the window: a customer-service message
        assert "预约提醒" in to_customer[0]["text"]["content"]
    assert len(wechat.sent) == len(drafts)  # nothing else
    assert {t.state for t in tasks.values()} == {TaskState.sent}
    assert {t.channel for t in tasks.values()} == {TaskChannel.wechat}
    assert {t.sent_via for t in tasks.values()} == {"custom"}
    assert {t.attempts for t in tasks.values()} == {1}  # each claimed once, by one worker
    assert {t.claimed_by for t in tasks.values()} == {None}
    by_worker = [sent_in_log("pg-worker-a"), sent_in_log("pg-worker-b")]
    assert sum(by_worker) == len(drafts)
    assert all(n > 0 for n in by_worker), by_worker  # SKIP LOCKED: both took rows at once


# --- 2. quiet hours --------------------------------------------------------------------


@pytest.fixture
def own_sqlite_database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'dealer.db'}"
    migrate(url)
    seed(url, get_settings().catalog_path, demo=True)
    return url


def test_a_worker_process_in_quiet_hours_sends_nothing_until_they_end(system, own_sqlite_database):
    database_url = own_sqlite_database
    customers = wechat_customers(system, 3)
    day = today() + timedelta(days=3)  # appointments from 08:30 on this day
    drafts = approved_wechat_bookings(database_url, customers, day)
    day_before = day - timedelta(days=1)
    assert CATALOG.reminders.is_quiet(at_local(day_before, 22, 30).time())

    wechat = FakeWeChatApi().start()
    try:
        # The day before, 22:30: every reminder has been due since 10:00, and it is quiet.
        with worker_process(system, "quiet-2230", database_url, wechat, at_local(day_before, 22, 30)) as night:
            night.wait_healthy(timeout=60)  # a round done
            time.sleep(2)  # and some ten more
            assert night.processes["worker"].poll() is None
            assert httpx.get(night.config.worker_url("/health"), timeout=5).status_code == 200
        assert wechat.sent == []
        tasks = reminders(database_url, drafts.values())
        assert {(t.state, t.channel, t.attempts, t.sent_at) for t in tasks.values()} == \
            {(TaskState.pending, TaskChannel.wechat, 0, None)}  # not even claimed

        # Started again 5 s before the end of the quiet hours (08:00), its clock running on.
        quiet_end = datetime.combine(day, CATALOG.reminders.quiet_end, CATALOG.timezone)
        with worker_process(system, "quiet-0800", database_url, wechat, quiet_end - timedelta(seconds=5)) as morning:
            morning.wait_healthy(timeout=60)
            tasks = wait_until_all_sent(database_url, drafts.values(), timeout=60)
            time.sleep(1)  # more rounds: nothing again
    finally:
        wechat.stop()

    for openid in drafts:
        [message] = wechat.messages_to(openid)
        assert message["msgtype"] == "text" and "预约提醒" in message["text"]["content"]
    assert len(wechat.sent) == len(drafts)
    assert {t.state for t in tasks.values()} == {TaskState.sent}
    for task in tasks.values():
        sent = task.sent_at.astimezone(CATALOG.timezone)
        assert quiet_end <= sent < quiet_end + timedelta(minutes=2), sent  # not one second before 08:00
        assert task.attempts == 1


# --- 3. a web-chat booking: a reminder call --------------------------------------------


def webchat_says(system: System, conversation_id: str, text: str) -> str:
    """A message typed on the /chat page (the API passes it to Rasa's webchat channel)."""
    with httpx.Client(base_url=system.config.url(system.config.api_port), timeout=60) as client:
        response = client.post("/chat/messages", json={"conversation_id": conversation_id, "text": text})
    response.raise_for_status()
    return "\n".join(line["text"] for line in response.json())


def open_calls_row(page: str, task_id: int) -> str:
    """The row of ``task_id`` in the call page's 待拨打 table ('' when not there)."""
    table = page.split('data-testid="open-calls"', 1)[1].split("</table>", 1)[0] \
        if 'data-testid="open-calls"' in page else ""
    found = re.search(rf'<tr data-task="{task_id}".*?</tr>', table, re.S)
    return found.group(0) if found else ""


def test_a_webchat_booking_is_reminded_by_a_call_not_on_wechat(system):
    conversation = f"web-{uuid.uuid4().hex}"
    phone, plate = "13812346655", "粤B46655"
    replies = [webchat_says(system, conversation, text)
               for text in ("我想预约大后天上午十一点做保养", "同意", "吴先生", phone, "第一次来", plate, "不记得", "速腾",
                            "三万", "没有", "对的")]
    assert "请问以上信息是否正确" in replies[-2]  # the read-back (no last service for a first visit)
    assert "预约成功" in replies[-1], replies[-1]
    assert SCRIPT.promise["call"] in replies[-1]  # promised an advisor's call, not WeChat
    assert SCRIPT.promise["wechat"] not in replies[-1]

    with system.running.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": phone}).json()["items"]
        assert (draft["channel"], draft["conversation_id"]) == ("webchat", conversation)
        assert api.get(f"/api/drafts/{draft['id']}/followups").json() == []  # none before approval
        api.post(f"/api/drafts/{draft['id']}/approve").raise_for_status()
        start = datetime.fromisoformat(draft["booking"]["start"])
        due = reminder_due(start, CATALOG).astimezone(CATALOG.timezone)
        [planned] = api.get(f"/api/drafts/{draft['id']}/followups").json()
    assert start.date() > today()  # booked ahead: its reminder is due the day before
    assert (planned["kind"], planned["channel"], planned["state"]) == ("reminder", "call", "pending")
    assert datetime.fromisoformat(planned["due_at"]) == due

    # The day before, 10:00 and after: the worker runs; the reminder stays a call on the list.
    wechat = FakeWeChatApi().start()
    try:
        with worker_process(system, "webchat-day-before", system.running.database_url, wechat,
                            due + timedelta(minutes=1)) as worker:
            worker.wait_healthy(timeout=60)
            time.sleep(2)  # some ten rounds at that time
    finally:
        wechat.stop()
    assert wechat.sent == []  # nothing reached WeChat
    assert wechat.token_requests == []  # the worker had nothing to send: it never even asked for a token

    with system.running.api() as api:
        listed = api.get("/api/followups", params={"date": due.date().isoformat(), "kind": "reminder"}).json()
        [task] = [t for t in listed["items"] if t["draft_id"] == draft["id"]]
        assert task == api.get(f"/api/drafts/{draft['id']}/followups").json()[0]
        assert api.get("/api/followups", params={"date": start.date().isoformat(), "kind": "reminder"}) \
            .json()["total"] == 0  # due the day before, not on the day
    assert (task["channel"], task["state"], task["attempts"]) == ("call", "pending", 0)
    assert (task["sent_at"], task["sent_via"], task["result"]) == (None, None, None)
    assert datetime.fromisoformat(task["due_at"]) == due

    # On the advisors' call list of that day, as a 提醒电话.
    with httpx.Client(base_url=system.config.url(system.config.api_port), timeout=10) as pages:
        login = pages.post("/advisor/login", data={"username": "advisor", "password": "advisor", "next": "/advisor"})
        assert login.status_code == 303, login.status_code  # signed in: on to the workspace
        page = pages.get("/advisor/calls", params={"date": due.date().isoformat()})
    assert page.status_code == 200
    row = open_calls_row(page.text, task["id"])
    assert SCRIPT.calls["reminder"].title in row, page.text[:2000]
    assert "138****6655" in row and phone not in row  # masked in the list
