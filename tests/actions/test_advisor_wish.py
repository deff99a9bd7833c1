"""An advisor asked for by name (上回是张顾问接待的,这次还能找他吗?): noted for the booking."""
from __future__ import annotations

import pytest

from actions.booking_form import ValidateBookingForm
from actions.submit_booking import wanted_advisor

pytestmark = pytest.mark.usefixtures("app_database")

BOOKED = {"service_type": "maintenance", "appointment_time": "2026-11-27T15:00:00+08:00",
          "appointment_display": "11月27日(周五) 15:00", "customer_name": "聂", "phone": "13612957480",
          "plate": "京P5H3E9", "first_visit": True, "car_model": "亚洲龙", "mileage": "72000",
          "last_service": "五月", "extra_requests": "unknown"}


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.mark.parametrize(("text", "response"), [
    ("上回是张顾问接待的,这次还能找他吗?", "utter_advisor_wish_noted"),
    ("能指定李明接待吗", "utter_advisor_wish_noted"),
    ("上回是刘顾问接待的,这次还能找他吗?", "utter_advisor_not_here"),  # nobody of that name here
])
async def test_an_advisor_asked_for_at_the_read_back_is_answered_and_changes_nothing(
        dispatcher, form_tracker, domain, text, response):
    tracker = form_tracker({"booking_confirmed": text}, requested_slot="booking_confirmed", text=text, slots=BOOKED)
    tracker.latest_message["intent"] = {"name": "report_problem", "confidence": 0.6}
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert [m["response"] for m in dispatcher.messages] == [response]
    assert slots.get("service_type", "maintenance") == "maintenance" and not slots.get("symptom_what")
    assert slots["requested_slot"] == "booking_confirmed" and slots.get("booking_confirmed") is None


def test_the_advisor_asked_for_goes_with_the_booking(form_tracker):
    tracker = form_tracker({}, text="好的")
    tracker.events.insert(-1, {"event": "user", "timestamp": 1.0, "text": "上回是张顾问接待的,这次还能找他吗?"})
    assert wanted_advisor(tracker) == "张华"
    assert wanted_advisor(form_tracker({}, text="到了找谁")) is None


@pytest.mark.parametrize(("text", "response", "wanted"), [
    ("店里有没有女的服务顾问呀?", "utter_advisor_of_gender", "王芳"),  # the dealer's file says who
    ("想找个男顾问聊,方便吗", "utter_advisor_of_gender", "李明"),
    ("让上次那个小周接待我可以吗", "utter_advisor_not_here", None),  # nobody called 周 here
])
async def test_an_advisor_wished_for_by_gender_or_nickname_is_answered_at_the_name(
        dispatcher, form_tracker, domain, text, response, wanted):
    tracker = form_tracker({"customer_name": text}, requested_slot="customer_name", text=text)
    tracker.latest_message["intent"] = {"name": "book_service", "confidence": 0.7}
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert [m["response"] for m in dispatcher.messages] == [response]
    assert slots.get("customer_name") is None and slots["requested_slot"] == "customer_name"
    tracker.events.insert(-1, {"event": "user", "timestamp": 1.0, "text": text})
    assert wanted_advisor(tracker) == wanted


@pytest.mark.parametrize(("text", "kept"), [
    ("不用了,接待的顾问谁有空都行", "unknown"),  # no wish and no work
    ("帮忙查下胎压,顾问无所谓", "查下胎压"),
    ("顺便洗个车,最好女顾问", "女顾问"),  # a wish the advisor reads on the order
    ("麻烦安排个懂电车的顾问", "懂电车的顾问"),
])
async def test_any_advisor_will_do_is_no_extra_work(dispatcher, form_tracker, domain, text, kept):
    tracker = form_tracker({"extra_requests": text}, requested_slot="extra_requests", text=text,
                           slots={k: v for k, v in BOOKED.items() if k != "extra_requests"})
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.7}
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert kept in slots["extra_requests"] and "无所谓" not in slots["extra_requests"]


async def test_an_advisor_named_by_surname_at_a_later_step_is_not_the_customers_name(dispatcher, form_tracker, domain):
    text = "上次那个姓钱的顾问态度不好,这次换个人"
    tracker = form_tracker({"customer_name": "钱", "extra_requests": text}, requested_slot="extra_requests", text=text,
                           entities=[{"entity": "customer_name", "value": "钱"}],
                           slots={k: v for k, v in BOOKED.items() if k != "extra_requests"})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1795676300.0, "name": "customer_name", "value": "聂"})
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert slots["customer_name"] == "聂" and "换个人" in slots["extra_requests"]
