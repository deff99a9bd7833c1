"""Outside a booking: a complaint heard, a question answered, then 好的 starts the booking."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.offers import ActionAcknowledgeProblem, ActionHandleAffirm, ActionHandleDeny
from actions.side_requests import ActionAnswerQuestion, ActionHandleUnclearMessage
from dealer.script import NOT_GIVEN

pytestmark = pytest.mark.usefixtures("app_database")


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def _time_window(earliest: str, latest: str, start: int, end: int) -> dict:
    """A time entity as the extractor gives it: its window (Shanghai local times) and span."""
    return {"entity": "time", "value": f"{earliest}+08:00", "start": start, "end": end,
            "additional_info": {"earliest": f"{earliest}+08:00", "latest": f"{latest}+08:00"}}


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


@pytest.fixture
def chat(form_tracker):
    """A tracker outside any form whose latest message is ``text``."""

    def build(text: str, intent: str, slots: dict | None = None, entities: list | None = None):
        tracker = form_tracker({}, requested_slot=None, slots=slots, entities=entities, text=text)
        tracker.active_loop = {}
        tracker.latest_message["intent"] = {"name": intent, "confidence": 0.9}
        return tracker

    return build


async def test_a_problem_told_alone_is_restated_and_a_booking_offered(chat, domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, chat("你好 倒车影像黑屏了", "report_problem"), domain)
    assert responses(dispatcher) == ["utter_problem_acknowledged", "utter_offer_booking"]
    assert "你好" not in dispatcher.messages[0]["complaint"]
    assert dispatcher.messages[1]["buttons"] or domain["responses"]["utter_offer_booking"][0]["buttons"]
    offer = slot_values(events)["booking_offer"]
    assert offer["service_type"] == "repair" and "倒车影像黑屏" in offer["complaint"]


async def test_a_dangerous_problem_gets_the_danger_advice_first(chat, domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, chat("刹车失灵了,踩不住", "report_problem"), domain)
    assert "utter_danger_do_not_drive" in responses(dispatcher)
    assert slot_values(events)["urgent"] is True


async def test_yes_to_the_offer_starts_the_booking_with_what_was_heard(chat, domain):
    offer = {"service_type": "repair", "complaint": "倒车影像黑屏了", "text": "倒车影像黑屏了", "car_model": "迈腾"}
    events = await ActionHandleAffirm().run(CollectingDispatcher(), chat("好的", "affirm", {"booking_offer": offer}), domain)
    slots = slot_values(events)
    assert slots["service_type"] == "repair" and slots["service_display"] == "维修"
    assert slots["symptom_what"] == "倒车影像黑屏了"
    assert slots["car_model"] == "迈腾"
    assert slots["booking_offer"] is None
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"


async def test_a_price_question_is_answered_then_a_booking_offered(chat, domain):
    dispatcher = CollectingDispatcher()
    tracker = chat("小保养多少钱啊?宝来的", "ask_price", entities=[{"entity": "car_model", "value": "宝来"}])
    events = await ActionAnswerQuestion().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_answer_price", "utter_offer_booking"]
    assert "480" in dispatcher.messages[0]["price_list"]
    offer = slot_values(events)["booking_offer"]
    assert offer["service_type"] == "maintenance" and offer["car_model"] == "宝来"


async def test_a_price_for_work_without_a_price_list_is_left_to_the_advisor(chat, domain):
    # Not the maintenance prices: the tyres' price depends on the car and the brand.
    dispatcher = CollectingDispatcher()
    tracker = chat("换两条前胎大概多少钱?", "ask_price")
    events = await ActionAnswerQuestion().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_answer_price_by_advisor", "utter_offer_booking"]
    assert slot_values(events)["booking_offer"]["service_type"] == "other"


@pytest.mark.parametrize("text", ["到店检测要收费吗?", "检查一下异响要钱不"])
async def test_a_fee_for_a_check_is_quoted_after_the_check_not_from_the_maintenance_list(chat, domain, text):
    dispatcher = CollectingDispatcher()
    await ActionAnswerQuestion().run(dispatcher, chat(text, "ask_price"), domain)
    assert responses(dispatcher) == ["utter_answer_price_after_inspection", "utter_offer_booking"]


async def test_a_fault_told_taking_up_the_offer_after_a_check_question_is_a_repair(chat, domain):
    # 检测要收费吗? made the offer a check; the fault told with the yes is the job.
    offer = {"service_type": "inspection", "complaint": None, "text": "到店检测要收费吗?", "car_model": None}
    tracker = chat("那帮我约一下吧,方向盘有点抖", "affirm", {"booking_offer": offer})
    slots = slot_values(await ActionHandleAffirm().run(CollectingDispatcher(), tracker, domain))
    assert slots["service_type"] == "repair" and slots["service_display"] == "维修"
    assert slots["symptom_what"] == "方向盘有点抖"


async def test_a_fault_in_words_no_list_holds_taking_up_the_offer_is_a_repair(chat, domain):
    offer = {"service_type": "inspection", "complaint": None, "text": "到店检测要收费吗?", "car_model": None}
    tracker = chat("那我约个时间吧,下雨天刹车会尖叫", "book_service", {"booking_offer": offer})
    slots = slot_values(await ActionHandleAffirm().run(CollectingDispatcher(), tracker, domain))
    assert slots["service_type"] == "repair" and "刹车会尖叫" in slots["symptom_what"]


async def test_a_fault_told_after_a_warranty_question_is_a_warranty_claim(chat, domain):
    tracker = chat("我的ID.4仪表老报电池故障", "report_problem")
    latest = next(i for i, e in enumerate(tracker.events) if e["event"] == "user")
    tracker.events.insert(latest, {"event": "user", "timestamp": 1.0, "text": "你好 想问下你们这电池质保是几年"})
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), tracker, domain)
    assert slot_values(events)["booking_offer"]["service_type"] == "warranty"


@pytest.mark.parametrize("said_before", ["你好 车还在质保期 车架号WVGZZZ5N2L0147295", "新车,还在保修期内"])
async def test_a_fault_told_after_the_car_is_said_to_be_under_warranty_is_a_claim(chat, domain, said_before):
    tracker = chat("天窗漏水,下雨天顶棚都湿了", "report_problem")
    latest = next(i for i, e in enumerate(tracker.events) if e["event"] == "user")
    tracker.events.insert(latest, {"event": "user", "timestamp": 1.0, "text": said_before})
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), tracker, domain)
    assert slot_values(events)["booking_offer"]["service_type"] == "warranty"


async def test_taking_up_the_offer_with_a_warranty_question_books_the_claim(chat, domain):
    offer = {"service_type": "repair", "complaint": "后备箱关不严", "text": "后备箱关不严,得用力摔才关得上", "car_model": None}
    tracker = chat("这个算保修吧", "ask_warranty", {"booking_offer": offer})
    slots = slot_values(await ActionHandleAffirm().run(CollectingDispatcher(), tracker, domain))
    assert slots["service_type"] == "warranty" and slots["service_display"] == "保修索赔"


@pytest.mark.parametrize("told_while_offered", ["才提车一年", "车是前年在你们这买的,还在保修期", "车才一年多,这算质量问题吧"])
async def test_the_warranty_told_while_the_booking_is_offered_books_the_claim(chat, domain, told_while_offered):
    offer = {"service_type": "repair", "complaint": "电动尾门关不上了", "text": "电动尾门关不上了", "car_model": None}
    tracker = chat("那约个时间吧", "book_service", {"booking_offer": offer})
    latest = next(i for i, e in enumerate(tracker.events) if e["event"] == "user")
    tracker.events.insert(latest, {"event": "user", "timestamp": 1.0, "text": told_while_offered})
    slots = slot_values(await ActionHandleAffirm().run(CollectingDispatcher(), tracker, domain))
    assert slots["service_type"] == "warranty"


async def test_a_car_past_the_warranty_told_while_offered_stays_a_repair(chat, domain):
    offer = {"service_type": "repair", "complaint": "电动尾门关不上了", "text": "电动尾门关不上了", "car_model": None}
    tracker = chat("那约个时间吧", "book_service", {"booking_offer": offer})
    latest = next(i for i, e in enumerate(tracker.events) if e["event"] == "user")
    tracker.events.insert(latest, {"event": "user", "timestamp": 1.0, "text": "车大前年买的,早过保了"})
    slots = slot_values(await ActionHandleAffirm().run(CollectingDispatcher(), tracker, domain))
    assert slots["service_type"] == "repair"


@pytest.mark.parametrize("text", ["新车提了一个礼拜", "车刚提没几天 还没上牌"])
async def test_the_car_described_first_is_asked_what_is_wanted(chat, domain, text):
    dispatcher = CollectingDispatcher()
    assert await ActionHandleUnclearMessage().run(dispatcher, chat(text, "nlu_fallback"), domain) == []
    assert responses(dispatcher) == ["utter_how_can_i_help"]


async def test_a_fault_told_with_a_warranty_question_is_a_warranty_claim(chat, domain):
    events = await ActionAcknowledgeProblem().run(
        CollectingDispatcher(), chat("大灯里面起雾了,还有水珠,这个能保修吗", "report_problem"), domain)
    assert slot_values(events)["booking_offer"]["service_type"] == "warranty"


async def test_a_fault_told_without_a_warranty_question_is_a_repair(chat, domain):
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), chat("我的ID.4仪表老报电池故障", "report_problem"), domain)
    assert slot_values(events)["booking_offer"]["service_type"] == "repair"


async def test_a_check_asked_about_then_taken_up_without_a_fault_stays_a_check(chat, domain):
    offer = {"service_type": "inspection", "complaint": None, "text": "到店检测要收费吗?", "car_model": None}
    slots = slot_values(await ActionHandleAffirm().run(CollectingDispatcher(), chat("好的", "affirm", {"booking_offer": offer}), domain))
    assert slots["service_type"] == "inspection"


@pytest.mark.parametrize("intent", ["out_of_scope", "inform"])
async def test_whether_a_reminder_comes_is_answered_after_the_booking(chat, domain, intent):
    dispatcher = CollectingDispatcher()
    booked = {"draft_id": 3.0, "booked_display": "12月10日(周四) 15:00"}
    events = await ActionHandleUnclearMessage().run(dispatcher, chat("提前一天会提醒我吗", intent, booked), domain)
    assert responses(dispatcher) == ["utter_answer_reminder"] and events == []


async def test_how_long_the_warranty_runs_is_answered_not_out_of_scope(chat, domain):
    dispatcher = CollectingDispatcher()
    await ActionHandleUnclearMessage().run(dispatcher, chat("你好 想问下你们这电池质保是几年", "out_of_scope"), domain)
    assert responses(dispatcher) == ["utter_answer_warranty", "utter_offer_booking"]


async def test_a_fault_read_as_a_no_is_heard_as_a_fault(chat, domain):
    dispatcher = CollectingDispatcher()
    events = await ActionHandleDeny().run(dispatcher, chat("喇叭不响了", "deny"), domain)
    assert responses(dispatcher) == ["utter_problem_acknowledged", "utter_offer_booking"]
    assert slot_values(events)["booking_offer"]["service_type"] == "repair"


@pytest.mark.parametrize("text,confidence,response", [
    ("你们那边有充电的地方吗", 0.5, "utter_answer_by_advisor"), ("礼拜天你们开不开", 0.9, "utter_answer_hours"),
    ("你们这能开发票吗", 0.5, "utter_answer_shop_fact"), ("你们那边停车方便吗", 0.5, "utter_answer_shop_fact"),
])
async def test_a_question_no_word_names_and_the_classifier_doubts_goes_to_the_advisor(chat, domain, text, confidence, response):
    dispatcher = CollectingDispatcher()
    tracker = chat(text, "ask_hours")
    tracker.latest_message["intent"]["confidence"] = confidence
    await ActionAnswerQuestion().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == response


@pytest.mark.parametrize("text", ["预约", "我想预约一下", "约个时间吧"])
async def test_a_booking_asked_in_a_word_the_classifier_doubts_begins(chat, domain, text):
    events = await ActionHandleUnclearMessage().run(CollectingDispatcher(), chat(text, "nlu_fallback"), domain)
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"


async def test_a_time_asked_with_a_question_while_a_booking_is_offered_takes_it_up(chat, domain):
    offer = {"service_type": "repair", "complaint": "水温一下子升到红线", "text": "水温一下子升到红线 吓死了", "car_model": None}
    text = "最快什么时候能去 今天下午五点行不"
    entity = {"entity": "time", "value": "2026-11-26T17:00:00+08:00", "start": 9, "end": 15,
              "additional_info": {"dated": True, "exact": True, "grain": "hour"}}
    tracker = chat(text, "ask_hours", {"booking_offer": offer}, entities=[entity])
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerQuestion().run(dispatcher, tracker, domain)
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"
    assert "utter_answer_hours" not in responses(dispatcher)


async def test_what_the_shop_has_asked_with_a_tag_after_the_booking_goes_to_the_advisor(chat, domain):
    dispatcher = CollectingDispatcher()
    booked = {"draft_id": 3.0, "booked_display": "12月10日(周四) 15:00"}
    await ActionHandleUnclearMessage().run(dispatcher, chat("休息室有wifi吧", "inform", booked), domain)
    assert responses(dispatcher) == ["utter_answer_by_advisor"]


async def test_a_second_confirmation_after_booking_is_told_the_booking_stands(chat, domain):
    dispatcher = CollectingDispatcher()
    tracker = chat("确认", "affirm", {"draft_id": 3.0, "booked_display": "12月10日(周四) 15:00"})
    assert await ActionHandleAffirm().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_booking_already_done"]
    assert dispatcher.messages[0]["booked_display"] == "12月10日(周四) 15:00"


async def test_no_to_the_offer_is_accepted_politely(chat, domain):
    dispatcher = CollectingDispatcher()
    events = await ActionHandleDeny().run(dispatcher, chat("先不用了", "deny", {"booking_offer": {"service_type": None}}), domain)
    assert responses(dispatcher) == ["utter_offer_declined"]
    assert slot_values(events) == {"booking_offer": None}


async def test_a_complaint_told_in_two_messages_is_one_complaint(chat, domain):
    earlier = {"service_type": "repair", "complaint": "怠速的时候车抖得厉害", "text": "怠速的时候车抖得厉害", "car_model": None}
    tracker = chat("挂D档踩着刹车最明显", "report_problem", {"booking_offer": earlier})
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), tracker, domain)
    offer = slot_values(events)["booking_offer"]
    assert offer["complaint"].startswith("怠速的时候车抖得厉害") and "挂D档" in offer["complaint"]


@pytest.mark.parametrize("first", [
    "你好 我是帮我儿子约的 他上班忙 这车是他的 我也不大懂车",
    "同志你好啊 我这个车开了好些年了 一直挺好的 我岁数大了 儿女都不在身边",
])
async def test_the_fault_told_after_words_that_told_none_is_the_complaint(first, chat, domain):
    earlier = {"service_type": None, "complaint": first, "text": first, "car_model": None}
    tracker = chat("就是发动机那块 哒哒哒哒地响", "report_problem", {"booking_offer": earlier})
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), tracker, domain)
    offer = slot_values(events)["booking_offer"]
    assert "哒哒哒哒地响" in offer["complaint"] and first not in offer["complaint"]
    assert first not in offer["text"]


async def test_a_part_told_after_words_that_named_no_fault_is_kept_with_them(chat, domain):
    """Words that named no fault, then only a part (发动机那个标): no symptom told yet to stand
    alone, so the words are kept together as before."""
    first = "你好 我想问问我这车的事"
    earlier = {"service_type": None, "complaint": first, "text": first, "car_model": None}
    tracker = chat("发动机那个标", "report_problem", {"booking_offer": earlier})
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), tracker, domain)
    offer = slot_values(events)["booking_offer"]
    assert offer["complaint"].startswith(first) and "发动机" in offer["complaint"]


async def test_a_problem_told_with_a_request_to_book_starts_the_booking(chat, domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, chat("帮我约个修车 过减速带的时候咯噔咯噔响", "report_problem"), domain)
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"
    assert slot_values(events)["service_type"] == "repair"


def test_a_check_without_a_fault_is_not_a_fault():
    from actions.offers import describes_a_fault

    assert not describes_a_fault("上周涉水了 目前开着没啥问题 想检查下底盘和电路")
    assert describes_a_fault("刹车有异响")


async def test_a_problem_told_with_routine_work_beside_it_is_a_repair(chat, domain):
    text = "刹车的时候右前轮有咯噔咯噔的声音,顺便把保养也做了"
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), chat(text, "report_problem"), domain)
    assert slot_values(events)["booking_offer"]["service_type"] == "repair"


@pytest.mark.parametrize("text,fault", [
    ("家里老人要开我的车,想先检查一遍刹车和轮胎,放心点", False),  # a check of named parts
    ("车要年检了,想先检测一下,免得上线过不了", False),  # a worry about the inspection
    ("目前开着没啥问题,想检查下底盘", False),
    ("刹车有点软,想检查一下", True),
    ("修刹车", True),
    # The car's own maintenance reminder is maintenance due, unless a fault is told beside it.
    ("仪表上那个小扳手亮了", False),
    ("仪表提示保养了,约一下", False),
    ("保养灯亮了,还有刹车有异响", True),
])
def test_a_check_asked_for_is_no_fault(text, fault):
    from actions.offers import describes_a_fault

    assert describes_a_fault(text) is fault


async def test_can_i_still_drive_it_is_answered_from_what_was_told(chat, domain):
    """车还能开吗 after a dangerous complaint: do not drive; after a harmless one: drive slowly."""
    dangerous = chat("车还能开吗 要不要叫拖车?", "ask_price")
    dangerous.events.append({"event": "user", "timestamp": 1795676300.0, "text": "开着开着水温表就飙到头了 还冒白烟"})
    dispatcher = CollectingDispatcher()
    await ActionAnswerQuestion().run(dispatcher, dangerous, domain)
    assert responses(dispatcher)[0] == "utter_danger_do_not_drive"

    harmless = chat("还能开吗", "ask_price")
    harmless.events.append({"event": "user", "timestamp": 1795676300.0, "text": "蓝牙连不上了"})
    dispatcher = CollectingDispatcher()
    await ActionAnswerQuestion().run(dispatcher, harmless, domain)
    assert responses(dispatcher)[0] == "utter_answer_can_drive"


async def test_a_time_told_with_the_problem_again_takes_the_offer_up(chat, domain):
    """那我周日过去,故障灯亮了 while a booking is offered: the booking starts, the complaint once."""
    offer = {"service_type": "repair", "complaint": "仪表盘上发动机故障灯亮了", "text": "仪表盘上发动机故障灯亮了", "car_model": None}
    tracker = chat("那我周日过去 仪表盘上发动机故障灯亮了", "report_problem", {"booking_offer": offer},
                   entities=[_time_window("2026-11-29T00:00:00", "2026-11-29T23:59:59", 2, 4)])
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, tracker, domain)
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"
    assert "utter_offer_booking" not in responses(dispatcher)
    assert slot_values(events)["symptom_what"].count("故障灯") == 1


async def test_a_check_without_a_fault_starts_the_booking_without_an_interview(chat, domain):
    offer = {"service_type": "inspection", "complaint": "怕过不了", "text": "下个月要年检了 能先全车检查一下吗 没啥毛病 就怕过不了"}
    events = await ActionHandleAffirm().run(CollectingDispatcher(), chat("好", "affirm", {"booking_offer": offer}), domain)
    slots = slot_values(events)
    assert slots["service_type"] == "inspection"
    assert slots["symptom_what"] == NOT_GIVEN and slots["symptom_confirmed"] is True


async def test_the_cars_maintenance_reminder_is_offered_as_maintenance(chat, domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, chat("仪表上那个小扳手亮了", "report_problem"), domain)
    assert slot_values(events)["booking_offer"]["service_type"] == "maintenance"
    assert [m["response"] for m in dispatcher.messages] == ["utter_service_due", "utter_offer_booking"]


async def test_a_fault_told_without_saying_what_is_a_repair_whose_symptom_is_asked_later(chat, domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(
        dispatcher, chat("我车感觉有点毛病,说不上来", "nlu_fallback"), domain
    )
    assert responses(dispatcher) == ["utter_vague_problem_acknowledged", "utter_offer_booking"]
    offer = slot_values(events)["booking_offer"]
    assert offer["service_type"] == "repair" and offer["complaint"] is None
    started = slot_values(await ActionHandleAffirm().run(
        CollectingDispatcher(), chat("好的", "affirm", {"booking_offer": offer}), domain
    ))
    assert started["service_type"] == "repair"
    assert not started.get("symptom_what")  # the interview asks what it is


async def test_a_warranty_question_without_a_problem_is_answered_then_a_booking_offered(chat, domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(
        dispatcher, chat("我车是27年买的,还在质保期不?", "report_problem"), domain
    )
    assert responses(dispatcher) == ["utter_answer_warranty", "utter_offer_booking"]
    assert slot_values(events)["booking_offer"]["complaint"] is None


def test_an_offer_taken_up_with_the_problem_itself_interviews_that_problem(chat):
    from actions.offers import offer_slots

    asked = {"service_type": None, "complaint": None, "text": "我车是27年买的,还在质保期不?", "car_model": None}
    tracker = chat("主驾车窗升降有异响,想走质保修一下", "book_service", {"service_type": "质保"})
    slots = offer_slots(tracker, asked)
    assert slots["service_type"] == "warranty"
    assert "车窗升降有异响" in slots["symptom_what"] and "质保期" not in slots["symptom_what"]

    told = {"service_type": "repair", "complaint": "空调不凉", "text": "空调不凉", "car_model": None}
    slots = offer_slots(chat("还有天窗也漏水,约一下吧", "book_service"), told)
    assert "空调不凉" in slots["symptom_what"] or "空调不凉" in str(slots.get("pending_complaints"))
    assert "天窗" in str(slots)


async def test_a_check_asked_for_after_a_fault_was_told_is_a_repair(chat, domain):
    from actions.booking_form import ValidateBookingForm

    offer = {"service_type": "repair", "complaint": "仪表盘上发动机故障灯亮了", "text": "仪表盘上发动机故障灯亮了", "car_model": None}
    tracker = chat("那约个时间来检查下", "book_service", {"booking_offer": offer})
    tracker.active_loop = {"name": "booking_form"}
    tracker.slots["requested_slot"] = None
    tracker.events.append({"event": "slot", "timestamp": 1795676400.3, "name": "service_type", "value": "检查"})
    tracker.slots["service_type"] = "检查"
    events = await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain)
    assert slot_values(events)["service_type"] == "repair"


def test_still_under_warranty_with_a_fault_is_a_warranty_claim():
    from actions.backend import catalog

    assert catalog().main_service_for("新车主驾座椅加热不热了,还在保", True) == "warranty"
    assert catalog().main_service_for("车还在保,想做个首保", False) == "maintenance"


@pytest.mark.parametrize("text", ["侬好 阿拉屋里厢额车子要做保养了", "介车该年审了,您们那儿能给先检测检测嘛"])
async def test_a_service_asked_for_without_a_fault_starts_the_booking(chat, domain, text):
    """No problem told, a service named: the booking starts; nothing is restated as a complaint."""
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, chat(text, "report_problem"), domain)
    assert "utter_problem_acknowledged" not in responses(dispatcher)
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"
    assert slot_values(events)["service_type"] in ("maintenance", "inspection")
    assert not slot_values(events).get("symptom_what")


async def test_a_service_told_as_done_is_no_request(chat, domain):
    dispatcher = CollectingDispatcher()
    await ActionAcknowledgeProblem().run(dispatcher, chat("上周刚做完保养,今天胎压灯亮了", "report_problem"), domain)
    assert responses(dispatcher)[-1] == "utter_offer_booking"


@pytest.mark.parametrize("text,service", [
    ("想约个保养,另外左后车窗升起来有点卡,也帮忙看看", "maintenance"),  # the window asked by the way
    ("约个保养,顺便帮我检查下胎压,轮胎好像有点亏气", "maintenance"),
    ("我的车要保养了 还有就是空调有点不制冷", "repair"),  # a fault told, not asked by the way
    ("刹车的时候右前轮有咯噔咯噔的声音,顺便把保养也做了", "repair"),
])
async def test_a_fault_asked_by_the_way_beside_a_service_is_extra_work(chat, domain, text, service):
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), chat(text, "report_problem"), domain)
    slots = slot_values(events)
    assert (slots.get("booking_offer") or slots)["service_type"] == service


async def test_a_booking_asked_for_in_reply_to_the_offer_takes_it_up(chat, domain):
    from actions.offers import reply_to_offer

    offer = {"service_type": "repair", "complaint": "暖风不热", "text": "暖风不热", "car_model": None}
    assert reply_to_offer(chat("中 给我整个时间", "nlu_fallback", {"booking_offer": offer})) is True
    assert reply_to_offer(chat("我再想想", "nlu_fallback", {"booking_offer": offer})) is None


@pytest.mark.parametrize("text,service", [
    ("您好!!我的车才买半年,中控屏老是黑屏", "warranty"),  # within the new-car warranty
    ("新车才买三个月,中控屏老是黑屏", "warranty"),
    ("车买了五年了,刹车有异响", "repair"),  # past it
    ("车买了两年,刚过质保,空调不凉了", "repair"),  # said to be past it
    ("刹车有异响", "repair"),  # the car's age not told
])
async def test_a_fault_on_a_car_within_the_warranty_is_a_warranty_claim(chat, domain, text, service):
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), chat(text, "report_problem"), domain)
    assert slot_values(events)["booking_offer"]["service_type"] == service


async def test_can_you_do_a_listed_job_is_answered_yes_and_the_booking_starts(chat, domain):
    """你们那能装行车记录仪吗? (read as out of scope): the shop does it; no "cannot answer"."""
    from actions.side_requests import ActionHandleUnclearMessage

    dispatcher = CollectingDispatcher()
    tracker = chat("你们那能装行车记录仪吗?", "out_of_scope", entities=[{"entity": "service_type", "value": "装行车记录仪"}])
    events = await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_answer_service_offered"
    assert slot_values(events)["service_type"] == "other"
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"


async def test_can_you_fix_a_part_is_answered_yes_and_a_booking_offered_without_a_complaint(chat, domain):
    """你们那能修空调不?: no fault told yet (what is wrong is asked in the booking); 空调不 is no complaint."""
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, chat("你们那能修空调不?", "report_problem"), domain)
    assert responses(dispatcher) == ["utter_answer_we_can_repair", "utter_offer_booking"]
    assert not slot_values(events)["booking_offer"].get("complaint")


async def test_a_fault_told_with_can_you_fix_it_is_restated(chat, domain):
    dispatcher = CollectingDispatcher()
    await ActionAcknowledgeProblem().run(dispatcher, chat("空调不凉了,能修吗", "report_problem"), domain)
    assert responses(dispatcher)[0] == "utter_problem_acknowledged"


def _time(value: str, start: int, end: int) -> dict:
    return {"entity": "time", "value": value, "start": start, "end": end,
            "additional_info": {"earliest": value, "latest": value.replace("T08:00", "T10:00"), "exact": False}}


async def test_a_time_to_come_in_told_with_the_problem_starts_the_booking(chat, domain):
    """打火打不燃了,后天早上可以来弄一哈不: the customer wants to come; the time is no complaint."""
    text = "我的车子打火打不燃了,后天早上可以来弄一哈不"
    start = text.index("后天早上")
    tracker = chat(text, "report_problem", entities=[_time("2026-11-29T08:00:00+08:00", start, start + 4)])
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, tracker, domain)
    assert "utter_offer_booking" not in responses(dispatcher)
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"
    assert "后天" not in slot_values(events)["symptom_what"]


async def test_a_time_the_problem_began_is_no_time_to_come_in(chat, domain):
    text = "前天早上开始刹车吱吱响"
    tracker = chat(text, "report_problem", entities=[_time("2026-11-25T08:00:00+08:00", 0, 4)])
    dispatcher = CollectingDispatcher()
    await ActionAcknowledgeProblem().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_problem_acknowledged", "utter_offer_booking"]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("我车电动尾门关到一半就自己弹开,这个保修管不管?", "utter_answer_warranty"),
        ("刹车有异响,修一下大概多少钱?", "utter_quote_after_inspection"),  # not the maintenance prices
    ],
)
async def test_a_question_asked_with_the_problem_is_answered_after_the_restatement(chat, domain, text, answer):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, chat(text, "report_problem"), domain)
    assert responses(dispatcher) == ["utter_problem_acknowledged", answer, "utter_offer_booking"]
    assert "?" not in slot_values(events)["booking_offer"]["complaint"]


def _today(part_start: str, part_end: str, start: int, end: int) -> dict:
    """A time entity of the fixture's day (2026-11-26, the message at 15:00) already begun."""
    return {"entity": "time", "value": f"2026-11-26T{part_start}:00+08:00", "start": start, "end": end,
            "additional_info": {"earliest": f"2026-11-26T{part_start}:00+08:00",
                                "latest": f"2026-11-26T{part_end}:00+08:00", "exact": False}}


