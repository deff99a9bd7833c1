"""The interview's restatement (confirm or correct) and one interview per further complaint.

validate_booking_form against a real SQLite database; trackers from tests/data/tracker_booking_form.json.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.booking_form import ValidateBookingForm
from actions.interview import (
    ASKING_WORDS, MAX_FURTHER_COMPLAINTS, RESTATED_AGAIN, answers_taken, complaint_prefill, interview_prefill,
)
from actions.readback import ActionAskSymptomConfirmed, ActionAskSymptomMore
from actions.submit_booking import ActionSubmitBooking
from dealer.db import unit_of_work
from dealer.models import DraftWorkOrder
from dealer.script import NOT_GIVEN
from dealer.services.drafts import draft_to_contract

pytestmark = pytest.mark.usefixtures("app_database")

FIRST = {
    "symptom_what": "刹车的时候有异响", "symptom_when": "最近一周都这样", "symptom_where": "刹车的时候有异响",
    "symptom_frequency": "每次踩刹车都响", "symptom_driving_impact": "还能开", "symptom_tried": "没有",
}
# Every booking fact before the interview is known.
INTERVIEWING = {
    "appointment_time": "2026-11-27T15:00:00+08:00", "appointment_display": "11月27日(周五) 15:00",
    "service_type": "repair", "customer_name": "王先生", "phone": "13812345678", "first_visit": True,
    "plate": "沪A12345", "vin": "unknown", "car_model": "迈腾", "mileage": "35000", "extra_requests": "unknown", **FIRST,
    "symptom_detail": "吱吱的",  # what the 异响 sounds like, asked after what
    "phenomenon_asked": True,  # the phenomenon of the opening's complaint already asked (Chery step 6)
}


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def answer(form_tracker, domain, requested_slot, text, slots=None, intent="inform", dispatcher=None):
    tracker = form_tracker({requested_slot: text}, requested_slot=requested_slot, slots=slots, text=text)
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.9}
    return slot_values(await ValidateBookingForm().run(dispatcher or CollectingDispatcher(), tracker, domain))


@pytest.mark.parametrize(("text", "kept"), [("不知道,车平时我老公开", "不知道"), ("不清楚,不是我开的", "不清楚"),
                                          ("不知道,我自己拍过两下", "不知道,我自己拍过两下")])
async def test_not_knowing_because_someone_else_drives_is_kept_as_not_knowing(form_tracker, domain, text, kept):
    events = await answer(form_tracker, domain, "symptom_tried", text, {**INTERVIEWING, "symptom_tried": None})
    assert events["symptom_tried"] == kept


async def test_why_the_customer_cannot_say_how_often_is_no_answer(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_frequency", "我就坐过那一回 不知道",
                          {**INTERVIEWING, "symptom_frequency": None})
    assert events["symptom_frequency"] == "不知道"


# --- the restated complaint -------------------------------------------------------------


async def test_the_restatement_is_asked_after_the_six_questions(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_tried", "没有", {**INTERVIEWING, "symptom_tried": None})
    assert events["requested_slot"] == "symptom_confirmed"
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({}, requested_slot="symptom_confirmed", slots=INTERVIEWING)
    await ActionAskSymptomConfirmed().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_ask_symptom_confirmed"


@pytest.mark.parametrize("text,intent", [("对的", "affirm"), ("是的,没错", "affirm"), ("/affirm", "affirm"), ("嗯", "inform")])
async def test_agreement_goes_on_to_more_complaints(form_tracker, domain, text, intent):
    events = await answer(form_tracker, domain, "symptom_confirmed", text, INTERVIEWING, intent)
    assert events["symptom_confirmed"] is True
    assert "symptom_what" not in events
    assert events["requested_slot"] == "symptom_more"


async def test_a_correction_replaces_what_and_is_restated_once_more(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_confirmed", "不是,是方向盘抖", INTERVIEWING, "deny")
    assert events["symptom_what"] == "方向盘抖"
    assert events["symptom_confirmed"] is None
    assert events["restatement_state"] == RESTATED_AGAIN
    assert events["requested_slot"] == "symptom_confirmed"
    again = {**INTERVIEWING, "symptom_what": "方向盘抖", "restatement_state": RESTATED_AGAIN}
    dispatcher = CollectingDispatcher()
    await ActionAskSymptomConfirmed().run(dispatcher, form_tracker({}, "symptom_confirmed", again), domain)
    assert dispatcher.messages[0]["response"] == "utter_ask_symptom_confirmed_again"
    confirmed = await answer(form_tracker, domain, "symptom_confirmed", "对", again, "affirm")
    assert confirmed["symptom_confirmed"] is True and confirmed["restatement_state"] is None


async def test_a_place_corrected_at_the_restatement_is_where_and_the_complaint_stands(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_confirmed", "不对不对,是左前轮,我刚说错了", INTERVIEWING, "deny")
    assert events["symptom_where"] == "左前轮"
    assert "symptom_what" not in events
    assert events["symptom_confirmed"] is True and events["requested_slot"] == "symptom_more"


async def test_not_x_but_y_keeps_y(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_confirmed", "不是异响,是抖动", INTERVIEWING, "deny")
    assert events["symptom_what"] == "抖动"


async def test_a_second_correction_stands_without_a_third_restatement(form_tracker, domain):
    again = {**INTERVIEWING, "symptom_what": "方向盘抖", "restatement_state": RESTATED_AGAIN}
    events = await answer(form_tracker, domain, "symptom_confirmed", "不对,是高速的时候方向盘发抖", again, "deny")
    assert events["symptom_what"] == "高速的时候方向盘发抖"
    assert events["symptom_confirmed"] == "corrected"
    assert events["requested_slot"] == "symptom_more"


async def test_a_bare_no_asks_for_the_right_words_then_restates_them(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_confirmed", "不对", INTERVIEWING, "deny")
    assert events["symptom_confirmed"] is None and events["restatement_state"] == ASKING_WORDS
    assert "symptom_what" not in events
    asking = {**INTERVIEWING, "restatement_state": ASKING_WORDS}
    dispatcher = CollectingDispatcher()
    await ActionAskSymptomConfirmed().run(dispatcher, form_tracker({}, "symptom_confirmed", asking), domain)
    assert dispatcher.messages[0]["response"] == "utter_ask_complaint_words"
    told = await answer(form_tracker, domain, "symptom_confirmed", "方向盘在高速上抖", asking)
    assert told["symptom_what"] == "方向盘在高速上抖"
    assert told["restatement_state"] == RESTATED_AGAIN and told["symptom_confirmed"] is None


async def test_a_dangerous_correction_gives_the_safety_advice(form_tracker, domain):
    dispatcher = CollectingDispatcher()
    events = await answer(
        form_tracker, domain, "symptom_confirmed", "不是,是刹车失灵了", INTERVIEWING, "deny", dispatcher
    )
    assert events["urgent"] is True
    assert dispatcher.messages[0]["response"] == "utter_danger_do_not_drive"


# --- one interview per further complaint ------------------------------------------------


async def test_a_further_complaint_starts_its_own_interview(form_tracker, domain):
    done = {**INTERVIEWING, "symptom_confirmed": True}
    events = await answer(form_tracker, domain, "symptom_more", "还有空调不制冷", done)
    [first] = events["symptom_interviews"]
    assert first == {"complaint": "刹车的时候有异响", **{k.removeprefix("symptom_"): v for k, v in FIRST.items()}}
    assert events["current_complaint"] == "还有空调不制冷"
    # What the complaint says is kept (what); the rest is asked again (a part alone is no "where").
    assert events["symptom_what"] == "空调不制冷"
    for slot in ("symptom_when", "symptom_where", "symptom_frequency", "symptom_driving_impact", "symptom_tried", "symptom_confirmed"):
        assert events[slot] is None
    assert events["symptom_more"] is None and events["vague_followed_up"] is False
    assert events["requested_slot"] == "symptom_when"


async def test_a_part_without_a_symptom_word_is_the_complaint(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_more", "空调也不太凉", {**INTERVIEWING, "symptom_confirmed": True})
    assert events["symptom_what"] == "空调也不太凉"
    assert events["requested_slot"] == "symptom_when"


@pytest.mark.parametrize("intent", ["affirm", "deny"])  # the NLU reads a bare 有 as deny (0.9)
async def test_a_bare_yes_asks_what_the_further_complaint_is(form_tracker, domain, intent):
    events = await answer(form_tracker, domain, "symptom_more", "有", {**INTERVIEWING, "symptom_confirmed": True}, intent)
    assert events["symptom_what"] is None and events["vague_followed_up"] is False
    assert events["requested_slot"] == "symptom_what"


@pytest.mark.parametrize("text", ["就这个", "就这些了", "没别的"])
async def test_that_is_all_ends_the_interviews_even_read_as_affirm(form_tracker, domain, text):
    events = await answer(form_tracker, domain, "symptom_more", text, {**INTERVIEWING, "symptom_confirmed": True}, "affirm")
    assert events["symptom_more"] == NOT_GIVEN, events
    assert events.get("requested_slot") != "symptom_what"


@pytest.mark.parametrize("text", ["还有个小毛病", "还有个", "还有一个问题哈", "有个事儿"])
async def test_a_further_complaint_announced_is_asked_for_and_not_recorded(form_tracker, domain, text):
    events = await answer(form_tracker, domain, "symptom_more", text, {**INTERVIEWING, "symptom_confirmed": True})
    assert events["symptom_what"] is None and events["vague_followed_up"] is False
    assert events["current_complaint"] is None and events["requested_slot"] == "symptom_what"


@pytest.mark.parametrize("text", ["就是漏水这个,一下雨脚垫全湿,真的烦", "就充电这个事,上次没修好"])
async def test_only_this_one_at_anything_else_is_no_further_complaint(form_tracker, domain, text):
    dispatcher = CollectingDispatcher()
    events = await answer(form_tracker, domain, "symptom_more", text, {**INTERVIEWING, "symptom_confirmed": True},
                          dispatcher=dispatcher)
    assert events["symptom_more"] == NOT_GIVEN
    assert dispatcher.messages[0]["response"] == "utter_complaint_already_recorded"


async def test_a_vague_further_complaint_gets_one_follow_up(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_more", "还有点别的小问题", {**INTERVIEWING, "symptom_confirmed": True})
    assert events["symptom_what"] is None and events["vague_followed_up"] is True
    assert events["current_complaint"] == "还有点别的小问题"


@pytest.mark.parametrize("text", ["刹车的时候有异响", "还是刹车有异响"])
async def test_the_recorded_complaint_told_as_the_next_one_goes_back_to_anything_else(form_tracker, domain, text):
    dispatcher = CollectingDispatcher()
    further = {**INTERVIEWING, "symptom_interviews": [{"complaint": "刹车的时候有异响", **{
        q.removeprefix("symptom_"): v for q, v in FIRST.items()}}],
        **{slot: None for slot in FIRST}, "current_complaint": None, "symptom_confirmed": None}
    events = await answer(form_tracker, domain, "symptom_what", text, further, dispatcher=dispatcher)
    assert dispatcher.messages[0]["response"] == "utter_complaint_already_recorded"
    assert events["symptom_interviews"] == [] and events["symptom_what"] == "刹车的时候有异响"
    assert events["symptom_when"] == "最近一周都这样" and events["requested_slot"] == "symptom_more"


async def test_a_new_complaint_told_at_the_next_complaints_question_is_interviewed(form_tracker, domain):
    further = {**INTERVIEWING, "symptom_interviews": [{"complaint": "刹车的时候有异响", **{
        q.removeprefix("symptom_"): v for q, v in FIRST.items()}}],
        **{slot: None for slot in FIRST}, "current_complaint": None, "symptom_confirmed": None}
    events = await answer(form_tracker, domain, "symptom_what", "车窗升降有点卡", further)
    assert events["symptom_what"] == "车窗升降有点卡" and "symptom_interviews" not in events


async def test_a_dangerous_further_complaint_gives_the_safety_advice(form_tracker, domain):
    dispatcher = CollectingDispatcher()
    events = await answer(
        form_tracker, domain, "symptom_more", "还有刹车失灵了", {**INTERVIEWING, "symptom_confirmed": True},
        dispatcher=dispatcher,
    )
    assert events["urgent"] is True
    assert dispatcher.messages[0]["response"] == "utter_danger_do_not_drive"


@pytest.mark.parametrize("text,intent", [("没有了", "deny"), ("没有其他的了", "deny"), ("就这些", "deny")])
async def test_nothing_more_ends_the_interviews(form_tracker, domain, text, intent):
    events = await answer(form_tracker, domain, "symptom_more", text, {**INTERVIEWING, "symptom_confirmed": True}, intent)
    assert events["symptom_more"] == "unknown"
    assert "symptom_interviews" not in events


async def test_a_complaint_with_a_no_word_is_still_a_complaint(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_more", "车门有异响,没有关严", {**INTERVIEWING, "symptom_confirmed": True})
    assert events["symptom_what"] == "车门有异响"


async def test_more_complaints_are_asked_again_then_bounded(form_tracker, domain):
    finished = [{"complaint": f"问题{i}", "what": f"问题{i}"} for i in range(MAX_FURTHER_COMPLAINTS)]
    dispatcher = CollectingDispatcher()
    tracker = form_tracker({}, "symptom_more", {**INTERVIEWING, "symptom_interviews": finished[:1]})
    await ActionAskSymptomMore().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_ask_symptom_more_again"
    bounded = {**INTERVIEWING, "symptom_confirmed": True, "symptom_interviews": finished}
    events = await answer(form_tracker, domain, "symptom_confirmed", "对的", {**bounded, "symptom_confirmed": None}, "affirm")
    assert events["requested_slot"] == "repeat_repair"  # 还有其他的吗 not asked a sixth time


async def test_each_interview_lands_in_the_draft(dispatcher, form_tracker, domain, app_database):
    second = {
        "complaint": "还有空调不制冷", "what": "空调不制冷", "when": "上周", "where": "空调不制冷",
        "frequency": "一直", "driving_impact": "不影响", "tried": "不清楚",
    }
    slots = {
        **INTERVIEWING, "booking_confirmed": True,
        "booking_key": "key-iv", "symptom_confirmed": True, "symptom_more": "unknown",
        "symptom_interviews": [
            {"complaint": FIRST["symptom_what"], **{k.removeprefix("symptom_"): v for k, v in FIRST.items()}},
            second,
        ],
        "current_complaint": "另外车门有异响",
        "symptom_what": "车门有异响", "symptom_when": "说不上来", "symptom_where": "左前门",
        "symptom_frequency": "偶尔", "symptom_driving_impact": "不影响", "symptom_tried": "没有",
    }
    await ActionSubmitBooking().run(dispatcher, form_tracker({}, requested_slot=None, slots=slots), domain)
    with unit_of_work(app_database) as session:
        [draft] = session.scalars(select(DraftWorkOrder))
        contract = draft_to_contract(draft, ZoneInfo("Asia/Shanghai"))
        completeness, tags = draft.symptom_completeness, draft.symptom_tags
    symptoms = contract["symptoms"]
    # The six contract fields stay the first complaint's.
    # 没有 to "您自己有没有处理过": nothing was tried, kept as said (not 未提供).
    assert symptoms["what"] == "刹车的时候有异响" and symptoms["tried"] == "没有"
    assert symptoms["further_complaints"] == ["还有空调不制冷", "另外车门有异响"]
    assert [i["complaint"] for i in symptoms["further_interviews"]] == symptoms["further_complaints"]
    assert symptoms["further_interviews"][0] == {**second, "tried": None, "completeness": 5}  # 不清楚: not given
    assert symptoms["further_interviews"][1]["where"] == "左前门"
    assert symptoms["further_interviews"][1]["completeness"] == 4  # 说不上来 and 没有 do not count
    assert completeness == 5  # the first complaint's (its tried: 没有)
    # Tags cover every complaint.
    assert {"刹车", "空调", "车门"} <= set(tags["parts"])
    assert {"异响", "不制冷"} <= set(tags["symptoms"])


# --- what a sentence already answers ------------------------------------------------------


def _time_entity(text: str, said: str, earliest: str) -> dict:
    start = text.index(said)
    return {"entity": "time", "start": start, "end": start + len(said), "value": earliest,
            "additional_info": {"earliest": earliest, "latest": earliest, "exact": True, "dated": True}}


def test_the_appointment_named_with_the_complaint_is_not_when_it_started(form_tracker):
    # The fixture's messages were sent on Thu 2026-11-26 15:00.
    text = "刹车有异响 约一下 12月28日 9:30"
    tracker = form_tracker({}, text=text, entities=[_time_entity(text, "12月28日 9:30", "2026-12-28T09:30:00+08:00")])
    assert "symptom_when" not in interview_prefill(text, tracker)


def test_a_time_in_the_past_is_when_it_started(form_tracker):
    text = "11月20日开始刹车有异响"
    tracker = form_tracker({}, text=text, entities=[_time_entity(text, "11月20日", "2026-11-20T00:00:00+08:00")])
    assert interview_prefill(text, tracker)["symptom_when"].startswith("11月20日")


@pytest.mark.parametrize("text", ["前天暴雨开过一段积水路,现在发动机抖得厉害", "国庆跑了趟长途回来,方向盘有点抖",
                                  "前天车机自己升级了 之后倒车影像黑屏了"])
def test_the_time_of_another_event_leaves_since_when_to_be_asked(form_tracker, text):
    """The time belongs to what happened before the fault (the rain, the trip, the update):
    since when (after what) is asked, not taken as the bare day."""
    prefill = complaint_prefill(text, form_tracker({}, text=text))
    assert "symptom_when" not in prefill and prefill["symptom_what"]


@pytest.mark.parametrize(("text", "when"), [("昨天下午,空调突然不出风了", "昨天下午"), ("我的迈腾前天开始刹车异响", "前天开始"),
                                            ("我的车刹车的时候有异响,最近一周都这样", "最近一周")])
def test_the_time_the_fault_began_is_taken(form_tracker, text, when):
    assert complaint_prefill(text, form_tracker({}, text=text))["symptom_when"] == when


def test_a_vague_how_often_is_asked_not_prefilled(form_tracker):
    tracker = form_tracker({}, text="中控屏老是黑屏")
    prefill = interview_prefill("中控屏老是黑屏", tracker)
    assert "symptom_frequency" not in prefill and prefill["symptom_what"]
    assert interview_prefill("中控屏每天都黑屏", form_tracker({}, text="中控屏每天都黑屏"))["symptom_frequency"]


@pytest.mark.parametrize("text,told", [
    ("左前轮那边一直有嗡嗡声", "左前轮"),
    ("上高速开到120方向盘就抖", "高速"),
    ("过减速带的时候底盘咚咚响", "减速带"),
    ("踩刹车的时候咯吱咯吱响", "刹车"),
])
def test_where_is_asked_and_the_words_told_of_it_kept_to_stand_in(form_tracker, text, told):
    """Which part, which road, how fast: the complaint's words seldom say all of it."""
    prefill = interview_prefill(text, form_tracker({}, text=text))
    assert "symptom_where" not in prefill and prefill["symptom_what"]
    assert told in prefill["told_where"]


