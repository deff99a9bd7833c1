"""action_submit_booking writes exactly one draft per confirmed booking."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from actions.submit_booking import ActionSubmitBooking
from dealer.db import unit_of_work
from dealer.models import AuditLog, DraftWorkOrder

CONFIRMED = {
    "appointment_time": "2026-11-27T15:00:00+08:00",
    "appointment_display": "11月27日(周五) 15:00",
    "service_type": "maintenance",
    "service_display": "保养",
    "customer_name": "王先生",
    "phone": "13812345678",
    "plate": "沪A12345",
    "car_model": "迈腾",
    "booking_confirmed": True,
    "booking_key": "key-1",
}

pytestmark = pytest.mark.usefixtures("app_database")


def drafts(url: str) -> list[DraftWorkOrder]:
    with unit_of_work(url) as session:
        return list(session.scalars(select(DraftWorkOrder)))


async def test_submit_writes_the_draft_and_names_the_advisor(
    dispatcher, form_tracker, domain, app_database
):
    tracker = form_tracker({}, requested_slot=None, slots=CONFIRMED)
    events = await ActionSubmitBooking().run(dispatcher, tracker, domain)

    [draft] = drafts(app_database)
    assert (draft.customer_name, draft.phone, draft.plate, draft.model) == ("王先生", "13812345678", "沪A12345", "迈腾")
    assert draft.service_type == "maintenance" and draft.channel == "rest"
    assert draft.conversation_id == "tracker-fixture-1" and draft.status == "draft"
    assert draft.start_at.isoformat() == "2026-11-27T07:00:00+00:00"
    done, quote, documents = dispatcher.messages
    assert done["response"] == "utter_booking_done"
    assert done["advisor_name"] in {"李明", "张华", "王芳"}
    assert quote["response"] == "utter_quote_maintenance"
    assert "小保养480元" in quote["price_list"] and "大保养1280元" in quote["price_list"]
    assert documents["response"] == "utter_bring_documents_and_promise"
    assert "产品合格证" in documents["documents"]  # first visit not known: the full list
    assert documents["reminder_promise"] == "服务顾问会在前一天致电与您确认"  # REST: a reminder call
    assert {"event": "slot", "timestamp": None, "name": "draft_id", "value": float(draft.id)} in events
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert {"appointment_time", "phone", "plate", "booking_key"} <= cleared
    with unit_of_work(app_database) as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 1


async def test_a_name_withheld_is_stored_as_none_not_as_a_word(dispatcher, form_tracker, domain, app_database):
    tracker = form_tracker({}, requested_slot=None, slots={**CONFIRMED, "customer_name": "unknown"})
    await ActionSubmitBooking().run(dispatcher, tracker, domain)
    [draft] = drafts(app_database)
    assert draft.customer_name is None and draft.phone == "13812345678"


async def test_a_retried_submit_writes_no_second_draft(dispatcher, form_tracker, domain, app_database):
    tracker = form_tracker({}, requested_slot=None, slots=CONFIRMED)
    await ActionSubmitBooking().run(dispatcher, tracker, domain)
    await ActionSubmitBooking().run(dispatcher, tracker, domain)
    assert len(drafts(app_database)) == 1
    responses = [m["response"] for m in dispatcher.messages]
    assert responses.count("utter_booking_done") == 2


async def test_returning_customer_gets_the_short_document_list_and_facts_are_stored(
    dispatcher, form_tracker, domain, app_database
):
    slots = {**CONFIRMED, "first_visit": False, "mileage": "35000", "extra_requests": "顺便洗车",
             "last_service": "unknown", "service_type": "repair", "repeat_repair": True}
    tracker = form_tracker({}, requested_slot=None, slots=slots)
    await ActionSubmitBooking().run(dispatcher, tracker, domain)
    [draft] = drafts(app_database)
    assert (draft.first_visit, draft.mileage_km, draft.extra_requests) == (False, 35000, "顺便洗车")
    assert draft.last_service is None and draft.repeat_repair is True
    assert dispatcher.messages[1]["response"] == "utter_quote_after_inspection"
    assert dispatcher.messages[2]["documents"] == "保养手册等随车文件、行驶证"


async def test_a_repair_stores_the_interview_score_tags_and_urgency(dispatcher, form_tracker, domain, app_database):
    slots = {
        **CONFIRMED, "service_type": "repair", "urgent": True,
        "symptom_what": "刹车的时候有异响", "symptom_when": "最近一周", "symptom_where": "刹车的时候",
        "symptom_frequency": "每次都有", "symptom_driving_impact": "不清楚", "symptom_tried": "没有",
    }
    await ActionSubmitBooking().run(dispatcher, form_tracker({}, requested_slot=None, slots=slots), domain)
    [draft] = drafts(app_database)
    assert draft.symptoms == {
        "what": "刹车的时候有异响", "when": "最近一周", "where": "刹车的时候",
        "frequency": "每次都有", "driving_impact": None, "tried": "没有",  # 不清楚: not given
    }
    assert draft.symptom_completeness == 4
    assert draft.symptom_tags == {"parts": ["刹车"], "symptoms": ["异响"]}
    assert draft.urgent is True


@pytest.mark.parametrize(
    ("said", "stored"),
    [("这个真不好说", None), ("说不清 没注意过", None), ("不记得了", None),
     ("偶尔吧 说不好", "偶尔吧 说不好"), ("不知道哪天开始的 反正上周就有", "不知道哪天开始的 反正上周就有")],
)
async def test_an_answer_that_says_only_i_dont_know_is_stored_as_not_given(
    said, stored, dispatcher, form_tracker, domain, app_database
):
    slots = {**CONFIRMED, "service_type": "repair", "symptom_what": "说不上来", "symptom_when": said}
    await ActionSubmitBooking().run(dispatcher, form_tracker({}, requested_slot=None, slots=slots), domain)
    [draft] = drafts(app_database)
    assert draft.symptoms["when"] == stored
    assert draft.symptoms["what"] == "说不上来"  # the complaint stays as told, never null


async def test_a_plate_left_open_is_stored_as_none(dispatcher, form_tracker, domain, app_database):
    await ActionSubmitBooking().run(
        dispatcher, form_tracker({}, requested_slot=None, slots={**CONFIRMED, "plate": "unknown"}), domain
    )
    [draft] = drafts(app_database)
    assert draft.plate is None and draft.phone == "13812345678"


async def test_a_maintenance_booking_has_no_interview(dispatcher, form_tracker, domain, app_database):
    await ActionSubmitBooking().run(dispatcher, form_tracker({}, requested_slot=None, slots=CONFIRMED), domain)
    [draft] = drafts(app_database)
    assert draft.symptoms is None and draft.symptom_completeness is None


async def test_a_wechat_customer_is_promised_the_reminder_on_wechat(dispatcher, form_tracker, domain, app_database):
    """Issue 12: the reply promises only what will happen on the customer's channel."""
    tracker = form_tracker({}, requested_slot=None, slots={**CONFIRMED, "booking_key": "key-wechat"})
    for event in tracker.events:
        if event.get("event") == "user":
            event["input_channel"] = "wechat"
    await ActionSubmitBooking().run(dispatcher, tracker, domain)

    [draft] = drafts(app_database)
    assert draft.channel == "wechat"
    promise = dispatcher.messages[-1]
    assert promise["response"] == "utter_bring_documents_and_promise"
    assert promise["reminder_promise"] == "我们会在预约前一天通过微信提醒您"
