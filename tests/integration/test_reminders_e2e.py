"""Issue 12 end to end, against the real processes: what a booking reply promises a customer
who opted out, a reminder answered with 改期 on WeChat, the worker killed mid-send, and the
WeChat 回访 survey of a delivered order."""
from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from dealer import survey
from dealer.db import unit_of_work
from dealer.models import Appointment, DraftWorkOrder, FollowupTask
from dealer.rasa_trigger import RasaSurvey
from dealer.reminder_script import load_reminder_script
from dealer.services import followups, schedule
from dealer.services.followups import reminder_due, tasks_of
from dealer.tasks import TaskChannel, TaskKind, TaskState
from dealer.timefmt import format_slot
from devtools.stack import Stack, free_port, shared_secrets
from tests.integration.test_booking_e2e import texts
# The simulated WeChat server (a module-scoped fixture) and the worker of the stack's tests.
from tests.integration.test_wechat_channel import Customer, wechat  # noqa: F401
from tests.integration.test_worker_stack import CATALOG, approved_wechat_booking, worker_for
from tests.wechat_sim import FakeWeChatApi

SCRIPT = load_reminder_script()


def book_on_rest(running_system, sender: str, when: str, phone: str, plate: str, visited: str) -> str:
    """A maintenance booking through the REST channel; returns the last reply (the confirmation)."""
    # The last service is asked only of a customer who has been here before.
    last_service = ("记不清了",) if visited == "来过" else ()
    for text in (f"我想预约{when}做保养", "同意", "郑先生", phone, visited, plate, "不记得", "朗逸", "不清楚",
                 *last_service, "没有"):
        replies = texts(running_system.say(sender, text))
    assert "请问以上信息是否正确" in replies  # the read-back, answered below
    replies = texts(running_system.say(sender, "对的"))
    assert "预约成功" in replies
    return replies


def test_a_customer_who_opted_out_is_not_promised_a_reminder(running_system):
    phone, plate = "13500007711", "浙B77110"
    first = f"e2e-{uuid.uuid4().hex[:8]}"
    replied = book_on_rest(running_system, first, "大大后天上午八点半", phone, plate, "第一次来")
    assert SCRIPT.promise["call"] in replied  # REST: an advisor's call the day before
    assert texts(running_system.say(first, "退订")) == SCRIPT.opted_out

    # Later, in another conversation, the same customer books again.
    second = f"e2e-{uuid.uuid4().hex[:8]}"
    replied = book_on_rest(running_system, second, "大大后天下午五点", phone, plate, "来过")
    assert SCRIPT.promise["opted_out"] in replied
    assert SCRIPT.promise["call"] not in replied and SCRIPT.promise["wechat"] not in replied
    assert "提醒您" not in replied and "致电" not in replied
    with running_system.api() as api:
        drafts = api.get("/api/drafts", params={"phone": phone}).json()
    assert drafts["total"] == 2  # both booked: opting out stops reminders, not bookings

    # Moving the booking promises nothing either.
    say = lambda text: texts(running_system.say(second, text))  # noqa: E731
    say("我想改一下预约时间")
    say(phone)
    assert "找到您的预约" in say(plate)
    say("大大后天上午十点")
    moved = say("确认")
    assert "已为您改到" in moved and SCRIPT.promise["opted_out"] in moved and "致电" not in moved


def book_on_wechat(customer: Customer, when: str, phone: str, plate: str) -> None:
    """A maintenance booking typed on WeChat (numbered answers pick the buttons)."""
    assert "请问您同意吗" in customer.says(f"我想预约{when}做保养")
    for text in ("1", "钱先生", phone, "2", plate, "帕萨特", "两万", "没有了"):
        reply = customer.says(text)
    assert "1. 正确,确认预约" in reply  # the read-back
    assert "预约成功" in customer.says("1")


def approved_on_wechat(running_system, customer: Customer, when: str, phone: str, plate: str) -> dict:
    """A booking typed on WeChat and approved by the advisor; its Draft JSON."""
    book_on_wechat(customer, when, phone, plate)
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": phone}).json()["items"]
        api.post(f"/api/drafts/{draft['id']}/approve").raise_for_status()
    return draft