@pytest.mark.parametrize(("said", "stored"), [("不清楚", "过减速带的时候,底盘"), ("右前轮那块", "右前轮那块")])
async def test_an_empty_where_answer_falls_back_to_the_words_told_with_the_complaint(form_tracker, domain, said, stored):
    slots = {**INTERVIEWING, "symptom_where": None, "told_where": "过减速带的时候,底盘"}
    events = await answer(form_tracker, domain, "symptom_where", said, slots)
    assert events["symptom_where"] == stored


# --- several problems told in one message ------------------------------------------------


async def test_two_problems_in_one_message_are_interviewed_one_after_the_other(form_tracker, domain):
    told = "车子有两个问题:一个是怠速抖,最近一个月,另一个是后备箱漏水"
    before = {**INTERVIEWING, **{slot: None for slot in FIRST}}
    events = await answer(form_tracker, domain, "symptom_what", told, before)
    assert events["symptom_what"] == "怠速抖" and events["symptom_when"] == "最近一个月"
    assert events["pending_complaints"] == ["后备箱漏水"]

    # Once the first is confirmed, the second is interviewed without 还有其他的吗.
    first_done = {**INTERVIEWING, "symptom_what": "怠速抖", "pending_complaints": ["后备箱漏水"]}
    dispatcher = CollectingDispatcher()
    events = await answer(form_tracker, domain, "symptom_confirmed", "对的", first_done, "affirm", dispatcher)
    assert dispatcher.messages[0]["response"] == "utter_next_complaint_told"
    assert [i["what"] for i in events["symptom_interviews"]] == ["怠速抖"]
    assert events["symptom_what"] == "后备箱漏水" and events["current_complaint"] == "后备箱漏水"
    assert events["pending_complaints"] is None
    assert events["requested_slot"] == "symptom_when"


