"""Issue 11, abuse, against the real processes (REST channel, the API, the database):

- conversation A books; conversation B, knowing the phone and the plate, asks to cancel:
  B learns nothing (the same words as for a booking that does not exist), nothing is
  changed, the booking is flagged for an advisor; A cancels: it works;
- a phone that already holds two live bookings gets no third: refused politely at the
  phone number, with the dealer's phone, and nothing is written.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from dealer import clock
from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.models import DraftWorkOrder
from dealer.services import booking_guard
from dealer.services.booking import BookingRequest, SlotUnavailable, book_once
from dealer.timefmt import format_slot

# Slot times unique across the tests (capacity 2 per slot): 下下周四 11:30 nobody else uses.
A_BOOKS = "下下周四上午十一点半"
THIRD = "下下周四下午三点半"


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def random_phone() -> str:
    return f"137{uuid.uuid4().int % 10**8:08d}"


def random_plate() -> str:
    return f"晋K{uuid.uuid4().int % 10**5:05d}"


def draft_of(database_url: str, draft_id: int) -> DraftWorkOrder:
    with unit_of_work(database_url) as session:
        draft = session.get(DraftWorkOrder, draft_id)
        session.expunge(draft)
        return draft


def live_drafts(database_url: str, phone: str) -> list[DraftWorkOrder]:
    with unit_of_work(database_url) as session:
        drafts = list(session.query(DraftWorkOrder).filter(DraftWorkOrder.phone == phone))
        session.expunge_all()
    return [draft for draft in drafts if draft.status in ("draft", "approved")]


def ask_to_cancel(running_system, sender: str, phone: str, plate: str) -> str:
    running_system.say(sender, "我要取消预约")
    running_system.say(sender, phone)
    return texts(running_system.say(sender, plate))


def test_a_stranger_with_phone_and_plate_learns_nothing_and_changes_nothing(running_system):
    phone, plate = random_phone(), random_plate()
    owner = f"owner-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(owner, text))  # noqa: E731
    say(f"我想预约{A_BOOKS}做保养")
    for text in ("同意", "欧阳先生", phone, "第一次来", plate, "不记得", "朗逸", "三万公里", "没有了"):
        read_back = say(text)
    assert "欧阳先生" in read_back and phone in read_back
    assert "预约成功" in say("对的")
    [booked] = live_drafts(running_system.database_url, phone)
    shown = format_slot(booked.start_at, load_catalog().timezone)

    # B knows the phone and the plate, and asks to cancel.
    stranger = f"stranger-{uuid.uuid4().hex[:8]}"
    told = ask_to_cancel(running_system, stranger, phone, plate)
    for secret in (shown, shown.split(" ")[-1], "欧阳", "找到您的预约"):
        assert secret not in told, told
    assert "没有找到" in told and "转接人工服务顾问" in told
    # Exactly what someone asking about a booking that does not exist is told.
    nobody = ask_to_cancel(running_system, f"nobody-{uuid.uuid4().hex[:8]}", random_phone(), random_plate())
    assert told == nobody
    # B's "确认" afterwards cancels nothing either.
    assert "已为您取消" not in texts(running_system.say(stranger, "确认取消"))

    kept = draft_of(running_system.database_url, booked.id)
    assert (kept.status, kept.start_at, kept.customer_name, kept.phone) == ("draft", booked.start_at, "欧阳先生", phone)
    assert kept.needs_human is True  # for the advisor, who calls the number on file
    assert stranger in booking_guard.conflicts_of(kept)[0]
    with running_system.api() as api:
        [listed] = api.get("/api/drafts", params={"phone": phone}).json()["items"]
    assert listed["status"] == "draft" and listed["needs_human"] is True

    # A, the conversation that booked, cancels.
    found = ask_to_cancel(running_system, owner, phone, plate)
    assert "找到您的预约" in found and shown in found
    assert "已为您取消" in say("确认取消")
    assert draft_of(running_system.database_url, booked.id).status == "cancelled"


def two_live_bookings(database_url: str, phone: str) -> None:
    """Two bookings of the phone from other conversations, written as the assistant writes them."""
    catalog = load_catalog()
    now = clock.now(catalog.timezone)
    made = 0
    for days in range(20, 50):
        start = (now + timedelta(days=days)).replace(hour=16, minute=0, second=0, microsecond=0)
        request = BookingRequest(
            idempotency_key=f"limit:{phone}:{days}", channel="rest", conversation_id=f"earlier-{phone}-{made}",
            service_type="maintenance", start=start, customer_name="司马女士", phone=phone,
        )
        try:
            book_once(database_url, request, catalog, now)
        except SlotUnavailable:
            continue
        made += 1
        if made == 2:
            return
    raise AssertionError("no free slots for the two bookings")


def test_a_third_live_booking_of_a_phone_is_refused_at_the_phone_number(running_system):
    phone = random_phone()
    two_live_bookings(running_system.database_url, phone)
    sender = f"third-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731

    assert "请问您同意吗" in say(f"我想预约{THIRD}做保养")
    assert "贵姓" in say("同意")
    assert "手机号" in say("司马女士")
    refused = say(phone)
    assert "已经有2个" in refused and "400-820-6688" in refused, refused
    assert "之前来" not in refused and "车牌" not in refused  # nothing more is asked for nothing
    assert "欢迎" not in refused  # and nobody is welcomed back by name
    assert len(live_drafts(running_system.database_url, phone)) == 2
    # The booking was cleared: the conversation goes on as new.
    assert "预约成功" not in say("对的")
    assert len(live_drafts(running_system.database_url, phone)) == 2


def test_a_third_booking_with_the_phone_in_the_first_message_is_refused_at_once(running_system):
    phone = random_phone()
    two_live_bookings(running_system.database_url, phone)
    sender = f"third-{uuid.uuid4().hex[:8]}"
    refused = texts(running_system.say(sender, f"我想预约{THIRD}做保养,我姓司马,电话{phone}"))
    assert "已经有2个" in refused and "400-820-6688" in refused, refused
    assert len(live_drafts(running_system.database_url, phone)) == 2
