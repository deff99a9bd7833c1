"""Outside a booking: hearing a complaint, offering to book, and the customer's 好的 / 不用.

An advisor who hears a problem shows understanding, gives the danger advice where
needed and offers to book a check; one who answers a question offers to book too.
What was heard is kept in ``booking_offer`` so a plain 好的 / 行 / 嗯 starts the
booking with it (service, complaint, car model) instead of asking it all again.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from actions.conversation import latest_entity, message_time, model_as_said, user_texts, value_before_latest_message
from actions.interview import (
    complaint_prefill,
    danger_check,
    interview_prefill,
    is_visit_time,
    job_prefill,
    latest_intent,
    latest_text,
    without_interview,
)
from actions.questions import HAVE_QUESTION, answer_question, asks_about_the_cause, asks_directly, sounds_like_question
from dealer.catalog import without_by_the_way
from dealer.script import NOT_GIVEN
from dealer.symptoms import (
    clauses,
    only_that_a_part_is_wrong,
    same_complaint,
    complaint_words,
    tags,
    names_a_part,
    tells_a_fault,
    tells_a_vague_fault,
    tells_what_the_part_does,
    told_symptom,
)


def describes_a_fault(text: str) -> bool:
    """A problem is told (not 目前开着没啥问题,想检查下底盘 or 年检前检测一下,免得上线过不了:
    a check without a fault; nor 换个机油行不: a maintenance job)."""
    # A part named with a check or a maintenance job (换机油, 保养顺便看看刹车) is its object,
    # no fault; so is the part a job names (换四条轮胎), but not a fault told beside it
    # (右前轮胎鼓了个包,要换胎).
    text = backend.catalog().without_jobs_giving_way(text)
    script = backend.script()
    if script.names_service_reminder(text):
        # 仪表上那个小扳手亮了: maintenance due (a maintenance synonym); a fault only if told beside it.
        text = ",".join(script.without_service_reminder(clauses(text)))
        if not text:
            return False
    check_asked = bool({"inspection", "maintenance"} & backend.catalog().services_named(text))
    return tells_a_fault(text, check_asked) and not script.says_no_fault(text)


# A service told as done (刚做完保养 / 上次保养的时候): no service asked for.
DONE_BEFORE = re.compile(r"刚|已经|上次|上回|前几天|做完|做过|做了|保养完|检测完|检查完")


# Work asked "by the way" (顺便 / 另外), unlike a fault told after 还有 (还有就是空调不凉).
ASKED_BY_THE_WAY = re.compile(r"顺便|顺带|顺道|捎带|另外|此外")


def fault_is_the_job(text: str) -> bool:
    """A fault is told and the booking is for it: not one told only 顺便 / 另外 after a
    service asked first (想约个保养,另外左后车窗升起来有点卡,也帮忙看看: the maintenance is
    the job, the window extra work)."""
    if not describes_a_fault(text):
        return False
    main = without_by_the_way(text)
    if main == text or not ASKED_BY_THE_WAY.search(text):
        return True  # 要保养了,还有就是空调有点不制冷: a fault told is the job
    return describes_a_fault(main) or not backend.catalog().services_named(main)


def names_the_warranty(text: str) -> bool:
    """The words ask about or claim the warranty (质保是几年 / 车还在质保期 / 这个算保修吧),
    not one said to be over (刚过质保)."""
    return (backend.script().question_kind(text) == "ask_warranty" or "warranty" in backend.catalog().services_named(text)
            or bool(WITHIN_WARRANTY.search(text)) or bool(QUALITY_CLAIM.search(text)))


# 这算质量问题吧 / 这是质量问题: the fault claimed as the maker's (a warranty claim).
QUALITY_CLAIM = re.compile(r"(?:算|是|属于)(?:不是)?(?:产品)?质量问题")


# 车还在质保期 / 保修期内: the car said to be under warranty (not 不在保修期 / 过了质保期).
WITHIN_WARRANTY = re.compile(r"(?<![不没过])(?:还在|仍在|在)(?:质保|保修|三包)|(?<!过了)(?:质保|保修|三包)期(?:内|里|之内)")


def _warranty_asked_before(tracker: Tracker) -> bool:
    """An earlier message of the customer asked about or claimed the warranty."""
    return any(names_the_warranty(text) for text in user_texts(tracker)[:-1])


def warranty_claimed_so_far(tracker: Tracker) -> bool:
    """A message of this conversation claims the warranty or tells a car young enough for it
    (车还在质保期 / 才提车一年, told while a booking was offered), and none says it is over."""
    dealer = backend.catalog()
    said = user_texts(tracker)
    return (any(names_the_warranty(text) or dealer.within_warranty(text) for text in said)
            and not any(dealer.warranty_said_over(text) for text in said))


def offer_from(tracker: Tracker, complaint: str | None = None) -> dict[str, Any]:
    """What a booking started from this message would already know."""
    text = latest_text(tracker)
    dealer = backend.catalog()
    model = model_as_said(tracker)
    fault = fault_is_the_job(text)
    service = dealer.main_service_for(text, fault)
    if (complaint or tells_a_vague_fault(text)) and fault and (service is None or dealer.service_type(service).rank < dealer.service_type("repair").rank):
        # A problem told is a repair, whatever routine work is asked beside it
        # (刹车咯噔响,顺便把保养也做了: maintenance is the extra request).
        service = "repair"
    if fault and service == "repair":
        service = dealer.fault_service(text)  # 新车才买半年,中控屏老是黑屏: a warranty claim
    if fault and service == "repair" and (_warranty_asked_before(tracker) or names_the_warranty(text)):
        service = "warranty"  # 电池质保是几年? … 仪表老报电池故障: the fault is claimed under it
    return {
        "service_type": service,
        "complaint": complaint,
        "text": text,
        "car_model": model,
    }


def offer_slots(tracker: Tracker, offer: dict[str, Any] | None) -> dict[str, Any]:
    """The slots a booking begins with, validated: what the offer heard, and a service
    word the customer's message left raw in the slot (小保养 → maintenance)."""
    offer = offer or {}
    dealer = backend.catalog()
    raw = tracker.get_slot("service_type")
    service = offer.get("service_type") or (dealer.service_code_for(str(raw)) if raw else None)
    slots: dict[str, Any] = {"booking_offer": None}
    if service:
        slots.update(service_type=service, service_display=dealer.service_type(service).name)
    if offer.get("car_model") and not tracker.get_slot("car_model"):
        slots["car_model"] = offer["car_model"]
    complaint = offer.get("complaint")
    told = str(offer.get("text") or complaint or "")
    latest = latest_text(tracker)
    now_told = ""
    if latest and latest not in told and describes_a_fault(latest):
        # 下雨天刹车会尖叫: a part told with what it does, in words no symptom list holds.
        now_told = complaint_words(latest) or (told_symptom(latest) if tells_what_the_part_does(latest) else "")
    if now_told:
        # The offer taken up with the problem itself (还在质保期不? … 主驾车窗升降有异响,想走质保):
        # it is the complaint, or a part of it when a problem was told before.
        if complaint and describes_a_fault(told):
            complaint = complaint if now_told in complaint else f"{complaint},{now_told}"
            told = f"{told},{latest}"  # (a comma: 还有就是… after it is told apart as another problem)
        else:
            complaint, told = now_told, latest
    if service in ("repair", "inspection", "other", None) and complaint and latest and names_the_warranty(latest) \
            or service == "repair" and complaint and warranty_claimed_so_far(tracker):
        # 后备箱关不严 … 这个算保修吧 (taking up the offer), or 才提车一年 told while the booking
        # was offered: the fault is claimed under warranty.
        service = "warranty"
        slots.update(service_type=service, service_display=dealer.service_type(service).name)
    changed_by_fault = dealer.service_type(service).with_fault if service else None
    if changed_by_fault and complaint and describes_a_fault(told) and not backend.script().says_no_fault(told):
        # 检测要收费吗? … 那约一下,方向盘有点抖: the check asked about first, then a fault told
        # with the booking: the fault is the job, as when both come in one message.
        service = dealer.fault_service(told) if changed_by_fault == "repair" else changed_by_fault
        slots.update(service_type=service, service_display=dealer.service_type(service).name)
    if service and dealer.service_type(service).with_fault and backend.script().says_no_fault(told):
        # 全车检查一下,没啥毛病,就怕年检过不了: a check, nothing to interview
        slots.update(without_interview())
        complaint = None
    slots.update(job_prefill(service, told, tracker))
    if complaint and dealer.is_interview(service):
        slots.update(complaint_prefill(told or complaint, tracker))
        slots.setdefault("symptom_what", complaint)  # the symptom itself when it can be told apart
        if only_that_a_part_is_wrong(str(slots["symptom_what"])):
            # 暖风出问题了: what is wrong with it is asked first (the interview's first question).
            slots["symptom_what"] = None
    return slots