async def test_today_asked_with_can_you_fix_it_is_the_visit_not_when_it_began(chat, domain):
    """启动要打好几次火才着,今天能修不: 今天 has begun, but 能修不 asks to come in today."""
    text = "我车启动的时候要打好几次火才着,今天能修不"
    start = text.index("今天")
    tracker = chat(text, "report_problem", entities=[_today("00:00", "23:59", start, start + 2)])
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), tracker, domain)
    slots = slot_values(events)
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"
    assert "symptom_when" not in slots and "今天" not in slots["symptom_what"]


async def test_a_time_of_today_that_tells_what_happened_is_no_visit(chat, domain):
    """胎压灯今天下午亮了 at 15:00: the afternoon has begun and nothing asks to come."""
    text = "胎压灯今天下午亮了"
    start = text.index("今天下午")
    tracker = chat(text, "report_problem", entities=[_today("12:00", "18:00", start, start + 4)])
    dispatcher = CollectingDispatcher()
    await ActionAcknowledgeProblem().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_problem_acknowledged", "utter_offer_booking"]


async def test_yes_to_the_offer_after_can_you_fix_a_part_books_a_repair(chat, domain):
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, chat("你们那能修空调不?", "report_problem"), domain)
    offer = slot_values(events)["booking_offer"]
    assert offer["service_type"] == "repair"
    events = await ActionHandleAffirm().run(CollectingDispatcher(), chat("好的", "affirm", {"booking_offer": offer}), domain)
    assert slot_values(events)["service_type"] == "repair"