# --- Issue 10: clean fragments from the interview's answers --------------------------------


async def test_the_what_answer_keeps_the_symptom_not_the_back_reference(form_tracker, domain):
    before = {**INTERVIEWING, **{slot: None for slot in FIRST}}
    events = await answer(form_tracker, domain, "symptom_what", "就是我前面说的，倒车的时候方向盘咔哒响", before)
    assert events["symptom_what"] == "倒车的时候方向盘咔哒响"
    assert events.get("symptom_when") is None  # 前面说的 points back; it is no time


async def test_dont_know_with_a_request_to_the_shop_is_dont_know(form_tracker, domain):
    slots = {**INTERVIEWING, "symptom_when": None}
    events = await answer(form_tracker, domain, "symptom_when", "到店你们帮我看看嘛，我也记不清", slots)
    assert "记不清" in events["symptom_when"] and "你们" not in events["symptom_when"]
    events = await answer(form_tracker, domain, "symptom_when", "上礼拜开始的", slots)
    assert events["symptom_when"] == "上礼拜开始的"


def test_a_repair_here_before_is_not_what_the_customer_tried(form_tracker):
    # 在你们这修过 is asked as the repeat repair; 您自己有没有处理过 asks what was done elsewhere.
    text = "中控屏老黑屏，上个月在你们这修过一回了"
    assert "symptom_tried" not in interview_prefill(text, form_tracker({}, text=text))
    text = "中控屏老黑屏，在外面修理厂刷过程序"
    assert interview_prefill(text, form_tracker({}, text=text))["symptom_tried"]