def booking_start(tracker: Tracker, offer: dict[str, Any] | None) -> list[EventType]:
    """Slots a booking begins with (already validated), then the booking form."""
    events: list[EventType] = [SlotSet(name, value) for name, value in offer_slots(tracker, offer).items()]
    return [*events, FollowupAction("booking_form")]


def without_other_services_declined(text: str, offered: str | None) -> str:
    """The words without the clauses that decline another service than the one offered
    (看看是修还是换,保养上个月刚做过不用弄 to the offer of a bodywork booking: no refusal of it)."""
    dealer = backend.catalog()
    declined = dealer.services_declined(text) - {offered}
    if not declined:
        return text
    kept, after_declined = [], False
    for clause in clauses(text):
        if dealer.services_declined(clause) & declined:
            after_declined = True
        elif after_declined and not describes_a_fault(clause) and not names_a_part(clause):
            continue  # 保养不做了,上个月刚做过: what follows still speaks of the service declined
        else:
            after_declined = False
            kept.append(clause)
    return ",".join(kept)


def reply_to_offer(tracker: Tracker) -> bool | None:
    """要约 / 先不用 / a time to come in (then the customer wants it): True, False or None.
    A time gone by (今天早上打火打了好几次才着) tells when something happened, not a wish."""
    if visit_time_told(tracker):
        return True
    script = backend.script()
    text = without_other_services_declined(latest_text(tracker), (tracker.get_slot("booking_offer") or {}).get("service_type"))
    yes_no = script.read_yes_no("booking_offer", text) if text else None
    if yes_no is None and script.asks_for_booking(text):
        return True  # 给我整个时间 / 帮我约一个: the booking is asked for
    return yes_no



