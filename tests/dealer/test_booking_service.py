"""The booking service on a real database: idempotency and atomic capacity."""
from __future__ import annotations

from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text, update

from dealer.db import unit_of_work
from dealer.models import AuditLog, CapacitySlot, DraftWorkOrder
from dealer.services.booking import BookingRequest, SlotUnavailable, book, book_once
from dealer.services.schedule import SlotProblem

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
SLOT = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)


def request_for(key: str, start: datetime = SLOT, phone: str | None = None) -> BookingRequest:
    return BookingRequest(
        idempotency_key=key, channel="rest", conversation_id=key, service_type="maintenance",
        start=start, customer_name="王先生", phone=phone, plate=None,
    )


def test_same_key_books_once(database_url, catalog):
    first = book_once(database_url, request_for("conv:1", phone="13812345678"), catalog, NOW)
    again = book_once(database_url, request_for("conv:1", phone="13812345678"), catalog, NOW)
    assert first.created and not again.created
    assert again.draft_id == first.draft_id
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(DraftWorkOrder)) == 1
        assert session.scalar(select(CapacitySlot.booked)) == 1


def test_twenty_concurrent_bookings_never_overbook(database_url, catalog):
    def attempt(n: int) -> str:
        try:
            book_once(database_url, request_for(f"race:{n}"), catalog, NOW)
            return "booked"
        except SlotUnavailable as unavailable:
            return unavailable.problem.value

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, range(20)))

    assert outcomes.count("booked") == catalog.slot_capacity
    assert outcomes.count(SlotProblem.full.value) == 20 - catalog.slot_capacity
    with unit_of_work(database_url) as session:
        assert session.scalar(select(CapacitySlot.booked).where(CapacitySlot.start_at == SLOT)) == catalog.slot_capacity
        assert session.scalar(select(func.count()).select_from(DraftWorkOrder)) == catalog.slot_capacity


def test_concurrent_retries_of_one_booking_leave_one_draft(database_url, catalog):
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: book_once(database_url, request_for("dup:1"), catalog, NOW), range(8)))
    assert len({r.draft_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    with unit_of_work(database_url) as session:
        assert session.scalar(select(CapacitySlot.booked)) == 1


@pytest.mark.parametrize(
    ("start", "problem"),
    [
        (datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI), SlotProblem.past),
        (datetime(2026, 11, 27, 22, 0, tzinfo=SHANGHAI), SlotProblem.closed),
        (datetime(2026, 11, 27, 3, 0, tzinfo=SHANGHAI), SlotProblem.closed),
        (datetime(2026, 11, 27, 17, 30, tzinfo=SHANGHAI), SlotProblem.closed),
        (datetime(2026, 11, 27, 10, 10, tzinfo=SHANGHAI), SlotProblem.misaligned),
    ],
)
def test_unbookable_times_write_nothing(database_url, catalog, start, problem):
    with pytest.raises(SlotUnavailable) as error, unit_of_work(database_url) as session:
        book(session, request_for("bad", start=start), catalog, NOW)
    assert error.value.problem is problem
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(DraftWorkOrder)) == 0


def test_returning_customer_gets_previous_advisor_and_audit_is_append_only(database_url, catalog):
    first = book_once(database_url, request_for("a:1", phone="13812345678"), catalog, NOW)
    later = datetime(2026, 11, 28, 11, 0, tzinfo=SHANGHAI)
    second = book_once(database_url, request_for("a:2", start=later, phone="13812345678"), catalog, NOW)
    assert second.advisor_name == first.advisor_name
    with pytest.raises(Exception, match="append-only"), unit_of_work(database_url) as session:
        session.execute(text("UPDATE audit_log SET actor = 'someone'"))
    with unit_of_work(database_url) as session:
        assert set(session.scalars(select(AuditLog.actor))) == {"assistant"}


def at(day: int, hour: int, minute: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=zone)


def advisors_of(database_url, catalog, bookings: list[tuple[str, datetime, str | None]]) -> list[str | None]:
    """Book each (key, start, phone) in turn; the advisor each booking got."""
    return [
        book_once(database_url, request_for(key, start=start, phone=phone), catalog, NOW).advisor_name
        for key, start, phone in bookings
    ]


def test_bookings_of_one_day_are_spread_over_the_advisors(database_url, catalog):
    names = advisors_of(
        database_url, catalog, [(f"d:{hour}", at(27, hour), None) for hour in (9, 10, 11, 14)]
    )
    assert names == ["李明", "张华", "王芳", "李明"]  # the fewest that day, ties by code


def test_the_advisor_asked_for_gets_the_booking_when_free(database_url, catalog):
    from dataclasses import replace

    wanted = replace(request_for("w:1", start=at(27, 9)), wanted_advisor="王芳")
    assert book_once(database_url, wanted, catalog, NOW).advisor_name == "王芳"
    # Busy in that slot (the second car of the slot asks for her too): another advisor.
    again = replace(request_for("w:2", start=at(27, 9), phone="13900000002"), wanted_advisor="王芳")
    assert book_once(database_url, again, catalog, NOW).advisor_name != "王芳"