@pytest.mark.parametrize("text", ["雨刮器不动了,之前修过还是不行", "后视镜折叠不了,上回维修了又坏了"])
def test_a_repair_before_without_where_is_not_what_the_customer_tried(form_tracker, text):
    # Where it was repaired is asked (the repeat repair); what the customer did is still asked.
    assert "symptom_tried" not in interview_prefill(text, form_tracker({}, text=text))


def test_what_the_customer_did_is_still_what_was_tried(form_tracker):
    text = "雨刮器不动了,自己换过保险丝"
    assert interview_prefill(text, form_tracker({}, text=text))["symptom_tried"] == "自己换过保险丝"


def test_a_road_with_a_part_named_keeps_the_part(form_tracker):
    text = "走烂路的时候底盘吱吱响"
    where = interview_prefill(text, form_tracker({}, text=text))["told_where"]
    assert "烂路" in where and "底盘" in where


async def test_two_problems_split_by_a_lead_in_clause(form_tracker, domain):
    before = {**INTERVIEWING, **{slot: None for slot in FIRST}}
    told = "上坡的时候变速箱有异响，还有个毛病，右前雾灯不亮了"
    events = await answer(form_tracker, domain, "symptom_what", told, before)
    assert events["symptom_what"] == "上坡的时候变速箱有异响"
    assert events["pending_complaints"] == ["右前雾灯不亮了"]
    assert "右前" not in (events.get("symptom_where") or "")