def visit_time_told(tracker: Tracker) -> dict[str, Any] | None:
    """A time to come in told with the problem (打不着火了,后天早上可以来弄一哈不 / 今天能修不):
    the time entity when it tells the visit, not when the problem began; else None."""
    found = latest_entity(tracker, "time")
    return found if found and is_visit_time(found, latest_text(tracker), message_time(tracker)) else None


def without_visit_time(text: str, visit: dict[str, Any] | None) -> str:
    """The message without the time to come in: no words of the complaint."""
    start, end = (visit or {}).get("start"), (visit or {}).get("end")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        return text
    return f"{text[:start]} {text[end:]}".strip()


def answer_can_you_do(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """能装行车记录仪吗? / 你们那能修空调不?, no fault and no time told: yes, then the booking of
    the work named, or (a part named) the offer; what is wrong is asked in the booking. None
    when the message is not such a question."""
    text = latest_text(tracker)
    script = backend.script()
    if (tracker.active_loop_name or not script.asks_if_done_here(text) or script.question_kind(text)
            or latest_entity(tracker, "time") or describes_a_fault(script.without_can_you_do(text))):
        return None
    if backend.catalog().services_named(text):
        dispatcher.utter_message(response="utter_answer_service_offered")
        return booking_start(tracker, offer_from(tracker))
    if not names_a_part(text):
        # 车子要审了,你们这能弄吗: yes; what the visit is for is asked in the booking.
        dispatcher.utter_message(response="utter_answer_service_offered")
        return offer_after_answer(dispatcher, tracker)
    dispatcher.utter_message(response="utter_answer_we_can_repair")
    return offer_after_answer(dispatcher, tracker, service="repair")  # 能修空调不: that part repaired


# The work wished for with the damage (想补一下 / 喷一下 / 给修修): the booking is asked for.
WORK_WISHED = re.compile(r"想(?:补|喷|修|处理|弄|做|整)|(?:补|喷|修|处理|弄|整)(?:一下|下|补|喷|修)")


def damage_told(text: str) -> bool:
    """Bodywork damage described, not asked for (前杠被石子崩掉好几块漆): restated and a booking
    offered, as a fault is (新车前杠蹭掉一块漆,想补一下 asks for it: the booking starts)."""
    dealer = backend.catalog()
    return (any(dealer.service_type(code).describe for code in dealer.services_named(text))
            and not backend.script().asks_for_booking(text) and not WORK_WISHED.search(text))


def _weightier(earlier: str | None, now: str | None) -> str | None:
    """Of the services two messages of one complaint point to, the one of higher rank
    (追尾了 … 后杠 尾灯碎了: bodywork, though 碎了 alone reads as a repair)."""
    dealer = backend.catalog()
    if earlier not in dealer.service_codes or now not in dealer.service_codes:
        return now or earlier
    return max(earlier, now, key=lambda code: dealer.service_type(code).rank)


def _only_context(told: str) -> bool:
    """Words taken for a problem that name no fault at all, not even a vague one, told at
    length (我这个车开了好些年了 一直挺好的 我岁数大了 …): the customer's circumstances. A short
    statement (我这车续航最近掉得厉害) is a fault in words no list holds."""
    pieces = [piece for piece in re.split(r"[,，。.!！?？;；~～\s]+", told) if piece]
    return len(pieces) >= 3 and not describes_a_fault(told) and not tells_a_vague_fault(told)


def say_problem_noted(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The problem just told, said back as noted (danger advice first)."""
    text = latest_text(tracker)
    events: list[EventType] = [SlotSet(n, v) for n, v in danger_check(text, dispatcher, tracker).items()]
    dispatcher.utter_message(response="utter_problem_noted", complaint=complaint_words(text) or text.strip(" ,，。.!！~～"))
    return events


def details_of_the_complaint(text: str, tracker: Tracker) -> dict[str, Any] | None:
    """上周开始的 / 高速上一过一百就抖 while the booking asks something else, after 方向盘抖得厉害:
    more of the complaint recorded (since when, where …), told in bursts as on WeChat, not
    another complaint (no other part named). The interview's prefill; None when it has none."""
    dealer = backend.catalog()
    recorded = tracker.get_slot("symptom_what")
    asked = tracker.get_slot("requested_slot") or ""
    if (recorded in (None, NOT_GIVEN) or not dealer.is_interview(tracker.get_slot("service_type"))
            or asked in ("", "extra_requests") or asked.startswith("symptom_")):
        return None
    details = {slot: words for slot, words in interview_prefill(text, tracker).items() if slot != "symptom_what"}
    tried = details.get("symptom_tried")
    told = text.replace(tried, "") if tried else text  # (插过电瓶线: a part tried, no complaint)
    if set(tags(told)["parts"]) - set(tags(str(recorded))["parts"]):
        return None  # 空调也不凉了: another part, another complaint
    return details or None


def note_details_of_the_complaint(dispatcher: CollectingDispatcher, details: dict[str, Any]) -> list[EventType]:
    dispatcher.utter_message(response="utter_other_answer_noted")
    return [SlotSet(slot, words) for slot, words in details.items()]


def complaint_in_booking(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """A problem told while the booking asks something else (请问您希望哪天… → 后杠 尾灯碎了):
    heard and written into the booking under way, not offered as a booking of its own; the
    booking's question then comes again. Damage for bodywork adds to the job; a fault for
    a booking without one makes it a repair (a warranty claim where the warranty was
    asked about); a further fault of an interviewed booking is interviewed after the first."""
    text = latest_text(tracker)
    dealer = backend.catalog()
    current = tracker.get_slot("service_type")
    if current in dealer.service_codes and dealer.service_type(current).with_fault and not tells_a_fault(text, True):
        return []  # 看看灯啊刹车啥的有没问题 for a check: what to look at, no fault; the question again
    details = details_of_the_complaint(text, tracker)
    if details:
        return note_details_of_the_complaint(dispatcher, details)
    complaint = complaint_words(text) or text.strip(" ,，。.!！~～")
    events = say_problem_noted(dispatcher, tracker)
    recorded = tracker.get_slot("symptom_what")
    slots: dict[str, Any] = {}
    declined = dealer.services_declined(text)
    if tracker.get_slot("extra_requests") in {dealer.service_type(code).name for code in declined}:
        # 保养还没到公里数,这次先不保养了,就看空调那个味儿: the maintenance kept as extra work
        # when the fault was told is taken back.
        slots["extra_requests"] = None  # asked again in its turn
    named = offer_from(tracker, complaint)["service_type"]
    if (current in dealer.service_codes and dealer.is_interview(current) and named in dealer.service_codes
            and dealer.service_type(named).describe and dealer.service_type(named).rank > dealer.service_type(current).rank):
        # 树枝砸我车上了 (heard as a repair) … 车顶凹了一块 漆也掉了: bodywork, told so now; what
        # was heard before is part of the job.
        told = [str(recorded)] if recorded not in (None, NOT_GIVEN) else []
        slots.update(service_type=named, service_display=dealer.service_type(named).name,
                     job_description=",".join([*told, complaint]), symptom_what=None)
    elif current in dealer.service_codes and dealer.service_type(current).describe:
        job = tracker.get_slot("job_description")
        slots["job_description"] = complaint if job in (None, NOT_GIVEN) else f"{job},{complaint}"
    elif current in dealer.service_codes and dealer.is_interview(current) and recorded not in (None, NOT_GIVEN):
        if not same_complaint(text, [str(recorded)]):
            slots["pending_complaints"] = [*(tracker.get_slot("pending_complaints") or []), text]
    elif (current in dealer.service_codes and not dealer.is_interview(current) and ASKED_BY_THE_WAY.search(text)
          and not describes_a_fault(without_by_the_way(text))):
        # 想做个保养 … 顺便帮我看看,怠速的时候方向盘有点抖: asked by the way, extra work of the
        # maintenance booked (the customer changes what they came for only by saying so; 主要是
        # 跑偏…,保养顺便做了 says so: the fault is the job, the maintenance by the way).
        extra = tracker.get_slot("extra_requests")
        told = text.strip(" ,，。.!！~～")
        slots["extra_requests"] = told if extra in (None, NOT_GIVEN) else f"{extra},{told}"
    else:
        service = named or dealer.fault_service(text)
        if current == "maintenance" and dealer.service_type(service).rank > dealer.service_type(current).rank \
                and tracker.get_slot("extra_requests") in (None, NOT_GIVEN) and current not in declined:
            slots["extra_requests"] = dealer.service_type(current).name  # the maintenance, by the way
        slots.update(service_type=service, service_display=dealer.service_type(service).name)
        if dealer.is_interview(service):
            # (保养我上礼拜在外面做过了 is the service declined, nothing tried for the fault.)
            slots.update(complaint_prefill(without_other_services_declined(text, service) or text, tracker))
            slots.setdefault("symptom_what", complaint)
        slots.update(job_prefill(service, text, tracker))
    return [*events, *(SlotSet(name, value) for name, value in slots.items())]


def acknowledge_problem(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Restate the problem with understanding, danger advice first, and offer a booking;
    a problem told together with a request for an appointment starts the booking."""
    text = latest_text(tracker)
    if tracker.active_loop_name == "booking_form" and tracker.get_slot("requested_slot") != "extra_requests":
        return complaint_in_booking(dispatcher, tracker)
    answered = answer_can_you_do(dispatcher, tracker)
    if answered is not None:
        return answered
    question = backend.script().question_kind(text)
    if question and not describes_a_fault(text) and sounds_like_question(text):
        # 我车是27年买的,还在质保期不?: a question, no problem told: answered, then the offer.
        answer_question(question, text, dispatcher, tracker)
        return offer_after_answer(dispatcher, tracker)
    if not describes_a_fault(text) and not tells_a_vague_fault(text) \
            and (asks_directly(text) or HAVE_QUESTION.search(text)) and not backend.catalog().services_named(text):
        # 你们店里有充电桩吗,等的时候能不能顺便充电: a question no catalogue answers and no
        # problem told: for the advisor, then the offer (never restated as a complaint).
        dispatcher.utter_message(response="utter_answer_by_advisor", dealer_phone=backend.catalog().phone)
        return offer_after_answer(dispatcher, tracker)
    if not describes_a_fault(text) and not tells_a_vague_fault(text) and not DONE_BEFORE.search(text) \
            and not backend.script().names_service_reminder(text) and backend.catalog().services_named(text) \
            and not damage_told(text):
        # 阿拉屋里厢额车子要做保养了 / 介车该年审了,能给先检测检测嘛: a service asked for, no
        # problem told: the booking starts (nothing to restate as a complaint).
        return booking_start(tracker, offer_from(tracker))
    # 车有点毛病,说不上来: a fault without a symptom; what it is is asked in the interview.
    visit = visit_time_told(tracker)
    said = without_visit_time(text, visit)
    complaint = complaint_words(said) or (None if tells_a_vague_fault(said) else said.strip())
    events: list[EventType] = [SlotSet(n, v) for n, v in danger_check(text, dispatcher, tracker).items()]
    if latest_entity(tracker, "time") and not visit:
        # 国庆上高速 … / 今天早上打火打了好几次才着: when something happened; the slot mapping's
        # raw time is not the booking's (it would be checked as one when the booking starts).
        events.append(SlotSet("appointment_time", value_before_latest_message(tracker, "appointment_time")))
    offer = offer_from(tracker, complaint)
    earlier = tracker.get_slot("booking_offer") or {}
    told_before = str(earlier.get("complaint") or "")
    if told_before and complaint and complaint not in told_before and _only_context(told_before) \
            and tells_a_fault(said, True):  # a symptom told now (发动机那个标 only adds the part)
        # 我是帮我儿子约的,他上班忙 … 就是发动机那块哒哒响: what came first told no fault (the
        # customer's circumstances); the fault told now is the complaint.
        offer.update(car_model=offer["car_model"] or earlier.get("car_model"))
    elif told_before and complaint and complaint not in told_before:
        # Told in several messages (怠速抖得厉害 … 挂D档踩着刹车最明显): one complaint.
        complaint = f"{told_before},{complaint}"
        offer.update(
            complaint=complaint,
            # (joined by a comma, as one message would: 还有就是… is told apart as another problem)
            text=f"{earlier.get('text') or ''},{text}".strip(" ,"),
            car_model=offer["car_model"] or earlier.get("car_model"),
            service_type=_weightier(earlier.get("service_type"), offer["service_type"]),
        )
    elif told_before:
        offer.update(complaint=told_before, text=earlier.get("text") or text)  # the same words again
    # 那我周日过去,故障灯亮了: a time (or a yes) while a booking is offered takes the offer up.
    # 打火打不着了,后天早上可以来弄一哈不: a time to come in told with the problem asks for the booking.
    asked = question if question and sounds_like_question(text) and not (question == "ask_can_drive" and events) else None
    said = user_texts(tracker)
    said_again = len(said) >= 2 and said[-1].strip() == said[-2].strip()
    # (The same problem told again while its booking is offered: the customer wants it.)
    if backend.script().asks_for_booking(text) or visit or (earlier and (reply_to_offer(tracker) or said_again)):
        answer_with_the_fault(asked, text, dispatcher, tracker)
        return [*events, *booking_start(tracker, offer)]
    if offer["service_type"] == "maintenance" and backend.script().names_service_reminder(text):
        dispatcher.utter_message(response="utter_service_due")  # 小扳手亮了: no fault, maintenance due
    elif complaint:
        dispatcher.utter_message(response="utter_problem_acknowledged", complaint=complaint)
    else:
        dispatcher.utter_message(response="utter_vague_problem_acknowledged")
    answer_with_the_fault(asked, text, dispatcher, tracker)
    dispatcher.utter_message(response="utter_offer_booking")
    return [*events, SlotSet("booking_offer", offer)]


def told_more_while_offered(
    dispatcher: CollectingDispatcher, tracker: Tracker, offer: dict[str, Any]
) -> list[EventType]:
    """A message that is no reply to the offer: a question (这正常吗) is answered, anything
    else noted; more of the problem (像烧塑料那种 / 又亮了) joins the complaint offered, a
    car model told is kept; then the offer again."""
    text = latest_text(tracker)
    if asks_directly(text) or asks_about_the_cause(text):
        dispatcher.utter_message(response="utter_answer_after_check")
    else:
        dispatcher.utter_message(response="utter_other_answer_noted")
    updated = dict(offer)
    model = model_as_said(tracker)
    if model and not updated.get("car_model"):
        updated["car_model"] = model
    complaint = str(offer.get("complaint") or "")
    if complaint and not asks_directly(text) and (describes_a_fault(text) or MORE_OF_IT.search(text)):
        said = complaint_words(text) or text.strip(" ,，。.!！~～")
        updated.update(complaint=f"{complaint},{said}", text=f"{offer.get('text') or ''} {text}".strip())
    dispatcher.utter_message(response="utter_offer_booking")
    return [SlotSet("booking_offer", updated)]


# What the problem is like or that it came back (像烧塑料那种 / 又亮了): more of the same problem.
MORE_OF_IT = re.compile(r"像|似的|一样|那种|又|还是|再次|反复")


def answer_with_the_fault(kind: str | None, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """A question asked with the problem (尾门关到一半就弹开,这个保修管不管?) is answered too;
    its price is the repair's, quoted after the inspection (not the maintenance list)."""
    if kind == "ask_price":
        dispatcher.utter_message(response="utter_quote_after_inspection")
    elif kind:
        answer_question(kind, text, dispatcher, tracker)


def offer_after_answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, service: str | None = None
) -> list[EventType]:
    """A question answered outside a booking: offer one (unless this conversation just booked);
    ``service`` when the question already told what the booking is for."""
    if tracker.active_loop_name or tracker.get_slot("draft_id"):
        return []
    dispatcher.utter_message(response="utter_offer_booking")
    offer = offer_from(tracker)
    return [SlotSet("booking_offer", {**offer, "service_type": service} if service else offer)]


class ActionAcknowledgeProblem(Action):
    """A message that only states a problem (胎压灯亮了,刚打过气还亮)."""

    def name(self) -> str:
        return "action_acknowledge_problem"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return acknowledge_problem(dispatcher, tracker)


class ActionHandleAffirm(Action):
    """好的 / 行 / 嗯 outside a booking: to an offer, after a booking, or out of the blue."""

    def name(self) -> str:
        return "action_handle_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.active_loop_name:
            return []  # an answer the form could not use: it asks its question again
        offer = tracker.get_slot("booking_offer")
        if offer is not None:
            return booking_start(tracker, offer)
        if tracker.get_slot("booked_display"):
            # A second 确认 after the booking: it stands, nothing is booked twice.
            dispatcher.utter_message(response="utter_booking_already_done", booked_display=tracker.get_slot("booked_display"))
            return []
        dispatcher.utter_message(response="utter_how_can_i_help")
        return []


class ActionHandleDeny(Action):
    """不用 / 先不了 / 算了 outside a booking."""

    def name(self) -> str:
        return "action_handle_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.active_loop_name:
            return []
        offer = tracker.get_slot("booking_offer")
        if offer is None and not tracker.get_slot("draft_id") and describes_a_fault(latest_text(tracker)):
            # 喇叭不响了 read as a "no": a problem told, heard as one.
            return acknowledge_problem(dispatcher, tracker)
        if offer is not None:
            # The words decide (一刻没有的话九点半就行 has a 没有 and a time: it is a yes).
            reply = reply_to_offer(tracker)
            if reply is True:
                return booking_start(tracker, offer)
            if reply is None and backend.script().asks_if_done_here(latest_text(tracker)):
                # 能修不 (read as a no): yes, we can; the offer stands.
                dispatcher.utter_message(response="utter_answer_we_can_repair")
                dispatcher.utter_message(response="utter_offer_booking")
                return []
            dispatcher.utter_message(response="utter_offer_declined")
            return [SlotSet("booking_offer", None)]
        if latest_intent(tracker) == "cancel":
            dispatcher.utter_message(response="utter_ok_anything_else")
        else:
            dispatcher.utter_message(response="utter_how_can_i_help")
        return []

