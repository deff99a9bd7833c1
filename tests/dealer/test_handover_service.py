"""转人工 mid-booking: the hand-over draft, its tentative slot, and the call-back time."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.models import CapacitySlot, DraftWorkOrder
from dealer.services.booking import BookingRequest, SlotUnavailable, book, hand_over
from dealer.services.schedule import callback_time
from dealer.symptoms import completeness, read_restatement_reply, symptom_tags

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)  # Thursday, open 08:30-17:30


def request(key: str = "conv:k1", start: datetime | None = None, **facts) -> BookingRequest:
    return BookingRequest(
        idempotency_key=key, channel="rest", conversation_id="conv", service_type="repair",
        start=start, phone="13812345678", **facts,
    )


@pytest.mark.parametrize(
    "now,expected,open_now",
    [
        (datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI), datetime(2026, 11, 26, 15, 30, tzinfo=SHANGHAI), True),
        (datetime(2026, 11, 26, 17, 10, tzinfo=SHANGHAI), datetime(2026, 11, 27, 8, 30, tzinfo=SHANGHAI), False),
        (datetime(2026, 11, 26, 21, 0, tzinfo=SHANGHAI), datetime(2026, 11, 27, 8, 30, tzinfo=SHANGHAI), False),
        (datetime(2026, 11, 26, 7, 0, tzinfo=SHANGHAI), datetime(2026, 11, 26, 8, 30, tzinfo=SHANGHAI), False),
    ],
)
def test_callback_time_follows_the_opening_hours(now, expected, open_now):
    assert callback_time(now, load_catalog()) == (expected, open_now)


def test_a_hand_over_keeps_the_wanted_time_when_it_is_free(sqlite_url, catalog):
    wanted = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
    with unit_of_work(sqlite_url) as session:
        result = hand_over(session, request(start=wanted, customer_name="王先生", plate="沪A12345"), catalog, NOW)
    assert result.created and result.start == wanted
    with unit_of_work(sqlite_url) as session:
        draft = session.get(DraftWorkOrder, result.draft_id)
        assert draft.needs_human is True and draft.status == "draft"
        assert (draft.customer_name, draft.phone, draft.plate) == ("王先生", "13812345678", "沪A12345")
        # It holds the slot like any booking (an advisor's reschedule or reject releases it).
        assert session.scalar(select(CapacitySlot.booked).where(CapacitySlot.start_at == wanted)) == 1


def test_without_a_time_the_first_free_slot_after_the_call_back_is_held(sqlite_url, catalog):
    with unit_of_work(sqlite_url) as session:
        result = hand_over(session, request(), catalog, NOW)
    assert result.start == datetime(2026, 11, 26, 15, 30, tzinfo=SHANGHAI)


def test_a_full_wanted_slot_moves_to_the_nearest_free_one(sqlite_url, catalog):
    wanted = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
    with unit_of_work(sqlite_url) as session:
        for n in range(catalog.slot_capacity):
            other = BookingRequest(
                idempotency_key=f"other:{n}", channel="rest", conversation_id=f"o{n}",
                service_type="maintenance", start=wanted,
            )
            book(session, other, catalog, NOW)
    with unit_of_work(sqlite_url) as session:
        result = hand_over(session, request(start=wanted), catalog, NOW)
    assert result.start != wanted
    assert abs((result.start - wanted).total_seconds()) == catalog.slot_minutes * 60


def test_a_repeated_hand_over_writes_one_draft(sqlite_url, catalog):
    with unit_of_work(sqlite_url) as session:
        first = hand_over(session, request(), catalog, NOW)
    with unit_of_work(sqlite_url) as session:
        again = hand_over(session, request(), catalog, NOW)
        assert session.scalar(select(DraftWorkOrder.id).where(DraftWorkOrder.idempotency_key == "conv:k1")) == first.draft_id
    assert again.draft_id == first.draft_id and not again.created


def test_a_hand_over_with_no_free_slot_raises(sqlite_url, catalog, monkeypatch):
    monkeypatch.setattr("dealer.services.booking.free_slots_near", lambda *a, **k: [])
    with unit_of_work(sqlite_url) as session, pytest.raises(SlotUnavailable):
        hand_over(session, request(), catalog, NOW)


@pytest.mark.parametrize(
    "reply,agrees,correction",
    [
        ("对的", True, None),
        ("嗯", True, None),
        ("对的,就是这个问题", True, None),
        ("不对", False, None),
        ("不是的", False, None),
        ("不是这个问题", False, None),
        ("不是,是方向盘抖", False, "方向盘抖"),
        ("不是异响,是抖动", False, "抖动"),
        ("不对,方向盘一直抖", False, "方向盘一直抖"),
        ("应该是刹车的时候响", None, "刹车的时候响"),
        ("方向盘抖动", None, "方向盘抖动"),
        ("/affirm", None, None),
        ("不清楚", None, None),
    ],
)
def test_the_reply_to_a_restated_complaint(reply, agrees, correction):
    read = read_restatement_reply(reply)
    assert (read.agrees, read.correction) == (agrees, correction)


def test_tags_cover_every_complaint_and_completeness_the_first():
    symptoms = {
        "what": "刹车有异响", "when": "最近", "where": "刹车的时候", "frequency": "每次", "driving_impact": "能开",
        "tried": "换过刹车片",
        "further_complaints": ["还有空调不制冷"],
        "further_interviews": [{"complaint": "还有空调不制冷", "what": "空调不制冷", "when": "不清楚"}],
    }
    assert completeness(symptoms) == 6
    tags = symptom_tags(symptoms)
    assert {"刹车", "空调"} <= set(tags["parts"]) and {"异响", "不制冷"} <= set(tags["symptoms"])
    assert symptom_tags(None) is None
