"""validate_booking_form against a real SQLite database (message time: Thu 2026-11-26 15:00)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_form import ValidateBookingForm
from dealer.db import unit_of_work
from dealer.script import NOT_GIVEN, load_script
from dealer.settings import REPO_ROOT
from dealer.services.booking import BookingRequest, book

SHANGHAI = ZoneInfo("Asia/Shanghai")
MESSAGE_TIME = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)

DOMAIN = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))

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


async def test_a_window_heard_before_the_booking_began_is_offered_not_booked(dispatcher, form_tracker, domain):
    """车子刹车有点异响,礼拜天下午好伐 … 好的: the afternoon was never checked (no display
    yet), so it is offered as slots; it is no booked time the read-back could show."""
    window = "2026-11-29T13:00:00+08:00"
    entity = {"entity": "time", "value": window,
              "additional_info": {"exact": False, "earliest": window, "latest": "2026-11-29T17:30:00+08:00"}}
    tracker = form_tracker({"appointment_time": window}, requested_slot=None, text="好的")
    opening = {"event": "user", "timestamp": 1795676399.0, "text": "车子刹车有点异响,礼拜天下午好伐",
               "parse_data": {"intent": {"name": "report_problem"}, "entities": [entity]}}
    tracker.events[3:3] = [opening, {"event": "slot", "timestamp": 1795676399.1, "name": "appointment_time", "value": window}]
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] is None
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles and all(t.startswith("11月29日(周日) 1") for t in titles)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("+86 138-1234-5678", "13812345678"), ("139 0000 1111", "13900001111")],
)
async def test_phone_is_normalised(dispatcher, form_tracker, domain, given, expected):
    tracker = form_tracker({"phone": given}, requested_slot="phone")
    assert slot_values(await run_form(dispatcher, tracker, domain))["phone"] == expected


@pytest.mark.parametrize("given", ["12345", "2381234567", "1381234567a", "打我座机吧"])
async def test_invalid_phone_is_explained_and_asked_again(dispatcher, form_tracker, domain, given):
    tracker = form_tracker({"phone": given}, requested_slot="phone", text=given)
    assert slot_values(await run_form(dispatcher, tracker, domain))["phone"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_phone"


@pytest.mark.parametrize(("text", "intent", "response"), [
    ("我不想说", "inform", "utter_phone_why_needed"),
    ("电话就不留了吧", "deny", "utter_phone_why_needed"),  # a "no" the slot mapping leaves out
    ("就用我微信绑定的那个", "inform", "utter_phone_not_visible"),
])
async def test_a_phone_withheld_or_not_typed_gets_its_own_answer(dispatcher, form_tracker, domain, text, intent, response):
    tracker = form_tracker({"phone": text} if intent != "deny" else {}, requested_slot="phone", text=text)
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.8}
    assert slot_values(await run_form(dispatcher, tracker, domain))["phone"] is None
    assert [m["response"] for m in dispatcher.messages] == [response]


@pytest.mark.parametrize(("text", "intent"), [("不方便说", "inform"), ("名字就不告诉了", "deny")])
async def test_a_name_withheld_is_left_for_the_advisor(dispatcher, form_tracker, domain, text, intent):
    tracker = form_tracker({"customer_name": text} if intent != "deny" else {}, requested_slot="customer_name",
                           text=text)
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.8}
    assert slot_values(await run_form(dispatcher, tracker, domain))["customer_name"] == NOT_GIVEN
    assert [m["response"] for m in dispatcher.messages] == ["utter_name_left_open"]


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


async def test_a_plate_read_the_same_wrong_way_twice_is_left_for_the_advisor(dispatcher, form_tracker, domain):
    # 浙B·D73K51: a new-energy plate's last four are digits; the customer is told how it goes.
    first = form_tracker({"plate": "浙B·D73K51"}, requested_slot="plate")
    assert slot_values(await run_form(dispatcher, first, domain))["plate"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_plate_new_energy"
    again = form_tracker({"plate": "浙B·D73K51"}, requested_slot="plate", slots={"reasked_slots": ["plate"]})
    assert slot_values(await run_form(dispatcher, again, domain))["plate"] == NOT_GIVEN  # the booking goes on
    assert dispatcher.messages[-1]["response"] == "utter_left_open_for_advisor"


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


@pytest.mark.parametrize("text", ["里程说错了,是三万六不是两万六", "里程不是两万六,应该是三万六", "公里数改成三万六"])
async def test_a_mileage_corrected_at_the_read_back_in_words_no_entity_takes(dispatcher, form_tracker, domain, text):
    tracker = form_tracker(
        {"booking_confirmed": None}, requested_slot="booking_confirmed", text=text,
        slots={"mileage": "26000", "booking_key": "abc"},
    )
    tracker.latest_message["intent"] = {"name": "correct_info", "confidence": 0.9}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["mileage"] == "36000"
    assert slots.get("booking_confirmed") is None


@pytest.mark.parametrize("text", ["去年十月份换的机油", "上次是三月份换的刹车片"])
async def test_a_last_service_told_with_its_date_and_work_is_the_answer(dispatcher, form_tracker, domain, text):
    entity = {"entity": "time", "value": "2026-10-01T00:00:00+08:00", "start": 0, "end": 4}
    tracker = form_tracker({"last_service": text}, requested_slot="last_service", text=text, entities=[entity],
                           slots={"service_type": "maintenance", "first_visit": False})
    assert slot_values(await run_form(dispatcher, tracker, domain))["last_service"] == text


@pytest.mark.parametrize("text", ["还没上牌", "新车,现在挂的临牌", "车牌还没下来", "牌照还在办", "无牌", "还没落户",
                                  "现在开的临时号牌"])
async def test_a_car_without_its_plate_yet_is_asked_its_vin(dispatcher, form_tracker, domain, text):
    tracker = form_tracker({"plate": text}, requested_slot="plate", text=text,
                           slots={"service_type": "maintenance", "first_visit": True})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["plate"] == NOT_GIVEN
    assert not any(m.get("response", "").startswith("utter_invalid") for m in dispatcher.messages)
    tracker.slots["plate"] = NOT_GIVEN
    form = ValidateBookingForm()
    assert "vin" in await form.required_slots(form.domain_slots(DOMAIN), CollectingDispatcher(), tracker, DOMAIN)


@pytest.mark.parametrize(("text", "intent", "mapped", "said"), [
    ("暂时没有车牌", "deny", False, []),  # no plate yet: neither a wrong plate nor an answer to a question
    ("刚提的车没牌子呢", "inform", True, []),
    ("不记得车牌了", "deny", False, ["utter_left_open_for_advisor"]),  # not remembered: left for the advisor
    ("车牌号记不住", "inform", True, ["utter_left_open_for_advisor"]),
    # asked with a question tag: an answer still, not a question for the advisor
    ("车牌我记不住 行驶证上有车架号 你看行吗", "out_of_scope", True, ["utter_left_open_for_advisor"]),
])
async def test_no_plate_to_tell_is_the_answer_however_it_is_read(dispatcher, form_tracker, domain, text, intent, mapped, said):
    # A "no" is left out by the slot mappings (not_intent); the form reads it all the same.
    tracker = form_tracker({"plate": text} if mapped else {}, requested_slot="plate", text=text,
                           slots={"service_type": "maintenance"})
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.8}
    assert slot_values(await run_form(dispatcher, tracker, domain))["plate"] == NOT_GIVEN
    assert [m["response"] for m in dispatcher.messages] == said


async def test_a_vin_told_at_the_plate_question_is_the_cars_vin(dispatcher, form_tracker, domain):
    text = "车架号LSVAU2181N2137465可以吗"
    tracker = form_tracker({"plate": text}, requested_slot="plate", text=text, slots={"service_type": "maintenance"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["vin"] == "LSVAU2181N2137465" and slots["plate"] == NOT_GIVEN
    assert dispatcher.messages == []


@pytest.mark.parametrize(("on_file", "asked"), [(False, True), (True, False)])
async def test_the_vin_is_asked_unless_it_is_on_file(form_tracker, on_file, asked):
    tracker = form_tracker({}, slots={"service_type": "maintenance", "first_visit": True, "plate": "沪A12345",
                                      "vin_on_file": on_file})
    form = ValidateBookingForm()
    assert ("vin" in await form.required_slots(form.domain_slots(DOMAIN), CollectingDispatcher(), tracker, DOMAIN)) is asked


@pytest.mark.parametrize(("text", "slot", "expected"), [
    ("最后四位是5678", "phone", "18612345678"),
    ("电话尾号应该是5678", "phone", "18612345678"),
    ("车牌尾数是9", "plate", "陕A7B199"),
])
async def test_the_end_of_a_number_corrected_at_the_read_back(dispatcher, form_tracker, domain, text, slot, expected):
    tracker = form_tracker({}, requested_slot="booking_confirmed", text=text,
                           slots={"phone": "18612345768", "plate": "陕A7B198", "booking_key": "abc",
                                  "awaiting_correction": True})
    tracker.latest_message["intent"] = {"name": "correct_info", "confidence": 0.9}
    assert slot_values(await run_form(dispatcher, tracker, domain))[slot] == expected


async def test_a_plate_told_late_at_the_extra_requests_step_is_no_extra_request(dispatcher, form_tracker, domain):
    text = "哦对了 车牌昨天刚下来了,粤BD37791"
    tracker = form_tracker({"plate": "粤BD37791", "extra_requests": text}, requested_slot="extra_requests", text=text,
                           entities=[{"entity": "plate", "value": "粤BD37791"}],
                           slots={"plate": NOT_GIVEN, "first_visit": True, "service_type": "maintenance"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["plate"] == "粤BD37791" and slots["extra_requests"] is None


async def test_the_end_of_the_phone_taken_back_at_the_plate_step_is_corrected(dispatcher, form_tracker, domain):
    """电话刚才说错了,最后一位是9,车牌是…: the tail is the phone's (named last before it)."""
    text = "电话刚才说错了,最后一位是9,车牌是沪A12345"
    tracker = form_tracker({"plate": "沪A12345"}, requested_slot="plate", text=text,
                           entities=[{"entity": "plate", "value": "沪A12345"}],
                           slots={"phone": "13812345678", "first_visit": True})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["phone"] == "13812345679" and slots["plate"] == "沪A12345"