def test_the_second_booking_of_a_slot_goes_to_another_advisor(database_url, catalog):
    names = advisors_of(database_url, catalog, [("s:1", SLOT, None), ("s:2", SLOT, None)])
    assert len(set(names)) == 2


def test_concurrent_bookings_of_a_slot_get_different_advisors(database_url, catalog):
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda n: book_once(database_url, request_for(f"c:{n}"), catalog, NOW), range(2)))
    assert len({result.advisor_name for result in results}) == 2


def test_another_days_bookings_do_not_count(database_url, catalog):
    names = advisors_of(
        database_url, catalog, [("o:1", at(27, 9), None), ("o:2", at(27, 10), None), ("o:3", at(28, 9), None)]
    )
    assert names == ["李明", "张华", "李明"]


def test_the_day_is_the_dealers_local_day(database_url, catalog):
    # In Tokyo (UTC+9) 08:30 on the 28th is 23:30 UTC on the 27th: still a fresh local day.
    tokyo = ZoneInfo("Asia/Tokyo")
    names = advisors_of(
        database_url,
        replace(catalog, timezone=tokyo),
        [("t:1", at(27, 10, zone=tokyo), None), ("t:2", at(27, 11, zone=tokyo), None),
         ("t:3", at(28, 8, 30, zone=tokyo), None)],
    )
    assert names == ["李明", "张华", "李明"]


def test_rejected_bookings_do_not_count_as_load(database_url, catalog):
    advisors_of(database_url, catalog, [("x:1", at(27, 9), None)])
    with unit_of_work(database_url) as session:
        session.execute(update(DraftWorkOrder).values(status="rejected"))
    assert advisors_of(database_url, catalog, [("x:2", at(27, 9), None)]) == ["李明"]


def test_a_returning_customer_keeps_their_advisor_when_free(database_url, catalog):
    names = advisors_of(
        database_url,
        catalog,
        [("k:1", at(27, 9), None), ("k:2", at(27, 10), "13812345678"), ("k:3", at(27, 11), None),
         ("k:4", at(28, 9), "13812345678")],
    )
    assert names == ["李明", "张华", "王芳", "张华"]


def test_a_returning_customer_whose_advisor_is_busy_in_the_slot_gets_another(database_url, catalog):
    names = advisors_of(
        database_url,
        catalog,
        [("b:1", at(27, 9), "13812345678"), ("b:2", at(28, 10), None), ("b:3", at(28, 10), "13812345678")],
    )
    assert names == ["李明", "李明", "张华"]


def test_when_every_advisor_is_busy_in_the_slot_the_least_busy_that_day_gets_it(database_url, catalog):
    names = advisors_of(
        database_url,
        replace(catalog, slot_capacity=5),  # more cars in a slot than advisors
        [("f:1", at(27, 9), None), ("f:2", SLOT, None), ("f:3", SLOT, None), ("f:4", SLOT, None),
         ("f:5", SLOT, None)],
    )
    assert names == ["李明", "张华", "王芳", "李明", "张华"]


def test_a_repair_for_a_car_seen_in_the_last_90_days_is_flagged_repeat(database_url, catalog):
    first = BookingRequest(
        idempotency_key="r:1", channel="rest", conversation_id="r:1", service_type="maintenance",
        start=SLOT, plate="沪A12345",
    )
    book_once(database_url, first, catalog, NOW)
    later = datetime(2026, 11, 28, 11, 0, tzinfo=SHANGHAI)
    repair = BookingRequest(
        idempotency_key="r:2", channel="rest", conversation_id="r:2", service_type="repair",
        start=later, plate="沪A12345", repeat_repair=False,
    )
    other = BookingRequest(
        idempotency_key="r:3", channel="rest", conversation_id="r:3", service_type="repair",
        start=later, plate="沪B54321",
    )
    book_once(database_url, repair, catalog, NOW)
    book_once(database_url, other, catalog, NOW)
    with unit_of_work(database_url) as session:
        flags = dict(session.execute(select(DraftWorkOrder.plate, DraftWorkOrder.repeat_repair)).all())
    assert flags["沪A12345"] is True and flags["沪B54321"] is None


def test_nothing_invalid_reaches_the_database(database_url, catalog):
    from dealer.validation import InvalidValue

    bad = BookingRequest(
        idempotency_key="bad:1", channel="rest", conversation_id="bad:1", service_type="maintenance",
        start=SLOT, phone="12345",
    )
    with pytest.raises(InvalidValue):
        book_once(database_url, bad, catalog, NOW)
    spaced = book_once(database_url, replace(bad, idempotency_key="ok:1", phone="138 1234 5678", plate="沪a·12345"), catalog, NOW)
    with unit_of_work(database_url) as session:
        draft = session.get(DraftWorkOrder, spaced.draft_id)
        assert (draft.phone, draft.plate) == ("13812345678", "沪A12345")
        assert session.scalar(select(func.count()).select_from(DraftWorkOrder)) == 1