async def test_can_you_do_a_job_read_as_another_question_is_still_answered_yes(chat, domain):
    """你们能贴膜吗 classified as ask_address: no address, the job is one the shop does."""
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerQuestion().run(dispatcher, chat("你们能贴膜吗", "ask_address"), domain)
    assert responses(dispatcher)[0] == "utter_answer_service_offered"
    assert slot_values(events)["service_type"] == "other"


async def test_can_you_do_it_naming_no_job_or_part_leaves_the_service_to_ask(chat, domain):
    """那个 车子要审了 你们这能弄吗: yes, and the booking asks what it is for (no repair assumed)."""
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, chat("那个 车子要审了 你们这能弄吗", "report_problem"), domain)
    assert responses(dispatcher) == ["utter_answer_service_offered", "utter_offer_booking"]
    assert slot_values(events)["booking_offer"]["service_type"] != "repair"


@pytest.mark.parametrize(("slots", "text", "expected"), [
    # damage told for a bodywork booking adds to the job; it stays bodywork
    ({"service_type": "body_paint", "job_description": "追尾了"}, "后杠 尾灯碎了",
     {"job_description": "追尾了,后杠尾灯碎了"}),
    # a fault for a booking without one: a repair, interviewed from what was told
    ({"service_type": "other"}, "中控屏老黑屏", {"service_type": "repair", "symptom_what": "中控屏老黑屏"}),
    # a fault for a maintenance booking: a repair, the maintenance done by the way
    ({"service_type": "maintenance"}, "刹车有异响",
     {"service_type": "repair", "symptom_what": "刹车有异响", "extra_requests": "保养"}),
    # … unless it is asked by the way: extra work, the maintenance stays the job
    ({"service_type": "maintenance"}, "顺便帮我看看,最近怠速的时候方向盘有点抖",
     {"service_type": None, "extra_requests": "顺便帮我看看,最近怠速的时候方向盘有点抖"}),
    ({"service_type": "maintenance", "extra_requests": "洗车"}, "另外空调有点不凉",
     {"service_type": None, "extra_requests": "洗车,另外空调有点不凉"}),
    # a further fault of an interviewed booking: interviewed after the first
    ({"service_type": "repair", "symptom_what": "方向盘抖"}, "还有空调不凉",
     {"pending_complaints": ["还有空调不凉"]}),
])
async def test_a_problem_told_while_the_booking_asks_something_else_is_noted_in_it(
    slots, text, expected, form_tracker, domain
):
    """请问您希望哪天… → 后杠 尾灯碎了: heard and written into the booking under way; no second
    offer of a booking (the form asks its question again)."""
    tracker = form_tracker({}, requested_slot="appointment_time", slots=slots, text=text)
    tracker.latest_message["intent"] = {"name": "report_problem", "confidence": 0.9}
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_problem_noted"]
    values = slot_values(events)
    assert {name: values.get(name) for name in expected} == expected
    assert "booking_offer" not in values