@pytest.mark.parametrize("said", ["莫得弄过", "冇搞过", "呒没弄过"])
async def test_a_regional_nothing_done_is_kept_in_the_customers_words(form_tracker, domain, said):
    events = await answer(form_tracker, domain, "symptom_tried", said, {**INTERVIEWING, "symptom_tried": None})
    assert events["symptom_tried"] == said


async def test_not_knowing_where_is_dont_know(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_where", "不清楚是哪里响的", {**INTERVIEWING, "symptom_where": None})
    assert events["symptom_where"] == "不清楚"


async def test_a_road_told_as_when_it_began_leaves_where_to_ask(form_tracker, domain):
    slots = {**INTERVIEWING, "symptom_when": None, "symptom_where": None}
    events = await answer(form_tracker, domain, "symptom_when", "上周走了一段烂路以后", slots)
    assert events.get("symptom_where") is None and events["requested_slot"] == "symptom_where"


async def test_not_knowing_how_and_nothing_done_is_nothing_done(form_tracker, domain):
    events = await answer(form_tracker, domain, "symptom_tried", "不知道怎么弄,还没管", {**INTERVIEWING, "symptom_tried": None})
    assert events["symptom_tried"] == "还没管"


def test_a_side_alone_is_not_where_on_the_car(form_tracker):
    text = "主驾地毯湿了一大块"
    assert "symptom_where" not in interview_prefill(text, form_tracker({}, text=text))


# --- what the noise sounds like (the light, the smell) -------------------------------------


async def test_a_noise_told_without_its_sound_is_asked_what_it_sounds_like(form_tracker, domain):
    slots = {**INTERVIEWING, "symptom_what": None, "symptom_detail": None, "symptom_when": None}
    events = await answer(form_tracker, domain, "symptom_what", "底盘异响", slots)
    assert events["requested_slot"] == "symptom_detail"
    dispatcher = CollectingDispatcher()
    from actions.readback import ActionAskSymptomDetail

    await ActionAskSymptomDetail().run(dispatcher, form_tracker({}, "symptom_detail", {**slots, "symptom_what": "底盘异响"}), domain)
    assert dispatcher.messages[0]["response"] == "utter_ask_symptom_detail_noise"


@pytest.mark.parametrize("what", ["转弯的时候咔咔响", "发动机故障灯亮了", "空调不凉", "有股烧焦味"])
async def test_a_complaint_that_says_enough_gets_no_detail_question(form_tracker, domain, what):
    slots = {**INTERVIEWING, "symptom_what": None, "symptom_detail": None, "symptom_when": None}
    events = await answer(form_tracker, domain, "symptom_what", what, slots)
    assert events["requested_slot"] != "symptom_detail"


@pytest.mark.parametrize(("what", "said", "kept"), [
    ("底盘异响", "咯噔咯噔的", "底盘异响,咯噔咯噔的"),  # a sound: joined to the complaint
    ("中控台那块有异响", "中控台里面哒哒哒的响", "中控台里面哒哒哒的响"),  # a description of its own
    ("车上有个灯亮了", "仪表上发动机故障灯亮了", "仪表上发动机故障灯亮了"),
    ("车里有股怪味", "说不上来", "车里有股怪味"),  # not known: the complaint as told
    ("车里有股怪味", "就是有股怪味儿", "车里有股怪味"),  # nothing more said
])
async def test_the_detail_joins_or_replaces_the_complaint(form_tracker, domain, what, said, kept):
    slots = {**INTERVIEWING, "symptom_what": what, "symptom_detail": None, "symptom_when": None}
    events = await answer(form_tracker, domain, "symptom_detail", said, slots)
    assert events.get("symptom_what", what) == kept
    assert events["symptom_detail"] and events["requested_slot"] == "symptom_when"


@pytest.mark.parametrize(("slot", "text"), [("symptom_when", "你问这个干嘛"), ("symptom_where", "?"),
                                            ("symptom_driving_impact", "问那么多干啥"), ("symptom_frequency", "嗯"),
                                            ("symptom_tried", "不懂你意思")])
async def test_an_answer_that_tells_nothing_is_left_for_the_technician(form_tracker, domain, slot, text):
    dispatcher = CollectingDispatcher()
    events = await answer(form_tracker, domain, slot, text, {**INTERVIEWING, slot: None}, dispatcher=dispatcher)
    assert events[slot] == "unknown"
    assert [m["response"] for m in dispatcher.messages][:1] == ["utter_interview_no_answer"]


async def test_puzzlement_beside_an_answer_keeps_the_answer(form_tracker, domain):
    """看了下保险丝,看不懂 to 您自己有没有处理过: the fuse was looked at; 看不懂 is about it."""
    dispatcher = CollectingDispatcher()
    events = await answer(form_tracker, domain, "symptom_tried", "看了下保险丝,看不懂",
                          {**INTERVIEWING, "symptom_tried": None}, dispatcher=dispatcher)
    assert "保险丝" in events["symptom_tried"]
    assert "utter_interview_no_answer" not in [m["response"] for m in dispatcher.messages]


@pytest.mark.parametrize(("slot", "text"), [("symptom_when", "有一阵子了"), ("symptom_tried", "没"),
                                            ("symptom_where", "不知道啥意思的灯亮了以后,开起来就抖")])
async def test_a_short_or_puzzled_answer_with_content_is_kept(form_tracker, domain, slot, text):
    events = await answer(form_tracker, domain, slot, text, {**INTERVIEWING, slot: None})
    assert events[slot] not in (None, "unknown")


async def test_an_answer_left_open_reaches_the_draft_as_not_given(form_tracker, domain, app_database):
    slots = {**INTERVIEWING, "booking_confirmed": True, "booking_key": "key-open", "symptom_confirmed": True,
             "symptom_more": "unknown", "symptom_when": "unknown"}
    await ActionSubmitBooking().run(CollectingDispatcher(), form_tracker({}, requested_slot=None, slots=slots), domain)
    with unit_of_work(app_database) as session:
        [draft] = session.scalars(select(DraftWorkOrder))
        symptoms = draft_to_contract(draft, ZoneInfo("Asia/Shanghai"))["symptoms"]
    assert symptoms["when"] is None and symptoms["what"] == FIRST["symptom_what"]


@pytest.mark.parametrize("text,complaint,asked", [
    ("车里暖风一直不热", True, True), ("刹车有异响,一直都这样", True, False), ("中控屏老是黑屏", True, True),
    ("上周开始的,一直不出风", False, False),  # told when asked since when: it answers how often too
])
def test_how_often_said_only_inside_the_complaint_is_still_asked(form_tracker, text, complaint, asked):
    taken = answers_taken(text, form_tracker({}, requested_slot="symptom_what", slots=INTERVIEWING, text=text), complaint)
    assert ("symptom_frequency" not in taken) is asked


@pytest.mark.parametrize("text", ["可不是嘛", "那可不"])
async def test_an_emphatic_yes_agrees_with_the_restated_complaint(form_tracker, domain, text):
    dispatcher = CollectingDispatcher()
    events = await answer(form_tracker, domain, "symptom_confirmed", text, INTERVIEWING, "inform", dispatcher)
    assert events["symptom_confirmed"] is True and events.get("symptom_what", FIRST["symptom_what"]) == FIRST["symptom_what"]
    assert dispatcher.messages == []


@pytest.mark.parametrize(("text", "visit"), [
    ("国庆上高速 前杠被石子崩掉好几块漆", False),  # the holiday just gone
    ("国庆想过来做个保养", True),  # asked to come then
    ("下个国庆前做个保养", True),
])
def test_a_holiday_months_ahead_told_with_what_happened_is_the_one_gone_by(text, visit):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from actions.interview import is_visit_time

    zone = ZoneInfo("Asia/Shanghai")
    now = datetime(2053, 10, 24, 10, 30, tzinfo=zone)
    start = text.index("国庆")
    entity = {"entity": "time", "value": "2054-10-01T00:00:00+08:00", "start": start if "下个" not in text else 0,
              "end": start + 2, "additional_info": {"earliest": "2054-10-01T00:00:00+08:00",
                                                    "latest": "2054-10-07T23:59:59+08:00"}}
    assert is_visit_time(entity, text, now) is visit


async def test_a_question_asked_back_is_answered_and_the_question_asked_again(form_tracker, domain):
    """你是问多久响一次吗? to 多久出现一次: 是的, and the same question again (nothing stored)."""
    dispatcher = CollectingDispatcher()
    events = await answer(form_tracker, domain, "symptom_frequency", "你是问多久响一次吗?",
                          {**INTERVIEWING, "symptom_frequency": None}, dispatcher=dispatcher)
    assert events["symptom_frequency"] is None and events["requested_slot"] == "symptom_frequency"
    assert [m["response"] for m in dispatcher.messages][:1] == ["utter_yes_that_question"]


@pytest.mark.parametrize(("text", "asked"), [("这几天刹车一踩就吱吱响", True), ("近两天空调不凉", True),
                                             ("前两天刹车开始吱吱响", False), ("昨天空调突然不凉了", False)])
def test_a_recent_stretch_is_as_vague_as_lately_and_since_when_is_asked(form_tracker, text, asked):
    assert ("symptom_when" not in interview_prefill(text, form_tracker({}, text=text))) is asked


def test_work_done_here_before_told_in_its_clause_is_not_what_was_tried(form_tracker):
    text = "天窗关不严,上次你们处理过一回"
    assert "symptom_tried" not in interview_prefill(text, form_tracker({}, text=text))
    text = "天窗关不严,没修过"
    assert interview_prefill(text, form_tracker({}, text=text)).get("symptom_tried") == "没修过"


async def test_the_phenomenon_of_the_complaint_told_is_asked_before_the_other_questions(form_tracker, domain):
    """Chery step 6 asks 故障发生时的现象: the opening's complaint is restated and its phenomenon
    asked in the customer's words, as the only requested slot of the turn."""
    from actions.booking_form import ValidateBookingForm

    slots = {**INTERVIEWING, "phenomenon_asked": None, "symptom_detail": None, "symptom_what": "刹车有异响",
             "extra_requests": None}
    tracker = form_tracker({"extra_requests": "没有"}, requested_slot="extra_requests", slots=slots, text="没有")
    events = await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain)
    requested = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == "requested_slot"]
    assert requested == ["symptom_what"]
    assert slot_values(events)["told_what"] == "刹车有异响" and slot_values(events)["symptom_what"] is None


