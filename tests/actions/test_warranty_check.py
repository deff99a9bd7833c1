"""The warranty question asked of a repair booked from a told fault (actions/warranty_check.py)."""
from __future__ import annotations

import pytest

from actions.booking_form import ValidateBookingForm
from actions.warranty_check import ActionAskServiceType

REPAIR = {"service_type": "repair", "service_display": "维修", "symptom_what": "天窗那里咔咔响"}
TIME = "2026-11-27T15:00:00+08:00"

pytestmark = pytest.mark.usefixtures("app_database")  # the time is checked against the calendar


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def requested(events) -> str | None:
    """The slot the form asks next: Rasa takes the first requested_slot event."""
    return next((e["value"] for e in events if e["event"] == "slot" and e["name"] == "requested_slot"), None)


async def test_a_repair_asks_the_warranty_once_the_time_is_settled(dispatcher, form_tracker, domain):
    tracker = form_tracker({"appointment_time": TIME}, slots=REPAIR)
    events = await ValidateBookingForm().run(dispatcher, tracker, domain)
    assert requested(events) == "service_type"
    assert slot_values(events)["warranty_asked"] is True
    assert slot_values(events)["appointment_time"] == TIME


async def test_the_question_is_the_warranty_not_the_list_of_services(dispatcher, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="service_type", slots={**REPAIR, "warranty_asked": True})
    await ActionAskServiceType().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_warranty"]


async def test_without_a_service_the_list_of_services_is_asked(dispatcher, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="service_type", slots={"service_type": None})
    await ActionAskServiceType().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_service_type"]


@pytest.mark.parametrize("said", ["我想预约明天下午三点做保养"])
async def test_maintenance_is_not_asked_about_the_warranty(dispatcher, form_tracker, domain, said):
    tracker = form_tracker({"appointment_time": TIME}, slots={"service_type": "maintenance"}, text=said)
    events = await ValidateBookingForm().run(dispatcher, tracker, domain)
    assert requested(events) != "service_type"
    assert "warranty_asked" not in slot_values(events)


@pytest.mark.parametrize("told", ["这车开了五年了", "刚过质保", "自费修就行"])
async def test_not_asked_when_the_customer_already_told(dispatcher, form_tracker, domain, told):
    tracker = form_tracker({"appointment_time": TIME}, slots=REPAIR, text=told)
    tracker.events.insert(-1, {"event": "user", "timestamp": 1.0, "text": told, "parse_data": {}})
    events = await ValidateBookingForm().run(dispatcher, tracker, domain)
    assert requested(events) != "service_type"


def answer_tracker(form_tracker, text, intent="inform", entities=None):
    tracker = form_tracker({"service_type": text}, requested_slot="service_type", text=text,
                           slots={**REPAIR, "warranty_asked": True, "appointment_time": TIME}, entities=entities)
    tracker.events.insert(1, {"event": "slot", "timestamp": 1.0, "name": "service_type", "value": "repair"})
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.9}
    return tracker


@pytest.mark.parametrize("said, intent, code", [
    ("在的,车才买一年多", "inform", "warranty"),
    ("本来想说修一下,不过车才一年多,应该能走质保吧", "inform", "warranty"),
    ("还在", "affirm", "warranty"),
    ("早过了", "inform", "repair"),
    ("不在了,自费修吧", "deny", "repair"),
    ("维修", "inform", "repair"),
    ("这车开了四年多了", "inform", "repair"),
    ("补胎", "inform", "repair"),  # the job of the repair, no other service
    ("修", "inform", "repair"),
])
async def test_the_answer_books_a_claim_or_a_repair(dispatcher, form_tracker, domain, said, intent, code):
    events = await ValidateBookingForm().run(dispatcher, answer_tracker(form_tracker, said, intent), domain)
    assert slot_values(events)["service_type"] == code
    noted = "utter_warranty_noted" if code == "warranty" else "utter_repair_noted"
    assert noted in [m["response"] for m in dispatcher.messages]


async def test_another_service_named_is_what_the_customer_came_for(dispatcher, form_tracker, domain):
    events = await ValidateBookingForm().run(dispatcher, answer_tracker(form_tracker, "就做个保养", "inform"), domain)
    slots = slot_values(events)
    assert slots["service_type"] == "maintenance"
    assert "天窗那里咔咔响" in slots["extra_requests"]  # the fault told, kept for the technician


async def test_a_button_books_the_claim(dispatcher, form_tracker, domain):
    payload = '/inform{"service_type": "保修索赔"}'
    entities = [{"entity": "service_type", "value": "保修索赔"}]
    events = await ValidateBookingForm().run(dispatcher, answer_tracker(form_tracker, payload, "inform", entities), domain)
    assert slot_values(events)["service_type"] == "warranty"
    assert requested(events) != "service_type"


async def test_not_knowing_keeps_the_repair_for_the_advisor_to_check(dispatcher, form_tracker, domain):
    events = await ValidateBookingForm().run(dispatcher, answer_tracker(form_tracker, "不清楚", "inform"), domain)
    assert slot_values(events)["service_type"] == "repair"
    assert "utter_warranty_to_check" in [m["response"] for m in dispatcher.messages]
    assert requested(events) != "service_type"  # answered: not asked again