async def test_a_fault_the_classifier_did_not_place_mid_booking_is_noted(form_tracker, domain):
    tracker = form_tracker({}, requested_slot="appointment_time", slots={"service_type": "other"}, text="中控屏老黑屏",
                           entities=[{"entity": "part", "value": "中控屏"}, {"entity": "symptom", "value": "黑屏"}])
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.7}
    dispatcher = CollectingDispatcher()
    events = await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_problem_noted"]
    assert slot_values(events)["symptom_what"] == "中控屏老黑屏"


async def test_what_to_look_at_for_a_check_is_no_fault_mid_booking(form_tracker, domain):
    tracker = form_tracker({}, requested_slot="appointment_time", slots={"service_type": "inspection"},
                           text="看看灯啊刹车啥的有没问题")
    tracker.latest_message["intent"] = {"name": "report_problem", "confidence": 0.9}
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, tracker, domain)
    assert "service_type" not in slot_values(events)
    assert "utter_offer_booking" not in responses(dispatcher)


@pytest.mark.parametrize("text", ["被人追的", "对方保险出"])
async def test_more_of_the_accident_told_in_a_bodywork_booking_is_noted_in_its_job(text, form_tracker, domain):
    tracker = form_tracker({}, requested_slot="appointment_time", text=text,
                           slots={"service_type": "body_paint", "job_description": "追尾了"})
    tracker.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.4}
    dispatcher = CollectingDispatcher()
    events = await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_other_answer_noted"]
    assert slot_values(events)["job_description"] == f"追尾了,{text}"


