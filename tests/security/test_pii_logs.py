"""No customer's phone, plate or name in any log line of the stack's processes (Rasa,
actions, API, worker), against the real processes with Rasa logging at DEBUG (it prints
every message and slot), while a database call fails mid-booking: the draft's INSERT (the
action server) and an advisor's UPDATE (the API) are refused by the database, so their errors and tracebacks are logged.
Then ``python -m dealer forget`` on the same running system's two databases."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devtools.stack import REPO_ROOT, fresh_stack
from tests.dealer.privacy_data import dump

LOGS = REPO_ROOT / "test-artifacts" / "pii-logs"


@dataclass(frozen=True)
class Customer:
    name: str
    phone: str
    typed_phone: str
    plate: str
    typed_plate: str

    @property
    def raw_forms(self) -> list[str]:
        forms = [self.name, self.phone, self.typed_phone, self.plate, self.typed_plate]
        return forms + [json.dumps(f)[1:-1] for f in forms if not f.isascii()]  # \u-escaped JSON


BOOKED = Customer("司马瑞雪", "13812345678", "138 1234 5678", "京A12345", "京A·12345")
FAILED = Customer("欧阳娜娜", "13987654321", "139-8765-4321", "沪B54321", "沪B 54321")
# The database refuses these two writes, as a full disk or a lost connection would.
FAIL_WRITES = """
CREATE TRIGGER pii_test_no_insert BEFORE INSERT ON draft_work_order
BEGIN SELECT RAISE(ABORT, 'simulated database failure'); END;
CREATE TRIGGER pii_test_no_update BEFORE UPDATE ON draft_work_order
BEGIN SELECT RAISE(ABORT, 'simulated database failure'); END;
"""


@dataclass
class System:
    rasa: str
    api: str
    database: Path
    tracker: Path

    def say(self, sender: str, text: str) -> str:
        response = httpx.post(f"{self.rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                              timeout=60)
        response.raise_for_status()
        return "\n".join(r.get("text", "") for r in response.json())


@pytest.fixture(scope="module")
def system(tmp_path_factory) -> Iterator[System]:
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in LOGS.glob("*.log"):
        old.unlink()
    workdir = tmp_path_factory.mktemp("pii")
    stack, database_url = fresh_stack(workdir, LOGS, {"APP_ENV": "test", "LOG_LEVEL": "DEBUG"})
    config = stack.config
    stack.start()
    try:
        stack.wait_healthy(timeout=300)
        yield System(config.url(config.rasa_port), config.url(config.api_port),
                     Path(database_url.removeprefix("sqlite:///")), config.tracker_db)
    finally:
        stack.stop()


def book(system: System, who: Customer) -> str:
    """A booking as a customer makes it, answering whatever is asked; the last reply."""
    sender = f"pii-{uuid.uuid4().hex[:8]}"
    # The read-back names every fact, so it is recognised first.
    answers = [("是否正确", "对的"), ("贵姓", who.name), ("同意", "同意"), ("手机号", who.typed_phone), ("之前来", "第一次来"),
               ("车架号", "不记得"), ("车牌", who.typed_plate), ("车型", "迈腾"), ("公里", "三万五"), ("其他需要", "没有了")]
    reply = system.say(sender, "我想预约后天上午十点做保养")
    for _ in range(15):
        answer = next((a for cue, a in answers if cue in reply), None)
        if answer is None:
            return reply
        reply = system.say(sender, answer)
    return reply


@contextmanager
def advisor(system: System) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=system.api, timeout=30) as client:
        token = client.post("/api/auth/token", data={"username": "advisor", "password": "advisor"}).json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        yield client


def drafts(system: System, phone: str) -> list[dict]:
    with advisor(system) as client:
        return client.get("/api/drafts", params={"phone": phone}).json()["items"]


def test_no_phone_plate_or_name_in_any_log_while_the_database_fails(system: System) -> None:
    assert "预约成功" in book(system, BOOKED)
    [draft] = drafts(system, BOOKED.phone)

    with sqlite3.connect(system.database) as connection:
        connection.executescript(FAIL_WRITES)
    failed = book(system, FAILED)  # the draft's INSERT fails in the action server
    with advisor(system) as client:
        edit = client.patch(f"/api/drafts/{draft['id']}", json={
            "version": draft["version"], "customer": {"name": FAILED.name, "phone": FAILED.phone},
            "vehicle": {"plate": FAILED.plate}})
    with sqlite3.connect(system.database) as connection:
        connection.executescript("DROP TRIGGER pii_test_no_insert; DROP TRIGGER pii_test_no_update;")

    assert "预约成功" not in failed
    assert drafts(system, FAILED.phone) == []
    assert edit.status_code >= 500
    logs = {path.stem: path.read_text(errors="replace") for path in LOGS.glob("*.log")}
    assert sorted(logs) == ["actions", "api", "rasa", "worker"]  # every process of the stack
    # The failures and the customers' words were logged, masked:
    assert "simulated database failure" in logs["actions"] and "Traceback" in logs["actions"]
    assert "simulated database failure" in logs["api"]
    assert "138****5678" in logs["rasa"] and "京A·***45" in logs["rasa"] and "司***" in logs["rasa"]
    assert "hidden due to hide_parameters" in logs["actions"]
    for process, text in logs.items():
        for who in (BOOKED, FAILED):
            found = [form for form in who.raw_forms if form in text]
            assert found == [], f"{process}.log holds {found}"


FORGOTTEN = Customer("慕容秋", "13566667777", "135 6666 7777", "苏E67890", "苏e67890")


def test_forget_leaves_the_customer_in_no_dump_of_either_database(system: System) -> None:
    assert "预约成功" in book(system, FORGOTTEN)
    dealer_url, tracker_url = f"sqlite:///{system.database}", f"sqlite:///{system.tracker}"
    assert FORGOTTEN.phone in dump(dealer_url) and FORGOTTEN.phone in dump(tracker_url)

    done = subprocess.run(
        [sys.executable, "-m", "dealer", "forget", "--phone", FORGOTTEN.typed_phone], cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "DATABASE_URL": dealer_url, "TRACKER_STORE_URL": tracker_url},
        capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["conversations_deleted"] == 1
    for url in (dealer_url, tracker_url):
        text = dump(url)
        assert [form for form in FORGOTTEN.raw_forms if form in text] == [], url
    assert drafts(system, FORGOTTEN.phone) == []