@pytest.mark.parametrize(("said", "what"), [
    ("就是刚才说的那样", "刹车有异响"), ("说不上来", "刹车有异响"),
    ("一踩刹车就吱吱响,声音还挺大", "一踩刹车就吱吱响,声音还挺大"),
])
async def test_the_phenomenon_answer_is_kept_or_the_complaint_told_stands(form_tracker, domain, said, what):
    slots = {**INTERVIEWING, "told_what": "刹车有异响", "symptom_what": None, "symptom_detail": None}
    events = await answer(form_tracker, domain, "symptom_what", said, slots)
    assert events["symptom_what"] == what


@pytest.mark.parametrize("intent", ["affirm", "inform"])
async def test_a_sound_told_as_the_phenomenon_joins_the_complaint_whatever_the_intent(form_tracker, domain, intent):
    slots = {**INTERVIEWING, "told_what": "刹车的时候有异响", "symptom_what": None, "symptom_detail": None}
    events = await answer(form_tracker, domain, "symptom_what", "吱吱的", slots, intent=intent)
    assert events["symptom_what"] == "刹车的时候有异响,吱吱的"
    events = await answer(form_tracker, domain, "symptom_what", "对的", slots, intent="affirm")
    assert events["symptom_what"] == "刹车的时候有异响"