async def test_an_unclear_message_in_a_repair_booking_is_still_not_understood(form_tracker, domain):
    tracker = form_tracker({}, requested_slot="appointment_time", text="被人追的", slots={"service_type": "repair"})
    tracker.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.4}
    dispatcher = CollectingDispatcher()
    await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_default"]


async def test_bodywork_told_after_a_repair_was_heard_makes_it_bodywork(form_tracker, domain):
    """树枝砸到车上了 (heard as a fault) … 车顶凹了一块 漆也掉了: the job is bodywork; what was
    heard first is part of it."""
    tracker = form_tracker({}, requested_slot="appointment_time", text="车顶凹了一块 漆也掉了",
                           slots={"service_type": "repair", "symptom_what": "树枝掉下来打到车上了"})
    tracker.latest_message["intent"] = {"name": "report_problem", "confidence": 0.9}
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), tracker, domain)
    values = slot_values(events)
    assert values["service_type"] == "body_paint" and values["symptom_what"] is None
    assert values["job_description"].startswith("树枝掉下来打到车上了,车顶凹了一块")


async def test_a_day_gone_by_alone_starts_no_booking(chat, domain):
    """昨天刮大风: what happened, told first; no booking offered for a time already past."""
    tracker = chat("昨天刮大风", "inform", entities=[_time_window("2026-11-25T00:00:00", "2026-11-25T23:59:59", 0, 2)])
    dispatcher = CollectingDispatcher()
    events = await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert not any(e.get("event") == "followup" for e in events)