@pytest.mark.parametrize(("slot", "before", "text", "after"), [
    ("plate", "沪A12345", "车牌刚才说错了 是沪B12345", "沪B12345"),
    # no word of correction, but a phone is a phone
    ("phone", "13900001234", "哦对了 留我老婆的电话吧 15800001111", "15800001111"),
])
async def test_another_answer_changed_at_the_extra_requests_step_is_no_extra_request(
    slot, before, text, after, dispatcher, form_tracker, domain
):
    tracker = form_tracker({slot: after, "extra_requests": text}, requested_slot="extra_requests", text=text,
                           entities=[{"entity": slot, "value": after}],
                           slots={slot: before, "first_visit": True, "service_type": "maintenance"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots[slot] == after and slots["extra_requests"] is None
    assert [m.get("response") for m in dispatcher.messages] == ["utter_other_answer_noted"]


@pytest.mark.parametrize("asked", ["car_model", "mileage", "last_service"])
async def test_the_plate_taken_back_at_a_free_answer_step_is_no_answer_to_it(asked, dispatcher, form_tracker, domain):
    """不好意思车牌打错了,是浙C9N5T1 at the model (or the mileage, the last service): the plate
    is corrected and acknowledged, the step asked again (no model named 不好意思车牌…)."""
    text = "不好意思车牌打错了,是浙C9N5T1"
    tracker = form_tracker({"plate": "浙C9N5T1", asked: text}, requested_slot=asked, text=text,
                           entities=[{"entity": "plate", "value": "浙C9N5T1"}],
                           slots={"plate": "浙C5N9T1", "first_visit": False, "service_type": "bodywork"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["plate"] == "浙C9N5T1" and slots[asked] is None
    assert [m.get("response") for m in dispatcher.messages] == ["utter_other_answer_noted"]


async def test_no_more_work_said_beside_a_correction_answers_the_step(dispatcher, form_tracker, domain):
    text = "对了,车牌刚才说错了,是浙C9N5T1。别的没了"
    tracker = form_tracker({"plate": "浙C9N5T1", "extra_requests": text}, requested_slot="extra_requests", text=text,
                           entities=[{"entity": "plate", "value": "浙C9N5T1"}],
                           slots={"plate": "浙C5N9T1", "first_visit": False, "service_type": "maintenance"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["plate"] == "浙C9N5T1" and slots["extra_requests"] == NOT_GIVEN


@pytest.mark.parametrize(("slot", "text", "values", "expected"), [
    ("phone", "13816620593 哦打错了 是13816620539", ["13816620593", "13816620539"], "13816620539"),
    ("car_model", "英朗 哦不是 我换车了 现在开的是昂科威", ["英朗", "昂科威"], "昂科威"),
    ("plate", "沪B5C8L0 不对 说错了 沪B5C8L9", ["沪B5C8L0", "沪B5C8L9"], "沪B5C8L9"),
    # the right one first, the wrong one after 不是
    ("car_model", "不好意思,刚才车型说错了,是雷凌,不是卡罗拉", ["雷凌", "卡罗拉"], "雷凌"),
])
async def test_an_answer_taken_back_in_the_same_message_is_the_one_said_after(
    slot, text, values, expected, dispatcher, form_tracker, domain
):
    tracker = form_tracker({slot: values[0]}, requested_slot=slot, text=text,
                           entities=[{"entity": slot, "value": value} for value in values],
                           slots={"first_visit": True, "service_type": "maintenance"})
    assert slot_values(await run_form(dispatcher, tracker, domain))[slot] == expected


async def test_a_wish_asking_whether_a_part_is_broken_is_the_extra_request(dispatcher, form_tracker, domain):
    """顺便帮我看看倒车雷达 是不是坏了: 是不是asks, it takes no earlier answer back (the
    step had been asked again and again)."""
    text = "顺便帮我看看倒车雷达 是不是坏了 咋不响呢"
    tracker = form_tracker({"extra_requests": text, "service_type": "坏了"}, requested_slot="extra_requests",
                           text=text, entities=[{"entity": "service_type", "value": "坏了"}],
                           slots={"first_visit": True, "service_type": "body_paint", "plate": "鄂A5W8N3"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert "倒车雷达" in (slots["extra_requests"] or "")
    assert "utter_other_answer_noted" not in [m.get("response") for m in dispatcher.messages]


async def test_an_answer_said_again_after_it_was_taken_for_a_correction_is_the_answer(dispatcher, form_tracker, domain):
    """车牌是沪B12345 at the extra requests, acknowledged and the step asked again, then said
    again word for word: the customer means it as the answer; not asked a third time."""
    text = "车牌刚才说错了 是沪B12345"
    tracker = form_tracker({"plate": "沪B12345", "extra_requests": text}, requested_slot="extra_requests", text=text,
                           entities=[{"entity": "plate", "value": "沪B12345"}],
                           slots={"plate": "沪A12345", "first_visit": True, "service_type": "maintenance"})
    last_user = max(i for i, e in enumerate(tracker.events) if e.get("event") == "user")
    tracker.events[last_user] = {**tracker.events[last_user], "text": text}
    tracker.events.insert(last_user, {**tracker.events[last_user]})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["extra_requests"] is not None
    assert "utter_other_answer_noted" not in [m.get("response") for m in dispatcher.messages]


async def test_a_time_moved_at_the_extra_requests_step_is_no_extra_request(dispatcher, form_tracker, domain):
    """对了 时间能换成下周二不,还是上午十点 when other needs are asked: the time moves, no other need."""
    text = "对了 时间能换成下周二不,还是上午十点"
    tracker = form_tracker(
        {"appointment_time": "2026-12-01T10:00:00+08:00", "extra_requests": text}, requested_slot="extra_requests",
        text=text, entities=[{"entity": "time", "value": "2026-12-01T10:00:00+08:00", "start": 9, "end": 12}],
        slots={"appointment_time": "2026-11-30T10:00:00+08:00", "appointment_display": "11月30日(周一) 10:00",
               "first_visit": True, "service_type": "maintenance"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == "2026-12-01T10:00:00+08:00" and slots["extra_requests"] is None


@pytest.mark.parametrize(("text", "before", "after"), [
    ("姓写错了,是草头萧,不是小月肖", "肖先生", "萧先生"),
    ("名字写错了,我是立早章,不是弓长张", "张", "章"),
])
async def test_a_surname_corrected_at_the_read_back_by_its_parts(dispatcher, form_tracker, domain, text, before, after):
    tracker = form_tracker({}, requested_slot="booking_confirmed", text=text,
                           slots={"customer_name": before, "booking_key": "abc"})
    tracker.latest_message["intent"] = {"name": "correct_info", "confidence": 0.9}
    assert slot_values(await run_form(dispatcher, tracker, domain))["customer_name"] == after


async def test_yes_to_what_to_correct_with_nothing_changed_reads_the_booking_back_again(dispatcher, form_tracker, domain):
    """姓写错了 (not understood) → 需要修改哪一项? → 对,这回对了: nothing was changed, so it is not booked."""
    tracker = form_tracker({"booking_confirmed": True}, requested_slot="booking_confirmed", text="对,这回对了",
                           slots={"customer_name": "张", "booking_key": "abc", "awaiting_correction": True})
    tracker.latest_message["intent"] = {"name": "affirm", "confidence": 0.9}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["booking_confirmed"] is None and slots["awaiting_correction"] is False


async def test_a_mileage_corrected_after_naming_the_field_in_the_message_before(dispatcher, form_tracker, domain):
    text = "是五万不是十五万"
    tracker = form_tracker({}, requested_slot="booking_confirmed", text=text,
                           slots={"mileage": "150000", "booking_key": "abc", "awaiting_correction": True})
    tracker.events.insert(0, {"event": "user", "timestamp": 1.0, "text": "里程不对"})
    tracker.latest_message["intent"] = {"name": "correct_info", "confidence": 0.9}
    assert slot_values(await run_form(dispatcher, tracker, domain))["mileage"] == "50000"


async def test_maintenance_skips_the_repair_only_steps(form_tracker):
    tracker = form_tracker({}, slots={"service_type": "maintenance", "first_visit": True})
    form = ValidateBookingForm()
    slots = await form.required_slots(form.domain_slots(DOMAIN), CollectingDispatcher(), tracker, DOMAIN)
    assert "repeat_repair" not in slots and "last_service" not in slots
    assert slots[0] == "appointment_time" and slots[-1] == "booking_confirmed"


async def test_a_returning_repair_asks_last_service_and_repeat_repair(form_tracker):
    tracker = form_tracker({}, slots={"service_type": "repair", "first_visit": False})
    form = ValidateBookingForm()
    slots = await form.required_slots(form.domain_slots(DOMAIN), CollectingDispatcher(), tracker, DOMAIN)
    assert {"repeat_repair", "last_service"} <= set(slots)


def test_the_form_asks_the_script_in_the_script_order():
    assert DOMAIN["forms"]["booking_form"]["required_slots"] == load_script().slots
    for step in load_script().steps:
        assert step.ask in DOMAIN["responses"] or step.ask in DOMAIN["actions"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [("三万五", "35000"), ("3.5万公里", "35000"), ("跑了4万多公里", "40000"), ("不清楚", "unknown")],
)
async def test_mileage(dispatcher, form_tracker, domain, given, expected):
    tracker = form_tracker({"mileage": given}, requested_slot="mileage")
    assert slot_values(await run_form(dispatcher, tracker, domain))["mileage"] == expected


async def test_implausible_mileage_is_explained(dispatcher, form_tracker, domain):
    tracker = form_tracker({"mileage": "二百万公里"}, requested_slot="mileage")
    assert slot_values(await run_form(dispatcher, tracker, domain))["mileage"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_mileage"


@pytest.mark.parametrize("given", ["两三万吧", "十几万", "好多公里了"])
async def test_a_rough_or_missing_figure_is_asked_for_kindly(dispatcher, form_tracker, domain, given):
    # Not "this mileage looks wrong": any rough figure will do, or 不清楚.
    tracker = form_tracker({"mileage": given}, requested_slot="mileage", text=given)
    assert slot_values(await run_form(dispatcher, tracker, domain))["mileage"] is None
    assert dispatcher.messages[0]["response"] == "utter_mileage_one_figure"


@pytest.mark.parametrize(
    ("given", "expected"), [("第一次来", True), ("以前来过", False), (True, True), ("不记得了", "unknown")]
)
async def test_first_visit(dispatcher, form_tracker, domain, given, expected):
    tracker = form_tracker({"first_visit": given}, requested_slot="first_visit")
    assert slot_values(await run_form(dispatcher, tracker, domain))["first_visit"] == expected


@pytest.mark.parametrize(("given", "expected"), [
    ("没有了", "unknown"),
    # The work item, without the asking (帮忙, 顺便, 一下, 个).
    ("顺便做个四轮定位", "做个四轮定位"), ("帮忙洗个车", "洗个车"), ("麻烦看一下空调滤芯吧", "看一下空调滤芯"),
    # 要不要 asks; it says no 不要
    ("帮看看要不要保养", "看看要不要保养"), ("不要了", "unknown"),
])
async def test_extra_requests(dispatcher, form_tracker, domain, given, expected):
    tracker = form_tracker({"extra_requests": given}, requested_slot="extra_requests")
    assert slot_values(await run_form(dispatcher, tracker, domain))["extra_requests"] == expected


def booked_before(app_database, catalog) -> None:
    """王先生, 13812345678, 沪A12345 (迈腾, with its VIN) booked in an earlier conversation."""
    with unit_of_work(app_database) as session:
        book(
            session,
            BookingRequest(
                idempotency_key="old", channel="rest", conversation_id="old", service_type="maintenance",
                start=datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI), customer_name="王先生",
                phone="13812345678", plate="沪A12345", model="迈腾", vin="LSVAM4187C2184847",
            ),
            catalog,
            MESSAGE_TIME,
        )


async def test_returning_customer_is_recognised_by_phone(dispatcher, form_tracker, domain, app_database, catalog):
    booked_before(app_database, catalog)
    tracker = form_tracker({"phone": "13812345678"}, requested_slot="phone", slots={"customer_name": "王先生"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["first_visit"] is False
    assert dispatcher.messages[0]["response"] == "utter_welcome_back"
    tracker = form_tracker(
        {"plate": "沪A12345"}, requested_slot="plate", slots={"phone": "13812345678", "first_visit": False}
    )
    assert slot_values(await run_form(CollectingDispatcher(), tracker, domain))["car_model"] == "迈腾"


async def test_a_known_phone_reveals_neither_the_name_nor_the_vin_on_record(form_tracker, domain, app_database, catalog):
    booked_before(app_database, catalog)
    dispatcher = CollectingDispatcher()
    await run_form(dispatcher, form_tracker({"phone": "13812345678"}, requested_slot="phone"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_welcome_back_unnamed"]
    assert "王" not in str(dispatcher.messages)
    tracker = form_tracker(
        {"plate": "沪A12345"}, requested_slot="plate", slots={"phone": "13812345678", "first_visit": False}
    )
    slots = slot_values(await run_form(CollectingDispatcher(), tracker, domain))
    assert "vin" not in slots
    assert slots["vin_on_file"] is True and slots["requested_slot"] != "vin"  # on file: not asked again


async def test_invalid_vin_is_explained(dispatcher, form_tracker, domain):
    tracker = form_tracker({"vin": "LFV2A21K0D4012345"}, requested_slot="plate")
    assert slot_values(await run_form(dispatcher, tracker, domain))["vin"] is None
    assert dispatcher.messages[0]["response"] == "utter_invalid_vin"


async def test_a_described_problem_is_a_repair_and_prefills_the_interview(dispatcher, form_tracker, domain):
    text = "我的车刹车的时候有异响,最近一周都这样"
    tracker = form_tracker(
        {"service_type": "维修"}, requested_slot="appointment_time", text=text,
        slots={"service_type": None},
    )
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == "repair"
    assert "刹车的时候有异响" in slots["symptom_what"]
    assert slots["symptom_when"] == "最近一周"  # only the words that answer "since when"
    # 刹车的时候 says when, not where on the car or the road: that question is still asked.
    assert "symptom_where" not in slots
    assert "urgent" not in slots


async def test_danger_advises_not_to_drive_and_marks_urgent(dispatcher, form_tracker, domain, catalog):
    tracker = form_tracker(
        {"symptom_what": "刹车很软,踩不住"}, requested_slot="symptom_what",
        slots={"service_type": "repair", "first_visit": True},
    )
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["urgent"] is True
    assert dispatcher.messages[0]["response"] == "utter_danger_do_not_drive"
    assert dispatcher.messages[0]["rescue_phone"] == catalog.rescue_phone


def test_symptom_entities_make_a_repair(form_tracker):
    tracker = form_tracker({}, entities=[{"entity": "symptom", "value": "异响"}], text="车有异响")
    assert ValidateBookingForm().extract_service_type(CollectingDispatcher(), tracker, DOMAIN) == {
        "service_type": "repair"
    }


async def test_a_vague_complaint_gets_one_follow_up_only(form_tracker, domain):
    slots = {"service_type": "repair", "first_visit": True}
    first = CollectingDispatcher()
    tracker = form_tracker({"symptom_what": "有点不对劲"}, requested_slot="symptom_what", slots=slots)
    events = slot_values(await run_form(first, tracker, domain))
    assert events["symptom_what"] is None and events["vague_followed_up"] is True

    again = form_tracker(
        {"symptom_what": "就是感觉怪怪的"}, requested_slot="symptom_what", slots={**slots, "vague_followed_up": True}
    )
    assert slot_values(await run_form(CollectingDispatcher(), again, domain))["symptom_what"] == "就是感觉怪怪的"


@pytest.mark.parametrize("text,vague", [
    ("下雨天刹车会尖叫", False), ("大灯雾蒙蒙的", False), ("有点小毛病", True), ("感觉怪怪的", True),
])
async def test_a_part_told_with_what_it_does_needs_no_follow_up(form_tracker, domain, text, vague):
    # No symptom word is needed: 会尖叫 tells what the brakes do; 有点小毛病 tells nothing.
    slots = {"service_type": "repair", "first_visit": True}
    tracker = form_tracker({"symptom_what": text}, requested_slot="symptom_what", slots=slots)
    events = slot_values(await run_form(CollectingDispatcher(), tracker, domain))
    assert (events["symptom_what"] is None) is vague
    assert events.get("vague_followed_up", False) is vague


async def test_a_complaint_nobody_can_name_is_left_to_the_technician(form_tracker, domain):
    """说不上来 after the follow-up: no five questions about it; the interview is skipped."""
    slots = {"service_type": "repair", "first_visit": True, "vague_followed_up": True}
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({"symptom_what": "说不上来"}, requested_slot="symptom_what", slots=slots)
    events = slot_values(await run_form(dispatcher, tracker, domain))
    assert events["symptom_what"] == NOT_GIVEN and events["symptom_when"] == NOT_GIVEN
    assert events["symptom_confirmed"] is True and events["repeat_repair"] == NOT_GIVEN
    assert [m["response"] for m in dispatcher.messages] == ["utter_problem_left_for_check"]


async def test_an_inspection_whose_customer_knows_of_no_problem_has_no_interview(form_tracker, domain):
    slots = {"service_type": "inspection", "first_visit": True}
    tracker = form_tracker({"symptom_what": "不清楚"}, requested_slot="symptom_what", slots=slots)
    events = slot_values(await run_form(CollectingDispatcher(), tracker, domain))
    assert events["symptom_what"] == NOT_GIVEN and events["symptom_confirmed"] is True


async def test_i_dont_know_whether_it_was_repaired_before_is_not_a_no(form_tracker, domain):
    tracker = form_tracker(
        {"repeat_repair": "不清楚"}, requested_slot="repeat_repair", slots={"service_type": "repair"}, text="不清楚"
    )
    tracker.latest_message["intent"] = {"name": "deny", "confidence": 0.9}  # how NLU reads 不清楚
    assert slot_values(await run_form(CollectingDispatcher(), tracker, domain))["repeat_repair"] == NOT_GIVEN


async def test_a_time_heard_before_the_booking_began_is_checked_when_it_starts(dispatcher, form_tracker, domain):
    # 早上有空,车子异响 then 帮我约一下: the early time (before opening) was never checked; the
    # booking starts by checking it, not by keeping it unchecked for the read-back.
    early = "2026-11-27T08:00:00+08:00"
    # Heard with the problem, and passed again by Rasa to the form's validation as it starts.
    tracker = form_tracker({"appointment_time": early}, requested_slot=None, text="嗯，帮我约一下",
                           slots={"service_type": "repair"})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": early})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots.get("appointment_time") is None and dispatcher.messages[0]["response"] == "utter_time_closed"


async def test_a_time_in_an_answer_about_the_past_keeps_the_booking_time(dispatcher, form_tracker, domain):
    booked = "2026-11-27T15:00:00+08:00"
    tracker = form_tracker(
        {"appointment_time": "2026-11-26T08:00:00+08:00", "symptom_when": "今天早上开始的"},
        requested_slot="symptom_when",
        slots={"service_type": "repair", "first_visit": True},
    )
    tracker.events.insert(3, {"event": "slot", "timestamp": 1795676399.0, "name": "appointment_time", "value": booked})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == booked
    assert slots["symptom_when"] == "今天早上开始的"
    assert dispatcher.messages == []


async def test_an_unclear_message_naming_a_problem_is_heard_and_a_booking_offered(form_tracker, domain):
    from actions.side_requests import ActionHandleUnclearMessage

    tracker = form_tracker({}, entities=[{"entity": "symptom", "value": "顿挫"}], text="变速箱顿挫")
    tracker.active_loop = {}
    dispatcher = CollectingDispatcher()
    events = await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_problem_acknowledged", "utter_offer_booking"]
    assert slot_values(events)["booking_offer"]["service_type"] == "repair"
    tracker = form_tracker({}, entities=[{"entity": "time", "value": "2026-11-27T15:00:00+08:00", "start": 0, "end": 6}],
                           text="明天下午三点")
    tracker.active_loop = {}
    events = await ActionHandleUnclearMessage().run(CollectingDispatcher(), tracker, domain)
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "booking_form"}
    tracker = form_tracker({}, entities=[], text="嗯嗯啊啊")
    tracker.active_loop = {}
    await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert dispatcher.messages[-1]["response"] == "utter_default"


@pytest.mark.parametrize(("asked", "text", "response"), [
    ("appointment_time", "这两天还没想好哪天过去", "utter_time_undecided"),
    ("appointment_time", "要是走保险的话，需要我先垫付吗？", "utter_answer_by_advisor"),
    ("car_model", "你们那儿能刷卡吗?", "utter_answer_by_advisor"),
    ("car_model", "嗯嗯啊啊", "utter_default"),
])
async def test_an_unclear_message_inside_the_booking_is_answered_for_what_it_is(form_tracker, domain, asked, text, response):
    from actions.side_requests import ActionHandleUnclearMessage

    tracker = form_tracker({}, requested_slot=asked, text=text)
    tracker.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.3}
    dispatcher = CollectingDispatcher()
    assert await ActionHandleUnclearMessage().run(dispatcher, tracker, domain) == []  # the form asks again
    assert [m["response"] for m in dispatcher.messages] == [response]


async def test_a_raw_answer_that_skipped_validation_is_validated_on_the_next_run(dispatcher, form_tracker, domain):
    tracker = form_tracker(
        {}, requested_slot="booking_confirmed",
        slots={"service_type": "repair", "first_visit": True, "repeat_repair": "修过,又坏了", "phone": "138 1234 5678"},
    )
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["repeat_repair"] is True
    assert slots["phone"] == "13812345678"


async def test_a_service_word_in_another_answer_does_not_change_the_service(dispatcher, form_tracker, domain):
    tracker = form_tracker(
        {"service_type": "保养"}, requested_slot="symptom_when",
        slots={"service_type": "warranty", "service_display": "保修索赔"},
        entities=[{"entity": "service_type", "value": "保养"}], text="上周保养的时候师傅说有点渗油",
    )
    tracker.events.insert(3, {"event": "slot", "timestamp": 1795676399.0, "name": "service_type", "value": "warranty"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == "warranty"


async def test_a_fault_with_a_request_for_a_check_is_a_repair(dispatcher, form_tracker, domain):
    tracker = form_tracker(
        {"service_type": "检查"}, requested_slot="service_type",
        entities=[{"entity": "service_type", "value": "检查"}], text="车子怠速的时候抖得厉害,能约个检查吗",
    )
    assert slot_values(await run_form(dispatcher, tracker, domain))["service_type"] == "repair"


async def test_a_fault_told_with_maintenance_named_is_a_repair(dispatcher, form_tracker, domain):
    # The problem is the job (interviewed); routine work named beside it does not make it one.
    text = "刹车踩下去软绵绵的，正好也到保养的时候了"
    tracker = form_tracker({"service_type": "保养"}, requested_slot="service_type",
                           entities=[{"entity": "service_type", "value": "保养"}], text=text)
    assert slot_values(await run_form(dispatcher, tracker, domain))["service_type"] == "repair"


async def test_warranty_asks_for_the_vin_and_accepts_not_knowing_it(dispatcher, form_tracker, domain):
    required = await ValidateBookingForm().required_slots(
        DOMAIN["forms"]["booking_form"]["required_slots"], dispatcher,
        form_tracker({}, slots={"service_type": "warranty"}), domain,
    )
    assert "vin" in required
    tracker = form_tracker({"vin": "不记得了"}, requested_slot="vin", slots={"service_type": "warranty"}, text="不记得了")
    assert slot_values(await run_form(dispatcher, tracker, domain))["vin"] == NOT_GIVEN


async def test_a_vin_typed_in_lower_case_is_read(dispatcher, form_tracker, domain):
    tracker = form_tracker(
        {"vin": "车架号 lfv2a21k3d4012345"}, requested_slot="vin", slots={"service_type": "warranty"},
        text="车架号 lfv2a21k3d4012345",
    )
    assert slot_values(await run_form(dispatcher, tracker, domain))["vin"] == "LFV2A21K3D4012345"


async def test_an_unclear_yes_no_is_asked_again_once_then_left_open_and_said_so(form_tracker, domain):
    slots = {"service_type": "repair", "first_visit": True}
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({"repeat_repair": "这个嘛不好说"}, requested_slot="repeat_repair", slots=slots, text="这个嘛不好说")
    first = slot_values(await run_form(dispatcher, tracker, domain))
    assert first["repeat_repair"] is None and first["reasked_slots"] == ["repeat_repair"]
    assert dispatcher.messages[-1]["response"] == "utter_yes_no_unclear"
    tracker = form_tracker(
        {"repeat_repair": "说不好"}, requested_slot="repeat_repair",
        slots={**slots, "reasked_slots": ["repeat_repair"]}, text="说不好",
    )
    second = slot_values(await run_form(dispatcher, tracker, domain))
    assert second["repeat_repair"] == NOT_GIVEN
    assert dispatcher.messages[-1]["response"] == "utter_yes_no_left_open"


async def test_a_yes_in_the_customers_own_words(dispatcher, form_tracker, domain):
    tracker = form_tracker(
        {"repeat_repair": "上次来升级过系统,又死机了"}, requested_slot="repeat_repair",
        slots={"service_type": "repair", "first_visit": True}, text="上次来升级过系统,又死机了",
    )
    assert slot_values(await run_form(dispatcher, tracker, domain))["repeat_repair"] is True


async def test_a_question_instead_of_an_answer_is_answered_and_the_question_asked_again(dispatcher, form_tracker, domain):
    tracker = form_tracker({"mileage": "保养大概多少钱?"}, requested_slot="mileage", text="保养大概多少钱?")
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.5}
    events = await run_form(dispatcher, tracker, domain)
    assert slot_values(events) == {"mileage": None, "requested_slot": "mileage"}  # asked again
    assert dispatcher.messages[-1]["response"] == "utter_answer_price"


async def test_a_distance_in_another_sentence_is_not_the_mileage(dispatcher, form_tracker, domain):
    tracker = form_tracker(
        {"mileage": "100公里"}, requested_slot="plate", text="纯电续航掉得厉害 以前能跑100公里",
        entities=[{"entity": "mileage", "value": "100公里"}],
    )
    assert slot_values(await run_form(dispatcher, tracker, domain))["mileage"] is None


async def test_a_mileage_heard_before_the_booking_began_is_read_then(dispatcher, form_tracker, domain):
    # 保养一次多少钱 我的速腾跑了3万5 → the price, then 可以 后天下午三点能约吗 starts the booking.
    tracker = form_tracker({"mileage": "跑了3万5"}, requested_slot="privacy_consent", text="可以 后天下午三点能约吗")
    tracker.events.insert(0, {"event": "slot", "timestamp": 1795676300.0, "name": "mileage", "value": "跑了3万5"})
    assert slot_values(await run_form(dispatcher, tracker, domain))["mileage"] == "35000"


async def test_a_distance_in_the_last_service_answer_is_the_mileage_then(dispatcher, form_tracker, domain):
    # 一万八 at the mileage question; 前年六千公里那次首保 tells the mileage of that service.
    tracker = form_tracker(
        {"mileage": "六千公里", "last_service": "前年六千公里那次首保"}, requested_slot="last_service",
        text="前年六千公里那次首保", entities=[{"entity": "mileage", "value": "六千公里"}],
        slots={"first_visit": False, "service_type": "maintenance"},
    )
    tracker.events.insert(0, {"event": "slot", "timestamp": 1795676300.0, "name": "mileage", "value": "18000"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["mileage"] == "18000" and slots["last_service"] == "前年六千公里那次首保"


@pytest.mark.parametrize("entities", [[{"entity": "mileage", "value": "七万五"}], []], ids=["entity", "no-entity"])
async def test_the_mileage_taken_back_at_the_last_service_step_is_corrected_and_the_step_asked_again(
    dispatcher, form_tracker, domain, entities
):
    text = "等会儿,里程我刚下楼看了一眼,不是七万五,是八万一千二"
    candidates = {"mileage": "七万五", "last_service": text} if entities else {"last_service": text}
    tracker = form_tracker(
        candidates, requested_slot="last_service", text=text, entities=entities,
        slots={"first_visit": False, "service_type": "repair"},
    )
    tracker.events.insert(0, {"event": "slot", "timestamp": 1795676300.0, "name": "mileage", "value": "75000"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["mileage"] == "81200"
    assert slots["last_service"] is None  # not the correction: still to be answered
    assert [m.get("response") for m in dispatcher.messages][0] == "utter_mileage_corrected"


async def test_the_mileage_read_off_the_gauge_at_a_later_step_replaces_the_rough_one(dispatcher, form_tracker, domain):
    text = "稍等,我瞄了一眼码表,现在是61480"
    tracker = form_tracker({"mileage": "61480", "last_service": text}, requested_slot="last_service", text=text,
                           entities=[{"entity": "mileage", "value": "61480"}],
                           slots={"first_visit": False, "service_type": "maintenance"})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1795676300.0, "name": "mileage", "value": "60000"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["mileage"] == "61480" and slots["last_service"] is None
    assert [m.get("response") for m in dispatcher.messages][0] == "utter_mileage_corrected"


@pytest.mark.parametrize(
    ("slot", "text"),
    [("car_model", "你们那边能洗车吗？"), ("plate", "车牌不说不行吗？"), ("last_service", "你们系统里查不到吗？"),
     ("customer_name", "修的时候我能在店里等吗？")],
)
async def test_a_question_the_bot_cannot_answer_at_a_fact_step_is_not_the_fact(dispatcher, form_tracker, domain, slot, text):
    tracker = form_tracker({slot: text}, requested_slot=slot, text=text,
                           slots={"first_visit": False, "service_type": "maintenance"})
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.6}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots[slot] is None and slots["requested_slot"] == slot  # asked again
    assert dispatcher.messages[0]["response"] == "utter_answer_by_advisor"


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [("customer_name", "姓王可以吗？", "王"), ("plate", "是粤B12345吗？", "粤B12345"), ("last_service", "上次好像是去年吧？", "上次好像是去年吧？")],
)
async def test_a_fact_said_as_a_question_is_the_fact(dispatcher, form_tracker, domain, slot, text, expected):
    entities = [{"entity": "plate", "value": "粤B12345"}] if slot == "plate" else []
    tracker = form_tracker({slot: text}, requested_slot=slot, text=text, entities=entities,
                           slots={"first_visit": False, "service_type": "maintenance"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots[slot] == expected


# 没啥问题: no fault said; 想全面检测一下: the check asked for again instead of a fault.
@pytest.mark.parametrize("text", ["没啥问题 就例行检查下", "刚买了台二手的 想全面检测一下"])
async def test_a_check_without_a_fault_ends_the_interview(dispatcher, form_tracker, domain, text):
    tracker = form_tracker(
        {"symptom_what": text}, requested_slot="symptom_what",
        slots={"service_type": "inspection", "first_visit": True}, text=text,
    )
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["symptom_what"] == NOT_GIVEN and slots["symptom_more"] == NOT_GIVEN
    assert slots["repeat_repair"] == NOT_GIVEN


async def test_a_service_word_in_the_answer_keeps_the_interview_validated(dispatcher, form_tracker, domain):
    # 检查 in the answer leaves the raw word in the slot until validated: the interview's
    # steps must still be the ones validated (the answer is not stored unread).
    tracker = form_tracker(
        {"symptom_what": "没什么问题 就是检查一下", "service_type": "检查"}, requested_slot="symptom_what",
        slots={"service_type": "检查", "first_visit": True}, text="没什么问题 就是检查一下",
        entities=[{"entity": "service_type", "value": "检查"}],
    )
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == "inspection"
    assert slots["symptom_what"] == NOT_GIVEN and slots["repeat_repair"] == NOT_GIVEN


async def test_an_undated_time_of_day_after_a_refused_one_keeps_the_day(dispatcher, form_tracker, domain):
    # 周日早上8点 was refused (closed); 那8点半吧 resolves to tomorrow by itself: it means Sunday.
    tracker = form_tracker(
        {"appointment_time": "2026-11-27T08:30:00+08:00"}, slots={"wanted_day": "2026-11-29"}, text="那8点半吧",
        entities=[{"entity": "time", "value": "2026-11-27T08:30:00+08:00",
                   "additional_info": {"exact": True, "dated": False, "grain": "minute",
                                       "earliest": "2026-11-27T08:30:00+08:00", "latest": "2026-11-27T08:30:00+08:00"}}],
    )
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == "2026-11-29T08:30:00+08:00"
    assert slots["wanted_day"] == "2026-11-29"


async def test_an_invalid_optional_fact_is_asked_again_once_then_left_open(form_tracker, domain):
    slots = {"service_type": "warranty"}
    dispatcher = CollectingDispatcher()
    wrong = "LFV2A21K0D4012345"  # the check digit does not match
    tracker = form_tracker({"vin": wrong}, requested_slot="vin", slots=slots, text=wrong)
    first = slot_values(await run_form(dispatcher, tracker, domain))
    assert first["vin"] is None and dispatcher.messages[-1]["response"] == "utter_invalid_vin"
    tracker = form_tracker({"vin": wrong}, requested_slot="vin", slots={**slots, "reasked_slots": first["reasked_slots"]}, text=wrong)
    second = slot_values(await run_form(dispatcher, tracker, domain))
    assert second["vin"] == NOT_GIVEN and dispatcher.messages[-1]["response"] == "utter_left_open_for_advisor"


async def test_how_long_it_takes_is_answered_from_the_catalogue_and_the_model_asked_again(dispatcher, form_tracker, domain):
    # Read as some other intent (or as the model itself): the words ask how long.
    tracker = form_tracker({"car_model": "保养要多长时间"}, requested_slot="car_model", text="保养要多长时间")
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.6}
    events = await run_form(dispatcher, tracker, domain)
    assert slot_values(events) == {"car_model": None, "requested_slot": "car_model"}
    assert dispatcher.messages[-1]["response"] == "utter_answer_duration"
    assert "小保养约1小时" in dispatcher.messages[-1]["durations"]


async def test_a_wish_asked_as_a_question_is_the_extra_request(dispatcher, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="extra_requests", text="首保能一起做吗")
    tracker.latest_message["intent"] = {"name": "ask_price", "confidence": 0.7}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["extra_requests"] == "首保能一起做吗"
    assert not any(m.get("response") == "utter_answer_price" for m in dispatcher.messages)


async def test_a_question_said_again_after_its_answer_is_taken_as_the_answer(dispatcher, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="extra_requests", text="轮胎能看下吗")
    tracker.latest_message["intent"] = {"name": "ask_price", "confidence": 0.7}
    last_user = max(i for i, e in enumerate(tracker.events) if e.get("event") == "user")
    tracker.events[last_user] = {**tracker.events[last_user], "text": "轮胎能看下吗"}
    tracker.events.insert(last_user, {**tracker.events[last_user]})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["extra_requests"] == "轮胎能看下吗"


async def test_nothing_more_is_no_extra_request(dispatcher, form_tracker, domain):
    tracker = form_tracker({"extra_requests": "没了"}, requested_slot="extra_requests", text="没了")
    assert slot_values(await run_form(dispatcher, tracker, domain))["extra_requests"] == NOT_GIVEN


@pytest.mark.parametrize("text,intent,confirmed", [
    ("好的,谢谢", "thank", True), ("好的好的 麻烦了", "thank", True), ("不对,有点问题", "inform", False),
])
async def test_the_read_back_answered_in_own_words(dispatcher, form_tracker, domain, text, intent, confirmed):
    tracker = form_tracker({}, requested_slot="booking_confirmed", text=text)
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.8}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["booking_confirmed"] is (True if confirmed else None)
    if not confirmed:
        assert slots["awaiting_correction"] is True  # 需要修改哪一项? (电话写错了 asks the phone again)


async def test_the_read_back_confirmed_with_the_time_repeated(dispatcher, form_tracker, domain):
    booked = "2026-11-27T15:00:00+08:00"
    tracker = form_tracker({"appointment_time": booked}, requested_slot="booking_confirmed",
                           slots={"appointment_time": booked}, text="对,27号下午三点")
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": booked})
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.8}
    assert slot_values(await run_form(dispatcher, tracker, domain))["booking_confirmed"] is True


async def test_the_read_back_with_another_time_is_no_confirmation(dispatcher, form_tracker, domain):
    tracker = form_tracker({"appointment_time": "2026-11-28T10:00:00+08:00"}, requested_slot="booking_confirmed",
                           slots={"appointment_time": "2026-11-27T15:00:00+08:00"}, text="对,改成28号上午十点")
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.8}
    assert slot_values(await run_form(dispatcher, tracker, domain)).get("booking_confirmed") is None


async def test_a_new_time_at_the_read_back_is_no_question_for_the_words_around_it(dispatcher, form_tracker, domain):
    # 带 (bring) in the reason given is no question about the documents to bring.
    text = "哎呀后天不行,要带娃去医院,改到下周二下午三点行不"
    entity = {"entity": "time", "value": "2026-12-01T15:00:00+08:00", "start": 16, "end": 23}
    tracker = form_tracker({"appointment_time": entity["value"]}, requested_slot="booking_confirmed", text=text,
                           entities=[entity], slots={"appointment_time": "2026-11-28T15:00:00+08:00"})
    tracker.latest_message["intent"] = {"name": "correct_info", "confidence": 0.9}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == entity["value"]
    assert dispatcher.messages == []  # no answer to a question about documents


@pytest.mark.parametrize("asked", ["booking_confirmed", "appointment_time"])
async def test_a_time_the_customer_cannot_make_is_asked_again_not_kept(dispatcher, form_tracker, domain, asked):
    booked = "2026-11-27T16:00:00+08:00"
    text = "明天下午去不了"
    entity = {"entity": "time", "value": "2026-11-27T12:00:00+08:00", "start": 0, "end": 4}
    tracker = form_tracker({"appointment_time": entity["value"]}, requested_slot=asked, text=text,
                           entities=[entity], slots={"appointment_time": booked, "awaiting_correction": True})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": booked})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] is None and slots.get("booking_confirmed") is None


@pytest.mark.parametrize("asking", ["有位吗", "有号吗", "有没有空", "有哪些时间可以约", "有什么时间"])
async def test_asking_whether_a_time_is_free_refuses_nothing(dispatcher, form_tracker, domain, asking):
    """明天下午四点有位吗: the time asked for (有位 had been read as 有事, something else on,
    and the time asked again and again without a word)."""
    text = f"明天下午四点{asking}"
    entity = {"entity": "time", "value": "2026-11-27T16:00:00+08:00", "start": 0, "end": 6}
    tracker = form_tracker({"appointment_time": entity["value"]}, requested_slot="appointment_time", text=text,
                           entities=[entity])
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == entity["value"]


@pytest.mark.parametrize(("text", "extra"), [
    ("没了。对了时间能不能改一下,明天临时有事,改成后天上午十点", NOT_GIVEN),  # answered, then the move
    ("时间能不能改一下,改成后天上午十点", None),  # only the move: the step is asked again
])
async def test_a_time_moved_at_another_step_is_said_back(dispatcher, form_tracker, domain, text, extra):
    entity = {"entity": "time", "value": "2026-11-28T10:00:00+08:00", "start": len(text) - 6, "end": len(text)}
    booked = "2026-11-27T10:00:00+08:00"
    tracker = form_tracker({"appointment_time": entity["value"], "extra_requests": text}, requested_slot="extra_requests",
                           text=text, entities=[entity],
                           slots={"appointment_time": booked, "appointment_display": "11月27日(周五) 10:00",
                                  "service_type": "maintenance"})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": booked})
    tracker.latest_message["intent"] = {"name": "correct_info", "confidence": 0.9}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == entity["value"] and slots["extra_requests"] == extra
    assert [m["response"] for m in dispatcher.messages] == ["utter_time_moved"]
    assert dispatcher.messages[0]["slot_label"] == "11月28日(周六) 10:00"


async def test_why_another_part_of_the_day_does_not_suit_refuses_nothing(dispatcher, form_tracker, domain):
    """明天下午两点 我上午要去公园跳舞: the afternoon, because of the morning (it had been read as
    refused, and the time asked again and again)."""
    text = "明天下午吧 下午两点 我上午要去公园跳舞 跳完了得回家做饭"
    entity = {"entity": "time", "value": "2026-11-27T14:00:00+08:00", "start": 0, "end": 11}
    tracker = form_tracker({"appointment_time": entity["value"]}, requested_slot="appointment_time", text=text,
                           entities=[entity])
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == entity["value"]


@pytest.mark.parametrize("text", ["明天临时有事", "明天孩子有补习班", "明天要加班"])
async def test_a_day_the_customer_has_something_on_is_asked_again(text, dispatcher, form_tracker, domain):
    booked = "2026-11-27T15:00:00+08:00"
    entity = {"entity": "time", "value": "2026-11-27T00:00:00+08:00", "start": 0, "end": 2}
    tracker = form_tracker({"appointment_time": entity["value"]}, requested_slot="booking_confirmed", text=text,
                           entities=[entity], slots={"appointment_time": booked, "awaiting_correction": True})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": booked})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] is None and slots["requested_slot"] == "appointment_time"


@pytest.mark.parametrize("text,moved", [
    ("时间能往后挪一天不?还是上午十点", "2026-11-29T10:00:00+08:00"), ("提前一个小时行吗", "2026-11-28T09:00:00+08:00"),
])
async def test_the_booked_time_moved_by_an_amount_is_the_new_time(dispatcher, form_tracker, domain, text, moved):
    booked = "2026-11-28T10:00:00+08:00"
    tracker = form_tracker({}, requested_slot="booking_confirmed", text=text,
                           slots={"appointment_time": booked, "appointment_display": "11月28日(周六) 10:00"})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": booked})
    tracker.latest_message["intent"] = {"name": "correct_info", "confidence": 0.8}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == moved and slots.get("booking_confirmed") is None


# Every fact of a maintenance booking, as at its read-back.
READ_BACK = {
    "appointment_time": "2026-11-28T10:00:00+08:00", "appointment_display": "11月28日(周六) 10:00",
    "service_type": "maintenance", "customer_name": "王", "phone": "13812345678", "first_visit": True,
    "plate": "沪A12345", "vin": "unknown", "car_model": "迈腾", "mileage": "35000", "last_service": "unknown", "extra_requests": "unknown",
}


@pytest.mark.parametrize("text,slot,awaiting", [
    ("时间得改一下", "appointment_time", True), ("车牌号错了", "plate", False), ("电话不对", "phone", False),
    ("车型", "car_model", True),
])
async def test_a_fact_said_wrong_without_its_value_is_asked_again(dispatcher, form_tracker, domain, text, slot, awaiting):
    tracker = form_tracker({}, requested_slot="booking_confirmed", text=text,
                           slots={**READ_BACK, "awaiting_correction": awaiting})
    tracker.latest_message["intent"] = {"name": "deny", "confidence": 0.8}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots[slot] is None and slots["requested_slot"] == slot
    assert slots["awaiting_correction"] is False


@pytest.mark.parametrize(("text", "confirmed"), [
    ("轮胎换位就不弄了,其他都对", True),  # the rest confirmed in the same message
    ("算了,换位先不做了", None),  # read back again without it
])
async def test_extra_work_given_up_at_the_read_back_comes_off_the_order(dispatcher, form_tracker, domain, text, confirmed):
    tracker = form_tracker({"booking_confirmed": text}, requested_slot="booking_confirmed", text=text,
                           slots={**READ_BACK, "extra_requests": "顺便做个轮胎换位"})
    tracker.latest_message["intent"] = {"name": "deny", "confidence": 0.6}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["extra_requests"] == "unknown" and slots.get("booking_confirmed") is confirmed


@pytest.mark.parametrize(("text", "line"), [
    ("噢还有,再加一项,帮我把轮胎气压调一下", "把轮胎气压调一下"),
    ("另外顺便给车打个蜡", "给车打个蜡"),
])
async def test_extra_work_added_at_the_read_back_is_read_back_with_the_rest(dispatcher, form_tracker, domain, text, line):
    tracker = form_tracker({}, requested_slot="booking_confirmed", text=text,  # no yes or no read from it
                           slots={**READ_BACK, "extra_requests": "检查刹车片"})
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.9}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["extra_requests"] == f"检查刹车片,{line}" and slots.get("booking_confirmed") is None
    assert slots["requested_slot"] == "booking_confirmed"


@pytest.mark.parametrize("text", ["对,另外没别的了", "对的,顺便问下几点能取车?"])
async def test_no_work_added_at_the_read_back(dispatcher, form_tracker, domain, text):
    tracker = form_tracker({"booking_confirmed": text}, requested_slot="booking_confirmed", text=text, slots=READ_BACK)
    tracker.latest_message["intent"] = {"name": "affirm", "confidence": 0.8}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots.get("extra_requests", "unknown") == "unknown"


@pytest.mark.parametrize(("extra", "text", "left"), [
    ("顺便做个轮胎换位,打个蜡", "打蜡不用了,其他没问题", "顺便做个轮胎换位"),  # only that item comes off
    ("保养完洗个车", "保养先不做了", "保养完洗个车"),  # the booked service declined: no extra work given up
])
async def test_only_the_extra_work_given_up_comes_off_the_order(dispatcher, form_tracker, domain, extra, text, left):
    tracker = form_tracker({"booking_confirmed": text}, requested_slot="booking_confirmed", text=text,
                           slots={**READ_BACK, "extra_requests": extra})
    tracker.latest_message["intent"] = {"name": "deny", "confidence": 0.6}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots.get("extra_requests", extra) == left


async def test_the_end_of_the_phone_taken_back_in_the_answer_is_corrected(dispatcher, form_tracker, domain):
    text = "159 2837 6604……不对不对，尾号是6605"
    tracker = form_tracker({"phone": text}, requested_slot="phone", text=text)
    assert slot_values(await run_form(dispatcher, tracker, domain))["phone"] == "15928376605"


async def test_the_end_of_the_plate_said_wrong_is_corrected_when_asked_again(dispatcher, form_tracker, domain):
    tracker = form_tracker({"plate": "最后是357"}, requested_slot="plate", text="最后是357", slots={"plate": None})
    said_wrong = [{"event": "slot", "timestamp": 1.0, "name": "plate", "value": "桂A6H375"},
                  {"event": "user", "timestamp": 2.0, "text": "车牌号错了"},
                  {"event": "slot", "timestamp": 3.0, "name": "plate", "value": None}]
    tracker.events[0:0] = said_wrong
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["plate"] == "桂A6H357"


async def test_the_end_of_a_number_goes_to_the_one_the_message_before_named(dispatcher, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="booking_confirmed", text="最后是357",
                           slots={**READ_BACK, "plate": "桂A6H375", "awaiting_correction": True})
    latest = next(i for i, e in enumerate(tracker.events) if e["event"] == "user")
    tracker.events.insert(latest, {"event": "user", "timestamp": 2.0, "text": "车牌号不对"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["plate"] == "桂A6H357" and "phone" not in slots


async def test_a_move_by_an_amount_wins_over_the_time_said_beside_it(dispatcher, form_tracker, domain):
    booked = "2026-11-28T10:00:00+08:00"
    entity = {"entity": "time", "value": "2026-11-27T10:00:00+08:00", "start": 12, "end": 16,
              "additional_info": {"dated": False, "exact": True, "grain": "minute"}}
    text = "时间能往后挪一天不?还是上午十点"
    tracker = form_tracker({"appointment_time": entity["value"]}, requested_slot="booking_confirmed", text=text,
                           entities=[entity], slots={"appointment_time": booked, "wanted_day": "2026-11-28"})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": booked})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == "2026-11-29T10:00:00+08:00"


async def test_a_correction_with_its_value_is_no_field_asked_again(dispatcher, form_tracker, domain):
    tracker = form_tracker({"phone": "13912345678"}, requested_slot="booking_confirmed", text="电话错了,是13912345678")
    tracker.latest_message["intent"] = {"name": "correct_info", "confidence": 0.8}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["phone"] == "13912345678"


@pytest.mark.parametrize("booking_key,answered", [(None, ["utter_answer_duration"]), ("key-1", [])])
async def test_a_question_in_the_message_asking_for_the_booking_is_answered_first(
        dispatcher, form_tracker, domain, booking_key, answered):
    text = "做个保养大概要多久啊?我想在店里等"
    tracker = form_tracker({"service_type": "保养"}, requested_slot=None, text=text, slots={"booking_key": booking_key})
    tracker.latest_message["intent"] = {"name": "book_service", "confidence": 0.9}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert [m.get("response") for m in dispatcher.messages] == answered
    assert slots["service_type"] == "maintenance" and slots["requested_slot"] == "appointment_time"


async def test_a_check_asked_taking_up_an_offered_warranty_claim_keeps_the_claim(dispatcher, form_tracker, domain):
    offer = {"service_type": "warranty", "complaint": "仪表老报电池故障", "text": "我的ID.4仪表老报电池故障", "car_model": None}
    text = "那约个检查吧,下周四上午十点"
    tracker = form_tracker({"service_type": "检查"}, requested_slot=None, text=text, slots={"booking_offer": offer})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "booking_offer", "value": offer})
    tracker.latest_message["intent"] = {"name": "book_service", "confidence": 0.9}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == "warranty"


async def test_a_vin_typed_full_width_is_taken(dispatcher, form_tracker, domain):
    text = "ＬＳＶＡＵ２１８１Ｎ２１３７４６５"
    tracker = form_tracker({"vin": text}, requested_slot="vin", text=text, slots={"service_type": "warranty"})
    assert slot_values(await run_form(dispatcher, tracker, domain))["vin"] == "LSVAU2181N2137465"


async def test_a_model_name_inside_the_vin_is_not_the_model(dispatcher, form_tracker, domain):
    text = "LSVCC6F24NN207398"
    entities = [{"entity": "car_model", "value": "CC", "start": 3, "end": 5},
                {"entity": "vin", "value": text, "start": 0, "end": 17}]
    tracker = form_tracker({"vin": text, "car_model": "CC"}, requested_slot="vin", text=text, entities=entities,
                           slots={"service_type": "body_paint", "plate": NOT_GIVEN})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["vin"] == text and slots["car_model"] is None


async def test_a_model_in_latin_letters_said_alone_is_the_model(dispatcher, form_tracker, domain):
    tracker = form_tracker({"car_model": "CC"}, requested_slot="car_model", text="我开的是CC",
                           entities=[{"entity": "car_model", "value": "CC", "start": 4, "end": 6}])
    assert slot_values(await run_form(dispatcher, tracker, domain))["car_model"] == "CC"


async def test_the_words_decide_the_read_back_over_the_intent(dispatcher, form_tracker, domain):
    tracker = form_tracker({"booking_confirmed": False}, requested_slot="booking_confirmed", text="对的,没有问题")
    tracker.latest_message["intent"] = {"name": "deny", "confidence": 0.7}
    assert slot_values(await run_form(dispatcher, tracker, domain))["booking_confirmed"] is True


@pytest.mark.parametrize("text", ["对的，到时候车停哪里？", "没问题，大概要弄多久？", "是的，我可能会晚到十分钟左右，没关系吧？"])
async def test_a_yes_with_a_question_at_the_read_back_is_answered_and_confirmed(dispatcher, form_tracker, domain, text):
    tracker = form_tracker({"booking_confirmed": True}, requested_slot="booking_confirmed", text=text,
                           slots={"service_type": "maintenance"})
    tracker.latest_message["intent"] = {"name": "affirm", "confidence": 0.8}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["booking_confirmed"] is True
    assert dispatcher.messages and dispatcher.messages[0]["response"].startswith("utter_answer")


@pytest.mark.parametrize(("text", "confirmed"), [("是五万四", True), ("不是四万五", True), ("里程是五万四", True),
                                               ("不是五万四", None), ("是四万五", None)])
async def test_the_corrected_figure_said_again_at_the_read_back_is_a_yes(dispatcher, form_tracker, domain, text, confirmed):
    """里程说错了 … 五万四 … then 是五万四 / 不是四万五 at the read-back: it is right now."""
    tracker = form_tracker({}, requested_slot="booking_confirmed", text=text,
                           slots={"service_type": "maintenance", "mileage": "54000"})
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.7}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots.get("booking_confirmed") is confirmed


def _at_read_back(form_tracker, text, booked, intent, candidates=None, entities=None):
    """The read-back of a booking for ``booked`` answered with ``text``."""
    tracker = form_tracker(candidates or {}, requested_slot="booking_confirmed", text=text,
                           slots={"service_type": booked}, entities=entities)
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "service_type", "value": booked})
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.5}
    return tracker


@pytest.mark.parametrize(("text", "booked", "intent", "wanted"), [
    ("这次其实是想喷个漆", "maintenance", "inform", "body_paint"),
    ("等下,漆先不补了,这次改成做个常规保养吧", "body_paint", "affirm", "maintenance"),  # the one after 改成
])
async def test_another_service_wanted_instead_at_the_read_back_changes_it(
        dispatcher, form_tracker, domain, text, booked, intent, wanted):
    candidates = {"booking_confirmed": True} if intent == "affirm" else None
    tracker = _at_read_back(form_tracker, text, booked, intent, candidates)
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == wanted and not slots.get("booking_confirmed")


async def test_the_service_read_back_named_with_a_yes_is_a_yes(dispatcher, form_tracker, domain):
    tracker = _at_read_back(form_tracker, "对,就做保养", "maintenance", "book_service", {"service_type": "保养"},
                            [{"entity": "service_type", "value": "保养", "start": 4, "end": 6}])
    assert slot_values(await run_form(dispatcher, tracker, domain))["booking_confirmed"] is True


async def test_the_service_wanted_said_again_once_read_back_is_a_yes(dispatcher, form_tracker, domain):
    text = "这次其实是想喷个漆"
    tracker = form_tracker({}, requested_slot="booking_confirmed", text=text,
                           slots={"service_type": "body_paint", "job_description": "喷个漆"})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "service_type", "value": "body_paint"})
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.5}
    assert slot_values(await run_form(dispatcher, tracker, domain))["booking_confirmed"] is True


async def test_by_the_way_at_the_read_back_is_no_yes(dispatcher, form_tracker, domain):
    tracker = form_tracker({"booking_confirmed": True}, requested_slot="booking_confirmed", text="哦对了")
    tracker.latest_message["intent"] = {"name": "affirm", "confidence": 0.9}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["booking_confirmed"] is None and slots["awaiting_correction"] is True


async def test_a_car_model_read_as_a_greeting_is_the_answer(dispatcher, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="car_model", text="哈弗H6")
    tracker.latest_message["intent"] = {"name": "greet", "confidence": 0.6}
    assert slot_values(await run_form(dispatcher, tracker, domain))["car_model"] == "哈弗H6"


async def test_how_to_be_called_read_as_a_yes_is_the_name(dispatcher, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="customer_name", text="喊我柯哥就行")
    tracker.latest_message["intent"] = {"name": "affirm", "confidence": 0.7}
    assert slot_values(await run_form(dispatcher, tracker, domain))["customer_name"] == "柯哥"


async def test_the_name_to_book_under_is_the_one_given_after_the_own(dispatcher, form_tracker, domain):
    text = "张,哦车是我老婆的,登记她名字吧,林小红"
    tracker = form_tracker({"customer_name": "张"}, requested_slot="customer_name", text=text,
                           entities=[{"entity": "customer_name", "value": "张", "start": 0, "end": 1}])
    assert slot_values(await run_form(dispatcher, tracker, domain))["customer_name"] == "林小红"


async def test_the_name_to_book_under_told_at_the_read_back_corrects_it(dispatcher, form_tracker, domain):
    text = "名字登记我老婆的吧,周丽,车在她名下,到时候她开过来"
    tracker = form_tracker({}, requested_slot="booking_confirmed", text=text, slots={**READ_BACK, "customer_name": "何"})
    tracker.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.3}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["customer_name"] == "周丽" and slots.get("booking_confirmed") is None


async def test_a_bare_greeting_answers_nothing(dispatcher, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="car_model", text="你好")
    tracker.latest_message["intent"] = {"name": "greet", "confidence": 0.9}
    assert "car_model" not in slot_values(await run_form(dispatcher, tracker, domain))


async def test_not_known_read_as_a_wait_is_the_answer(dispatcher, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="vin", slots={"service_type": "warranty"},
                           text="车架号我记不住,行驶证在我老公那")
    tracker.latest_message["intent"] = {"name": "wait", "confidence": 0.8}
    assert slot_values(await run_form(dispatcher, tracker, domain))["vin"] == NOT_GIVEN


async def test_the_offer_s_service_stands_when_the_raw_word_is_validated_as_the_form_starts(dispatcher, form_tracker, domain):
    # 刹车咯噔响,顺便把保养也做了 left 保养 in the slot; the offer heard a repair.
    offer = {"service_type": "repair", "complaint": "刹车的时候咯噔响", "text": "刹车的时候咯噔响,顺便把保养也做了",
             "car_model": None}
    tracker = form_tracker({"service_type": "保养"}, requested_slot=None, text="帮我约吧",
                           slots={"service_type": "保养", "booking_offer": offer})
    # 保养 was left by the opening message (before 帮我约吧); the form's start validates it again.
    last_user = max(i for i, e in enumerate(tracker.events) if e.get("event") == "user")
    tracker.events.insert(last_user, {"event": "slot", "timestamp": 1.0, "name": "service_type", "value": "保养"})
    tracker.latest_message["intent"] = {"name": "book_service", "confidence": 0.9}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == "repair"


@pytest.mark.parametrize("text,response", [
    ("谢谢你啊小姑娘,到时候我准时到", "utter_you_are_welcome"), ("好嘞 到时候见", "utter_goodbye"),
])
async def test_thanks_or_farewell_in_longer_words_after_the_booking(form_tracker, domain, text, response):
    from actions.side_requests import ActionHandleUnclearMessage

    tracker = form_tracker({}, text=text, slots={"draft_id": 7})
    tracker.active_loop = {}
    tracker.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.3}
    dispatcher = CollectingDispatcher()
    await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == [response]


@pytest.mark.parametrize("booked,response", [
    ("5月19日(周三) 12:00", "utter_booking_already_done"), (None, "utter_how_can_i_help"),
])
async def test_an_acknowledgement_after_the_booking_says_it_stands(form_tracker, domain, booked, response):
    from actions.side_requests import ActionHandleUnclearMessage

    tracker = form_tracker({}, text="收到", slots={"booked_display": booked})
    tracker.active_loop = {}
    tracker.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.4}
    dispatcher = CollectingDispatcher()
    await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == [response]


@pytest.mark.parametrize("text,booked,response", [
    ("行了吗", "5月19日(周三) 12:00", ["utter_booking_already_done"]),
    ("约上了没", "5月19日(周三) 12:00", ["utter_booking_already_done"]),
    ("我刚才是不是约成功了?", "5月19日(周三) 12:00", ["utter_booking_already_done"]),
    ("已经约上了吧", "5月19日(周三) 12:00", ["utter_booking_already_done"]),
    ("你们那停车方便吗", "5月19日(周三) 12:00", ["utter_answer_shop_fact"]),
    ("要是堵车晚到一会儿行吗", "5月19日(周三) 12:00", ["utter_answer_shop_fact"]),
    ("到时候要提前多久到", "5月19日(周三) 12:00", ["utter_answer_shop_fact"]),
    ("那天人多不多啊，要等很久吗", "5月19日(周三) 12:00", ["utter_answer_shop_fact"]),
    ("新车首保是免费的吗?", None, ["utter_answer_shop_fact", "utter_offer_booking"]),
    # The demo dealer's own answer (shop_facts); before a booking, then the offer.
    ("修的时候有代步车吗？", "5月19日(周三) 12:00", ["utter_answer_shop_fact"]),
    ("修的时候有代步车吗？", None, ["utter_answer_shop_fact", "utter_offer_booking"]),
])
async def test_a_question_after_the_booking_is_answered_not_misunderstood(form_tracker, domain, text, booked, response):
    from actions.side_requests import ActionHandleUnclearMessage

    tracker = form_tracker({}, text=text, slots={"booked_display": booked, "draft_id": 7 if booked else None})
    tracker.active_loop = {}
    tracker.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.4}
    dispatcher = CollectingDispatcher()
    await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == response


async def test_a_service_named_when_accepting_the_offer_counts(dispatcher, form_tracker, domain):
    offer = {"service_type": "repair", "complaint": "天窗漏水", "text": "新车天窗漏水", "car_model": None}
    tracker = form_tracker({"service_type": "保修"}, requested_slot=None, text="这个应该保修吧 约一个",
                           slots={"service_type": "保修", "booking_offer": offer})
    tracker.latest_message["intent"] = {"name": "book_service", "confidence": 0.9}
    assert slot_values(await run_form(dispatcher, tracker, domain))["service_type"] == "warranty"


async def test_a_time_asked_as_a_question_is_the_answer(dispatcher, form_tracker, domain):
    # 明天上午十点还能来吗 reads as a question about opening hours; the time is the answer,
    # and the slot check says whether it is free.
    text = "明天上午十点还能来吗"
    said = "明天上午十点"
    value = "2026-11-27T10:00:00+08:00"
    entity = {"entity": "time", "start": 0, "end": len(said), "value": value,
              "additional_info": {"earliest": value, "latest": value, "exact": True, "dated": True}}
    tracker = form_tracker({"appointment_time": value}, text=text, entities=[entity])
    tracker.latest_message["intent"] = {"name": "ask_hours", "confidence": 0.7}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == value
    assert not any(m.get("response") == "utter_answer_hours" for m in dispatcher.messages)


async def test_a_warranty_said_to_be_over_is_no_warranty(dispatcher, form_tracker, domain):
    # The entity ruler tags 质保 in 刚过质保期; the words around it say the claim is over.
    text = "车子刚过质保期,空调压缩机有异响"
    tracker = form_tracker({"service_type": "质保"}, requested_slot="service_type", text=text)
    assert slot_values(await run_form(dispatcher, tracker, domain))["service_type"] == "repair"


@pytest.mark.parametrize("slot,text,question", [
    ("symptom_when", "修这个大概要多少钱?", True),
    ("symptom_where", "你们几点下班", True),
    ("symptom_tried", "换了电瓶,花了多少钱忘了", False),  # names what was done: the answer
    ("symptom_when", "上周开始的", False),
])
async def test_a_question_at_an_interview_step_is_answered_and_the_step_asked_again(
    dispatcher, form_tracker, domain, slot, text, question
):
    tracker = form_tracker({slot: text}, requested_slot=slot, text=text,
                           slots={"service_type": "repair", "symptom_what": "玻璃水喷不出来"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    if question:
        assert slots[slot] is None and slots["requested_slot"] == slot
        assert dispatcher.messages[0]["response"].startswith("utter_answer_")
    else:
        assert slots[slot] == text


@pytest.mark.parametrize("text", ["周六一早过去换个机油行不", "想换一下机油"])
def test_a_named_service_is_not_made_a_repair_by_its_part(form_tracker, text):
    tracker = form_tracker({}, entities=[{"entity": "part", "value": "机油"}], text=text)
    assert ValidateBookingForm().extract_service_type(CollectingDispatcher(), tracker, DOMAIN) == {
        "service_type": "maintenance"
    }


@pytest.mark.parametrize(
    "question, response",
    [("这种一般要修多久?", "utter_answer_duration"), ("这个质保能全免吗?", "utter_answer_after_check"),
     ("这个灯亮了还能开过去吗?", "utter_answer_can_drive")],
)
async def test_a_question_in_the_interview_is_answered_not_stored(question, response, form_tracker, domain):
    slots = {"service_type": "repair", "first_visit": True, "symptom_what": "发动机抖得厉害"}
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({"symptom_frequency": question}, requested_slot="symptom_frequency", slots=slots, text=question)
    events = slot_values(await run_form(dispatcher, tracker, domain))
    assert events["symptom_frequency"] is None and events["requested_slot"] == "symptom_frequency"
    assert [m["response"] for m in dispatcher.messages] == [response]


@pytest.mark.parametrize("text", ["你们那有休息室吗,我想在店里等", "店里有没有WiFi?"])
async def test_what_the_shop_has_asked_at_the_extra_requests_is_no_request(form_tracker, domain, text):
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({"extra_requests": text}, requested_slot="extra_requests",
                           slots={"service_type": "maintenance", "first_visit": False}, text=text)
    events = slot_values(await run_form(dispatcher, tracker, domain))
    assert events["extra_requests"] is None and events["requested_slot"] == "extra_requests"
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer_shop_fact"]
    assert "休息区" in dispatcher.messages[0]["shop_fact"]


@pytest.mark.parametrize("text", ["有空的话能顺便帮我洗个车吗", "有空帮洗个车吗"])
async def test_a_wish_asked_as_a_question_at_the_extra_requests_stays_a_request(form_tracker, domain, text):
    tracker = form_tracker({"extra_requests": text}, requested_slot="extra_requests",
                           slots={"service_type": "maintenance", "first_visit": False}, text=text)
    assert "洗" in slot_values(await run_form(CollectingDispatcher(), tracker, domain))["extra_requests"]


async def test_a_documents_question_instead_of_the_extra_requests_is_answered(form_tracker, domain):
    dispatcher = CollectingDispatcher()
    text = "需要带什么东西吗?"
    tracker = form_tracker({"extra_requests": text}, requested_slot="extra_requests",
                           slots={"service_type": "maintenance", "first_visit": False}, text=text)
    events = slot_values(await run_form(dispatcher, tracker, domain))
    assert events["extra_requests"] is None
    [answer] = dispatcher.messages
    assert answer["response"] == "utter_answer_documents" and "行驶证" in answer["documents"]


def _offered(tracker, starts: list[str]):
    """The bot's turn before the latest message offered these slots as buttons."""
    last_user = max(i for i, e in enumerate(tracker.events) if e.get("event") == "user")
    buttons = [{"title": s, "payload": '/inform{"time": "%s"}' % s} for s in starts]
    tracker.events.insert(last_user, {"event": "bot", "text": "以下时段还有空位,您看哪个方便?", "data": {"buttons": buttons}})
    return tracker


async def test_a_time_left_to_the_dealer_takes_the_first_slot_offered_and_says_it(dispatcher, form_tracker, domain):
    tracker = _offered(form_tracker({}, text="随便 你们定"), ["2026-11-30T13:00:00+08:00", "2026-11-30T13:30:00+08:00"])
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == "2026-11-30T13:00:00+08:00"
    assert dispatcher.messages[0]["response"] == "utter_time_chosen_for_you"
    assert dispatcher.messages[0]["slot_label"] == "11月30日(周一) 13:00"


@pytest.mark.parametrize(("text", "chosen"), [
    ("第二个吧", "2026-11-30T13:30:00+08:00"), ("就头一个,越早越好", "2026-11-30T13:00:00+08:00"),
    ("最后那个", "2026-11-30T14:00:00+08:00"), ("那就最早那个", "2026-11-30T13:00:00+08:00"),
    ("越早越好,你们一开门我就过去", "2026-11-30T13:00:00+08:00"),  # the earliest of those offered
])
async def test_an_offered_slot_chosen_by_its_place_is_booked(dispatcher, form_tracker, domain, text, chosen):
    offered = ["2026-11-30T13:00:00+08:00", "2026-11-30T13:30:00+08:00", "2026-11-30T14:00:00+08:00"]
    tracker = _offered(form_tracker({}, text=text), offered)
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == chosen


async def test_an_offered_slot_chosen_by_its_place_beats_as_soon_as_possible(dispatcher, form_tracker, domain):
    """第一个吧,越早越好 after slots of the day after tomorrow were offered: the first of them
    (越早越好 read as a time had offered today's instead)."""
    offered = ["2026-11-30T13:00:00+08:00", "2026-11-30T13:30:00+08:00"]
    asap = {"entity": "time", "value": "2026-11-26T15:00:00+08:00", "start": 4, "end": 8,
            "additional_info": {"grain": "range", "exact": False, "earliest": "2026-11-26T15:00:00+08:00"}}
    tracker = _offered(form_tracker({"appointment_time": asap["value"]}, text="第一个吧,越早越好", entities=[asap]),
                       offered)
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == "2026-11-30T13:00:00+08:00"


async def test_a_time_left_to_the_dealer_with_nothing_offered_offers_slots_from_the_next_day(
    dispatcher, form_tracker, domain
):
    tracker = form_tracker({}, text="哪个都行,你们安排")
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots.get("appointment_time") is None and slots["wanted_day"] == "2026-11-27"
    offer = dispatcher.messages[0]
    assert offer["response"] == "utter_offer_slots"
    assert all("2026-11-27T" in b["payload"] for b in offer["buttons"])


async def test_a_time_said_with_leave_it_words_is_the_time_said(dispatcher, form_tracker, domain):
    entity = {"entity": "time", "value": "2026-11-27T15:00:00+08:00", "start": 0, "end": 4}
    tracker = form_tracker({"appointment_time": "2026-11-27T15:00:00+08:00"}, entities=[entity], text="明天下午三点,都行")
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == "2026-11-27T15:00:00+08:00"
    assert all(m.get("response") != "utter_time_chosen_for_you" for m in dispatcher.messages)


async def test_a_time_read_inside_another_answer_keeps_the_booking_time(dispatcher, form_tracker, domain):
    """我姓冯,两点水的冯 at the name: 两点 is no new booking time."""
    booked = "2026-11-28T10:00:00+08:00"
    tracker = form_tracker(
        {"appointment_time": "2026-11-27T14:00:00+08:00", "customer_name": "我姓冯,两点水的冯"},
        requested_slot="customer_name",
        text="我姓冯,两点水的冯",
        slots={"appointment_display": "11月28日(周六) 10:00"},  # the booked time was checked
    )
    tracker.events.insert(3, {"event": "slot", "timestamp": 1795676399.0, "name": "appointment_time", "value": booked})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == booked
    assert slots["customer_name"] == "冯"


async def test_a_time_changed_in_another_answer_is_the_new_booking_time(dispatcher, form_tracker, domain):
    booked = "2026-11-28T10:00:00+08:00"
    tracker = form_tracker(
        {"appointment_time": "2026-11-27T15:00:00+08:00", "phone": "13812345678"},
        requested_slot="phone",
        text="13812345678,时间改到明天下午三点吧",
    )
    tracker.events.insert(3, {"event": "slot", "timestamp": 1795676399.0, "name": "appointment_time", "value": booked})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == "2026-11-27T15:00:00+08:00"


async def test_a_day_said_before_the_booking_started_is_a_day_to_offer_slots_in(dispatcher, form_tracker, domain):
    """这周六能过来不 … 好的,帮我约一下: the day's window comes from the earlier message."""
    saturday = "2026-11-28T00:00:00+08:00"
    tracker = form_tracker({"appointment_time": saturday}, text="好的,帮我约一下")
    window = {"exact": False, "dated": True, "earliest": saturday, "latest": "2026-11-28T23:59:59+08:00"}
    earlier = {"event": "user", "timestamp": 1795676000.0, "text": "这周六能过来不",
               "parse_data": {"entities": [{"entity": "time", "value": saturday, "additional_info": window}]}}
    tracker.events.insert(2, earlier)
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] is None and slots["wanted_day"] == "2026-11-28"
    assert [m["response"] for m in dispatcher.messages] == ["utter_offer_slots"]
    assert all("2026-11-28T" in b["payload"] for b in dispatcher.messages[0]["buttons"])


async def test_the_read_back_shows_a_plate_or_name_left_for_the_advisor_as_not_given(form_tracker, domain):
    from actions.readback import ActionAskBookingConfirmed

    dispatcher = CollectingDispatcher()
    tracker = form_tracker({}, requested_slot="booking_confirmed", slots={"plate": NOT_GIVEN, "customer_name": NOT_GIVEN})
    await ActionAskBookingConfirmed().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["plate_display"] == load_script().not_given_label
    assert dispatcher.messages[0]["customer_name_display"] == load_script().not_given_label


async def test_the_exact_mileage_beats_the_round_one_the_entity_took(dispatcher, form_tracker, domain):
    entity = {"entity": "mileage", "value": "三千多公里", "start": 1, "end": 6}
    tracker = form_tracker({"mileage": "三千多公里"}, requested_slot="mileage", entities=[entity], text="才三千多公里,3460")
    assert slot_values(await run_form(dispatcher, tracker, domain))["mileage"] == "3460"


async def test_a_rough_mileage_told_before_the_question_is_asked_for_exactly(dispatcher, form_tracker, domain):
    """快一万公里了 at the name: not yet the odometer; the question repeats the rough figure."""
    entity = {"entity": "mileage", "value": "快一万公里了", "start": 3, "end": 9}
    tracker = form_tracker({"mileage": "快一万公里了"}, requested_slot="customer_name", entities=[entity],
                           text="哈弗H6快一万公里了 要做保养吧", slots={"service_type": "maintenance"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["mileage"] is None and slots["mileage_heard"] == "快一万公里" and slots["mileage_rough"] is True


async def test_an_exact_mileage_told_before_the_question_is_kept(dispatcher, form_tracker, domain):
    entity = {"entity": "mileage", "value": "跑了43000公里", "start": 0, "end": 9}
    tracker = form_tracker({"mileage": "跑了43000公里"}, requested_slot="customer_name", entities=[entity],
                           text="跑了43000公里,要做保养", slots={"service_type": "maintenance"})
    assert slot_values(await run_form(dispatcher, tracker, domain))["mileage"] == "43000"


@pytest.mark.parametrize(("answer", "expected"), [("四万三", "43000"), ("不清楚", "40000")])
async def test_the_exact_mileage_asked_after_a_rough_one(answer, expected, dispatcher, form_tracker, domain):
    """四万三 is the odometer; 不清楚 keeps the rough 四万多 told before."""
    tracker = form_tracker({"mileage": answer}, requested_slot="mileage", text=answer,
                           slots={"service_type": "maintenance", "mileage_heard": "四万多公里", "mileage_rough": True})
    assert slot_values(await run_form(dispatcher, tracker, domain))["mileage"] == expected


async def test_where_to_see_it_at_the_vin_question_is_answered_with_where_the_vin_is(dispatcher, form_tracker, domain):
    tracker = form_tracker({"vin": "车架号在哪能看到啊?"}, requested_slot="vin", text="车架号在哪能看到啊?",
                           slots={"service_type": "warranty"})
    tracker.latest_message["intent"] = {"name": "ask_address", "confidence": 0.8}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert dispatcher.messages[0]["response"] == "utter_answer_vin_location"
    assert slots["requested_slot"] == "vin" and slots.get("vin") is None





@pytest.mark.parametrize(("text", "expected"), [("6万公里保养包括哪些项目", "58700"), ("不对,已经跑了7万2了", "72000")])
async def test_a_rounder_figure_later_keeps_the_exact_mileage(dispatcher, form_tracker, domain, text, expected):
    # 表上58700 at the mileage question; later 6万公里保养 names the same mileage rounded,
    # while 7万2 is a new figure.
    tracker = form_tracker({"mileage": text}, requested_slot="extra_requests", text=text)
    tracker.events.insert(0, {"event": "slot", "timestamp": 1795676300.0, "name": "mileage", "value": "58700"})
    assert slot_values(await run_form(dispatcher, tracker, domain))["mileage"] == expected


@pytest.mark.parametrize(
    ("slot", "text", "question"),
    [
        # a guess at the cause, asked: named a part, yet no answer to the step
        ("symptom_driving_impact", "该不会是减震器坏了吧?换一个贵不贵", True),
        ("symptom_tried", "这是不是火花塞的问题啊?要紧不", True),
        ("symptom_frequency", "是离合片磨损了吗?", True),
        # the same words with an answer to the step: the answer
        ("symptom_tried", "换过火花塞了,会不会是线圈的问题?", False),
        ("symptom_driving_impact", "能开,就是会不会是减震坏了?", False),
    ],
)
async def test_a_question_about_the_cause_at_an_interview_step_is_not_its_answer(
    dispatcher, form_tracker, domain, slot, text, question
):
    tracker = form_tracker({slot: text}, requested_slot=slot, text=text,
                           slots={"service_type": "repair", "symptom_what": "过坎的时候底盘异响"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    if question:
        assert slots[slot] is None and slots["requested_slot"] == slot
        assert [m["response"] for m in dispatcher.messages] == ["utter_answer_after_check"]
    else:
        assert slots[slot] == text


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("周三临时有事来不了,能改到周四上午九点不?", None),  # the time moves; the model is asked again
        ("白色那台,前年冬天买的", "白色那台,前年冬天买的"),  # a time, but nothing moved
    ],
)
async def test_a_time_change_at_the_model_question_is_not_the_model(dispatcher, form_tracker, domain, text, model):
    entity = {"entity": "time", "value": "2026-12-10T09:00:00+08:00", "start": 0, "end": 2}
    tracker = form_tracker({"car_model": text}, requested_slot="car_model", text=text, entities=[entity])
    assert slot_values(await run_form(dispatcher, tracker, domain)).get("car_model") == model


@pytest.mark.parametrize(("slot", "text"), [
    ("plate", "不好意思周五去不了了,换到下周一下午三点可以吗"),
    ("mileage", "那天要出差,时间往后挪到周六上午十点吧"),
    ("customer_name", "不好意思，时间要改一下，周日有事，改成下周一上午九点吧"),
    ("phone", "哎等一下 明天我临时有事 改到后天下午三点行吗"),  # asked politely: no question to answer
])
async def test_a_time_change_at_a_fact_step_is_not_an_invalid_answer(dispatcher, form_tracker, domain, slot, text):
    entity = {"entity": "time", "value": "2026-12-14T15:00:00+08:00", "start": 0, "end": 2}
    tracker = form_tracker({slot: text}, requested_slot=slot, text=text, entities=[entity])
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots.get(slot) is None and slot not in (slots.get("reasked_slots") or [])
    assert not any(m.get("response", "").startswith("utter_invalid") for m in dispatcher.messages)
    assert not any(m.get("response", "").startswith("utter_answer") for m in dispatcher.messages)


@pytest.mark.parametrize("text", ["明天有事,改到后天同一时间行吗", "换到后天吧,还是这个点"])
async def test_a_new_day_at_the_same_time_keeps_the_time_of_day(dispatcher, form_tracker, domain, text):
    booked = "2026-11-27T15:00:00+08:00"
    day = {"entity": "time", "value": "2026-11-28T00:00:00+08:00", "start": 0, "end": 2,
           "additional_info": {"grain": "day", "exact": False, "dated": True,
                               "earliest": "2026-11-28T00:00:00+08:00", "latest": "2026-11-28T23:59:59+08:00"}}
    tracker = form_tracker({"appointment_time": day["value"]}, requested_slot="phone", text=text, entities=[day],
                           slots={"service_type": "maintenance", "appointment_display": "11月27日(周五) 15:00"})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": booked})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["appointment_time"] == "2026-11-28T15:00:00+08:00"
    assert slots.get("phone") is None


@pytest.mark.parametrize(("text", "response"), [
    ("6万公里的保养包括换变速箱油吗?", "utter_answer_price"),
    ("这次保养需要换火花塞吗", "utter_answer_price"),
])
async def test_what_the_service_includes_asked_at_the_extra_requests_is_answered(form_tracker, domain, text, response):
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({"extra_requests": text}, requested_slot="extra_requests",
                           slots={"service_type": "maintenance", "first_visit": False}, text=text)
    events = slot_values(await run_form(dispatcher, tracker, domain))
    assert events["extra_requests"] is None and events["requested_slot"] == "extra_requests"
    assert [m["response"] for m in dispatcher.messages] == [response]


@pytest.mark.parametrize("text", ["能顺便把空调滤芯换了吗?", "帮我加个玻璃水吧"])
async def test_a_wish_asked_as_a_question_is_the_extra_request(form_tracker, domain, text):
    tracker = form_tracker({"extra_requests": text}, requested_slot="extra_requests",
                           slots={"service_type": "maintenance", "first_visit": False}, text=text)
    events = slot_values(await run_form(CollectingDispatcher(), tracker, domain))
    assert events["extra_requests"]


async def test_a_service_not_known_is_left_for_the_advisor(dispatcher, form_tracker, domain):
    """不清楚 to what the visit is for (read as a no): 其他, said so; the question is not asked again."""
    tracker = form_tracker({}, requested_slot="service_type", text="不清楚")
    tracker.latest_message["intent"] = {"name": "deny", "confidence": 0.9}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == "other" and slots["service_display"] == "其他"
    assert "utter_service_left_for_advisor" in [m.get("response") for m in dispatcher.messages]
    assert slots.get("requested_slot") != "service_type"


@pytest.mark.parametrize(("asked", "response"), [("service_type", "utter_service_left_for_advisor"),
                                                 ("phone", "utter_needed_for_booking")])
async def test_decided_at_the_shop_leaves_that_answer_not_the_booking(dispatcher, form_tracker, domain, asked, response):
    """到了再说 (read as a cancel) to a required question: the booking goes on."""
    from actions.side_requests import ActionAbandonBooking

    tracker = form_tracker({}, requested_slot=asked, text="到了再说")
    events = await ActionAbandonBooking().run(dispatcher, tracker, domain)
    assert [m.get("response") for m in dispatcher.messages] == [response]
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"
    assert not any(e["event"] == "active_loop" for e in events)
    assert slot_values(events).get("service_type") == ("other" if asked == "service_type" else None)


async def test_a_booking_begun_from_this_message_is_not_read_again_as_the_form_starts(dispatcher, form_tracker, domain):
    """车子加速没劲,另外中控台那里一直有异响。想周三下午三点过来: the offer split the two
    complaints; the second one's place is not the first one's where."""
    text = "车子加速没劲,另外中控台那里一直有异响。想周三下午三点过来"
    # booking_start set repair; the slot mapping then took 异响 from the message as it started
    tracker = form_tracker({"symptom_what": "加速没劲", "service_type": "异响"}, requested_slot=None, text=text,
                           slots={"service_type": "异响", "symptom_what": "加速没劲",
                                  "pending_complaints": ["中控台那里一直有异响"]})
    tracker.events.insert(len(tracker.events) - 2, {"event": "slot", "timestamp": 1795676400.1, "name": "service_type", "value": "repair"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == "repair"
    assert "symptom_where" not in slots and "symptom_frequency" not in slots


async def test_a_rough_mileage_in_a_message_the_entity_read_exactly_is_still_rough(dispatcher, form_tracker, domain):
    """哈弗H6快一万公里了: the entity takes 一万公里; the 快 before it makes it rough."""
    entity = {"entity": "mileage", "value": "一万公里", "start": 5, "end": 9}
    tracker = form_tracker({"mileage": "一万公里"}, requested_slot=None, entities=[entity],
                           text="哈弗H6快一万公里了 要做保养吧", slots={"service_type": "maintenance"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["mileage"] is None and slots["mileage_heard"] == "快一万公里"


async def test_the_digits_of_a_corrected_plate_are_no_mileage(dispatcher, form_tracker, domain):
    text = "车牌错了 应该是苏E12354"
    tracker = form_tracker({"plate": "苏E12354", "mileage": "12354"}, requested_slot="mileage", text=text,
                           entities=[{"entity": "plate", "value": "苏E12354"}, {"entity": "mileage", "value": "12354"}],
                           slots={"plate": "苏E12345", "first_visit": True, "service_type": "maintenance"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["plate"] == "苏E12354" and slots["mileage"] is None


@pytest.mark.parametrize(("service", "slots_expected"), [
    # a repair: a further complaint, interviewed after the first
    ("repair", {"extra_requests": NOT_GIVEN, "pending_complaints": ["还有个问题,空调不太凉"]}),
    # maintenance interviews nothing: the fault goes to the advisor as other needs
    ("maintenance", {"extra_requests": "有个问题,空调不太凉"}),
])
async def test_a_fault_told_at_the_extra_requests_step(service, slots_expected, dispatcher, form_tracker, domain):
    text = "还有个问题,空调不太凉"
    tracker = form_tracker({"extra_requests": text}, requested_slot="extra_requests", text=text,
                           slots={"service_type": service, "symptom_what": "刹车有异响", "first_visit": True})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert {name: slots.get(name) for name in slots_expected} == slots_expected


async def test_a_part_to_replace_at_the_extra_requests_step_of_a_repair_is_work_not_a_fault(dispatcher, form_tracker, domain):
    text = "顺便把空调滤芯换了"
    tracker = form_tracker({"extra_requests": text}, requested_slot="extra_requests", text=text,
                           slots={"service_type": "repair", "symptom_what": "刹车有异响", "first_visit": True})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["extra_requests"] not in (None, NOT_GIVEN) and not slots.get("pending_complaints")


async def test_a_problem_told_at_the_time_question_is_noted_in_the_booking(dispatcher, form_tracker, domain):
    """请问您希望哪天… → 前两天等红灯被人追尾了,后杠撞瘪了: heard (not passed over in silence),
    the job is bodywork, and the time is asked again."""
    text = "前两天等红灯被人追尾了,后杠撞瘪了"
    tracker = form_tracker({"service_type": "追尾"}, requested_slot="appointment_time", text=text,
                           entities=[{"entity": "service_type", "value": "追尾"}],
                           slots={"service_type": "repair"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == "body_paint" and "后杠撞瘪了" in slots["job_description"]
    assert "utter_problem_noted" in [m.get("response") for m in dispatcher.messages]
    assert slots.get("appointment_time") is None


async def test_a_range_told_before_the_booking_is_no_mileage(dispatcher, form_tracker, domain):
    """满电显示400公里,实际跑不到250 (before the booking began) … 好,约一个: the car's range,
    not its odometer; the mileage is still asked."""
    tracker = form_tracker({}, requested_slot="customer_name", text="好,约一个", slots={"service_type": "repair"})
    last_user = max(i for i, e in enumerate(tracker.events) if e.get("event") == "user")
    tracker.events[last_user:last_user] = [
        {"event": "user", "timestamp": 1.0, "text": "满电显示400公里,实际跑不到250"},
        {"event": "slot", "timestamp": 1.0, "name": "mileage", "value": "400公里"},
    ]
    tracker.slots["mileage"] = "400公里"
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots.get("mileage") is None


async def test_the_bodywork_offered_taken_up_with_xiu_stays_bodywork(dispatcher, form_tracker, domain):
    """左前门被电动车撞了个坑 … 对,想修一下,下周三上午有空吗: 修 says no less than the bodywork offered."""
    offer = {"service_type": "body_paint", "complaint": "左前门被电动车撞了个坑", "text": "左前门被电动车撞了个坑",
             "car_model": None}
    text = "对,想修一下"
    tracker = form_tracker({"service_type": "修"}, requested_slot=None, text=text,
                           entities=[{"entity": "service_type", "value": "修"}], slots={"booking_offer": offer})
    last_user = max(i for i, e in enumerate(tracker.events) if e.get("event") == "user")
    tracker.events.insert(last_user, {"event": "slot", "timestamp": 1.0, "name": "booking_offer", "value": offer})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == "body_paint"


@pytest.mark.parametrize(("text", "said", "dated"), [
    ("确认,五点到", "2026-11-26T17:00:00+08:00", False),
    # next Friday booked; 礼拜五 read as this week's (a day gone by): the same weekday and hour
    ("对,礼拜五下午五点,没错", "2026-11-20T17:00:00+08:00", True),
])
async def test_yes_with_the_booked_hour_said_again_confirms(dispatcher, form_tracker, domain, text, said, dated):
    """确认,五点到 at the read-back: the booked time of day said again is no change."""
    booked = "2026-11-27T17:00:00+08:00"
    entity = {"entity": "time", "value": said, "start": 3, "end": 5,
              "additional_info": {"dated": dated, "grain": "hour"}}
    tracker = form_tracker({"appointment_time": entity["value"]}, requested_slot="booking_confirmed",
                           text=text, entities=[entity], slots={"appointment_time": booked})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": booked})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["booking_confirmed"] is True
    assert slots.get("appointment_time", booked) == booked


async def test_another_weekday_said_at_the_read_back_is_no_restatement(dispatcher, form_tracker, domain):
    from actions.booking_form import _the_booked_hour_again

    booked = "2026-11-27T17:00:00+08:00"
    entity = {"entity": "time", "value": "2026-11-26T17:00:00+08:00", "start": 0, "end": 3,
              "additional_info": {"dated": True, "grain": "hour"}}
    tracker = form_tracker({"appointment_time": entity["value"]}, requested_slot="booking_confirmed",
                           text="礼拜四下午五点", entities=[entity], slots={"appointment_time": booked})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": booked})
    assert _the_booked_hour_again(entity["value"], tracker) is False


async def test_the_mileage_corrected_at_an_interview_question_asks_it_again(dispatcher, form_tracker, domain):
    """先插一句,刚去车上看了下表,里程是两万九千四,刚才说少了 at 什么时候开始的: the mileage is
    corrected; the question is no answer and is asked again."""
    from tests.actions.test_interview import INTERVIEWING

    text = "先插一句,刚去车上看了下表,里程是两万九千四,刚才说少了"
    tracker = form_tracker({"symptom_when": text}, requested_slot="symptom_when", text=text,
                           slots={**INTERVIEWING, "symptom_when": None, "mileage": "25000"})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "mileage", "value": "25000"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["mileage"] == "29400"
    assert slots["symptom_when"] is None and slots["requested_slot"] == "symptom_when"


async def test_the_mileage_entity_corrected_at_an_interview_question_asks_it_again(dispatcher, form_tracker, domain):
    """The same with the figure read as the mileage entity (the slot set from it)."""
    from tests.actions.test_interview import INTERVIEWING

    text = "打断一下,里程我刚才说错了,是三万一"
    tracker = form_tracker({"symptom_where": text, "mileage": "三万一"}, requested_slot="symptom_where", text=text,
                           slots={**INTERVIEWING, "symptom_where": None, "mileage": "28000"},
                           entities=[{"entity": "mileage", "value": "三万一", "start": 14, "end": 17}])
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "mileage", "value": "28000"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["mileage"] == "31000"
    assert slots["symptom_where"] is None and slots["requested_slot"] == "symptom_where"


@pytest.mark.parametrize("asked", ["appointment_time", "mileage"])
async def test_a_young_car_told_at_another_step_makes_a_repair_a_warranty_claim(dispatcher, form_tracker, domain, asked):
    tracker = form_tracker({}, requested_slot=asked, text="车是刚提的,才两个月",
                           slots={"service_type": "repair", "symptom_what": "中控屏老死机"})
    tracker.latest_message["text"] = "刚提车两个月"
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots["service_type"] == "warranty" and slots["requested_slot"] == asked and slots[asked] is None
    assert [m["response"] for m in dispatcher.messages] == ["utter_warranty_noted"]


async def test_an_old_car_told_at_another_step_changes_nothing(dispatcher, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="mileage", text="开了五年了",
                           slots={"service_type": "repair", "symptom_what": "中控屏老死机"})
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots.get("service_type", "repair") == "repair"
    assert "utter_warranty_noted" not in [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize(("text", "entities", "model"), [
    ("特斯拉Model 3", [("特斯拉", 0, 3), ("Model 3", 3, 10)], "特斯拉Model 3"),
    ("丰田RAV4荣放", [("RAV4", 2, 6), ("荣放", 6, 8)], "RAV4荣放"),
    ("迈腾", [("迈腾", 0, 2)], "迈腾"),
])
async def test_names_of_the_model_told_side_by_side_are_kept_together(dispatcher, form_tracker, domain, text, entities, model):
    found = [{"entity": "car_model", "value": v, "start": a, "end": b} for v, a, b in entities]
    tracker = form_tracker({"car_model": found[0]["value"]}, requested_slot="car_model", text=text, entities=found)
    assert slot_values(await run_form(dispatcher, tracker, domain))["car_model"] == model


async def test_what_was_done_before_told_at_the_repeat_repair_question_changes_no_service(dispatcher, form_tracker, domain):
    text = "上个月来弄过一次，升级了下系统，没管用"
    tracker = form_tracker({"repeat_repair": text, "service_type": "升级"}, requested_slot="repeat_repair", text=text,
                           slots={"service_type": "warranty"})
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "service_type", "value": "warranty"})
    tracker.latest_message["intent"] = {"name": "correct_info", "confidence": 0.8}
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert slots.get("service_type", "warranty") == "warranty"
    assert slots["repeat_repair"] is True


@pytest.mark.parametrize(("text", "interviewed"), [
    ("车子下个月要年审了,你们能帮忙先检查一遍吗?怕上线过不了", False),
    ("想做个全车检查,没啥毛病,例行看看", False),
    ("想检查一下,刹车有点异响", True),  # a fault: a repair, interviewed
])
async def test_a_check_with_only_a_worry_has_nothing_to_interview(dispatcher, form_tracker, domain, text, interviewed):
    tracker = form_tracker({"service_type": "检查"}, requested_slot=None, text=text)
    slots = slot_values(await run_form(dispatcher, tracker, domain))
    assert (slots.get("symptom_what") != NOT_GIVEN) is interviewed
    assert ("怕上线过不了" in str(slots.get("symptom_what"))) is False
