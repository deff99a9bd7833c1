"""The booking form: checking each fact the customer gives (FAW-VW 预约 step a-c)."""
from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import date, datetime, timedelta
from typing import Any, Callable

from rasa_sdk import Tracker
from rasa_sdk.utils import call_potential_coroutine as utils_call
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import backend
from actions.backend import service_flags
from actions.conversation import (
    last_value_given,
    previous_user_text,
    latest_entity,
    model_as_said,
    message_time,
    value_before_latest_message,
    values_set_since_latest_message,
)
from actions.guard import stop_at_booking_limit
from actions.offers import complaint_in_booking, describes_a_fault, fault_is_the_job, offer_slots, say_problem_noted
from actions.privacy import consent_answer
from actions.questions import (
    HAVE_QUESTION,
    QUESTION_KINDS,
    answer_question,
    asks_about_the_cause,
    asks_directly,
    sounds_like_question,
)
from actions.interview import (
    InterviewValidation,
    complaint_prefill,
    danger_check,
    interview_slots_to_ask,
    job_prefill,
    latest_intent,
    latest_text,
    settled_service,
    without_interview,
)
from actions.warranty_check import answering_warranty_question, take_warranty_answer, warranty_question_due
from dealer.script import NOT_GIVEN, WARRANTY_COST, given
from dealer.symptoms import GREETING, HEDGE, answers_in, clauses, names_a_problem, same_complaint, tells_a_fault
from dealer.services.schedule import SlotProblem
from dealer.timefmt import format_slot
from dealer.time_shift import time_shift
from dealer.validation import (
    InvalidValue,
    after_taking_back,
    booked_under_another_name,
    normalize_name,
    normalize_phone,
    normalize_plate,
    normalize_or_none,
    normalize_vin,
    parse_mileage,
    rounds_to,
    request_line,
    rough_mileage,
)

# Slots whose change means the customer has corrected something.
FACT_SLOTS = tuple(step.slot for step in backend.script().steps if step.slot != "booking_confirmed")

# Answers to these questions talk about the past (上个月做的保养, 今天早上开始响):
# a time in them is not a new booking time.
PAST_TENSE_STEPS = ("last_service", "symptom_when", "symptom_what", "symptom_where",
                    "symptom_frequency", "symptom_driving_impact", "symptom_tried",
                    "symptom_confirmed", "symptom_more")


# "Where do I see / find it" (在哪能看到, 哪里查): at the VIN question, where the VIN is written.
# Whether the work includes or needs something (要换刹车油吗 / 包括空调滤芯吗 / 用不用做四轮定位),
# not a wish (能顺便洗个车吗 / 帮我把雨刮也换了吧).
WHAT_IT_INCLUDES = re.compile(
    r"^(?!.*(?:帮我|给我|顺便|顺带|能不能|能否|可不可以|可以|能|麻烦))"
    r".*(?:要不要|用不用|需不需要|需要|要|得|包括|包含|含|带)(?:换|做|加|查|洗|清洗|更换|检查)?[^,，。]{1,8}(?:吗|么|不)[?？]?$"
)
WHERE_TO_SEE = re.compile(r"(?:在哪|哪里|哪儿|什么地方|怎么)[^,，。]{0,3}(?:看|查|找)")

# Answers to these questions may set the booking time; elsewhere only words that change it do.
TIME_STEPS = ("appointment_time", "booking_confirmed")
# Words that change what the visit is for (改成做保养 / 其实是想喷漆 / 不是保养,是修空调).
SERVICE_CHANGE_WORDS = re.compile(r"改成|改为|换成|其实是|其实想|而是|不是[^,，。]{0,8}[,，]?是")
# The time of day already booked, kept on a new day (改到后天同一时间 / 还是这个点).
SAME_TIME_OF_DAY = re.compile(r"同一个?时间|同样的?时间|一样的时间|时间一样|时间不变|同一个?点|还是这个(?:时间|点)|原来的?时间|原来那个点")

VIN_LIKE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{17}(?![A-Za-z0-9])")
ATTEMPTED_VIN = re.compile(r"[A-Za-z0-9]{8,}")  # a wrong VIN is explained; words are "not known"

PROBLEM_RESPONSES = {
    SlotProblem.past: "utter_time_past",
    SlotProblem.closed: "utter_time_closed",
    SlotProblem.misaligned: "utter_time_misaligned",
    SlotProblem.too_far: "utter_time_too_far",
    SlotProblem.full: "utter_time_full",
}


def slot_buttons(starts: list[datetime]) -> list[dict[str, str]]:
    zone = backend.catalog().timezone
    return [
        {
            "title": format_slot(start, zone),
            "payload": '/inform{"time": "%s"}' % start.astimezone(zone).isoformat(),
        }
        for start in starts
    ]


_TIME_PAYLOAD = re.compile(r'"time":\s*"([^"]+)"')


def offered_starts(tracker: Tracker) -> list[datetime]:
    """The slots offered as buttons in the bot's turn just before the latest message."""
    events = list(tracker.events)
    user_turns = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if not user_turns:
        return []
    before = user_turns[-2] if len(user_turns) > 1 else -1
    starts = []
    for event in events[before + 1:user_turns[-1]]:
        if event.get("event") != "bot":
            continue
        for button in (event.get("data") or {}).get("buttons") or []:
            found = _TIME_PAYLOAD.search(str(button.get("payload", "")))
            if found:
                starts.append(datetime.fromisoformat(found.group(1)))
    return starts


# 第一个吧 / 第2个 / 最后那个 / 中间那个: a slot offered as a button, by its place.
SLOT_BY_PLACE = re.compile(
    r"(?:第|头)([一二三1-3])个|(最后|末尾|最晚)(?:一个|那个|那)|(中间)(?:那个|一个|那)|(最早)(?:的)?(?:一个|那个|那)"
    # 越早越好,你们一开门我就到 after slots were offered: the earliest of them (that day's)
    r"|(越早越好|一开门|开门就|开门我就|一上班就|早点过去|最早的?时间)"
)