async def test_a_short_fault_in_words_no_list_holds_is_kept_with_what_follows(chat, domain):
    """我这车续航最近掉得厉害 … 满电显示400公里,实际跑不到250: one complaint, the first words kept."""
    first = "我这车续航最近掉得厉害"
    earlier = {"service_type": None, "complaint": first, "text": first, "car_model": None}
    tracker = chat("满电显示400公里,实际跑不到250", "report_problem", {"booking_offer": earlier})
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), tracker, domain)
    assert slot_values(events)["booking_offer"]["complaint"].startswith(first)


async def test_a_time_gone_by_told_with_the_problem_does_not_take_the_offer_up(chat, domain):
    """今天早上打火打了好几次才着 while a booking is offered: when it happened, not a wish to book."""
    offer = {"service_type": "repair", "complaint": "车过了积水", "text": "车过了积水", "car_model": None}
    tracker = chat("今天早上打火打了好几次才着", "report_problem", {"booking_offer": offer},
                   entities=[_time_window("2026-11-26T05:00:00", "2026-11-26T09:00:00", 0, 4)])
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(dispatcher, tracker, domain)
    assert not any(e.get("event") == "followup" for e in events)
    assert "打火打了好几次才着" in slot_values(events)["booking_offer"]["complaint"]
    assert slot_values(events)["appointment_time"] is None  # the raw time is no booking time


async def test_a_question_about_the_shop_is_not_restated_as_a_complaint(chat, domain):
    """你们店里有充电桩吗,等的时候能不能顺便充电 (read as a problem): the dealer's answer, then the offer."""
    dispatcher = CollectingDispatcher()
    events = await ActionAcknowledgeProblem().run(
        dispatcher, chat("你们店里有充电桩吗,等的时候能不能顺便充电", "report_problem"), domain)
    assert responses(dispatcher) == ["utter_answer_shop_fact", "utter_offer_booking"]
    assert slot_values(events)["booking_offer"]["complaint"] is None


async def test_bodywork_damage_read_as_out_of_scope_is_heard_and_a_booking_offered(chat, domain):
    dispatcher = CollectingDispatcher()
    tracker = chat("国庆上高速 前杠被石子崩掉好几块漆", "out_of_scope", entities=[{"entity": "service_type", "value": "漆"}])
    events = await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_problem_acknowledged", "utter_offer_booking"]
    assert slot_values(events)["booking_offer"]["service_type"] == "body_paint"