async def test_the_draft_keeps_the_complaint_as_told_beside_its_phenomenon(form_tracker):
    from actions.submit_booking import symptoms_from

    slots = {**INTERVIEWING, "told_what": "刹车有异响", "symptom_what": "一踩刹车就吱吱响", "symptom_when": "上周",
             "symptom_where": "左前轮", "symptom_frequency": "每次", "symptom_driving_impact": "能开", "symptom_tried": "没有"}
    symptoms = symptoms_from(form_tracker({}, slots=slots, text="对的"))
    assert symptoms["complaint"] == "刹车有异响" and symptoms["what"] == "一踩刹车就吱吱响"


async def test_what_told_in_answer_to_the_what_question_is_not_asked_again(form_tracker, domain):
    from actions.booking_form import ValidateBookingForm

    slots = {**INTERVIEWING, "phenomenon_asked": None, "symptom_detail": None, "symptom_what": None}
    tracker = form_tracker({"symptom_what": "车窗升降的时候咔咔响"}, requested_slot="symptom_what", slots=slots,
                           text="车窗升降的时候咔咔响")
    events = await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain)
    requested = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == "requested_slot"]
    assert requested and requested[0] != "symptom_what"
    assert slot_values(events)["symptom_what"] == "车窗升降的时候咔咔响"


