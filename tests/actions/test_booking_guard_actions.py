"""Issue 11 in the actions: change and cancel only from the conversation that booked, the
same neutral reply for a stranger and for nobody, and the third live booking refused
(tracker fixtures, real SQLite; message time Thu 2026-11-26 15:00; the fixture's
conversation is ``tracker-fixture-1`` on ``rest``)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.booking_form import ValidateBookingForm
from actions.change_booking import ActionApplyBookingChange, ValidateChangeBookingForm
from actions.handover import ActionHandOverToHuman
from actions.submit_booking import ActionSubmitBooking
from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.models import DraftWorkOrder
from dealer.services import booking_guard
from dealer.services.booking import BookingRequest, book_once

pytestmark = pytest.mark.usefixtures("app_database")

SHANGHAI = ZoneInfo("Asia/Shanghai")
MESSAGE_TIME = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
OWN = "tracker-fixture-1"
PHONE, PLATE = "13812345678", "沪A12345"


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def booked(url: str, conversation: str, hour: int, phone: str = PHONE, plate: str = PLATE, channel: str = "rest") -> int:
    request = BookingRequest(
        idempotency_key=f"{conversation}:{hour}", channel=channel, conversation_id=conversation,
        service_type="maintenance", start=datetime(2026, 11, 27, hour, 0, tzinfo=SHANGHAI),
        customer_name="王先生", phone=phone, plate=plate,
    )
    return book_once(url, request, load_catalog(), MESSAGE_TIME).draft_id


def a_draft(url: str, draft_id: int) -> DraftWorkOrder:
    with unit_of_work(url) as session:
        draft = session.get(DraftWorkOrder, draft_id)
        session.expunge(draft)
        return draft


def drafts_count(url: str) -> int:
    with unit_of_work(url) as session:
        return session.scalar(select(func.count()).select_from(DraftWorkOrder))


def change_tracker(form_tracker, kind: str = "cancel"):
    """The change form asked for the plate; the customer has just given it."""
    tracker = form_tracker(
        {"plate": PLATE}, requested_slot="plate", slots={"phone": PHONE, "change_kind": kind}, text=PLATE
    )
    tracker.active_loop = {"name": "change_booking_form"}
    return tracker


def confirmed_cancel(draft_id: int) -> dict:
    """The change form's slots once a cancel is confirmed (or as a forged call invents them)."""
    return {
        "change_found": True, "change_confirmed": True, "change_kind": "cancel",
        "change_draft_id": float(draft_id), "current_display": "11月27日(周五) 10:00",
    }


