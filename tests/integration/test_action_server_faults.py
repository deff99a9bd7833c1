"""The action server down or slow (bot/action_fault.py), against real processes.

Paused (SIGSTOP: accepts connections, never answers): the shared running system, for a
few seconds at a time like the WeChat slow-answer test. Killed (connections refused):
a Rasa server and an action server of this test's own over their own database, so the
shared system is never without its action server.

Bookings here use 大大后天下午两点 (14:00): no other integration test books that slot.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from dealer.catalog import load_catalog
from devtools.stack import REPO_ROOT, Stack, fresh_stack, shared_secrets

PHONE = load_catalog().phone  # the dealer file's, as the apology says it
APOLOGY_WITHIN = 5.0


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def rest_replies(rasa_url: str, sender: str, text: str) -> tuple[list[dict], float]:
    started = time.perf_counter()
    response = httpx.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                          timeout=30)
    response.raise_for_status()
    return response.json(), time.perf_counter() - started


def rest_say(rasa_url: str, sender: str, text: str) -> tuple[str, float]:
    replies, seconds = rest_replies(rasa_url, sender, text)
    return texts(replies), seconds


def assert_apology(reply: str, seconds: float) -> None:
    assert "抱歉" in reply and PHONE in reply, reply
    assert seconds < APOLOGY_WITHIN, f"the apology took {seconds:.2f} s"


def drafts_of(database_url: str, sender: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT count(*) FROM draft_work_order WHERE conversation_id = :c"), {"c": sender}
            ).scalar_one()
    finally:
        engine.dispose()


def test_a_paused_action_server_gets_an_apology_in_time_and_the_booking_goes_on(running_system):
    actions = running_system.stack.processes["actions"]
    rasa_url = running_system.config.url(running_system.config.rasa_port)
    sender = f"fault-{uuid.uuid4().hex[:8]}"

    def say(text: str) -> str:
        return rest_say(rasa_url, sender, text)[0]

    def paused(text: str) -> tuple[list[dict], float]:
        os.killpg(actions.pid, signal.SIGSTOP)
        try:
            return rest_replies(rasa_url, sender, text)
        finally:
            os.killpg(actions.pid, signal.SIGCONT)

    assert "请问您同意吗" in say("我想预约大大后天下午两点做保养")
    assert "贵姓" in say("同意")
    assert "手机号" in say("郑先生")
    replies, seconds = paused("13600007788")
    apology = texts(replies)
    assert_apology(apology, seconds)
    assert "之前来我们店" not in apology  # the answer was not taken half-way
    print(f"\napology from a paused action server in {seconds:.2f} s")
    # Back: the same question takes the same answer, and the booking goes on.
    assert "之前来我们店" in say("13600007788")
    assert "车牌" in say("第一次来")
    assert "车架号" in say("苏E6F8K2")
    assert "车型" in say("不记得")
    assert "公里" in say("帕萨特")
    assert "其他需要" in say("两万")
    read_back, _ = rest_replies(rasa_url, sender, "没有了")
    assert "13600007788" in texts(read_back) and "信息是否正确" in texts(read_back)
    # Paused at the confirmation: nothing booked, the read-back's choices offered again,
    # and confirming again books once.
    replies, seconds = paused("对的")
    apology = texts(replies)
    assert_apology(apology, seconds)
    assert "预约成功" not in apology
    assert read_back[-1].get("buttons") and replies[-1].get("buttons") == read_back[-1]["buttons"]
    print(f"apology at the confirmation in {seconds:.2f} s")
    assert drafts_of(running_system.database_url, sender) == 0
    assert "预约成功" in say("对的")
    with running_system.api() as api:
        listing = api.get("/api/drafts", params={"phone": "13600007788"}).json()
    assert listing["total"] == 1
    [draft] = listing["items"]
    assert draft["conversation_id"] == sender and draft["vehicle"]["plate"] == "苏E6F8K2"
    assert draft["customer"] == {"name": "郑先生", "phone": "13600007788"}


@pytest.fixture(scope="module")
def own_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    """A Rasa server and an action server of this module's own (no API, no worker)."""
    workdir: Path = tmp_path_factory.mktemp("fault-system")
    stack, database_url = fresh_stack(workdir, REPO_ROOT / "test-artifacts" / "fault-logs", {"APP_ENV": "test"})
    stack = Stack(dataclasses.replace(stack.config, services=("rasa", "actions")))
    stack.start()
    try:
        stack.wait_healthy(timeout=300)
        yield stack, database_url
    finally:
        stack.stop()


def test_a_killed_action_server_gets_an_apology_at_once_and_rasa_stays_up(own_system):
    stack, database_url = own_system
    rasa_url = stack.config.url(stack.config.rasa_port)
    sender = f"fault-{uuid.uuid4().hex[:8]}"

    def say(text: str) -> str:
        return rest_say(rasa_url, sender, text)[0]

    assert "请问您同意吗" in say("我想预约大大后天下午两点做保养")
    assert "贵姓" in say("同意")
    actions = stack.processes["actions"]
    os.killpg(actions.pid, signal.SIGKILL)
    actions.wait(timeout=10)

    refused = [rest_say(rasa_url, sender, "冯女士") for _ in range(2)]  # the same answer, twice
    for apology, seconds in refused:
        assert_apology(apology, seconds)
        print(f"\napology from a killed action server in {seconds:.2f} s")
    assert stack.processes["rasa"].poll() is None
    assert httpx.get(f"{rasa_url}/status", timeout=5).status_code == 200
    # A turn nobody typed (the worker's WeChat survey): no apology, Rasa answers 500 and
    # keeps nothing of it, so the worker knows the survey did not go out.
    token = shared_secrets(stack.config)["RASA_AUTH_TOKEN"]
    surveyed = f"fault-{uuid.uuid4().hex[:8]}"
    trigger = httpx.post(f"{rasa_url}/conversations/{surveyed}/trigger_intent", params={"token": token},
                         json={"name": "EXTERNAL_followup_survey", "entities": {"survey_task_id": 1}}, timeout=30)
    assert trigger.status_code == 500
    events = httpx.get(f"{rasa_url}/conversations/{surveyed}/tracker", params={"token": token},
                       timeout=10).json()["events"]
    assert not [e for e in events if e["event"] in ("user", "bot")]

    restarted = Stack(dataclasses.replace(stack.config, services=("actions",), log_dir=stack.config.log_dir))
    restarted.start()
    try:
        restarted.wait_healthy(timeout=120)
        assert "手机号" in say("冯女士")  # the same question, answered now
        for text, expected in (("13600007799", "之前来我们店"), ("第一次来", "车牌"), ("苏E7G9L3", "车架号"), ("不记得", "车型"),
                               ("朗逸", "公里"), ("三万", "其他需要"), ("没有了", "信息是否正确"),
                               ("对的", "预约成功")):
            assert expected in say(text)
    finally:
        restarted.stop()
    assert drafts_of(database_url, sender) == 1
