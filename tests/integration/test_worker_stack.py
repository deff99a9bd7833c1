"""Issue 12: the worker in the real system. The stack (`make run`'s devtools/stack.py) starts
it as its fourth process with a health check; a WeChat customer's approved booking is
reminded exactly once on the simulated WeChat server when the clock reaches the day before,
the customer's 48-hour window read from the running Rasa server's tracker store."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx

from dealer import clock
from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.reminder_script import load_reminder_script
from dealer.services import schedule
from dealer.services.booking import BookingRequest, book_once
from dealer.services.followups import reminder_due
from dealer.wechat_push import WeChatPush
from dealer.worker import Worker, tracker_last_message
from tests.dealer.test_worker import at
# The simulated WeChat server of the channel's tests (a module-scoped fixture, used here too).
from tests.integration.test_wechat_channel import Customer, wechat  # noqa: F401
from tests.wechat_sim import APP_ID, APP_SECRET

CATALOG = load_catalog()


def test_the_stack_runs_the_worker_with_its_health_check(running_system):
    assert "worker" in running_system.stack.processes
    health = httpx.get(running_system.config.worker_url("/health"), timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert running_system.config.worker_url().startswith("http://127.0.0.1:")


def approved_wechat_booking(running_system, customer: Customer, phone: str, plate: str, slot: int) -> datetime:
    """A WeChat customer's booking, approved by the advisor; returns the reminder's moment + 1 min."""
    now = clock.now(CATALOG.timezone)
    wanted = datetime.combine(now.date() + timedelta(days=3), CATALOG.opens_at, CATALOG.timezone) \
        + timedelta(minutes=CATALOG.slot_minutes * slot)
    with unit_of_work(running_system.database_url) as session:  # other tests book on the same stack
        [start] = schedule.free_slots_near(session, wanted, CATALOG, now, limit=1)
    request = BookingRequest(
        idempotency_key=f"worker-stack-{uuid.uuid4().hex}", channel="wechat", conversation_id=customer.openid,
        service_type="maintenance", start=start, customer_name="孙先生", phone=phone, plate=plate,
    )
    draft_id = book_once(running_system.database_url, request, CATALOG, now).draft_id
    with running_system.api() as api:
        api.post(f"/api/drafts/{draft_id}/approve").raise_for_status()
    return reminder_due(start, CATALOG) + timedelta(minutes=1)


def worker_for(running_system, wechat, moment: datetime) -> Worker:
    return Worker(running_system.database_url, CATALOG, clock=at(moment),
                  push=WeChatPush(APP_ID, APP_SECRET, wechat.api.base_url),
                  last_message=tracker_last_message(f"sqlite:///{running_system.config.tracker_db}"))


def test_a_wechat_booking_is_reminded_once_the_day_before(running_system, wechat):
    customer = Customer(wechat)
    assert customer.says("你好")  # the customer's last message: the 48-hour window opens
    day_before = approved_wechat_booking(running_system, customer, "13600007788", "浙A77881", 3)

    def worker_at(moment: datetime) -> Worker:
        return worker_for(running_system, wechat, moment)

    before = len(wechat.api.messages_to(customer.openid))
    assert worker_at(day_before - timedelta(minutes=2)).run_once().sent == 0  # not due yet
    assert worker_at(day_before).run_once().sent == 1
    assert worker_at(day_before + timedelta(minutes=1)).run_once().sent == 0  # a restarted worker: nothing again

    reminders = wechat.api.messages_to(customer.openid)[before:]
    assert len(reminders) == 1
    assert reminders[0]["msgtype"] == "text"  # wrote within 48 h: a customer-service message
    assert "预约提醒" in reminders[0]["text"]["content"] and "改期" in reminders[0]["text"]["content"]


def test_after_opting_out_on_wechat_nothing_more_is_sent(running_system, wechat):
    customer = Customer(wechat)
    assert customer.says("你好")
    day_before = approved_wechat_booking(running_system, customer, "13600006677", "浙A66771", 4)

    assert customer.says("退订") == load_reminder_script().opted_out

    before = len(wechat.api.messages_to(customer.openid))
    report = worker_for(running_system, wechat, day_before).run_once()
    assert report.sent == 0 and report.skipped >= 1
    assert len(wechat.api.messages_to(customer.openid)) == before