def test_a_reminder_answered_with_gaiqi_on_wechat_moves_the_booking(running_system, wechat):
    customer = Customer(wechat)
    phone, plate = "13955507722", "苏E77220"
    draft = approved_on_wechat(running_system, customer, "后天下午四点", phone, plate)
    old_start = datetime.fromisoformat(draft["booking"]["start"])
    booked_before = booked_at(running_system, old_start)

    reminded = reminder_due(old_start, CATALOG) + timedelta(minutes=1)
    assert worker_for(running_system, wechat, reminded).run_once().sent == 1
    [reminder] = wechat.api.messages_to(customer.openid)[-1:]
    assert "预约提醒" in reminder["text"]["content"] and "改期" in reminder["text"]["content"]

    # The customer answers the reminder: 改期, then the existing reschedule conversation.
    assert "手机号" in customer.says("改期")
    customer.says(phone)
    assert "找到您的预约" in customer.says(plate)
    new_start = old_start + timedelta(days=1)
    confirm = customer.says("大后天下午四点")
    assert format_slot(new_start, CATALOG.timezone) in confirm
    moved = customer.says("1")
    assert "已为您改到" in moved

    with running_system.api() as api:
        draft = api.get(f"/api/drafts/{draft['id']}").json()
    assert datetime.fromisoformat(draft["booking"]["start"]) == new_start
    assert draft["status"] == "approved"
    assert booked_at(running_system, old_start) == booked_before - 1  # the old slot freed
    with unit_of_work(running_system.database_url) as session:
        [task] = [t for t in tasks_of(session, draft["id"]) if t.kind == TaskKind.reminder]
        assert task.state == TaskState.pending and task.sent_at is None  # armed again, for the new time
        assert task.due_at == reminder_due(new_start, CATALOG)
        appointment_start = session.scalar(select(Appointment.start_at).where(Appointment.draft_id == draft["id"]))
    assert appointment_start == new_start

    # The day before the new time the customer is reminded of it, once.
    sent_before = len(wechat.api.messages_to(customer.openid))
    assert worker_for(running_system, wechat, reminder_due(new_start, CATALOG) + timedelta(minutes=1)) \
        .run_once().sent == 1
    [again] = wechat.api.messages_to(customer.openid)[sent_before:]
    assert format_slot(new_start, CATALOG.timezone) in again["text"]["content"]


def booked_at(running_system, start: datetime) -> int:
    with unit_of_work(running_system.database_url) as session:
        return schedule.booked_counts(session, [start]).get(start, 0)


