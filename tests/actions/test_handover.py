"""转人工 mid-booking: a draft marked needs_human with the facts so far (message time: Thu 15:00)."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.handover import ActionHandOverToHuman, ValidateHandoverForm
from dealer.db import unit_of_work
from dealer.models import DraftWorkOrder

pytestmark = pytest.mark.usefixtures("app_database")

SO_FAR = {
    "appointment_time": "2026-11-27T10:00:00+08:00",
    "appointment_display": "11月27日(周五) 10:00",
    "service_type": "repair",
    "customer_name": "王先生",
    "phone": "13812345678",
    "plate": "沪A12345",
    "symptom_what": "刹车的时候有异响",
    "symptom_when": "最近一周",
    "booking_key": "key-h",
}


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def drafts(url: str) -> list[DraftWorkOrder]:
    with unit_of_work(url) as session:
        return list(session.scalars(select(DraftWorkOrder)))


async def test_a_hand_over_with_a_phone_leaves_a_draft_needing_a_human(form_tracker, domain, app_database):
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({}, requested_slot=None, slots=SO_FAR)
    events = slot_values(await ActionHandOverToHuman().run(dispatcher, tracker, domain))

    [draft] = drafts(app_database)
    assert draft.needs_human is True and draft.status == "draft"
    assert (draft.customer_name, draft.phone, draft.plate) == ("王先生", "13812345678", "沪A12345")
    assert draft.start_at.isoformat() == "2026-11-27T02:00:00+00:00"  # the wanted time, held
    assert draft.symptoms["what"] == "刹车的时候有异响" and draft.symptoms["frequency"] is None
    assert draft.idempotency_key == "tracker-fixture-1:key-h"
    told, noted = dispatcher.messages
    assert told["response"] == "utter_handed_over" and told["callback_minutes"] == 30  # open at 15:00
    assert noted["response"] == "utter_handover_noted" and noted["phone"] == "13812345678"
    assert events["draft_id"] == float(draft.id)
    assert events["booking_key"] is None and events["phone"] is None  # handed over: a new booking starts afresh


async def test_a_second_hand_over_writes_no_second_draft(form_tracker, domain, app_database):
    tracker = form_tracker({}, requested_slot=None, slots=SO_FAR)
    await ActionHandOverToHuman().run(CollectingDispatcher(), tracker, domain)
    await ActionHandOverToHuman().run(CollectingDispatcher(), tracker, domain)
    with unit_of_work(app_database) as session:
        assert session.scalar(select(func.count()).select_from(DraftWorkOrder)) == 1


async def test_a_hand_over_retried_with_a_later_message_time_writes_one_draft(form_tracker, domain, app_database):
    """No booking key yet (the form never ran): the same message again after an
    action-server timeout arrives later, and must not write a second draft."""
    unkeyed = {**SO_FAR, "booking_key": None}
    for delay in (0, 7):
        tracker = form_tracker({}, requested_slot=None, slots=unkeyed)
        for event in tracker.events:
            if event.get("event") == "user":
                event["timestamp"] += delay
        await ActionHandOverToHuman().run(CollectingDispatcher(), tracker, domain)
    assert len(drafts(app_database)) == 1


async def test_a_hand_over_before_the_complaint_has_no_symptoms(form_tracker, domain, app_database):
    slots = {"service_type": "repair", "phone": "13812345678", "booking_key": "key-x"}
    await ActionHandOverToHuman().run(CollectingDispatcher(), form_tracker({}, requested_slot=None, slots=slots), domain)
    [draft] = drafts(app_database)
    assert draft.symptoms is None and draft.needs_human is True
    assert draft.start_at is not None and draft.customer_name is None


async def test_outside_a_booking_nothing_is_written(form_tracker, domain, app_database):
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({}, requested_slot=None)
    tracker.active_loop = {}
    events = slot_values(await ActionHandOverToHuman().run(dispatcher, tracker, domain))
    assert drafts(app_database) == []
    assert dispatcher.messages[0]["response"] == "utter_handed_over"
    assert events["needs_human"] is True


async def test_the_form_asks_for_a_phone_only_when_none_is_known(form_tracker, domain):
    form = ValidateHandoverForm()
    unknown = form_tracker({}, requested_slot="plate", slots={"booking_key": "k"})
    assert await form.required_slots(["callback_phone"], CollectingDispatcher(), unknown, domain) == ["callback_phone"]
    known = form_tracker({}, requested_slot="plate", slots={"phone": "13812345678"})
    assert await form.required_slots(["callback_phone"], CollectingDispatcher(), known, domain) == []


async def test_the_number_to_call_back_is_checked(form_tracker, domain):
    form = ValidateHandoverForm()
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({"callback_phone": "138 1234 5678"}, requested_slot="callback_phone", text="138 1234 5678")
    assert form.validate_callback_phone("138 1234 5678", dispatcher, tracker, domain) == {
        "callback_phone": "13812345678", "phone": "13812345678",
    }
    bad = form_tracker({"callback_phone": "1381234"}, requested_slot="callback_phone", text="1381234")
    assert form.validate_callback_phone("1381234", dispatcher, bad, domain) == {"callback_phone": None}
    assert dispatcher.messages[-1]["response"] == "utter_invalid_phone"


async def test_without_a_number_the_customer_is_given_the_dealer_phone(form_tracker, domain, app_database):
    form = ValidateHandoverForm()
    refused = form_tracker({"callback_phone": "不用了"}, requested_slot="callback_phone", text="不用了")
    refused.latest_message["intent"] = {"name": "deny"}
    assert form.validate_callback_phone("不用了", CollectingDispatcher(), refused, domain) == {"callback_phone": "unknown"}
    dispatcher = CollectingDispatcher()
    slots = {"service_type": "repair", "booking_key": "k", "callback_phone": "unknown"}
    events = slot_values(
        await ActionHandOverToHuman().run(dispatcher, form_tracker({}, requested_slot=None, slots=slots), domain)
    )
    assert drafts(app_database) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_handed_over", "utter_handed_over_no_phone"]
    assert events["needs_human"] is True and events["callback_phone"] is None


async def test_a_wait_keeps_the_question_open_but_not_known_is_left_to_the_form(form_tracker, domain):
    from actions.side_requests import ActionTakeYourTime
    waiting = CollectingDispatcher()
    tracker = form_tracker({}, requested_slot="vin", text="等下我找找")
    tracker.latest_message["intent"] = {"name": "wait", "confidence": 0.9}
    await ActionTakeYourTime().run(waiting, tracker, domain)
    assert waiting.messages[-1]["response"] == "utter_take_your_time"
    not_known = CollectingDispatcher()
    tracker = form_tracker({}, requested_slot="vin", text="车架号我记不住,行驶证在我老公那")
    tracker.latest_message["intent"] = {"name": "wait", "confidence": 0.9}
    await ActionTakeYourTime().run(not_known, tracker, domain)
    assert not_known.messages == []
