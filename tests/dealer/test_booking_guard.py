"""Issue 11, abuse: a booking is changed only by the conversation that made it, a phone and
a conversation hold at most two live bookings, and an unverified booking never rewrites
what the dealer knows about another customer (SQLite and PostgreSQL)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from dealer.db import unit_of_work
from dealer.models import AuditLog, CapacitySlot, Customer, DraftWorkOrder, Vehicle
from dealer.services import booking_guard, changes
from dealer.services.booking import BookingRequest, book_once, hand_over
from dealer.services.booking_guard import BookingLimitReached, LimitKind, Requester
from dealer.services.drafts import draft_to_contract
from dealer.services.review import edit_draft

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)  # Thursday
PHONE, PLATE = "13812345678", "沪A12345"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def booking(key: str, start: datetime, conversation: str = "conv-a", channel: str = "rest", **facts) -> BookingRequest:
    facts = {"customer_name": "王先生", "phone": PHONE, "plate": PLATE, **facts}
    return BookingRequest(
        idempotency_key=f"{conversation}:{key}", channel=channel, conversation_id=conversation,
        service_type="maintenance", start=start, **facts,
    )


def count(database_url: str, model=DraftWorkOrder) -> int:
    with unit_of_work(database_url) as session:
        return session.scalar(select(func.count()).select_from(model))


def the_draft(database_url: str, draft_id: int) -> DraftWorkOrder:
    with unit_of_work(database_url) as session:
        draft = session.get(DraftWorkOrder, draft_id)
        session.expunge(draft)
        return draft


# --- who may change a booking -----------------------------------------------------------------


def test_only_the_conversation_that_booked_may_change_it():
    draft = DraftWorkOrder(channel="rest", conversation_id="conv-a")
    assert booking_guard.may_change(draft, Requester("conv-a", "rest"))
    assert not booking_guard.may_change(draft, Requester("conv-b", "rest"))
    assert not booking_guard.may_change(draft, Requester("conv-a", "webchat"))  # the same id elsewhere
    wechat = DraftWorkOrder(channel="wechat", conversation_id="oPenId123")
    assert booking_guard.may_change(wechat, Requester("oPenId123", "wechat"))  # the same openid
    assert not booking_guard.may_change(wechat, Requester("oPenId123", "rest"))  # a REST sender naming it
    assert not booking_guard.may_change(wechat, Requester("oOther", "wechat"))


def test_the_owner_finds_the_booking_and_a_stranger_finds_nothing(database_url, catalog):
    draft_id = book_once(database_url, booking("1", at(27, 10)), catalog, NOW).draft_id
    with unit_of_work(database_url) as session:
        own = booking_guard.find_own_booking(session, PHONE, PLATE, Requester("conv-a", "rest"), NOW)
        assert own.id == draft_id
    assert the_draft(database_url, draft_id).needs_human is False  # the owner flags nothing

    with unit_of_work(database_url) as session:
        assert booking_guard.find_own_booking(session, PHONE, PLATE, Requester("conv-b", "rest"), NOW) is None
    flagged = the_draft(database_url, draft_id)
    assert flagged.needs_human is True and flagged.status == "draft" and flagged.start_at == at(27, 10)
    [note] = booking_guard.conflicts_of(flagged)
    assert "rest:conv-b" in note and "改约或取消" in note
    # Asked again: the note is not repeated, nothing more is audited.
    with unit_of_work(database_url) as session:
        booking_guard.find_own_booking(session, PHONE, PLATE, Requester("conv-b", "rest"), NOW)
    assert booking_guard.conflicts_of(the_draft(database_url, draft_id)) == [note]
    with unit_of_work(database_url) as session:
        flags = session.scalars(select(AuditLog.field).where(AuditLog.action == "flag")).all()
    assert sorted(flags) == ["conflicts", "needs_human"]


def test_nothing_booked_is_found_and_nothing_written(database_url, catalog):
    with unit_of_work(database_url) as session:
        assert booking_guard.find_own_booking(session, PHONE, PLATE, Requester("conv-b", "rest"), NOW) is None
    assert count(database_url, AuditLog) == 0


def test_the_same_wechat_openid_finds_its_booking(database_url, catalog):
    draft_id = book_once(database_url, booking("1", at(27, 10), "oOpenid42", "wechat"), catalog, NOW).draft_id
    with unit_of_work(database_url) as session:
        found = booking_guard.find_own_booking(session, PHONE, PLATE, Requester("oOpenid42", "wechat"), NOW)
        assert found.id == draft_id
        assert booking_guard.find_own_booking(session, PHONE, PLATE, Requester("oOpenid42", "rest"), NOW) is None


def test_a_stranger_cannot_cancel_or_move_a_booking_by_its_id(database_url, catalog):
    draft_id = book_once(database_url, booking("1", at(27, 10)), catalog, NOW).draft_id
    stranger = Requester("conv-b", "rest")
    with pytest.raises(LookupError), unit_of_work(database_url) as session:
        changes.cancel_booking(session, draft_id, requester=stranger)
    with pytest.raises(LookupError), unit_of_work(database_url) as session:
        changes.reschedule_booking(session, draft_id, at(27, 11), catalog, NOW, requester=stranger)
    kept = the_draft(database_url, draft_id)
    assert (kept.status, kept.start_at) == ("draft", at(27, 10))

    with unit_of_work(database_url) as session:
        changes.cancel_booking(session, draft_id, requester=Requester("conv-a", "rest"))
    assert the_draft(database_url, draft_id).status == "cancelled"
    with unit_of_work(database_url) as session:
        assert session.scalar(select(CapacitySlot.booked).where(CapacitySlot.start_at == at(27, 10))) == 0


# --- live bookings per phone and per conversation ---------------------------------------------


def test_a_third_live_booking_of_a_phone_is_refused_and_nothing_written(database_url, catalog):
    book_once(database_url, booking("1", at(27, 10), "conv-a"), catalog, NOW)
    book_once(database_url, booking("2", at(28, 10), "conv-b"), catalog, NOW)
    with pytest.raises(BookingLimitReached) as refused:
        book_once(database_url, booking("3", at(29, 10), "conv-c"), catalog, NOW)
    assert (refused.value.kind, refused.value.limit) == (LimitKind.phone, 2)
    assert count(database_url) == 2
    with unit_of_work(database_url) as session:
        assert session.scalar(select(CapacitySlot.id).where(CapacitySlot.start_at == at(29, 10))) is None
        assert booking_guard.limit_reached(session, "13900001111", Requester("conv-c", "rest"), catalog, NOW) is None
    # A retry of a booking already written is no new booking.
    again = book_once(database_url, booking("2", at(28, 10), "conv-b"), catalog, NOW)
    assert not again.created


def test_a_third_live_booking_of_a_conversation_is_refused(database_url, catalog):
    book_once(database_url, booking("1", at(27, 10), phone="13900000001", plate="沪B00001"), catalog, NOW)
    book_once(database_url, booking("2", at(27, 11), phone="13900000002", plate="沪B00002"), catalog, NOW)
    third = booking("3", at(27, 14), phone="13900000003", plate="沪B00003")
    with pytest.raises(BookingLimitReached) as refused:
        book_once(database_url, third, catalog, NOW)
    assert refused.value.kind is LimitKind.conversation
    with pytest.raises(BookingLimitReached):  # 转人工 writes no draft beyond the limit either
        book_once(database_url, third, catalog, NOW, hand_over)
    assert count(database_url) == 2
    # The same conversation id on another channel is another conversation.
    assert book_once(database_url, replace(third, channel="webchat"), catalog, NOW).created


def test_concurrent_bookings_of_one_new_phone_stop_at_two(database_url, catalog):
    def attempt(n: int) -> str:
        try:
            book_once(database_url, booking(str(n), at(27, 9 + n), f"conv-{n}"), catalog, NOW)
            return "booked"
        except BookingLimitReached:
            return "refused"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    assert outcomes.count("booked") == 2 and outcomes.count("refused") == 4
    assert count(database_url) == 2


def test_past_and_ended_bookings_do_not_count(database_url, catalog):
    first = book_once(database_url, booking("1", at(27, 10)), catalog, NOW)
    book_once(database_url, booking("2", at(28, 10)), catalog, NOW)
    with unit_of_work(database_url) as session:
        session.execute(update(DraftWorkOrder).where(DraftWorkOrder.id == first.draft_id).values(status="cancelled"))
    assert book_once(database_url, booking("3", at(29, 10)), catalog, NOW).created
    # Two days later the first two have been and gone (one cancelled, one past).
    later = NOW + timedelta(days=2, hours=3)
    assert book_once(database_url, booking("4", at(30, 10)), catalog, later).created


def test_the_limits_come_from_the_dealer_file(database_url, catalog):
    assert (catalog.live_bookings_per_phone, catalog.live_bookings_per_conversation) == (2, 2)
    one = replace(catalog, live_bookings_per_phone=1)
    book_once(database_url, booking("1", at(27, 10)), one, NOW)
    with pytest.raises(BookingLimitReached):
        book_once(database_url, booking("2", at(28, 10), "conv-b"), one, NOW)


# --- conflicts with what the dealer knows -----------------------------------------------------


def test_a_known_customers_name_is_not_overwritten_and_the_draft_is_flagged(database_url, catalog):
    book_once(database_url, booking("1", at(27, 10)), catalog, NOW)
    other = book_once(
        database_url, booking("1", at(28, 10), "conv-b", customer_name="李四", plate="沪C55555"), catalog, NOW
    )
    with unit_of_work(database_url) as session:
        assert session.scalar(select(Customer.name).where(Customer.phone == PHONE)) == "王先生"
    draft = the_draft(database_url, other.draft_id)
    assert draft.customer_name == "李四"  # what the customer said stays on the draft
    assert draft.needs_human is True
    [note] = booking_guard.conflicts_of(draft)
    assert "王先生" in note and "李四" in note


def test_a_missing_name_is_filled_without_a_conflict(database_url, catalog):
    book_once(database_url, booking("1", at(27, 10), customer_name=None), catalog, NOW)
    second = book_once(database_url, booking("2", at(28, 10)), catalog, NOW)
    with unit_of_work(database_url) as session:
        assert session.scalar(select(Customer.name).where(Customer.phone == PHONE)) == "王先生"
    draft = the_draft(database_url, second.draft_id)
    assert booking_guard.conflicts_of(draft) == [] and draft.needs_human is False


def test_a_plate_is_not_moved_to_another_phone(database_url, catalog):
    book_once(database_url, booking("1", at(27, 10), model="迈腾", mileage_km=30000), catalog, NOW)
    other = book_once(
        database_url,
        booking("1", at(28, 10), "conv-b", customer_name="李四", phone="13900009999", model="宝来", mileage_km=5),
        catalog, NOW,
    )
    with unit_of_work(database_url) as session:
        vehicle = session.scalar(select(Vehicle).where(Vehicle.plate == PLATE))
        assert vehicle.customer.phone == PHONE
        assert (vehicle.model, vehicle.mileage_km) == ("迈腾", 30000)  # another customer's car: untouched
    draft = the_draft(database_url, other.draft_id)
    assert (draft.phone, draft.plate, draft.model) == ("13900009999", PLATE, "宝来")
    assert draft.needs_human is True
    [note] = booking_guard.conflicts_of(draft)
    assert PLATE in note and "138****5678" in note and PHONE not in note


def test_a_known_vin_is_not_replaced_nor_taken_from_another_car(database_url, catalog):
    vin, other_vin = "LFV2A21K3D4012345", "LSVAU2181C2184847"
    book_once(database_url, booking("1", at(27, 10), vin=vin), catalog, NOW)
    book_once(database_url, booking("1", at(27, 11), "conv-z", phone="13900002222", plate="沪D22222",
                                     vin=other_vin), catalog, NOW)
    changed = book_once(database_url, booking("2", at(28, 10), vin=other_vin), catalog, NOW)
    with unit_of_work(database_url) as session:
        assert session.scalar(select(Vehicle.vin).where(Vehicle.plate == PLATE)) == vin
    [note] = booking_guard.conflicts_of(the_draft(database_url, changed.draft_id))
    assert other_vin in note and vin in note


def test_the_draft_json_shows_the_conflicts_and_keeps_its_tags(database_url, catalog):
    book_once(database_url, booking("1", at(27, 10)), catalog, NOW)
    repair = replace(
        booking("1", at(28, 10), "conv-b", customer_name="李四", plate="沪C55555"),
        service_type="repair", symptoms={"what": "刹车异响"},
    )
    draft_id = book_once(database_url, repair, catalog, NOW).draft_id
    with unit_of_work(database_url) as session:
        shown = draft_to_contract(session.get(DraftWorkOrder, draft_id), SHANGHAI)
    assert len(shown["conflicts"]) == 1 and shown["needs_human"] is True
    assert set(shown["symptom_tags"]) == {"parts", "symptoms"}
    # An advisor's edit of the symptoms recomputes the tags and keeps the notes.
    with unit_of_work(database_url) as session:
        edit_draft(session, draft_id, {"symptoms": {"what": "方向盘抖"}}, "advisor", catalog, NOW)
    assert booking_guard.conflicts_of(the_draft(database_url, draft_id)) == shown["conflicts"]
    with unit_of_work(database_url) as session:
        plain = draft_to_contract(session.get(DraftWorkOrder, 1), SHANGHAI)
    assert plain["conflicts"] == [] and plain["symptom_tags"] is None