async def found_by(form_tracker, domain) -> tuple[dict, list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await ValidateChangeBookingForm().run(dispatcher, change_tracker(form_tracker), domain)
    return slot_values(events), dispatcher.messages


# --- change and cancel ------------------------------------------------------------------------


async def test_the_conversation_that_booked_finds_its_booking(form_tracker, domain, app_database):
    draft_id = booked(app_database, OWN, 10)
    slots, messages = await found_by(form_tracker, domain)
    assert slots["change_found"] is True and slots["change_draft_id"] == float(draft_id)
    assert messages[0]["response"] == "utter_change_found"
    assert messages[0]["current_display"] == "11月27日(周五) 10:00"


async def test_a_stranger_is_told_nothing_and_handed_to_an_advisor(form_tracker, domain, app_database):
    nobody_slots, nobody_said = await found_by(form_tracker, domain)  # nothing booked yet

    draft_id = booked(app_database, "someone-else", 10)
    slots, said = await found_by(form_tracker, domain)

    assert said == nobody_said  # the same words whether or not a booking exists
    assert slots == nobody_slots
    assert [m["response"] for m in said] == ["utter_change_not_found_here", "utter_handed_over"]
    assert all("10:00" not in str(m) and "王先生" not in str(m) for m in said)
    assert slots["change_found"] is False and slots["needs_human"] is True
    assert "change_draft_id" not in slots and "current_display" not in slots
    draft = a_draft(app_database, draft_id)
    assert draft.status == "draft" and draft.needs_human is True  # flagged for the advisor
    assert OWN in booking_guard.conflicts_of(draft)[0]


async def test_a_forged_cancel_of_someone_elses_booking_changes_nothing(form_tracker, domain, app_database):
    draft_id = booked(app_database, "someone-else", 10)
    forged = confirmed_cancel(draft_id)
    dispatcher = CollectingDispatcher()
    await ActionApplyBookingChange().run(dispatcher, form_tracker({}, requested_slot=None, slots=forged), domain)
    assert dispatcher.messages[0]["response"] == "utter_change_not_found"
    assert a_draft(app_database, draft_id).status == "draft"

    moved = {**forged, "change_kind": "reschedule", "appointment_time": "2026-11-27T11:00:00+08:00"}
    await ActionApplyBookingChange().run(CollectingDispatcher(), form_tracker({}, requested_slot=None, slots=moved), domain)
    assert a_draft(app_database, draft_id).start_at.astimezone(SHANGHAI).hour == 10


async def test_the_owner_cancels(form_tracker, domain, app_database):
    draft_id = booked(app_database, OWN, 10)
    confirmed = confirmed_cancel(draft_id)
    dispatcher = CollectingDispatcher()
    await ActionApplyBookingChange().run(dispatcher, form_tracker({}, requested_slot=None, slots=confirmed), domain)
    assert dispatcher.messages[0]["response"] == "utter_booking_cancelled"
    assert a_draft(app_database, draft_id).status == "cancelled"


# --- the third live booking -------------------------------------------------------------------


async def test_the_form_stops_at_the_phone_when_it_already_holds_two_bookings(form_tracker, domain, app_database):
    booked(app_database, "conv-1", 10)
    booked(app_database, "conv-2", 11)
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({"phone": PHONE}, requested_slot="phone", text=PHONE)
    events = await ValidateBookingForm().run(dispatcher, tracker, domain)
    assert slot_values(events)["phone"] == PHONE
    assert events[-1] == SlotSet("requested_slot", None)  # the form ends here
    assert dispatcher.messages == []  # not welcomed back: action_submit_booking says why

    # The form ended unconfirmed: action_submit_booking refuses, writes nothing, clears the booking.
    stopped = form_tracker({}, requested_slot=None, slots={"phone": PHONE, "service_type": "maintenance",
                                                            "booking_key": "k3"})
    events = await ActionSubmitBooking().run(dispatcher, stopped, domain)
    [refusal] = dispatcher.messages
    assert refusal["response"] == "utter_booking_limit_phone"
    assert refusal["limit"] == 2 and refusal["dealer_phone"] == "400-820-6688"
    assert drafts_count(app_database) == 2
    cleared = slot_values(events)
    assert cleared["phone"] is None and cleared["booking_key"] is None


async def test_another_phone_goes_on(form_tracker, domain, app_database):
    booked(app_database, "conv-1", 10)
    booked(app_database, "conv-2", 11)
    tracker = form_tracker({"phone": "13900001111"}, requested_slot="phone", text="13900001111")
    events = await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain)
    assert slot_values(events)["phone"] == "13900001111"
    assert events[-1] != SlotSet("requested_slot", None) and slot_values(events)["requested_slot"]


async def test_a_stopped_form_goes_on_when_a_booking_was_cancelled_meanwhile(form_tracker, domain, app_database):
    stopped = form_tracker({}, requested_slot=None, slots={"phone": PHONE, "booking_key": "k3"})
    events = await ActionSubmitBooking().run(CollectingDispatcher(), stopped, domain)
    assert [e["event"] for e in events] == ["followup"] and events[0]["name"] == "booking_form"
    assert drafts_count(app_database) == 0


async def test_a_confirmed_third_booking_of_this_conversation_is_refused(form_tracker, domain, app_database):
    booked(app_database, OWN, 10, phone="13900000001", plate="沪B00001")
    booked(app_database, OWN, 11, phone="13900000002", plate="沪B00002")
    confirmed = {
        "appointment_time": "2026-11-27T15:00:00+08:00", "appointment_display": "11月27日(周五) 15:00",
        "service_type": "maintenance", "customer_name": "王先生", "phone": PHONE, "plate": PLATE,
        "booking_confirmed": True, "booking_key": "k3",
    }
    dispatcher = CollectingDispatcher()
    await ActionSubmitBooking().run(dispatcher, form_tracker({}, requested_slot=None, slots=confirmed), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_booking_limit_conversation"]
    assert drafts_count(app_database) == 2

    # 转人工 at that point writes no hand-over draft either.
    handed = CollectingDispatcher()
    await ActionHandOverToHuman().run(handed, form_tracker({}, requested_slot=None, slots=confirmed), domain)
    assert [m["response"] for m in handed.messages] == ["utter_booking_limit_conversation"]
    assert drafts_count(app_database) == 2