@contextmanager
def worker_process(running_system, api: FakeWeChatApi, moment: datetime) -> Iterator[Stack]:
    """The real worker (``python -m dealer.worker``, as `make run` starts it) on the stack's
    databases, its clock reading ``moment`` and running on, sending to ``api``."""
    env = {
        **running_system.config.extra_env,
        "WECHAT_API_BASE_URL": api.base_url,
        "DEALER_CLOCK": moment.isoformat(), "DEALER_CLOCK_AT": "",  # anchored when it starts
        "WORKER_INTERVAL_SECONDS": "0.3", "WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    config = replace(running_system.config, services=("worker",), worker_port=free_port(), extra_env=env)
    stack = Stack(config).start()
    try:
        yield stack
    finally:
        stack.stop()


def reminder_task(running_system, draft_id: int) -> FollowupTask:
    with unit_of_work(running_system.database_url) as session:
        [task] = [t for t in tasks_of(session, draft_id) if t.kind == TaskKind.reminder]
        session.expunge(task)
        return task


LEASE_SECONDS = 30


def test_a_worker_killed_mid_send_never_sends_twice_and_the_reminder_becomes_a_call(running_system, wechat):
    customer = Customer(wechat)
    assert customer.says("你好")  # WeChat's 48-hour window is open
    pushed_by_stack = len(wechat.api.messages_to(customer.openid))
    day_before = approved_wechat_booking(running_system, customer, "13600005544", "浙A55441", 5)
    with unit_of_work(running_system.database_url) as session:
        draft_id = session.scalar(select(DraftWorkOrder.id).where(DraftWorkOrder.conversation_id == customer.openid))
    stalling = FakeWeChatApi().start()  # WeChat takes the message and then does not answer
    stalling.held.add(customer.openid)
    try:
        with worker_process(running_system, stalling, day_before) as first:
            assert stalling.wait_for_message(customer.openid, timeout=60) is not None
            claimed = reminder_task(running_system, draft_id)
            assert claimed.state == TaskState.sending and claimed.claimed_by
            worker = first.processes["worker"]
            os.killpg(worker.pid, signal.SIGKILL)  # mid-send: the message went out, the worker never knew
            assert worker.wait(timeout=10) == -signal.SIGKILL

        # Restarted at once: the claim is the dead worker's until its lease runs out.
        with worker_process(running_system, stalling, day_before + timedelta(seconds=5)) as second:
            second.wait_healthy(timeout=60)  # a round done
            time.sleep(1)  # and a few more
            assert reminder_task(running_system, draft_id).state == TaskState.sending
        # Restarted after the lease: perhaps sent, so not sent again; the advisor calls instead.
        later = day_before + timedelta(seconds=LEASE_SECONDS + 60)
        with worker_process(running_system, stalling, later) as third:
            third.wait_healthy(timeout=60)  # its first round recovers the stale claim
            assert reminder_task(running_system, draft_id).channel == TaskChannel.call
    finally:
        stalling.release()
        stalling.stop()

    assert len(stalling.messages_to(customer.openid)) == 1  # WeChat got one message, ever
    assert len(wechat.api.messages_to(customer.openid)) == pushed_by_stack  # the stack's own worker sent none
    task = reminder_task(running_system, draft_id)
    assert (task.state, task.channel, task.claimed_by) == (TaskState.pending, TaskChannel.call, None)
    assert task.last_error.startswith("interrupted")
    with unit_of_work(running_system.database_url) as session:
        calls = followups.call_list(session, later.astimezone(CATALOG.timezone).date(), CATALOG, later)
    assert task.id in [row.task.id for row in calls.open]  # on the advisors' call list


def test_a_delivered_wechat_order_gets_the_survey_and_a_low_score_reaches_the_manager(running_system, wechat):
    customer = Customer(wechat)
    draft = approved_on_wechat(running_system, customer, "大大后天下午一点半", "13955508833", "苏E88330")
    with unit_of_work(running_system.database_url) as session:
        appointment_id = session.scalar(select(Appointment.id).where(Appointment.draft_id == draft["id"]))
    with running_system.api() as api:
        for status in ("arrived", "in_service", "delivered"):
            api.post(f"/api/appointments/{appointment_id}/status", json={"status": status}).raise_for_status()
    with unit_of_work(running_system.database_url) as session:
        [task] = [t for t in tasks_of(session, draft["id"]) if t.kind == TaskKind.followup]
        due, task_id = task.due_at, task.id
    assert task.channel == TaskChannel.wechat

    # Three days later (after the quiet hours, if it falls in them) the worker starts the
    # survey through Rasa, on WeChat.
    moment = due + timedelta(minutes=1)
    if worker_for(running_system, wechat, moment).quiet(moment):
        moment = worker_for(running_system, wechat, moment).quiet_end(moment) + timedelta(minutes=1)
    before = len(wechat.api.messages_to(customer.openid))
    survey_worker = replace(worker_for(running_system, wechat, moment),
                            start_survey=RasaSurvey(running_system.config.url(running_system.config.rasa_port),
                                                    shared_secrets(running_system.config)["RASA_AUTH_TOKEN"]).start)
    assert survey_worker.run_once().sent == 1
    opening = "\n".join(m["text"]["content"] for m in wechat.api.messages_to(customer.openid)[before:])
    assert "回访" in opening and survey.ask_text("satisfied") in opening
    assert "1. 1分" in opening and "5. 5分" in opening  # the buttons, numbered

    assert survey.ask_text("fixed") in customer.says("2")  # the digit picks 2分
    assert survey.ask_text("explained") in customer.says("没修好,还是有异响")
    assert survey.ask_text("comment") in customer.says("1")  # 解释了
    assert SCRIPT.survey.complaint_thanks in customer.says("希望尽快帮我处理")

    with unit_of_work(running_system.database_url) as session:
        task = session.get(FollowupTask, task_id)
        assert (task.state, task.result, task.complaint) == (TaskState.done, "answered", True)
        assert task.answers == {"satisfied": "2", "fixed": "没有解决", "explained": "解释了",
                                "comment": "希望尽快帮我处理"}
        complaints = followups.call_list(session, due.date(), CATALOG, due).complaints
    assert task_id in [row.task.id for row in complaints]  # waiting for the service manager's call-back
    # The conversation goes on as before: a booking question is a booking question again.
    assert "贵姓" in customer.says("我想预约下周一上午十点做保养")  # agreed to the privacy notice already