async def test_a_part_said_to_be_wrong_with_nothing_more_has_what_is_wrong_asked(chat, domain):
    """车还在保修期内,暖风出问题了 … 好的: the booking starts; 具体出现了什么问题 is asked first."""
    offer = {"service_type": "warranty", "complaint": "暖风出问题了", "text": "车还在保修期内,暖风出问题了 能走质保吗",
             "car_model": None}
    events = await ActionHandleAffirm().run(CollectingDispatcher(), chat("好的", "affirm", {"booking_offer": offer}), domain)
    assert slot_values(events).get("symptom_what") is None


async def test_a_complaint_told_in_two_messages_keeps_the_weightier_service(chat, domain):
    earlier = {"service_type": "body_paint", "complaint": "追尾了", "text": "追尾了", "car_model": None}
    tracker = chat("后杠 尾灯碎了", "report_problem", {"booking_offer": earlier})
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), tracker, domain)
    assert slot_values(events)["booking_offer"]["service_type"] == "body_paint"


async def test_asking_to_come_at_a_time_starts_the_booking(chat, domain):
    """明天下午五点能过来吗? (read as ask_hours): the booking starts at that time, not the advisor."""
    tracker = chat("明天下午五点能过来吗?", "ask_hours", entities=[_time_window("2026-11-27T17:00:00", "2026-11-27T17:00:00", 0, 6)])
    tracker.latest_message["intent"] = {"name": "ask_hours", "confidence": 0.55}
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerQuestion().run(dispatcher, tracker, domain)
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "booking_form"}
    assert "utter_answer_by_advisor" not in responses(dispatcher)


async def test_can_you_fix_it_read_as_a_no_is_answered_and_the_offer_stands(chat, domain):
    dispatcher = CollectingDispatcher()
    offer = {"service_type": "repair", "complaint": "暖风不热", "text": "暖风不热", "car_model": None}
    events = await ActionHandleDeny().run(dispatcher, chat("能修不", "deny", {"booking_offer": offer}), domain)
    assert responses(dispatcher) == ["utter_answer_we_can_repair", "utter_offer_booking"]
    assert events == []


async def test_a_check_asked_under_the_warranty_after_a_fault_is_a_warranty_claim(form_tracker, domain):
    """秦PLUS续航掉得厉害 … 还在质保期,想过来检测一下: the fault is claimed under the warranty."""
    from actions.offers import offer_slots

    offer = {"service_type": None, "complaint": "秦PLUS续航掉得厉害", "text": "秦PLUS续航掉得厉害", "car_model": "秦PLUS"}
    tracker = form_tracker({}, requested_slot=None, text="还在质保期,想过来检测一下")
    assert offer_slots(tracker, offer)["service_type"] == "warranty"


@pytest.mark.parametrize(("text", "response", "joined"), [
    ("像烧塑料那种", "utter_other_answer_noted", True),  # what the smell is like
    ("上个月刚在你们这修过,又有了", "utter_other_answer_noted", True),  # it came back
    ("这正常吗", "utter_answer_after_check", False),  # a question: answered
    ("我得赶着上班", "utter_other_answer_noted", False),  # noted, not part of the fault
])
async def test_more_told_while_a_booking_is_offered_is_heard_and_the_offer_stands(text, response, joined, chat, domain):
    offer = {"service_type": "repair", "complaint": "车里有股烧焦的味道", "text": "车里有股烧焦的味道", "car_model": None}
    dispatcher = CollectingDispatcher()
    events = await ActionHandleUnclearMessage().run(dispatcher, chat(text, "nlu_fallback", {"booking_offer": offer}), domain)
    assert responses(dispatcher) == [response, "utter_offer_booking"]
    complaint = slot_values(events)["booking_offer"]["complaint"]
    assert complaint.startswith("车里有股烧焦的味道") and (text[:3] in complaint) is joined


async def test_a_car_model_told_while_a_booking_is_offered_is_kept(chat, domain):
    offer = {"service_type": "repair", "complaint": "后备箱进水了", "text": "后备箱进水了", "car_model": None}
    tracker = chat("车是过年时候买的轩逸", "inform", {"booking_offer": offer}, entities=[{"entity": "car_model", "value": "轩逸"}])
    dispatcher = CollectingDispatcher()
    events = await ActionHandleUnclearMessage().run(dispatcher, tracker, domain)
    assert "utter_default" not in responses(dispatcher)
    assert slot_values(events)["booking_offer"]["car_model"] == "轩逸"


async def test_damage_told_with_the_work_wished_for_starts_the_booking(chat, domain):
    """新车前杠蹭掉一块漆,想补一下: the bodywork is asked for (it had been offered again and again)."""
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), chat("新车前杠蹭掉一块漆,想补一下", "report_problem"), domain)
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "booking_form"}
    assert slot_values(events)["service_type"] == "body_paint"


async def test_a_problem_told_again_while_its_booking_is_offered_takes_the_offer_up(chat, domain):
    text = "车里有股烧焦的味道"
    offer = {"service_type": "repair", "complaint": text, "text": text, "car_model": None}
    tracker = chat(text, "report_problem", {"booking_offer": offer})
    last_user = max(i for i, e in enumerate(tracker.events) if e.get("event") == "user")
    tracker.events[last_user] = {**tracker.events[last_user], "text": text}
    tracker.events.insert(last_user, {**tracker.events[last_user]})
    events = await ActionAcknowledgeProblem().run(CollectingDispatcher(), tracker, domain)
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "booking_form"}


@pytest.mark.parametrize(("text", "intent"), [
    ("那我开车过去让你们瞧瞧", "ask_address"), ("行吧我过来一趟", "nlu_fallback"), ("那我明儿过去给师傅看看", "inform"),
])
async def test_bringing_the_car_in_takes_up_the_offer(chat, domain, text, intent):
    from actions.side_requests import ActionAnswerQuestion, ActionHandleUnclearMessage

    offered = {"booking_offer": {"service_type": "repair", "complaint": "仪表上故障灯亮了"}}
    action = ActionAnswerQuestion() if intent == "ask_address" else ActionHandleUnclearMessage()
    events = await action.run(CollectingDispatcher(), chat(text, intent, offered), domain)
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "booking_form"


def test_asking_the_way_is_no_visit_asked_for():
    from actions import backend

    assert not backend.script().asks_for_booking("开车怎么过去")


@pytest.mark.parametrize(("text", "intent"), [("我跟你说啊", "out_of_scope"), ("哎,说来话长", "nlu_fallback"),
                                              ("问您个事儿", "out_of_scope")])
async def test_words_announcing_a_story_ask_the_customer_to_go_on(chat, domain, text, intent):
    from actions.side_requests import ActionHandleUnclearMessage

    dispatcher = CollectingDispatcher()
    await ActionHandleUnclearMessage().run(dispatcher, chat(text, intent), domain)
    assert responses(dispatcher) == ["utter_go_on"]