async def test_always_in_the_phenomenon_leaves_how_often_to_be_asked(form_tracker, domain):
    slots = {**INTERVIEWING, "told_what": "发动机故障灯亮了", "symptom_what": None, "symptom_detail": None,
             "symptom_frequency": None}
    events = await answer(form_tracker, domain, "symptom_what", "仪表上那个黄灯,一直亮着", slots)
    assert events.get("symptom_frequency") is None


async def test_what_told_in_answer_to_the_what_question_is_not_asked_at_the_next_question_either(form_tracker, domain):
    from actions.booking_form import ValidateBookingForm

    slots = {**INTERVIEWING, "phenomenon_asked": None, "symptom_detail": None, "symptom_what": None}
    tracker = form_tracker({"symptom_what": "车窗升降的时候咔咔响"}, requested_slot="symptom_what", slots=slots,
                           text="车窗升降的时候咔咔响")
    told = slot_values(await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain))
    assert told["phenomenon_asked"] is True
    slots = {**slots, **{k: v for k, v in told.items() if k != "requested_slot"}, "symptom_when": None}
    tracker = form_tracker({"symptom_when": "有一个多月了"}, requested_slot="symptom_when", slots=slots, text="有一个多月了")
    events = await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain)
    requested = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == "requested_slot"]
    assert requested and "symptom_what" not in requested


async def test_a_day_corrected_at_the_restatement_is_no_booking_time(form_tracker, domain):
    text = "不太对，不是前天，是大前天晚上亮的"
    booked = INTERVIEWING["appointment_time"]
    entity = {"entity": "time", "value": "2026-11-23T20:00:00+08:00", "start": 10, "end": 15,
              "additional_info": {"dated": True, "grain": "hour"}}
    tracker = form_tracker({"symptom_confirmed": text, "appointment_time": entity["value"]},
                           requested_slot="symptom_confirmed", slots=INTERVIEWING, text=text, entities=[entity])
    tracker.events.insert(0, {"event": "slot", "timestamp": 1.0, "name": "appointment_time", "value": booked})
    tracker.latest_message["intent"] = {"name": "correct_info", "confidence": 0.9}
    slots = slot_values(await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain))
    assert slots.get("appointment_time", booked) == booked
    assert slots["symptom_when"] == "大前天晚上亮的" and "symptom_what" not in slots  # the complaint stands
    assert slots["symptom_confirmed"] is True


def test_a_tailgate_that_does_not_open_tells_no_driving_impact(form_tracker):
    tracker = form_tracker({}, text="遥控和车里的开关都开不了", slots={"symptom_what": "后备箱盖打不开"})
    assert "symptom_driving_impact" not in interview_prefill("遥控和车里的开关都开不了", tracker)
    tracker = form_tracker({}, text="水温太高,车都开不了了", slots={"symptom_what": "水温高"})
    assert interview_prefill("水温太高,车都开不了了", tracker)["symptom_driving_impact"] == "开不了了"