def _slot_chosen_by_place(text: str, starts: list[datetime]) -> datetime | None:
    found = SLOT_BY_PLACE.search(text)
    if not found or not starts:
        return None
    if found.group(2):
        return starts[-1]
    if found.group(3):
        return starts[len(starts) // 2]
    if found.group(4) or found.group(5):
        return starts[0]  # 最早那个: the earliest offered (they are offered in order)
    place = "一二三".find(found.group(1)) if found.group(1) in "一二三" else int(found.group(1)) - 1
    return starts[place] if place < len(starts) else None


async def offer_free_slots(
    dispatcher: CollectingDispatcher, wanted: datetime, now: datetime, window_end: datetime | None = None
) -> None:
    """Propose the nearest free slots (step b), inside the customer's window when possible."""
    slots = await backend.free_slots_near(wanted, now, limit=3)
    if window_end is not None:
        inside = [s for s in slots if wanted <= s <= window_end]
        slots = inside or slots
    if not slots:
        dispatcher.utter_message(response="utter_no_free_slots")
        return
    dispatcher.utter_message(response="utter_offer_slots", buttons=slot_buttons(slots))


def explain_problem(dispatcher: CollectingDispatcher, problem: SlotProblem, start: datetime) -> None:
    dealer = backend.catalog()
    dispatcher.utter_message(
        response=PROBLEM_RESPONSES[problem],
        slot_label=format_slot(start, dealer.timezone),
        opening_hours=dealer.opening_hours_text,
        horizon_days=dealer.booking_horizon_days,
    )


def _value_from_entity_or_text(tracker: Tracker, entity: str, slot_value: Any) -> str:
    found = latest_entity(tracker, entity)
    return str(found["value"]) if found else str(slot_value)


async def check_appointment_time(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """Steps a-b: keep a bookable time, or say why not and propose free slots."""
    now = message_time(tracker)
    zone = backend.catalog().timezone
    try:
        start = datetime.fromisoformat(str(value))
    except ValueError:
        dispatcher.utter_message(response="utter_invalid_time_unparsed")
        return {"appointment_time": None}
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    info = _time_info(tracker, str(value))
    current = value_before_latest_message(tracker, "appointment_time")  # the validated one
    if current and info.get("grain") == "day" and SAME_TIME_OF_DAY.search(latest_text(tracker)):
        # 改到后天同一时间: the new day at the time of day already booked.
        at = datetime.fromisoformat(current).astimezone(zone)
        start = start.astimezone(zone).replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
        info = {**info, "exact": True, "grain": "minute"}
    # A time heard before the booking began (礼拜天下午好伐 with the problem) was never
    # checked: it has no display yet, and the window it names is offered as for any other.
    validated = current if tracker.get_slot("appointment_display") else None
    if validated and info.get("exact") is False and _inside(validated, info):
        # 对,元旦上午 at the read-back: the booked slot already is what the customer says
        # (and the 对 confirms it).
        kept: dict[str, Any] = {"appointment_time": current}
        if tracker.get_slot("requested_slot") == "booking_confirmed" and backend.script().read_yes_no(
            "booking_offer", latest_text(tracker)
        ):
            kept["booking_confirmed"] = True
        return kept
    wanted_day = tracker.get_slot("wanted_day")
    if info.get("dated") is False and wanted_day:
        # 那8点半吧 after 周日早上8点 was refused: the time of day, on the day being discussed.
        start, info = _on_day(date.fromisoformat(wanted_day), start, info)
    remembered = {"wanted_day": start.astimezone(zone).date().isoformat()}
    if info.get("exact") is False:
        latest = datetime.fromisoformat(info["latest"]) if info.get("latest") else None
        earliest = datetime.fromisoformat(info["earliest"]) if info.get("earliest") else start
        await offer_free_slots(dispatcher, max(earliest, now), now, latest)
        return {"appointment_time": None, **remembered}
    problem = await backend.slot_problem(start, now)
    if problem is not None:
        explain_problem(dispatcher, problem, start)
        await offer_free_slots(dispatcher, start, now)
        return {"appointment_time": None, **remembered}
    return {
        "appointment_time": start.isoformat(),
        "appointment_display": format_slot(start, zone),
        **remembered,
    }


def _time_info(tracker: Tracker, value: str) -> dict[str, Any]:
    """What the extractor said of the time (window, dated): from this message, or from the
    earlier message the value came from (这周六能过来不 … 好的,帮我约一下: the day is a
    window to offer slots in, not a booking at midnight)."""
    found = latest_entity(tracker, "time")
    if found is not None and str(found.get("value")) != value:
        found = None  # 往后挪一天,还是上午十点: the value is the moved booking, not this time
    if found is None:
        for event in reversed(tracker.events):
            if event.get("event") != "user":
                continue
            entities = (event.get("parse_data") or {}).get("entities") or []
            found = next((e for e in entities if e.get("entity") == "time" and str(e.get("value")) == value), None)
            if found is not None:
                break
    return dict((found or {}).get("additional_info") or {})


def _on_day(day: date, start: datetime, window: dict[str, Any]) -> tuple[datetime, dict[str, Any]]:
    """An undated time of day (and its window) moved onto ``day``."""
    shift = timedelta(days=(day - start.date()).days)
    moved = dict(window)
    for key in ("earliest", "latest"):
        if moved.get(key):
            moved[key] = (datetime.fromisoformat(moved[key]) + shift).isoformat()
    return start + shift, moved


def _inside(start_iso: str, window: dict[str, Any]) -> bool:
    try:
        start = datetime.fromisoformat(start_iso)
        return datetime.fromisoformat(window["earliest"]) <= start <= datetime.fromisoformat(window["latest"])
    except (KeyError, TypeError, ValueError):
        return False


def check_phone(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
    try:
        return normalize_phone(_value_from_entity_or_text(tracker, "phone", value))
    except InvalidValue:
        text, script = latest_text(tracker), backend.script()
        if script.withholds(text):
            # 不想留电话: why it is needed, and how to book or stop without it (never a loop of
            # "this number looks wrong").
            dispatcher.utter_message(response="utter_phone_why_needed", dealer_phone=backend.catalog().phone)
        elif script.refers_to_an_unseen_phone(text):
            dispatcher.utter_message(response="utter_phone_not_visible")
        else:
            dispatcher.utter_message(response="utter_invalid_phone")
        return None


def check_plate(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
    try:
        return normalize_plate(_value_from_entity_or_text(tracker, "plate", value))
    except InvalidValue:
        dispatcher.utter_message(response="utter_invalid_plate")
        return None


def _moves_the_booking(tracker: Tracker) -> bool:
    """The latest message, said at another step, names a time with words that change the
    booking (改到 / 换到 / 来不了): it answers the time, not the step asked."""
    return (
        tracker.get_slot("requested_slot") not in TIME_STEPS
        and latest_entity(tracker, "time") is not None
        and backend.script().changes_time(latest_text(tracker))
    )


# Said right after a time: the customer cannot make it (明天下午去不了 / 周五我没空).
REFUSED_AFTER = re.compile(
    r"^[\s,，]*(?:我们|我|那天|那会儿)?(?:都|就|可能|估计|实在|临时|突然)?(?:不行|没空|没时间|不方便|来不了|去不了|到不了|赶不上|过不去|有事|赶不过来|赶不及|来不及|过不来|走不开)"
    # 明天孩子有补习班 / 明天要加班: something else on at that time, said instead of 不行
    # (有位吗 / 有号吗 / 有没有空 / 有哪些时间 ask whether the time is free)
    r"|^[\s,，]*(?:我们?|孩子|小孩|家里|老婆|老公|媳妇|单位|公司|爸|妈)?(?:有(?!空|时间|人|位|号|档|名额|工位|没有|无|哪|什么|啥|几|多少)[\u4e00-\u9fff]"
    r"|(?:要|得)(?:去|上|带|陪|加班|出差|开会)|加班|出差|开会)"
)


def _shifted_booking_time(tracker: Tracker) -> str | None:
    """时间能往后挪一天不 / 提前半小时: the booked time moved by that amount, or None."""
    before = value_before_latest_message(tracker, "appointment_time")
    shift = time_shift(latest_text(tracker))
    if not isinstance(before, str) or shift is None or tracker.get_slot("requested_slot") == "appointment_time":
        return None
    try:
        return (datetime.fromisoformat(before) + shift).isoformat()
    except ValueError:
        return None


def _only_time_refused(tracker: Tracker) -> bool:
    """The message's one time is refused and it names no other."""
    times = [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == "time"]
    if len(times) != 1 or times[0].get("end") is None:
        return False
    text = latest_text(tracker)
    return bool(REFUSED_AFTER.match(text[times[0]["end"]:])) and not re.search(r"改[成到为]|换[成到]|调到|挪到", text)


def _optional_answer(value: Any) -> str | None:
    """An optional step's answer, NOT_GIVEN for 不清楚/没有, None if empty."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    return NOT_GIVEN if backend.script().means_no_answer(text) else text


def _yes_no_answer(value: Any, tracker: Tracker, slot: str) -> Any:
    """True/False from the answer's words (script data), else from a plain yes/no; NOT_GIVEN otherwise."""
    if isinstance(value, bool):
        return value
    words = backend.script().read_yes_no(slot, str(value))
    if words is not None:
        return words
    if backend.script().says_unknown(str(value)):
        return NOT_GIVEN  # 不清楚: read as deny by the intent, but it is not a no
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent in ("affirm", "deny"):
        return intent == "affirm"
    return NOT_GIVEN


def _invalid_optional(slot: str, explain: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """A fact that is not valid (an optional one, or the plate) is explained and asked again
    once; the second time it is left open for the advisor (and the customer told so), never
    asked forever."""
    if tracker.get_slot("requested_slot") == slot and _moves_the_booking(tracker):
        # 下周三有事,改成周四上午十点行吗? at the plate: no wrong plate, the time moves; the
        # plate is asked again as if nothing had been said to it.
        return {slot: None}
    reasked = list(tracker.get_slot("reasked_slots") or [])
    if slot not in reasked or tracker.get_slot("requested_slot") != slot:
        dispatcher.utter_message(response=explain)
        return {slot: None, "reasked_slots": [*reasked, slot]}
    dispatcher.utter_message(response="utter_left_open_for_advisor")
    return {slot: NOT_GIVEN}


def _settled_yes_no(
    slot: str, answer: Any, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """An answer not understood is asked again once, with the buttons; then it is left
    open for the advisor, and the customer is told so (never a silent null)."""
    if answer != NOT_GIVEN:
        return {slot: answer}
    reasked = list(tracker.get_slot("reasked_slots") or [])
    if slot not in reasked and not backend.script().means_no_answer(str(value)):
        dispatcher.utter_message(response="utter_yes_no_unclear")
        return {slot: None, "reasked_slots": [*reasked, slot]}
    dispatcher.utter_message(response="utter_yes_no_left_open")
    return {slot: NOT_GIVEN}


def _heard_roughly(words: str) -> dict[str, Any]:
    """A rough mileage told before the question (跑了四万多公里,还在保修期吗?): not yet the
    odometer; the question asks for the exact figure, and keeps the rough one if the
    customer does not know it."""
    return {"mileage": None, "mileage_heard": words, "mileage_rough": True}


def _message_that_set(tracker: Tracker, slot: str, value: Any) -> str:
    """The customer's message after which the slot took this value (empty if none)."""
    said = ""
    for event in tracker.events:
        if event.get("event") == "user":
            said = event.get("text") or ""
        elif event.get("event") == "slot" and event.get("name") == slot and event.get("value") == value:
            return said
    return ""


# A distance the car can go, not how far it has gone (满电显示400公里,实际跑不到250).
RANGE_WORDS = re.compile(r"续航|满电|满油|一箱油|能跑|跑不到|只能跑|剩余里程|还能开|电量")


def _earlier_mileage(value: Any, tracker: Tracker) -> str | None:
    """A mileage heard before the booking began (保养多少钱 我的速腾跑了3万5) sits in its slot
    as said: read it now if it is the odometer (跑了 / 万 / 公里), else forget it (also when
    the message it came in tells a range: 满电显示400公里)."""
    if value is None or value == NOT_GIVEN or _already_valid("mileage", value):
        return value
    said = str(value)
    if not (backend.script().names_odometer(said) or "万" in said or "公里" in said):
        return None
    if RANGE_WORDS.search(_message_that_set(tracker, "mileage", value)):
        return None
    try:
        return str(parse_mileage(said))
    except InvalidValue:
        return None


# 里程说错了,是三万六不是两万六 / 公里数改成三万六: the figure a correction gives (after 是 or
# 改成, not after 不是), in words the mileage entity does not take.
CORRECTED_FIGURE = re.compile(
    r"(?<!不)(?:是|改成|改为|改到|应该是|其实是|写成)\s*"
    r"((?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十])[\d零〇一二两三四五六七八九十百千万wWkK.]*(?:公里|千米|km)?)"
)


def _names_the_mileage(tracker: Tracker) -> bool:
    """The message names the odometer (跑了 / 里程), or answers 需要修改哪一项? after one that did
    (里程不对 → 是五万不是十五万)."""
    script = backend.script()
    said = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    named_before = bool(tracker.get_slot("awaiting_correction")) and len(said) >= 2 and script.names_odometer(said[-2])
    return script.names_odometer(latest_text(tracker)) or bool(GAUGE_READ.search(latest_text(tracker))) or named_before


# 我看了眼仪表,是53200公里: the figure just read off the gauge.
GAUGE_READ = re.compile(r"(?:看|瞄|瞅|查|对)了?(?:一|下)?[眼下]?(?:仪表盘?|码表|表盘|里程表?|公里数)")


def _corrects_the_mileage(tracker: Tracker) -> bool:
    """里程不是七万五,是八万一千二 at another step: the mileage told before, taken back; or
    read off the gauge now (五万左右吧 … 等一下我看了眼仪表,是53200公里)."""
    text = latest_text(tracker)
    if tracker.get_slot("requested_slot") == "mileage":
        return False
    taken_back = backend.script().names_odometer(text) and after_taking_back(text) is not None
    return taken_back or (bool(GAUGE_READ.search(text)) and latest_entity(tracker, "mileage") is not None)


# Answers told late without a word of correction (哦对了 车牌昨天刚下来了,粤BD37791): their
# own format says what they are.
LATE_ANSWER_SLOTS = ("plate", "vin")
# Answers whose format says what they are: a new one told at a step answered in free words
# (留我老婆的电话吧 15800001111 at 其他需求) changes that answer, with or without 错了.
FORMATTED_SLOTS = ("phone", "plate", "vin")


def _corrects_another_answer(tracker: Tracker) -> bool:
    """车牌刚才说错了 是沪B12345 / 车牌刚下来了,粤BD37791 at 其他需求: an earlier answer
    taken back and given anew, or one not given then, which is no answer to the step asked."""
    asked = tracker.get_slot("requested_slot")
    taken_back = after_taking_back(latest_text(tracker)) is not None

    def told_late(slot: str) -> bool:
        return slot in LATE_ANSWER_SLOTS and value_before_latest_message(tracker, slot) in (None, NOT_GIVEN)

    def told_anew(slot: str) -> bool:
        return (slot in FORMATTED_SLOTS and asked in FREE_ANSWER_STEPS
                and tracker.get_slot(slot) != value_before_latest_message(tracker, slot))

    changed = [slot for slot in _facts_told_now(tracker)
               if slot != asked and (taken_back or told_late(slot) or told_anew(slot))]
    return bool(changed) or _corrects_the_mileage(tracker)


def _answer_corrected_instead(slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """The step asked again, unless a sentence beside the correction declines it (里程刚才说错了,
    是十三万二。别的没了); the other answer acknowledged (the mileage says its own)."""
    if not _corrects_the_mileage(tracker):
        dispatcher.utter_message(response="utter_other_answer_noted")
    sentences = [part for part in re.split(r"[。;；!！]+", latest_text(tracker)) if part.strip()]
    if slot == "extra_requests" and len(sentences) > 1 and any(backend.script().declines_extra(part) for part in sentences):
        return {slot: NOT_GIVEN}
    return {slot: None}


def _another_fault(text: str, tracker: Tracker) -> bool:
    """A fault told, no work named, in a booking that interviews its complaint and has one
    already (not the same one told again)."""
    recorded = tracker.get_slot("symptom_what")
    return (
        "interview" in service_flags(tracker.get_slot("service_type"))
        and recorded not in (None, NOT_GIVEN)
        and tells_a_fault(text, True)  # a symptom told, not a part named (把空调滤芯换了)
        and not backend.catalog().services_named(text)
        and not same_complaint(text, [str(recorded)])
    )


# Someone of the shop by name (姓孙的顾问 / 叫小王的那个师傅): no name of the customer's.
ADVISOR_BY_NAME = re.compile(r"(?:姓|叫)[\u4e00-\u9fff]{1,3}?的?(?:那个|那位)?(?:顾问|师傅|经理|技师|接待)")
# Words about who receives the customer (顾问随便安排 / 想让女顾问接待).
ABOUT_THE_ADVISOR = re.compile(r"顾问|接待")
# Any advisor will do (随便安排个有空的 / 谁都行 / 不用指定).
ANY_WILL_DO = re.compile(r"随便|都行|都可以|无所谓|不挑|不用指定|不指定|谁都|哪个都|哪位都|有空的就")


def _without_any_advisor_will_do(text: str) -> str:
    """The clauses of an answer but those saying any advisor will do (a service named stays)."""
    dealer = backend.catalog()
    return ",".join(c for c in clauses(text)
                    if not (ABOUT_THE_ADVISOR.search(c) and ANY_WILL_DO.search(c)) or dealer.services_named(c))


# The steps answered in free words, which any message could seem to answer.
FREE_ANSWER_STEPS = ("car_model", "mileage", "last_service", "extra_requests")


def _another_step_answered(slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any] | None:
    """At a step answered in free words (the model, the last service, other needs): a
    message that moves the booking (时间能换成下周二不) or corrects an earlier answer
    (车牌打错了,是浙C9N5T1) is no answer to it; the step is asked again. None otherwise."""
    if slot not in PAST_TENSE_STEPS and _moves_the_booking(tracker):
        # (A time at a past-tense step is when something happened: 去年十月份换的机油.)
        head = _said_before_the_change(latest_text(tracker))
        if slot == "extra_requests" and head and backend.script().declines_extra(head):
            return {slot: NOT_GIVEN}  # 没了。对了时间能不能改一下…: the step answered, then the move
        return {slot: None}  # validate_appointment_time answers for the new time
    if _corrects_another_answer(tracker) and not _said_again(tracker):
        # (Said again word for word after 已记下 and the step asked again: it was meant as
        # the answer to the step.)
        return _answer_corrected_instead(slot, dispatcher, tracker)
    if _service_declined_for_a_fault(tracker):
        # 保养我上礼拜在外面做过了,这次不保养了,主要是想查查为啥油耗突然变高了: no answer to the
        # step; the fault is the job now (the form hears it as a problem told instead).
        return {slot: None}
    return None


def _service_declined_for_a_fault(tracker: Tracker) -> bool:
    """The service booked is declined in a message that tells a fault."""
    text = latest_text(tracker)
    return (tracker.get_slot("service_type") in backend.catalog().services_declined(text)
            and describes_a_fault(text))


# Where a message turns to something else: 没了。对了时间能不能改一下 / 没有,另外….
TURN_TO_ANOTHER = re.compile(r"[,，。.;；!！\s]+(?:对了|哦对|另外|还有|还有就是|就是)")


def _said_before_the_change(text: str) -> str:
    """The words before the message turns to something else ("" when it does not)."""
    found = TURN_TO_ANOTHER.search(text)
    return text[:found.start()].strip() if found else ""


def _facts_told_now(tracker: Tracker) -> list[str]:
    """The booking facts (slots of the script but the read-back) the latest message gave."""
    return [slot for slot, value in tracker.slots_to_validate().items() if slot in FACT_SLOTS and value is not None]


def corrected_mileage(tracker: Tracker) -> str | None:
    """The mileage said in a correction (at the read-back, or 里程不是七万五,是八万一千二 at
    another step), when no mileage entity took it."""
    text = latest_text(tracker)
    if tracker.slots_to_validate().get("mileage") is not None or not _names_the_mileage(tracker):
        return None
    figure = CORRECTED_FIGURE.search(text)
    return figure.group(1) if figure else None


# 最后四位是5678 / 尾号改成39 / 车牌尾数是9: the end of a number corrected at the read-back.
TAIL_CORRECTION = re.compile(
    r"(?:最后|后|尾号|尾数|末尾|末)(?:[一二两三四五六\d])?位?(?:数字|数)?(?:是|为|改成|改为|应该是|写成)?\s*([0-9A-Za-z]{1,6})(?![0-9A-Za-z])"
)


PLATE_WORDS = ("车牌", "牌照")
TAIL_SLOTS = ("phone", "plate")

# A fact the customer says is wrong at the read-back without the right value (车牌号错了 /
# 时间得改一下): that question is asked again. Checked in this order (车牌号码 is the plate).
FIELD_WORDS = {
    "plate": ("车牌", "牌照", "牌号"),
    "phone": ("电话", "手机", "号码"),
    "appointment_time": ("时间", "日子", "几点", "哪天", "日期"),
    "customer_name": ("姓", "名字"),
    "car_model": ("车型",),
    "mileage": ("里程", "公里"),
}
SAID_WRONG = re.compile(r"错|不对|有误|改|换|不是|变")


def field_said_wrong(tracker: Tracker) -> str | None:
    """At the read-back (or 需要修改哪一项?), the one fact said to be wrong with no new value
    for it; None otherwise."""
    if tracker.get_slot("requested_slot") != "booking_confirmed":
        return None
    text = latest_text(tracker)
    named: list[str] = []
    rest = text
    for slot, words in FIELD_WORDS.items():
        if any(word in rest for word in words):
            named.append(slot)
            for word in words:
                rest = rest.replace(word, " ")
    if len(named) != 1 or not (SAID_WRONG.search(text) or tracker.get_slot("awaiting_correction")):
        return None
    changed = [slot for slot, value in tracker.slots_to_validate().items()
               if slot in FACT_SLOTS and value is not None and value != value_before_latest_message(tracker, slot)]
    if changed or TAIL_CORRECTION.search(text) or latest_entity(tracker, "time") or re.search(r"\d{2,}", text):
        return None  # a new value is in the message: taken as a correction
    return named[0]


def corrected_tail(tracker: Tracker) -> tuple[str, str] | None:
    """(slot, corrected value) when the read-back's answer corrects the end of the phone or
    the plate and names no whole one; or the answer to the phone or plate asked again after
    the customer said it was wrong (车牌号错了 … 最后是357)."""
    text = latest_text(tracker)
    said = TAIL_CORRECTION.search(text)
    if not said:
        return None
    # The number named last before the tail (电话说错了,最后一位是9,车牌是…: the phone); with
    # none named before it, the plate if named at all, else the phone.
    before = text[:said.start()]
    plate_at = max(before.rfind(word) for word in PLATE_WORDS)
    phone_at = max(before.rfind(word) for word in ("电话", "手机", "号码"))
    if plate_at < 0 and phone_at < 0 and any(word in text for word in PLATE_WORDS):
        plate_at = 0
    slot = "plate" if plate_at > phone_at else "phone"
    asked = tracker.get_slot("requested_slot")
    asked_again = asked in TAIL_SLOTS and value_before_latest_message(tracker, asked) is None
    if asked_again and plate_at < 0 and phone_at < 0:
        slot = asked
    elif plate_at < 0 and phone_at < 0:
        # 车牌号错了 … 最后是357: the number the customer's message before named.
        before_words = previous_user_text(tracker)
        if any(word in before_words for word in PLATE_WORDS):
            slot = "plate"
    if tracker.slots_to_validate().get(slot) is not None and not (asked_again and slot == asked):
        return None
    given = last_value_given(tracker, slot, (None, NOT_GIVEN)) if asked_again and slot == asked else tracker.get_slot(slot)
    digits_before = re.sub(r"\D", "", before)
    if given is None and slot == asked == "phone" and len(digits_before) == 11:
        given = digits_before  # 159 2837 6604……不对不对,尾号是6605: taken back in the answer
    old = str(given or "")
    tail = said.group(1).upper()
    if not old or old == NOT_GIVEN or len(tail) >= len(old):
        return None
    return slot, old[: len(old) - len(tail)] + tail


# The words before a name said again (是草头萧 / 我姓章 / 应该是立早章).
NAME_AGAIN_LEAD = re.compile(r"^[\s,，。]*(?:应该|其实)?(?:我|俺)?(?:是|姓|叫)?")


def corrected_name(tracker: Tracker) -> str | None:
    """姓写错了,是草头萧,不是小月肖 / 名字写错了,我是立早章: the name with its surname
    corrected (肖先生 → 萧先生), when no name was taken from the message otherwise."""
    text = latest_text(tracker)
    said = after_taking_back(text)
    if booked_under_another_name(text) and tracker.slots_to_validate().get("customer_name") is None:
        said = text  # 名字登记我老婆的吧,周丽: the booking under another's name
    if said is None or not re.search(r"姓|名字", text) or tracker.slots_to_validate().get("customer_name") is not None:
        return None
    try:
        name = normalize_name(NAME_AGAIN_LEAD.sub("", said, count=1))
    except InvalidValue:
        return None
    old = str(tracker.get_slot("customer_name") or "")
    if len(name) == 1 and old and old != NOT_GIVEN and re.match(r"[\u4e00-\u9fff]", old):
        return name + old[1:]  # the surname alone corrected: the title or given name stays
    return name


def _already_valid(slot: str, value: Any) -> bool:
    if slot == "service_type":
        return value in backend.catalog().service_codes
    normalizers = {"phone": normalize_phone, "plate": normalize_plate, "customer_name": normalize_name}
    if slot in normalizers:
        try:
            return normalizers[slot](str(value)) == value
        except InvalidValue:
            return False
    if slot == "mileage":
        return str(value).isdigit()
    return isinstance(value, bool)


def _answering(tracker: Tracker) -> str | None:
    """The question the customer's latest message answers (None: not validating one).

    Not in the interview (its answers are free words: 在哪儿响 is an answer there)."""
    asked = tracker.get_slot("requested_slot")
    if not asked or asked.startswith("symptom_") or not _fresh_user_message(tracker):
        return None
    return asked


# Actions that run between a customer's message and the form validating it (a reply to
# thanks answers the courtesy, not the question: 好的,谢谢 at the read-back confirms).
_FORM_TURN = ("action_listen", "action_extract_slots", "booking_form", "validate_booking_form",
              "utter_you_are_welcome", "utter_greet", "action_take_your_time")


def _fresh_user_message(tracker: Tracker) -> bool:
    """The form validates the customer's latest message (no other action answered it)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in _FORM_TURN:
            return False
    return False


def _inside_a_code(text: str, entity: dict[str, Any]) -> bool:
    """A model named in Latin letters or digits (CC, Q5) whose letters run on into more letters
    or digits (a VIN, a plate); 途观L is a model of its own."""
    start, end = entity.get("start"), entity.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not re.fullmatch(r"[A-Za-z0-9.]+", text[start:end]):
        return False
    code = re.compile(r"[A-Za-z0-9]")
    return bool((start > 0 and code.match(text[start - 1])) or (end < len(text) and code.match(text[end])))


def _question_with_the_request(tracker: Tracker) -> str | None:
    """A question the catalogue answers, asked in the message that asks for the booking (the
    rule starts the form on book_service before any action reads the words)."""
    if (tracker.get_slot("booking_key") or tracker.get_slot("requested_slot") is not None
            or latest_intent(tracker) != "book_service"):
        return None
    text = latest_text(tracker)
    kind = backend.script().question_kind(text)
    return kind if kind and sounds_like_question(text) and not asks_about_the_cause(text) else None


def _service_said_instead(text: str) -> str | None:
    """The service named after 其实 / 改成 … (漆先不补了,这次改成做个常规保养吧: the one said after
    改成, not the one given up); None without such words."""
    instead = WANTED_INSTEAD.search(text)
    return backend.catalog().main_service_for(text[instead.start():], False) if instead else None


def _service_wanted_instead(tracker: Tracker) -> str | None:
    """这次其实是想喷个漆 / 改成做保养 at the read-back: another service than the one read back."""
    if tracker.get_slot("requested_slot") != "booking_confirmed":
        return None
    named = _service_said_instead(latest_text(tracker))
    current = value_before_latest_message(tracker, "service_type")
    return named if named in backend.catalog().service_codes and named != current else None


# Work given up (洗车就算了 / 不用洗了 / 机舱清洗先不做了).
GIVEN_UP = re.compile(r"算了|不(?:用|要|弄|搞|做|换|洗|加|装|整)了|不用|不做|取消|去掉|免了|省了|先不")
# Characters too common to tell which work is meant.
_COMMON_CHARACTERS = set("车个一下的了把给帮做也再还就完后")


def _telling(words: str) -> set[str]:
    """The characters of the words that tell which work is meant."""
    return {ch for ch in words if "\u4e00" <= ch <= "\u9fff"} - _COMMON_CHARACTERS


def _extra_work_given_up(tracker: Tracker) -> tuple[str, str] | None:
    """At the read-back, extra work read back taken back: (the message's other words, "" when
    none; the extra work left, NOT_GIVEN when none); None when no extra work is taken back."""
    extra = given(tracker.get_slot("extra_requests"))
    if _answering(tracker) != "booking_confirmed" or not extra:
        return None
    booked = tracker.get_slot("service_type")
    parts = clauses(latest_text(tracker))
    taken = [c for c in parts if GIVEN_UP.search(c) and _telling(extra) & set(c)
             and booked not in backend.catalog().services_declined(c)]
    if not taken:
        return None
    # 洗个车,查下胎压 … 洗车就算了: only the car wash comes off.
    left = [item for item in re.split(r"[,，、;；]", extra) if item.strip() and not _telling(item) & set("".join(taken))]
    rest = ",".join(c for c in parts if c not in taken and not GIVEN_UP.search(c))
    return rest, ",".join(left) or NOT_GIVEN


# Work asked besides at the read-back (再加一个 / 顺便把玻璃水加满 / 另外洗个车).
ADDED = re.compile(r"再加|加一[个项下]|加个|还要|还想|顺便|顺带|另外|再帮我|再给我")
# A clause that only leads the added work in (哦对 / 再加一个).
_ADDING_LEAD = re.compile(r"(?:哦|噢|啊|嗯|对|对了|那个|还有|再加一[个项下]?|加一[个项下]|再加个|另外)+")


def _extra_work_added(tracker: Tracker) -> str | None:
    """At the read-back, work asked besides what is read back, as a work-order line."""
    text = latest_text(tracker)
    if (_answering(tracker) != "booking_confirmed" or not ADDED.search(text) or asks_directly(text)
            or backend.script().question_kind(text) or _moves_the_booking(tracker) or _facts_told_now(tracker)):
        return None
    said = ",".join(c for c in clauses(text) if not _ADDING_LEAD.fullmatch(c))
    line = request_line(said) if said else ""
    if not re.search(r"[\u4e00-\u9fff]{2}", line) or backend.script().declines_extra(line):
        return None
    return line


def changes_extra_work_at_the_read_back(tracker: Tracker) -> bool:
    """Work added or given up at the read-back: the form takes it (no "not understood")."""
    return _extra_work_added(tracker) is not None or _extra_work_given_up(tracker) is not None


# 其实是想 / 改成 / 换成 / 想做的是: what the customer wants instead.
WANTED_INSTEAD = re.compile(r"其实|改成|改为|换成|改做|想做的是|实际上|应该是|本来是想|是想")


def restates_the_read_back(tracker: Tracker) -> bool:
    """是五万四 / 不是四万五 at the read-back after the mileage was corrected to 54000: a fact
    the read-back shows said again, or a figure it no longer shows denied: a yes."""
    if _answering(tracker) != "booking_confirmed":
        return False
    text = latest_text(tracker).strip(" ,，。.!！~～")
    current_service = value_before_latest_message(tracker, "service_type")  # (not one changed by these words)
    if current_service and _service_said_instead(text) == current_service:
        return True  # 这次其实是想喷个漆, said again once the read-back shows 钣金喷漆
    negated = bool(re.match(r"(?:而)?不是", text))
    said = re.sub(r"^(?:而)?不是", "", text) if negated else RESTATED_LEAD.sub("", text)
    if not said or re.search(r"[,，。;；\s]", said):
        return False  # (不是五万,是六万: a correction, read as one)
    for slot, read in (("mileage", parse_mileage), ("phone", normalize_phone), ("plate", normalize_plate)):
        current = tracker.get_slot(slot)
        if current in (None, NOT_GIVEN):
            continue
        try:
            value = read(said)
        except (InvalidValue, ValueError):
            continue
        return str(value) != str(current) if negated else str(value) == str(current)
    return False


# 是 / 对,是 / 就是 before a fact said again at the read-back.
RESTATED_LEAD = re.compile(r"^(?:嗯|对|对的|是的)?[,，]?(?:里程|公里数|电话|手机号?|车牌号?)?(?:就)?(?:是|为)?")


def _confirmed_with_a_question(tracker: Tracker) -> bool:
    """对的,大概要弄多久? at the read-back: a yes said first, with a question after it."""
    text = latest_text(tracker)
    first = clauses(text)[0] if clauses(text) else ""
    return (_answering(tracker) == "booking_confirmed" and first != text.strip()
            and backend.script().read_yes_no("booking_confirmed", first) is True)


def _question_instead_of_answer(tracker: Tracker) -> str | None:
    """A question (hours, address, price) asked in place of the requested answer, read
    from its words or from the intent when the words sound like a question."""
    asked_in_interview = _interview_question(tracker)
    if asked_in_interview:
        return asked_in_interview
    asked = _answering(tracker)
    if asked is None or _said_again(tracker):
        return None  # told again after the answer: it was meant as the answer
    if _moves_the_booking(tracker):
        return None  # 明天有事,改到后天同一时间行吗: the time moves (asked politely, no question)
    if asked == "appointment_time" and latest_entity(tracker, "time"):
        return None  # 今天四点半还能来吗: the time is the answer; the slot check says whether it can
    if asked == "booking_confirmed" and latest_entity(tracker, "time") and backend.script().changes_time(latest_text(tracker)):
        return None  # 后天不行,要带娃去医院,改到下周二下午三点行不: the time moves (带 asks nothing)
    text = latest_text(tracker)
    kind = backend.script().question_kind(text)
    if kind in ("ask_advisor", "ask_staff") and not asks_directly(text) and (ANY_WILL_DO.search(text) or asked == "extra_requests"):
        # 接待的顾问谁有空都行: no question, and no wish either; 顺便洗个车,最好女顾问: a
        # wish told with the other needs, noted with them (validate_extra_requests)
        return None
    if kind == "ask_warranty" and asked == "service_type":
        return None  # 能走保修吗 to "做什么项目?": the service is the answer
    if asked == "vin" and kind in (None, "ask_address") and WHERE_TO_SEE.search(text):
        return "ask_vin_location"  # 在哪能看到啊? at the VIN question: where the VIN is written
    if asked == "extra_requests" and kind is None and asks_directly(text) and WHAT_IT_INCLUDES.search(text):
        # 4万公里保养要换刹车油吗? at 还有其他需要吗: what the service includes, asked (not a
        # wish): the packages and what each includes, then the question again.
        return "ask_price" if settled_service(tracker) == "maintenance" else "ask_other"
    if asked == "extra_requests" and kind is None and HAVE_QUESTION.search(text) and not backend.catalog().services_named(text):
        return "ask_beyond_bot"  # 你们那有休息室吗,我想在店里等: what the shop has, asked (not work to do)
    if kind is None and latest_intent(tracker) in QUESTION_KINDS and sounds_like_question(text):
        if asked == "extra_requests" and backend.catalog().services_named(text):
            return None  # 首保能一起做吗: a wish asked as a question is the answer
        kind = latest_intent(tracker)
    if (kind is None and asked in FACT_ENTITIES and asks_directly(text) and not _may_answer_fact(tracker, asked, text)
            and not backend.script().says_unknown(text)):
        # 你们有代步车吗? at the model question: not a model (车牌我记不住,你看行吗 is an answer)
        return "ask_beyond_bot"
    return kind


# A car without its plate yet (还没上牌 / 挂的临牌 / 车牌还没下来).
NO_PLATE_YET = re.compile(
    r"(?:没|未|无)(?:有)?(?:上|挂|办|拿到|发)?(?:车?牌|牌照)"
    r"|(?:车?牌|牌照|牌子)(?:还)?(?:没|未)(?:有)?(?:下来|上|办|挂|发|拿到|拿)"
    r"|(?:车?牌|牌照|牌子)(?:还)?在办|在(?:给我?)?办(?:车?牌|牌照)"  # 牌照还在办 / 4S店还在给办牌
    r"|临(?:时)?(?:号)?牌|(?:没|未)(?:有)?(?:上|落)户"  # 临时号牌 / 还没上户
)


# The fact steps a question cannot answer, and the entity that would be their answer.
FACT_ENTITIES = {"customer_name": "customer_name", "phone": "phone", "plate": "plate", "vin": "vin",
                 "car_model": "car_model", "mileage": "mileage", "last_service": None}


def _no_that_answers(tracker: Tracker, slot: str, answers: Callable[[str], bool]) -> dict[str, Any]:
    text = latest_text(tracker)
    if _answering(tracker) == slot and latest_intent(tracker) == "deny" and answers(text):
        return {slot: text}
    return {}


def _service_offered_this_turn(tracker: Tracker) -> str | None:
    """The service an action set after the customer's latest message (booking_start)."""
    codes = backend.catalog().service_codes
    return next((value for value in values_set_since_latest_message(tracker, "service_type") if value in codes), None)


def service_left_for_advisor() -> dict[str, Any]:
    """不清楚 / 到了再说 to what the visit is for: 其他, and the advisor asks at the desk."""
    return {"service_type": "other", "service_display": backend.catalog().service_type("other").name}


def _vin_instead_of_plate(tracker: Tracker) -> str | None:
    """A valid VIN told at the plate question with no plate beside it."""
    if _answering(tracker) != "plate" or latest_entity(tracker, "plate"):
        return None
    for token in VIN_LIKE.findall(latest_text(tracker)):
        try:
            return normalize_vin(token)
        except InvalidValue:
            continue
    return None


def _may_answer_fact(tracker: Tracker, asked: str, text: str) -> bool:
    """The message may be the fact asked for, said as a question (是粤B12345吗? / 姓王行吗?):
    it holds the fact's entity, a digit, or words the step's reader takes."""
    entity = FACT_ENTITIES[asked]
    if (entity and latest_entity(tracker, entity)) or re.search(r"[0-9０-９]", text):
        return True
    if asked == "last_service":
        return not re.search(r"你们|您们|贵店|店里", text)  # 上次是去年吧? is an answer; 你们能查到吗? is not
    if asked == "plate":
        return bool(NO_PLATE_YET.search(text))  # 刚提的车没牌子呢: no plate yet is the answer
    if asked == "customer_name":
        try:
            normalize_name(re.sub(r"(?:行|可以|对|是)?(?:吗|么|吧)?[?？]*$", "", text))
            return True
        except InvalidValue:
            return False
    return False


def _interview_question(tracker: Tracker) -> str | None:
    """修这个大概要多少钱? / 这个质保能全免吗? at an interview step: the words ask a question
    (any intent may be read from an interview answer, so only the words count) and tell no
    problem. Its kind, or ask_other for a question only the technician can answer."""
    asked = tracker.get_slot("requested_slot") or ""
    if not asked.startswith("symptom_") or not _fresh_user_message(tracker) or _said_again(tracker):
        return None
    text = latest_text(tracker)
    if backend.script().answers_nothing(text):
        return None  # 你问这个干嘛 / ?: no question to answer, nothing told (the step leaves it open)
    if backend.script().standardised(text) != text and not asks_directly(backend.script().standardised(text)):
        return None  # 可不是嘛: an emphatic yes in regional words, no question
    kind = backend.script().question_kind(text)
    if names_a_problem(text):
        if kind == "ask_can_drive" and asks_directly(text):
            return kind  # 这个灯亮了还能开过去吗? at any step: whether it is safe, asked
        if not _asks_instead_of_answering(asked, text):
            return None
        # The cause and its cost are the technician's to tell (a price list is not the answer).
        return "ask_can_drive" if kind == "ask_can_drive" else "ask_other"
    if kind == "ask_warranty" and WARRANTY_COST.search(text):
        return "ask_other"  # 这个质保能全免吗? mid-interview: whether it is covered waits for the check
    return kind or ("ask_other" if asks_directly(text) else None)


def _asks_instead_of_answering(asked: str, text: str) -> bool:
    """会不会是轴承坏了?修的话贵不贵 at 对驾驶有影响吗?: a part is named, but in a question
    about the cause or its cost that leaves the question asked unanswered. At 什么问题?
    a guess is how the customer tells the problem."""
    question = asked.removeprefix("symptom_")
    if question not in ("when", "where", "frequency", "driving_impact", "tried") or not asks_about_the_cause(text):
        return False
    return not answers_in(text).get(question)


def _said_again(tracker: Tracker) -> bool:
    """The customer's latest message repeats the one before it word for word."""
    said = [e.get("text") for e in tracker.events if e.get("event") == "user"]
    return len(said) >= 2 and bool(said[-1]) and said[-1].strip() == (said[-2] or "").strip()


def answers_while_asking_to_wait(tracker: Tracker) -> bool:
    """稍等 read from a message that says it is not known, or a wait said again."""
    return backend.script().says_not_known(latest_text(tracker)) or _said_again(tracker)


# Acknowledgements around an answer; with the greetings and the script's courtesy words
# (谢谢 / 麻烦您了) the rest, if any, is the answer.
ACKNOWLEDGEMENT = ("好的", "好滴", "好", "嗯", "哦", "您", "你", "了", "啊", "呀", "哈")


def _more_than_courtesy(text: str) -> bool:
    rest = text.strip()
    while (greeting := GREETING.match(rest)) and greeting.end() > 0:
        rest = rest[greeting.end():]
    for word in sorted((*backend.script().all_courtesy_words, *ACKNOWLEDGEMENT), key=len, reverse=True):
        rest = rest.replace(word, "")
    return bool(re.sub(r"[\W_]+", "", rest))


def _answer_read_as_question(tracker: Tracker) -> bool:
    """An answer the slot mappings left out because of its intent: 在你们店买的车 at
    之前来过吗 (read as ask_address; called once the message was found to ask nothing,
    _question_instead_of_answer), 哈弗H6 read as a greeting, 车架号我记不住 read as 稍等."""
    if _answering(tracker) is None:
        return False
    intent = latest_intent(tracker)
    if intent in ("greet", "thank"):
        return _more_than_courtesy(latest_text(tracker))
    if intent == "wait":
        return answers_while_asking_to_wait(tracker)
    if intent in ("affirm", "deny") and _answering(tracker) == "customer_name":
        return bool(CALL_ME.match(latest_text(tracker).strip()))  # 喊我柯哥就行 read as a yes
    return intent in QUESTION_KINDS


# 喊我柯哥就行 / 叫我小王 / 称呼我李工: how the customer would be called.
CALL_ME = re.compile(r"(?:你们?|您)?(?:就)?(?:喊|叫|称呼)我")


# The steps a problem told instead of their answer is noted at (not those that ask for the
# problem or the work: the service, other needs, the interview, the read-back).
STEPS_BESIDE_THE_PROBLEM = ("appointment_time", "customer_name", "phone", "first_visit", "plate", "vin",
                            "car_model", "mileage", "last_service")


def _phenomenon_asked_first(events: list[EventType], tracker: Tracker) -> list[EventType]:
    """Chery step 6 asks 故障发生时的现象 of the complaint told (step 5 restates it): when the
    first complaint's interview begins with what it is already told (the opening), the
    phenomenon is asked in the customer's words before the other questions; the complaint
    told stays as its answer when the customer adds nothing (see validate_symptom_what)."""
    slots = {**tracker.current_slot_values(), **{e.get("name"): e.get("value") for e in events if e.get("event") == "slot"}}
    following = slots.get("requested_slot")
    if (following not in INTERVIEW_ASKED_AFTER_WHAT or slots.get("phenomenon_asked")
            or slots.get("symptom_interviews") or slots.get("symptom_what") in (None, NOT_GIVEN)):
        return []
    return [SlotSet("told_what", slots["symptom_what"]), SlotSet("symptom_what", None),
            SlotSet("current_complaint", slots.get("current_complaint") or slots["symptom_what"]),
            SlotSet("phenomenon_asked", True), SlotSet("requested_slot", "symptom_what")]


# The interview's questions after what it is (the first question of step 6 is the phenomenon).
INTERVIEW_ASKED_AFTER_WHAT = ("symptom_detail", "symptom_when", "symptom_where", "symptom_frequency",
                              "symptom_driving_impact", "symptom_tried", "symptom_confirmed")


def _warranty_age_told_instead(tracker: Tracker) -> bool:
    """The car's age within the new-car warranty told at a step it does not answer, in a
    repair booking, nothing else said (no fault, no time, no other answer's entity)."""
    text = latest_text(tracker)
    asked = tracker.get_slot("requested_slot")
    return (asked in STEPS_BESIDE_THE_PROBLEM and settled_service(tracker) == "repair"
            and backend.catalog().within_warranty(text) and CAR_AGE_ONLY.fullmatch(text.strip(" ,，。.!！~～"))
            and not tracker.latest_message.get("entities"))


# 新车才三个月 / 车买了不到半年 / 刚提车两个月: the car's age and nothing else.
CAR_AGE_ONLY = re.compile(
    r"(?:我的|我这|这|我)?(?:新车|车子?|车)?(?:是)?(?:才|刚|还不到|不到|没到)?(?:买了?|提车?了?|提的|开了)?"
    r"(?:才|刚|还不到|不到|没到|也就)?[0-9一二两三四五六七八九十半几]{1,3}个?多?(?:月|年|礼拜|星期|周)(?:多)?(?:的车)?(?:了|啊|呢|吧)?"
    r"(?:还在(?:保修|质保)期?(?:内|里)?)?"
)


def _problem_told_instead(tracker: Tracker, asked: str | None, events: list[EventType]) -> bool:
    """The message left the step asked unanswered and tells a problem of the car."""
    if latest_entity(tracker, "time") or (asked not in STEPS_BESIDE_THE_PROBLEM
                                          and not (asked in FREE_ANSWER_STEPS and _service_declined_for_a_fault(tracker))):
        return False
    return _set_now(events).get(asked) in (None, NOT_GIVEN) and describes_a_fault(latest_text(tracker))


def _set_now(events: list[EventType]) -> dict[str, Any]:
    return {e.get("name"): e.get("value") for e in events if e.get("event") == "slot" and e.get("value") is not None}


def _the_booked_hour_again(value: Any, tracker: Tracker) -> bool:
    """确认,五点到 at the read-back: the booked time of day said again (the day not named,
    nothing changed), no new time; 对,礼拜四上午九点,没错 too, the day named by its weekday
    (read as this week's Thursday, gone by, when next week's is booked)."""
    booked = value_before_latest_message(tracker, "appointment_time")
    info = _time_info(tracker, str(value))
    if not isinstance(booked, str) or backend.script().changes_time(latest_text(tracker)):
        return False
    try:
        said, at = datetime.fromisoformat(str(value)), datetime.fromisoformat(booked)
    except ValueError:
        return False
    zone = backend.catalog().timezone
    said, at = said.astimezone(zone), at.astimezone(zone)
    if info.get("dated") and said.weekday() != at.weekday():
        return False
    return said.time() == at.time()


class ValidateBookingForm(InterviewValidation, FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    async def _recheck_unvalidated(
        self, events: list[EventType], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate facts that reached the tracker without validation.

        Rasa resumes a form without validating when another action ran first in the
        same turn (e.g. after a low-confidence message), so a raw answer can sit in a
        slot. Each fact is checked again here, and the next question recomputed.
        """
        tracker.add_slots([e for e in events if e.get("event") == "slot"])
        fixes: dict[str, Any] = {}
        for slot in ("service_type", "customer_name", "phone", "plate", "mileage", "first_visit", "repeat_repair"):
            value = tracker.get_slot(slot)
            if value is None or value == NOT_GIVEN or isinstance(value, bool):
                continue
            if _already_valid(slot, value):
                continue
            checked = await utils_call(getattr(self, f"validate_{slot}")(value, dispatcher, tracker, domain))
            if checked.get(slot) != value:
                fixes.update(checked)
        if not fixes:
            return events
        tracker.add_slots([SlotSet(name, value) for name, value in fixes.items()])
        events = [e for e in events if not (e.get("event") == "slot" and e.get("name") == "requested_slot")]
        events.extend(SlotSet(name, value) for name, value in fixes.items())
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        if next_slot:
            events.append(next_slot)
        return events

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The script's steps that apply to this booking (e.g. repeat repair only for repairs)."""
        applicable = backend.script().slots_to_ask(
            service_flags(settled_service(tracker)), tracker.get_slot("first_visit")
        )
        if tracker.get_slot("plate") == NOT_GIVEN and "vin" not in applicable:
            applicable.append("vin")  # no plate (还没上牌): the VIN tells the car (step c: 车牌/VIN)
        if tracker.get_slot("vin_on_file") and "vin" in applicable and tracker.get_slot("vin") is None:
            applicable.remove("vin")  # the car's VIN is on file: not asked again
        return interview_slots_to_ask(tracker, [slot for slot in domain_slots if slot in applicable])

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        opening_question = _question_with_the_request(tracker)
        if opening_question:
            # 做个保养大概要多久啊?我想在店里等: answered, and the booking it asks for begins.
            answer_question(opening_question, latest_text(tracker), dispatcher, tracker)
        question = _question_instead_of_answer(tracker)
        if question is not None and _confirmed_with_a_question(tracker):
            # 对的,到时候车停哪里? at the read-back: answered, and the yes stands.
            answer_question(question, latest_text(tracker), dispatcher, tracker)
            question = None
        if question is not None:
            # 保养大概多少钱? while the mileage is asked: answered, then the question again.
            answer_question(question, latest_text(tracker), dispatcher, tracker)
            # Nothing the question's words matched (保养 → service_type) changes a fact.
            asked = tracker.get_slot("requested_slot")
            undone = {slot: value_before_latest_message(tracker, slot) for slot in tracker.slots_to_validate()}
            # The same question next (left to Rasa, the form's first unfilled slot would be asked).
            return [SlotSet(slot, value) for slot, value in {**undone, asked: None, "requested_slot": asked}.items()]
        if _warranty_age_told_instead(tracker):
            # 新车才三个月 while the time is asked: a fault on a car this young is a warranty
            # claim (the VIN is then asked); noted, and the question asked again.
            asked = tracker.get_slot("requested_slot")
            dispatcher.utter_message(response="utter_warranty_noted")
            undone = {slot: value_before_latest_message(tracker, slot) for slot in tracker.slots_to_validate()}
            return [SlotSet(slot, value) for slot, value in
                    {**undone, "service_type": "warranty", asked: None, "requested_slot": asked}.items()]
        asked = tracker.get_slot("requested_slot")
        shifted = _shifted_booking_time(tracker)
        if shifted:
            tracker.add_slots([SlotSet("appointment_time", shifted)])  # checked like any new time
        restated = restates_the_read_back(tracker)  # 里程是五万四: the figure read back, no correction
        corrected = (corrected_mileage(tracker) if (asked == "booking_confirmed" or _corrects_the_mileage(tracker))
                     and not restated else None)
        if corrected:
            tracker.add_slots([SlotSet("mileage", corrected)])
        correcting = (asked == "booking_confirmed" or after_taking_back(latest_text(tracker)) is not None
                      or (asked in TAIL_SLOTS and value_before_latest_message(tracker, asked) is None))
        tail = corrected_tail(tracker) if correcting else None
        if tail:
            tracker.add_slots([SlotSet(*tail)])
        name = corrected_name(tracker) if correcting else None
        if name:
            tracker.add_slots([SlotSet("customer_name", name)])
        if _answer_read_as_question(tracker) and tracker.slots_to_validate().get(asked) is None:
            # The slot mapping left it out (not_intent); it is the answer all the same.
            tracker.add_slots([SlotSet(asked, latest_text(tracker))])
        # However the booking was started (好的 to an offer, 约吧, 我想预约), it begins with
        # what the offer already heard. Already valid: set without a second validation.
        offered = offer_slots(tracker, tracker.get_slot("booking_offer")) if tracker.get_slot("booking_offer") else {}
        wrong = field_said_wrong(tracker)
        if wrong:
            # 车牌号错了 / 时间得改一下: that question again, in its own words.
            offered = {**offered, wrong: None, **({"appointment_display": None} if wrong == "appointment_time" else {})}
        tracker.slots.update(offered)
        events = [SlotSet(name, value) for name, value in offered.items()]
        events += await super().run(dispatcher, tracker, domain)
        if asked and asked.startswith("symptom_") and (corrected or _corrects_the_mileage(tracker)):
            # 先插一句,里程是两万九千四,刚才说少了 at an interview question: no answer to it; the
            # mileage is corrected (from the words or the mileage entity) and the question asked again.
            events = [e for e in events if not (e.get("event") == "slot" and e.get("name") in (asked, "requested_slot"))]
            events += [SlotSet(asked, None), SlotSet("requested_slot", asked)]
        if wrong:
            events.append(SlotSet("awaiting_correction", False))
        events = await self._recheck_unvalidated(events, dispatcher, tracker, domain)
        if (asked in STEPS_BESIDE_THE_PROBLEM and asked not in FREE_ANSWER_STEPS
                and _service_declined_for_a_fault(tracker)):
            # 等下,保养不做了,上个月刚做过。这次就是空调不凉 at 来过吗: no answer to the step (its
            # 做过 is the maintenance's); the fault is the job now, and the step is asked again.
            events = [e for e in events if not (e.get("event") == "slot" and e.get("name") in (asked, "requested_slot"))]
            events += [SlotSet(asked, None), SlotSet("requested_slot", asked)]
        if _problem_told_instead(tracker, asked, events):
            # 请问您希望哪天… → 前两天等红灯被人追尾了,后杠撞瘪了: heard and noted in this booking
            # (said back only, when the form's own reading of the message already noted it;
            # the tracker holds this turn's slots, so the danger advice is not given twice).
            tracker.add_slots([e for e in events if e.get("event") == "slot"])
            noted = _set_now(events).keys() & {"symptom_what", "job_description", "pending_complaints"}
            events += say_problem_noted(dispatcher, tracker) if noted else complaint_in_booking(dispatcher, tracker)
        vin = tracker.slots_to_validate().get("vin")
        validated = any(e.get("event") == "slot" and e.get("name") == "vin" for e in events)
        if vin is not None and not validated:
            # Asked only for warranty (ask_vin), but checked whenever volunteered.
            events.extend(
                SlotSet(name, value)
                for name, value in self.validate_vin(vin, dispatcher, tracker, domain).items()
            )
        if not tracker.get_slot("booking_key"):
            events.append(SlotSet("booking_key", uuid.uuid4().hex))
        corrected = any(
            e.get("event") == "slot" and e.get("name") in FACT_SLOTS and e.get("value") is not None
            for e in events
        )
        if corrected and tracker.get_slot("awaiting_correction"):
            events.append(SlotSet("awaiting_correction", False))
        if any(e.get("event") == "slot" and e.get("name") == "privacy_consent" and e.get("value") is False
               for e in events):
            # The privacy notice declined: the form ends here, action_submit_booking writes nothing.
            events.append(SlotSet("requested_slot", None))
        warranty_question = warranty_question_due(events, tracker)
        phenomenon = _phenomenon_asked_first(events, tracker) if asked != "symptom_what" and not warranty_question else []
        if warranty_question:
            events = warranty_question  # 天窗咔咔响 booked as a repair: still under warranty?
        if asked == "symptom_what":
            # What it is was just asked and told: its own words are the phenomenon; not asked again.
            events.append(SlotSet("phenomenon_asked", True))
        elif phenomenon:
            # (Rasa's form asks the first requested_slot set among the events.)
            events = [e for e in events if not (e.get("event") == "slot" and e.get("name") == "requested_slot")]
            events += phenomenon
        return await stop_at_booking_limit(events, dispatcher, tracker)  # issue 11: live bookings

    async def validate_appointment_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # slots offered to pick from (随便 with none offered yet)
            return {"appointment_time": None, "wanted_day": tracker.get_slot("wanted_day")}
        # 往后挪一天,还是上午十点: the booked time moved, whatever time the words also hold.
        value = _shifted_booking_time(tracker) or value
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        asked = tracker.get_slot("requested_slot")
        if asked in TIME_STEPS and _only_time_refused(tracker):
            # 明天下午去不了 (at the read-back or the time question): that time is what the
            # customer cannot make; the time is asked again, not booked or kept.
            return {"appointment_time": None, "appointment_display": None}
        before = value_before_latest_message(tracker, "appointment_time")
        if asked in PAST_TENSE_STEPS and (intent != "correct_info" or not backend.script().changes_time(latest_text(tracker))):
            # (不是前天,是大前天晚上亮的 at the restatement corrects when the fault began.)
            return {"appointment_time": before}
        if asked == "booking_confirmed" and _the_booked_hour_again(value, tracker):
            return {"appointment_time": before}  # 确认,五点到: the booked time, said again
        checked = before is not None and tracker.get_slot("appointment_display") is not None
        if (checked and asked not in TIME_STEPS and intent != "correct_info"
                and not tracker.get_slot("awaiting_correction")
                and not backend.script().changes_time(latest_text(tracker))
                and time_shift(latest_text(tracker)) is None):
            # 我姓冯,两点水的冯 at the name: a time read inside another answer is no new
            # booking time unless the words change it (改到下午三点吧). A time heard before
            # the booking began (我下午有空,车有异响) is checked when the form starts.
            return {"appointment_time": before}
        checked_time = await check_appointment_time(value, dispatcher, tracker)
        moved_to = checked_time.get("appointment_display")
        if before and moved_to and asked not in TIME_STEPS and checked_time.get("appointment_time") != before:
            # 对了时间能不能改一下,改成后天上午十点 at another step: the move said back, then
            # that step's question again.
            dispatcher.utter_message(response="utter_time_moved", slot_label=moved_to)
        return checked_time

    # A "no" that answers the step (the slot mappings leave a "no" out): 暂时没有车牌 at the
    # plate (no plate yet), 不方便说 at the name, 不想留电话 at the phone (withheld).
    def extract_plate(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _no_that_answers(tracker, "plate", lambda text: bool(NO_PLATE_YET.search(text))
                                or backend.script().says_not_known(text))

    def extract_customer_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _no_that_answers(tracker, "customer_name", backend.script().withholds)

    def extract_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _no_that_answers(tracker, "phone", backend.script().withholds)

    def extract_service_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A described problem (异响, 刹车, 抖动 ...) means a repair, even without the word 维修."""
        if answering_warranty_question(tracker):
            return {"service_type": latest_text(tracker)}  # read in validate_service_type
        instead = _service_wanted_instead(tracker)
        if instead:
            return {"service_type": instead}  # 这次其实是想喷个漆 at the read-back
        if tracker.get_slot("service_type"):
            return {}
        not_known = _no_that_answers(tracker, "service_type", backend.script().says_unknown)
        if not_known:
            return not_known  # 不清楚 (read as a no): validated as left for the advisor
        named = {e.get("entity") for e in tracker.latest_message.get("entities", [])}
        if "service_type" in named:
            return {}
        text = latest_text(tracker)
        fault = fault_is_the_job(text)
        # 换个机油: the service the words name (a part, 机油, is no fault by itself); with a
        # fault told, the form's own reading decides (上周保养的时候说有点渗油 is no maintenance).
        asked_for = None if fault else backend.catalog().main_service_for(text, False)
        if asked_for:
            return {"service_type": asked_for}
        if {"symptom", "part"} & named or fault:
            return {"service_type": backend.catalog().fault_service(text)}
        return {}

    def validate_service_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if answering_warranty_question(tracker):
            return take_warranty_answer(dispatcher, tracker)
        dealer = backend.catalog()
        instead = _service_wanted_instead(tracker)
        if instead:
            # 漆先不补了,这次改成做个常规保养吧 at the read-back: what the customer came for now.
            return {"service_type": instead, "service_display": dealer.service_type(instead).name,
                    **job_prefill(instead, latest_text(tracker), tracker)}
        current = tracker.get_slot("service_type")
        before = value_before_latest_message(tracker, "service_type")
        offered = _service_offered_this_turn(tracker)
        if tracker.get_slot("requested_slot") is None and offered and tracker.get_slot("symptom_what"):
            # The form starting on a booking begun from this very message whose offer already
            # read the complaint (several split): nothing to read again, and a service word
            # the slot mapping took from the message (异响) changes nothing.
            return {"service_type": offered}
        if current in dealer.service_codes and current != value and before == value:
            # Set by the offer the booking starts from (a repair with 顺便保养): a raw word
            # an earlier message left in the slot, validated as the form starts, does not
            # change it (a service named in this message does: 这个应该保修吧 约一个).
            return {"service_type": current}
        if before in dealer.service_codes and not self._changes_service(tracker):
            # A service word inside another answer (上周保养的时候…, 帮我把保养也做了) is not a
            # change of what the customer came for; only an answer to this question or a
            # correction changes it.
            return {"service_type": before}
        text = latest_text(tracker)
        if (_answering(tracker) == "service_type" and backend.script().says_unknown(text)
                and not dealer.services_named(text) and not fault_is_the_job(text)):
            # 不清楚 / 我也不知道该做啥: what the visit is for is left for the advisor.
            dispatcher.utter_message(response="utter_service_left_for_advisor")
            return service_left_for_advisor()
        # A fault told before (the complaint the booking started from) counts too: 约个时间
        #来检查下 after 发动机故障灯亮了 is a check for a fault, a repair.
        told = tracker.get_slot("symptom_what")
        fault = fault_is_the_job(text) or (bool(told) and describes_a_fault(str(told)))
        # A word taken from this message was read with its context there (刚过质保期 is
        # no warranty); an answer from elsewhere (a button) is read alone.
        code = (
            dealer.main_service_for(text, fault)
            or (None if str(value) in text else dealer.service_code_for(str(value)))
            or ("repair" if fault else "other")
        )
        if fault and dealer.service_type(code).rank < dealer.service_type("repair").rank:
            # 发动机有点烧机油,一个保养周期要补一升多: a problem told is a repair, whatever routine
            # work is named beside it (as when a booking starts from an offer, actions/offers.py).
            code = "repair"
        if fault and code == "repair":
            code = dealer.fault_service(text)  # a fault on a car within the new-car warranty
        offered = (value_before_latest_message(tracker, "booking_offer") or {}).get("service_type")
        if (fault and tracker.get_slot("requested_slot") is None and offered in dealer.service_codes
                and dealer.service_type(offered).rank > dealer.service_type(code).rank):
            # 电池质保是几年 … 老报电池故障 … 那约个检查吧: taking up the offer of a warranty
            # claim with 检查 books the claim, not a plain repair.
            code = offered
        if (tracker.get_slot("requested_slot") is None and offered in dealer.service_codes
                and dealer.service_type(offered).describe and dealer.service_type(offered).rank > dealer.service_type(code).rank):
            # 左前门被电动车撞了个坑 … 对,想修一下: the bodywork offered is taken up; 修 says no less.
            code = offered
        slots: dict[str, Any] = {"service_type": code, "service_display": dealer.service_type(code).name}
        text = latest_text(tracker)
        if dealer.service_type(code).with_fault and not fault and (
                backend.script().says_no_fault(text) or HEDGE.search(text)):
            # 下个月要年审了,先检查一遍,怕上线过不了: a check with no fault told, only a worry:
            # nothing to interview (as an offer taken up says, actions/offers.py).
            slots.update(without_interview())
        elif dealer.is_interview(code):
            slots.update(complaint_prefill(text, tracker))
            slots.update(danger_check(text, dispatcher, tracker))
        slots.update(job_prefill(code, latest_text(tracker), tracker))
        return slots

    @staticmethod
    def _changes_service(tracker: Tracker) -> bool:
        asked = tracker.get_slot("requested_slot")
        # A correction at a question about the past (上个月来弄过一次,升级了下系统,没管用 at
        # 之前在我们店修过吗) tells what was done then; it changes the service only in words
        # that change it (改成 / 其实是).
        corrects = latest_intent(tracker) == "correct_info" and (
            asked not in (*PAST_TENSE_STEPS, "repeat_repair") or bool(SERVICE_CHANGE_WORDS.search(latest_text(tracker))))
        return asked == "service_type" or corrects or (
            asked == "booking_confirmed" and tracker.get_slot("awaiting_correction")
        ) or _service_wanted_instead(tracker) is not None

    def validate_privacy_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        agrees = _yes_no_answer(value, tracker, "privacy_consent")
        return consent_answer(agrees if isinstance(agrees, bool) else None, dispatcher, tracker)

    def validate_customer_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _answering(tracker) != "customer_name" and ADVISOR_BY_NAME.search(latest_text(tracker)):
            # 别再安排那个姓孙的顾问了 at another step: the advisor's name, not the customer's.
            return {"customer_name": value_before_latest_message(tracker, "customer_name")}
        if _moves_the_booking(tracker) and not latest_entity(tracker, "customer_name"):
            # 不好意思,时间要改一下,改成下周一上午九点吧 at the name: the time moves; the name is still to be told.
            return {"customer_name": None}
        if not latest_entity(tracker, "customer_name") and backend.script().withholds(latest_text(tracker)):
            # 不方便说: the name is left for the advisor, who has the phone.
            dispatcher.utter_message(response="utter_name_left_open")
            return {"customer_name": NOT_GIVEN}
        try:
            text = latest_text(tracker)
            said = text if booked_under_another_name(text) else _value_from_entity_or_text(tracker, "customer_name", value)
            return {"customer_name": normalize_name(said)}
        except InvalidValue:
            dispatcher.utter_message(response="utter_invalid_customer_name")
            return {"customer_name": None}

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _moves_the_booking(tracker) and not latest_entity(tracker, "phone"):
            return {"phone": None}  # 改到后天同一时间行吗 at the phone: the time moves; the phone is still asked
        phone = check_phone(value, dispatcher, tracker)
        if phone is None:
            return {"phone": None}
        slots: dict[str, Any] = {"phone": phone}
        history = await backend.history_of(phone)
        if history is not None and tracker.get_slot("first_visit") is None:
            # A returning customer: not asked whether they have been here before.
            slots["first_visit"] = False
            # Only the name said in this conversation: whoever types a phone number must not
            # learn whose it is (issue 11).
            named = given(tracker.get_slot("customer_name"))
            if named:
                dispatcher.utter_message(response="utter_welcome_back", customer_name=named)
            else:
                dispatcher.utter_message(response="utter_welcome_back_unnamed")
        return slots

    async def validate_plate(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _answering(tracker) == "plate" and NO_PLATE_YET.search(latest_text(tracker)) and not latest_entity(tracker, "plate"):
            # 还没上牌: no plate to ask for again; the VIN is asked instead (required_slots).
            return {"plate": NOT_GIVEN}
        if (_answering(tracker) == "plate" and not latest_entity(tracker, "plate")
                and backend.script().says_not_known(latest_text(tracker))):
            # 不记得车牌了: left for the advisor at once (no "wrong format"); the VIN is asked.
            dispatcher.utter_message(response="utter_left_open_for_advisor")
            return {"plate": NOT_GIVEN}
        vin = _vin_instead_of_plate(tracker)
        if vin:
            # 车架号LSVAU2181N2137465可以吗 at the plate: the car told by its VIN; no plate to check.
            return {"plate": NOT_GIVEN, "vin": vin}
        try:
            plate = normalize_plate(_value_from_entity_or_text(tracker, "plate", value))
        except InvalidValue as error:
            explain = "utter_invalid_plate_new_energy" if error.reason == "new_energy_format" else "utter_invalid_plate"
            # Explained and asked once more; then left for the advisor to check at the desk
            # (the booking is not lost over a plate the customer reads the same way twice).
            return _invalid_optional("plate", explain, dispatcher, tracker)
        slots: dict[str, Any] = {"plate": plate}
        phone = tracker.get_slot("phone")
        history = await backend.history_of(phone) if phone else None
        known = history.vehicle(plate) if history else None
        if known is not None and known.model and not tracker.get_slot("car_model"):
            # The model on record is not asked again (the plate shows it anyway); the VIN on
            # record is not put in the read-back, where anyone who knows a phone and a plate
            # would read it: the advisor has it (issue 11).
            slots["car_model"] = known.model
        slots["vin_on_file"] = known is not None and bool(known.vin)  # nor is the VIN asked again
        return slots

    def validate_vin(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = latest_entity(tracker, "vin")
        # full-width (ＬＳＶ…) read as ASCII, as normalize_vin does
        text = unicodedata.normalize("NFKC", str(found["value"]) if found else str(value))
        written = VIN_LIKE.search(re.sub(r"[\s·.\-]", "", text))  # also typed in lower case
        if not found and not written and not ATTEMPTED_VIN.search(text):
            return {"vin": NOT_GIVEN}  # 不记得 / 不用查了: the advisor looks it up by the plate
        try:
            return {"vin": normalize_vin(written.group(0) if written else text)}
        except InvalidValue:
            return _invalid_optional("vin", "utter_invalid_vin", dispatcher, tracker)

    def validate_first_visit(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"first_visit": value}
        # The question is "have you been here before?": yes means NOT a first visit.
        been_before = _yes_no_answer(value, tracker, "first_visit")
        first_visit = NOT_GIVEN if been_before == NOT_GIVEN else not been_before
        return _settled_yes_no("first_visit", first_visit, value, dispatcher, tracker)

    def validate_car_model(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = latest_entity(tracker, "car_model")
        if found and _inside_a_code(latest_text(tracker), found):
            # CC in the VIN LSVCC6F24NN207398: letters of a code, not the car's model.
            found = None
            if tracker.get_slot("requested_slot") != "car_model":
                return {"car_model": value_before_latest_message(tracker, "car_model")}
        if found:
            return {"car_model": model_as_said(tracker, found)}
        # 下礼拜一我要去医院,换到下礼拜二十点好伐? at the model: the time moves (see
        # validate_appointment_time); the model is still to be told.
        other = _another_step_answered("car_model", dispatcher, tracker)
        return other if other is not None else {"car_model": _optional_answer(value)}

    def validate_mileage(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        asked = tracker.get_slot("requested_slot")
        correction = _corrects_the_mileage(tracker)
        if (asked == "last_service" and not correction) or (asked != "mileage" and not _names_the_mileage(tracker)):
            # A distance in another sentence (以前能跑100公里, 回老家一千五百公里) is not the
            # odometer; in the last-service answer (去年五千公里首保) it is the mileage then.
            earlier = value_before_latest_message(tracker, "mileage")
            kilometres = _earlier_mileage(earlier, tracker)
            rough = None if earlier is None or _already_valid("mileage", earlier) else rough_mileage(str(earlier))
            if rough and asked != "booking_confirmed" and kilometres is not None:
                return _heard_roughly(rough)
            return {"mileage": kilometres}
        if asked == "mileage":
            figure = latest_entity(tracker, "mileage")
            # 车牌错了 应该是苏E12354: the digits of the plate are no mileage.
            if figure is None or any(str(figure["value"]) in str(tracker.get_slot(slot) or "")
                                     for slot in _facts_told_now(tracker) if slot != "mileage"):
                other = _another_step_answered("mileage", dispatcher, tracker)
                if other is not None:
                    return other
        text = _value_from_entity_or_text(tracker, "mileage", value)
        if _optional_answer(text) == NOT_GIVEN:
            heard = tracker.get_slot("mileage_heard") if asked == "mileage" else None
            # 不清楚 to the exact figure: the rough one told before is still the best known.
            kilometres = normalize_or_none(parse_mileage, heard) if heard else None
            return {"mileage": NOT_GIVEN if kilometres is None else str(kilometres)}
        # The whole answer first: 才三千多公里,3460 holds the round figure (the entity) and the
        # exact one, and the exact one is the mileage.
        earlier = value_before_latest_message(tracker, "mileage")
        reasons = set()
        for said in dict.fromkeys((latest_text(tracker), text)):
            try:
                kilometres = parse_mileage(said)
            except InvalidValue as error:
                reasons.add(error.reason)
                continue
            if (tracker.get_slot("requested_slot") != "mileage" and str(earlier or "").isdigit()
                    and rounds_to(int(earlier), kilometres)):
                # 4万公里保养要换刹车油吗? after 表上39600: the same mileage, rounded.
                return {"mileage": str(earlier)}
            rough = rough_mileage(latest_text(tracker), text)
            if rough and asked not in ("mileage", "booking_confirmed") and not correction:
                return _heard_roughly(rough)  # 快一万公里了,要做保养吧 (asked for next)
            if correction and str(kilometres) != str(earlier or ""):
                dispatcher.utter_message(response="utter_mileage_corrected", mileage=str(kilometres))
            return {"mileage": str(kilometres)}
        # 两三万吧 / 十几万: a rough figure is welcome, only one number is asked for; 0 or a
        # phone number is no mileage at all.
        explain = "utter_invalid_mileage" if "implausible" in reasons else "utter_mileage_one_figure"
        return _invalid_optional("mileage", explain, dispatcher, tracker)

    def validate_last_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        other = _another_step_answered("last_service", dispatcher, tracker)
        return other if other is not None else {"last_service": _optional_answer(value)}

    def validate_job_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"job_description": _optional_answer(value)}

    def validate_extra_requests(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        other = _another_step_answered("extra_requests", dispatcher, tracker)
        if other is not None:
            return other
        if value is not None and ABOUT_THE_ADVISOR.search(str(value)):
            # 没有,顾问随便安排个有空的就行: no wish about who receives the customer, and no work
            # on the car (安排个女顾问 is a wish the advisor reads on the order).
            value = _without_any_advisor_will_do(str(value)) or NOT_GIVEN
            if value != NOT_GIVEN and backend.catalog().advisor_named(str(value))[1]:
                answer_question("ask_advisor", str(value), dispatcher, tracker)  # 最好女顾问: noted
        if value is not None and _another_fault(str(value), tracker):
            # 还有个问题,空调不太凉 for a repair: a further complaint, interviewed after the
            # first one (as if told with it), not work asked by the way.
            dispatcher.utter_message(response="utter_further_complaint_noted")
            pending = list(tracker.get_slot("pending_complaints") or [])
            return {"extra_requests": NOT_GIVEN, "pending_complaints": [*pending, str(value)]}
        wish = backend.script().wish_besides_no(str(value)) if value is not None else None
        if wish:
            return {"extra_requests": request_line(wish)}  # 就洗车,别的没了
        if value is not None and backend.script().declines_extra(str(value)):
            return {"extra_requests": NOT_GIVEN}
        answer = _optional_answer(value)
        return {"extra_requests": request_line(answer) if answer and answer != NOT_GIVEN else answer}

    def validate_repeat_repair(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = _yes_no_answer(value, tracker, "repeat_repair")
        return _settled_yes_no("repeat_repair", answer, value, dispatcher, tracker)

    async def extract_appointment_time(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """随便 / 你们定 / 都行 when the time is asked: the first slot just offered (the
        nearest to what the customer wanted), said back so the customer can still change
        it; with none offered yet, free slots from the next day are offered to pick from
        (not one in the next half hour the customer may not make)."""
        if _answering(tracker) != "appointment_time":
            return {}
        chosen = _slot_chosen_by_place(latest_text(tracker), offered_starts(tracker))
        said = latest_entity(tracker, "time")
        if chosen and (said is None or (said.get("additional_info") or {}).get("exact") is False):
            # 第一个吧 / 最后那个: that button's slot (越早越好 beside it only says why).
            return {"appointment_time": chosen.isoformat()}
        if said:
            return {}
        if not backend.script().leaves_it_to_us(latest_text(tracker)):
            return {}
        starts = offered_starts(tracker)
        if not starts:
            now = message_time(tracker)
            zone = backend.catalog().timezone
            next_day = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), datetime.min.time(), zone)
            await offer_free_slots(dispatcher, next_day, now)
            # Set (to nothing yet) so the form does not reject the answer; asked again. The
            # day goes back through validate_appointment_time (the form keeps only its own
            # slots' validations).
            tracker.slots["wanted_day"] = next_day.date().isoformat()
            return {"appointment_time": None}
        dispatcher.utter_message(
            response="utter_time_chosen_for_you", slot_label=format_slot(starts[0], backend.catalog().timezone)
        )
        return {"appointment_time": starts[0].isoformat()}

    def extract_booking_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The read-back answered in words the intent did not place (好的,谢谢 read as thanks;
        对,26号下午两点半 read as inform): yes or no from the words, as long as the
        message changes no fact (then it is a correction, read back again)."""
        if (
            _answering(tracker) != "booking_confirmed"
            or tracker.get_slot("booking_confirmed") is not None
            or tracker.get_slot("awaiting_correction")
        ):
            return {}
        before = {slot: value_before_latest_message(tracker, slot) for slot in FACT_SLOTS}
        changed = [
            slot for slot, value in tracker.slots_to_validate().items()
            if slot in FACT_SLOTS and value != before[slot]
            and not (slot == "appointment_time" and _the_booked_hour_again(value, tracker))
            # 对,就做保养: the service read back, named again
            and not (slot == "service_type" and backend.catalog().service_code_for(str(value)) == before[slot])
        ]
        if restates_the_read_back(tracker):
            return {"booking_confirmed": True}  # 里程是五万四: the figure read back, said again
        if not changed and changes_extra_work_at_the_read_back(tracker):
            return {"booking_confirmed": False}  # 再加一个,顺便洗个车: validate_booking_confirmed takes it
        reading = None if changed else backend.script().read_yes_no("booking_confirmed", latest_text(tracker))
        return {} if reading is None else {"booking_confirmed": reading}

    def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _answering(tracker) == "booking_confirmed" and backend.script().only_by_the_way(latest_text(tracker)):
            # 哦对了 at the read-back: something is to be changed or added, not a yes
            # (asked next: 请问需要修改哪一项?).
            return {"booking_confirmed": None, "awaiting_correction": True}
        if restates_the_read_back(tracker):
            return {"booking_confirmed": True, "awaiting_correction": False}  # 是五万四 / 不是四万五
        added = _extra_work_added(tracker)
        if added:
            # 哦对,再加一个,顺便把玻璃水加满: on the order with the rest; read back again.
            extra = given(tracker.get_slot("extra_requests"))
            dispatcher.utter_message(response="utter_other_answer_noted")
            return {"extra_requests": f"{extra},{added}" if extra else added, "booking_confirmed": None,
                    "awaiting_correction": False}
        given_up = _extra_work_given_up(tracker)
        if given_up is not None:
            # 洗车就算了,不用洗了,别的没问题: that work is off the order; the rest confirmed, or
            # the booking read back again without it.
            rest, left = given_up
            dispatcher.utter_message(response="utter_other_answer_noted")
            confirmed = bool(rest) and backend.script().read_yes_no("booking_confirmed", rest) is True
            return {"extra_requests": left, "booking_confirmed": True if confirmed else None,
                    "awaiting_correction": False}
        if _service_wanted_instead(tracker):
            return {"booking_confirmed": None}  # the service changed: read back again
        if _answering(tracker) == "booking_confirmed":
            # The words decide over the intent (对的,没有问题 read as deny is a yes).
            words = backend.script().read_yes_no("booking_confirmed", latest_text(tracker))
            value = value if words is None else words
        if value is True and tracker.get_slot("awaiting_correction") and not _facts_told_now(tracker):
            # 对 to 需要修改哪一项? with nothing changed (姓写错了 … 对,这回对了): the booking is
            # read back again, not confirmed with what the customer said was wrong.
            return {"booking_confirmed": None, "awaiting_correction": False}
        if value is True:
            return {"booking_confirmed": True}
        # "Not right": ask what to change instead of reading everything back again.
        return {"booking_confirmed": None, "awaiting_correction": True}