async def test_the_car_told_outside_a_booking_is_noted_and_a_booking_offered(chat, domain):
    from actions.side_requests import ActionHandleUnclearMessage

    dispatcher = CollectingDispatcher()
    entities = [{"entity": "car_model", "value": "凯美瑞"}, {"entity": "mileage", "value": "三万公里"}]
    events = await ActionHandleUnclearMessage().run(dispatcher, chat("凯美瑞,跑了三万公里", "inform", entities=entities), domain)
    assert responses(dispatcher) == ["utter_other_answer_noted", "utter_offer_booking"]
    assert slot_values(events)["booking_offer"]["car_model"] == "凯美瑞"


def _in_booking(form_tracker, text: str, intent: str, asked: str, slots: dict, candidates: dict | None = None):
    tracker = form_tracker(candidates or {}, requested_slot=asked, slots=slots, text=text)
    tracker.active_loop = {"name": "booking_form"}
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.9}
    return tracker


async def test_the_fault_said_to_be_the_main_job_turns_the_maintenance_into_extra_work(form_tracker, domain):
    from actions.offers import complaint_in_booking

    tracker = _in_booking(form_tracker, "主要是跑偏这个想让师傅看看,保养顺便做了", "book_service", "appointment_time",
                          {"service_type": "maintenance"})
    slots = slot_values(complaint_in_booking(CollectingDispatcher(), tracker))
    assert slots["service_type"] == "repair" and slots["extra_requests"] == "保养"
    assert "跑偏" in slots["symptom_what"]


async def test_a_fault_asked_by_the_way_in_a_maintenance_booking_stays_extra_work(form_tracker, domain):
    from actions.offers import complaint_in_booking

    tracker = _in_booking(form_tracker, "顺便帮我看看,怠速的时候方向盘有点抖", "report_problem", "appointment_time",
                          {"service_type": "maintenance"})
    slots = slot_values(complaint_in_booking(CollectingDispatcher(), tracker))
    assert "service_type" not in slots and "方向盘有点抖" in slots["extra_requests"]


async def test_the_maintenance_kept_as_extra_work_is_taken_back_when_declined(form_tracker, domain):
    from actions.offers import complaint_in_booking

    tracker = _in_booking(form_tracker, "哦不对,保养还没到公里数,这次先不保养了,就看空调那个味儿", "report_problem",
                          "appointment_time", {"service_type": "repair", "extra_requests": "保养",
                                               "symptom_what": "空调开暖风有股酸臭味"})
    slots = slot_values(complaint_in_booking(CollectingDispatcher(), tracker))
    assert slots["extra_requests"] is None


@pytest.mark.parametrize(("step", "text", "told", "answer"), [
    ("last_service", "哎对了,保养我上礼拜其实在外面做过了,这次不保养了,主要是想查查为啥油耗突然变高了", "油耗", "text"),
    ("extra_requests", "哦对了，其实保养上个月刚做过，我主要是想看看空调，开了半天都不凉", "不凉", "text"),
    # at a yes/no step its 做过 is the maintenance's: no answer to it
    ("first_visit", "稍等,保养先不弄了,三个月前才做过。其实是雨刮器刮不干净", "雨刮器", False),
])
async def test_the_maintenance_declined_for_a_fault_at_another_step_makes_it_a_repair(
        form_tracker, domain, step, text, told, answer):
    from actions.booking_form import ValidateBookingForm

    tracker = _in_booking(form_tracker, text, "correct_info", step, {"service_type": "maintenance"},
                          {step: text if answer == "text" else answer})
    slots = slot_values(await ValidateBookingForm().run(CollectingDispatcher(), tracker, domain))
    assert slots["service_type"] == "repair" and told in slots["symptom_what"]
    assert slots.get(step) is None  # still to be answered
    assert not slots.get("extra_requests") and not slots.get("symptom_tried")  # nothing tried for the fault


async def test_another_service_declined_in_reply_to_the_offer_is_no_refusal(chat):
    from actions.offers import reply_to_offer

    offer = {"service_type": "body_paint", "complaint": "下面裂了条缝", "text": "前保险杠裂了条缝", "car_model": None}
    assert reply_to_offer(chat("看看是修还是换,保养上个月刚做过不用弄", "correct_info", {"booking_offer": offer})) is not False
    assert reply_to_offer(chat("先不用了", "deny", {"booking_offer": offer})) is False


async def test_a_second_problem_told_while_the_booking_is_offered_gets_its_own_interview(chat, domain):
    first = {"service_type": "repair", "complaint": "刹车踩下去软绵绵的", "text": "刹车踩下去软绵绵的,要踩很深才刹得住",
             "car_model": None}
    events = await ActionAcknowledgeProblem().run(
        CollectingDispatcher(), chat("还有就是松开方向盘车会往右跑", "report_problem", {"booking_offer": first}), domain)
    offer = slot_values(events)["booking_offer"]
    from actions.offers import offer_slots

    slots = offer_slots(chat("那约一下,越快越好", "book_service", {"booking_offer": offer}), offer)
    assert "往右跑" not in slots["symptom_what"] and "刹车" in slots["symptom_what"]
    assert ["松开方向盘车会往右跑"] == slots["pending_complaints"]


@pytest.mark.parametrize(("text", "slot", "words"), [
    ("大概是前天下午开始的", "symptom_when", "前天下午开始"),
    ("我自己重新插过电瓶线", "symptom_tried", "插过电瓶线"),
])
async def test_more_of_the_complaint_told_while_the_time_is_asked_is_noted_for_it(form_tracker, domain, text, slot, words):
    from actions.offers import complaint_in_booking

    tracker = _in_booking(form_tracker, text, "report_problem", "appointment_time",
                          {"service_type": "repair", "symptom_what": "中控屏黑屏"})
    dispatcher = CollectingDispatcher()
    slots = slot_values(complaint_in_booking(dispatcher, tracker))
    assert words in slots[slot] and "pending_complaints" not in slots and "symptom_what" not in slots
    assert [m["response"] for m in dispatcher.messages] == ["utter_other_answer_noted"]


async def test_another_part_told_while_the_time_is_asked_is_another_complaint(form_tracker, domain):
    from actions.offers import complaint_in_booking

    tracker = _in_booking(form_tracker, "还有空调也不制冷,上周开始的", "report_problem", "appointment_time",
                          {"service_type": "repair", "symptom_what": "中控屏黑屏"})
    slots = slot_values(complaint_in_booking(CollectingDispatcher(), tracker))
    assert slots["pending_complaints"] and "symptom_when" not in slots
