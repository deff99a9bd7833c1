"""validate_booking_form against a real SQLite database (message time: Thu 2026-11-26 15:00)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.events import SlotSet

from actions.booking_form import ValidateBookingForm
from dealer.db import unit_of_work
from dealer.services.booking import BookingRequest, book

SHANGHAI = ZoneInfo("Asia/Shanghai")
MESSAGE_TIME = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.usefixtures("app_database")


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def run_form(dispatcher, tracker, domain):
    return await ValidateBookingForm().run(dispatcher, tracker, domain)


async def test_bookable_time_is_kept_and_displayed_with_weekday(dispatcher, form_tracker, domain):
    tracker = form_tracker({"appointment_time": "2026-11-27T15:00:00+08:00"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == "2026-11-27T15:00:00+08:00"
    assert slots["appointment_display"] == "11月27日(周五) 15:00"
    assert slots["booking_key"]
    assert dispatcher.messages == []


async def test_time_outside_opening_hours_is_explained_and_free_slots_offered(
    dispatcher, form_tracker, domain
):
    tracker = form_tracker({"appointment_time": "2026-11-27T22:00:00+08:00"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] is None
    assert dispatcher.messages[0]["response"] == "utter_time_closed"
    assert dispatcher.messages[0]["opening_hours"] == "08:30–17:30"
    offer = dispatcher.messages[1]
    assert offer["response"] == "utter_offer_slots"
    assert len(offer["buttons"]) == 3
    assert all("/inform" in b["payload"] for b in offer["buttons"])


async def test_time_in_the_past_is_refused(dispatcher, form_tracker, domain):
    tracker = form_tracker({"appointment_time": "2026-11-25T10:00:00+08:00"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] is None
    assert dispatcher.messages[0]["response"] == "utter_time_past"


async def test_full_slot_offers_other_slots(dispatcher, form_tracker, domain, app_database, catalog):
    start = datetime(2026, 11, 27, 15, 0, tzinfo=SHANGHAI)
    with unit_of_work(app_database) as session:
        for n in range(catalog.slot_capacity):
            book(
                session,
                BookingRequest(
                    idempotency_key=f"k{n}", channel="rest", conversation_id=f"c{n}",
                    service_type="maintenance", start=start,
                ),
                catalog,
                MESSAGE_TIME,
            )
    tracker = form_tracker({"appointment_time": start.isoformat()})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] is None
    assert dispatcher.messages[0]["response"] == "utter_time_full"
    offered = [b["title"] for b in dispatcher.messages[1]["buttons"]]
    assert "11月27日(周五) 15:00" not in offered
    assert "11月27日(周五) 14:30" in offered


async def test_vague_time_proposes_slots_inside_the_window(dispatcher, form_tracker, domain):
    entity = {
        "entity": "time",
        "value": "2026-11-27T13:00:00+08:00",
        "additional_info": {
            "exact": False,
            "earliest": "2026-11-27T13:00:00+08:00",
            "latest": "2026-11-27T17:30:00+08:00",
        },
    }
    tracker = form_tracker({"appointment_time": entity["value"]}, entities=[entity], text="周五下午")
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] is None
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles and all(t.startswith("11月27日(周五) 1") for t in titles)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("+86 138-1234-5678", "13812345678"), ("139 0000 1111", "13900001111")],
)
async def test_phone_is_normalised(dispatcher, form_tracker, domain, given, expected):
    tracker = form_tracker({"phone": given}, requested_slot="phone")
    assert slot_values(await run_form(dispatcher, tracker, domain))["phone"] == expected


@pytest.mark.parametrize("given", ["12345", "2381234567", "1381234567a", "我不想说"])
async def test_invalid_phone_is_explained_and_asked_again(dispatcher, form_tracker, domain, given):
    tracker = form_tracker({"phone": given}, requested_slot="phone")
    assert slot_values(await run_form(dispatcher, tracker, domain))["phone"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_phone"


@pytest.mark.parametrize(
    ("given", "expected"), [("沪a·12345", "沪A12345"), ("粤B D12345", "粤BD12345")]
)
async def test_plate_is_normalised(dispatcher, form_tracker, domain, given, expected):
    tracker = form_tracker({"plate": given}, requested_slot="plate")
    assert slot_values(await run_form(dispatcher, tracker, domain))["plate"] == expected


async def test_invalid_plate_is_explained(dispatcher, form_tracker, domain):
    tracker = form_tracker({"plate": "ABC123"}, requested_slot="plate")
    assert slot_values(await run_form(dispatcher, tracker, domain))["plate"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_plate"


@pytest.mark.parametrize(
    ("given", "code", "name"),
    [("做个小保养", "maintenance", "保养"), ("钣金喷漆", "body_paint", "钣金喷漆"), ("换个雨刮", "other", "其他")],
)
async def test_service_words_map_to_the_contract_enum(dispatcher, form_tracker, domain, given, code, name):
    tracker = form_tracker({"service_type": given}, requested_slot="service_type")
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert (slots["service_type"], slots["service_display"]) == (code, name)


async def test_name_prefers_the_extracted_entity(dispatcher, form_tracker, domain):
    tracker = form_tracker(
        {"customer_name": "免贵姓王,王先生"},
        requested_slot="customer_name",
        entities=[{"entity": "customer_name", "value": "王先生"}],
    )
    assert slot_values(await run_form(dispatcher, tracker, domain))["customer_name"] == "王先生"


async def test_deny_at_read_back_asks_what_to_correct(dispatcher, form_tracker, domain):
    tracker = form_tracker({"booking_confirmed": False}, requested_slot="booking_confirmed")
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["booking_confirmed"] is None
    assert slots["awaiting_correction"] is True


async def test_a_corrected_fact_ends_the_correction(dispatcher, form_tracker, domain):
    tracker = form_tracker(
        {"phone": "13912345678"},
        requested_slot="booking_confirmed",
        slots={"awaiting_correction": True, "phone": "13812345678", "booking_key": "abc"},
    )
    events = await run_form(dispatcher, tracker, domain)
    assert SlotSet("awaiting_correction", False) in events
    assert slot_values(events)["phone"] == "13912345678"
    assert "booking_key" not in slot_values(events)
