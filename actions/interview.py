"""The symptom interview's slot checks (Chery steps 5-6), mixed into the booking form.

Each answer is kept in the customer's own words; what a sentence already answers
is filled in so it is not asked again; danger signs are acted on at once.

The six symptom_* slots hold the complaint being interviewed. Its restatement is
confirmed or corrected (symptom_confirmed); at 还有其他的吗 (symptom_more) a further
complaint moves the finished interview to ``symptom_interviews`` and empties the six
slots, so the form asks them again for the new complaint.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from actions.conversation import latest_entity, message_time, value_before_latest_message
from dealer.script import NOT_GIVEN
from dealer.symptoms import (
    QUESTIONS,
    announces_one_more,
    answers_in,
    clauses,
    complaint_words,
    further_complaint,
    is_dangerous,
    is_vague_frequency,
    is_vague_time,
    phenomenon_of,
    job_words,
    names_a_place,
    names_a_problem,
    phenomenon,
    read_restatement_reply,
    BARE_SIDE,
    UNSURE,
    names_a_place_on_the_car,
    same_complaint,
    separate_complaints,
    told_symptom,
    tells_what_the_part_does,
    with_the_part,
)

MAX_FURTHER_COMPLAINTS = 5
# An answer to 什么样的声音 this long that tells a symptom is a description of its own.
FULL_DESCRIPTION = 6
INTERVIEW_SLOTS = tuple(f"symptom_{question}" for question in QUESTIONS)

# restatement_state: where the confirmation of the restated complaint stands.
ASKING_WORDS = "asking_words"  # a bare 不对: the customer is asked to say it again
RESTATED_AGAIN = "restated_again"  # corrected once and restated again: the last round


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def interview_prefill(text: str, tracker: Tracker, complaint: bool = False) -> dict[str, Any]:
    """What the customer's words already answer is not asked again (Chery step 6).

    Not taken as an answer: a vague how-often (老是, 时不时: 大概多久一次 is asked), a
    situation without a place (刹车的时候: which part, which road is asked), and
    a time still to come (约吧 1月28日 9:30, 过年要开车回老家): a symptom started in the
    past, a future time is the appointment or a plan."""
    return {
        slot: words for slot, words in answers_taken(text, tracker, complaint).items() if not tracker.get_slot(slot)
    }


def complaint_prefill(text: str, tracker: Tracker) -> dict[str, Any]:
    """interview_prefill for words that state the complaint; when they tell several problems
    (一个是怠速抖,一个是后备箱漏水), the first is interviewed now and the others next."""
    problems = separate_complaints(text)
    if len(problems) < 2 or tracker.get_slot("symptom_interviews") or tracker.get_slot("pending_complaints"):
        return interview_prefill(text, tracker, complaint=True)
    first = problems[0]
    slots: dict[str, Any] = {**interview_prefill(first, tracker, complaint=True), "symptom_what": phenomenon(first)}
    slots["pending_complaints"] = problems[1:MAX_FURTHER_COMPLAINTS + 1]
    return slots


def job_prefill(code: str | None, text: str, tracker: Tracker) -> dict[str, Any]:
    """A job described where the service was told (左后门被划了一道), for a service that keeps
    the customer's description instead of an interview; its question is then not asked."""
    dealer = backend.catalog()
    if code not in dealer.service_codes or not dealer.service_type(code).describe or tracker.get_slot("job_description"):
        return {}
    words = job_words(text, dealer.service_type(code).job_words)
    return {"job_description": words} if words else {}


def answers_taken(text: str, tracker: Tracker, complaint: bool = False) -> dict[str, str]:
    """The symptom slots these words answer well enough not to ask (see interview_prefill);
    ``complaint``: the words state the complaint itself."""
    answers = answers_in(text)
    frequency = answers.get("frequency", "")
    if is_vague_frequency(frequency) or (complaint and ALWAYS_ALONE.fullmatch(frequency)):
        # 老是 / 时不时; and 一直 inside the complaint (暖风一直不热): how often is still asked
        # (一直不出风 told when asked since when does answer it).
        del answers["frequency"]
    if answers.get("driving_impact", "").startswith("开不") and OPENING_FAULT.search(
            f"{tracker.get_slot('symptom_what') or ''} {text}"):
        del answers["driving_impact"]  # 按钮都开不了, of a tailgate that does not open: it drives
    if answers.get("when") and (_names_a_future_time(answers["when"], tracker) or is_vague_time(answers["when"])):
        del answers["when"]  # (这两天: since when exactly is asked, as for 最近)
    if complaint and answers.get("when") and _said_of_another_event(answers["when"], answers.get("what", ""), text):
        del answers["when"]  # 前天车机自己升级了,之后倒车影像黑屏: since when is asked (after what?)
    where = answers.pop("where", None)
    tried = answers.get("tried", "")
    told_with = next((clause for clause in clauses(text) if tried and tried in clause), tried)
    if THIS_DEALER.search(told_with) or (REPAIRED.search(tried) and not ELSEWHERE.search(told_with)):
        # 在你们店修了三次了 / 上次修过又这样: a repair before, asked as the repeat repair;
        # 您自己有没有处理过 asks what the customer did or had done elsewhere.
        del answers["tried"]
    taken = {f"symptom_{question}": words for question, words in answers.items()}
    if where:
        # Which part, which road, how fast is always asked (Chery step 6): the words told
        # with the complaint seldom say all of it (过减速带 … which wheel?). They stand in
        # when the answer gives nothing (validate_symptom_where); 过减速带 | 底盘咯噔响:
        # the part on the car with the road.
        placed = names_a_place(where) and not BARE_SIDE.fullmatch(where)
        taken["told_where"] = with_the_part(where, answers.get("what", ""), text) if placed else where
    return taken


def _said_of_another_event(when: str, what: str, text: str) -> bool:
    """The time told with the complaint belongs to something else that happened (前天暴雨开过一段
    积水路,现在发动机抖得厉害): its clause neither holds the fault nor says it began then."""
    pieces = [piece for c in clauses(text) for piece in c.split()]  # (messages joined by spaces)
    clause = next((c for c in pieces if when in c), None)
    if clause is None or not what or ONSET_SAID.search(clause) or not clause.replace(when, "").strip("的了就呢啊"):
        return False  # (昨天下午,空调突然不出风了: the time alone, said of what follows)
    return not any(piece in clause or clause in piece for piece in clauses(what))


# 上周开始 / 前天发现的 / 最近一周都这样: the time the fault began or was found.
ONSET_SAID = re.compile(r"开始|以后|之后|以来|起|发现|出现|这样|就有|有的|才有|这毛病|这问题|这情况")
ALWAYS_ALONE = re.compile(r"(?:一直|始终|总)(?:[亮响闪漏抖]着?)?")
# A door, lid or window that does not open (尾门打不开): its 开不了 is no driving impact.
OPENING_FAULT = re.compile(r"(?:门|箱|盖|窗|锁)[^,，。]{0,4}(?:打不开|开不了|开不开)")
THIS_DEALER = re.compile(r"你们|贵店|咱们店|咱店|这边|你这")
REPAIRED = re.compile(r"(?<!自己)(?<![没未])(?<!没有)(?:修|维修|检修)(?:过|了)")
ELSEWHERE = re.compile(r"自己|外面|外边|别的|别家|别处|路边|修理厂|修理店|快修|汽修|小店|朋友|4[sS]店")


# A request or a question to the shop (你们先帮我查查不行吗): no answer to the question asked.
TO_THE_SHOP = re.compile(r"你们|帮我|帮忙|给我|麻烦|到店|过来|来了再|(?:吗|么|呢|嘛|不行|行不|可以不)$")


NOTHING_DONE = re.compile(r"(?:还|都|也|啥都|什么都|啥也|什么也)?没有?(?:弄|处理|管|修|动|碰|试|整|搞)(?:过|它|了)*")
UNSURE_HOW = re.compile(r"(?:也|都)?(?:不知道|不晓得|不懂)(?:该|要|得)?(?:咋|怎么|怎样|如何)")


# The customer asks back what the question means (你是问多久响一次吗? / 你说的是哪个部位?).
# Not a pushback (你问这个干嘛: nothing to answer, see answers_nothing).
ASKING_BACK = re.compile(
    r"^(?!.*(?:干嘛|干啥|干什么|为什么|为啥|做什么))(?:你|您)?(?:是|就是)?(?:问|说)的?(?:是)?[^,，。!！]{1,14}(?:吗|么|嘛|[?？])+$"
)


def _said_plainly(text: str, slot: str) -> str:
    """An answer kept as said — a regional nothing-done too (莫得弄过 / 冇搞过 / 呒没弄过: the
    advisor reads the customer's words) — but 不知道哪儿… to where is don't-know, and
    不知道该咋弄,没弄 to what was tried is the nothing done."""
    script = backend.script()
    plain = script.standardised(text)
    if slot == "symptom_where" and UNSURE.match(plain) and not names_a_place_on_the_car(plain):
        return next(word for word in script.unknown_words if word in plain)
    pieces, said = clauses(plain), clauses(text)
    nothing = [i for i, p in enumerate(pieces) if NOTHING_DONE.fullmatch(p)]
    if slot == "symptom_tried" and nothing and all(i in nothing or UNSURE_HOW.match(p) for i, p in enumerate(pieces)):
        # The customer's words of the nothing-done clauses (read in standard words).
        return ",".join(said[i] if len(said) == len(pieces) else pieces[i] for i in nothing)
    return text


def _unknown_besides_a_request(text: str, slot: str) -> str | None:
    """说不清 said with a request to the shop (你们先帮我查查不行吗,我也说不清): the answer is
    only "I don't know", kept as such (no time, place ... is given); None otherwise."""
    question = slot.removeprefix("symptom_")
    if question == "what" or answers_in(text).get(question):
        return None
    script = backend.script()
    pieces = [piece for c in clauses(text) for piece in c.split()]  # (spaces for commas too)
    unknown = [p for p in pieces if script.only_unknown(p)]
    if unknown and len(unknown) < len(pieces) and all(p in unknown or TO_THE_SHOP.search(p) or SOMEONE_ELSE_DRIVES.search(p)
                                                      for p in pieces):
        return ",".join(unknown)
    if unknown and question in ("frequency", "driving_impact", "tried") and not any(
            names_a_problem(p) or answers_in(p) for p in pieces if p not in unknown):
        return ",".join(unknown)  # 我就坐过那一回 不知道 to how often: why not, no answer
    return None


# 车平时我老公开 / 不是我开的: why the customer cannot say (no answer to the question).
SOMEONE_ELSE_DRIVES = re.compile(
    r"(?:老公|老婆|爱人|媳妇|先生|太太|儿子|女儿|孩子|家里人|我爸|我妈|父亲|母亲|别人|朋友|同事|司机)(?:在|平时|一般)?开"
    r"|不是我(?:在)?开|我(?:平时|一般)?不开"
)


# A start marker (10月份开始的, 过年以后): the time a symptom began, however the day resolves.
STARTED = re.compile(r"开始|以后|之后|以来|起|后$")


# Words after a time that make it when the problem began (上周五开始 / 昨天起 / 今早就).
BEGAN_AT = re.compile(r"\s*(?:开始|起|以来|以后|之后|就|才)")
# Words after a time already begun (今天 / 今天上午) that make it the time to come in
# (今天能修不 / 今天想过去看看), not when something happened (今天早上亮了).
VISIT_ASKED = re.compile(
    r"\s*(?:想|要|打算|准备|能|可以|可不可以|方便|有空|有时间|有位|(?:过|开过|送过|到)?[去来](?![的了过])|到店|修|弄|看看)"
)


# A holiday named alone that the calendar puts months ahead is, told with what happened,
# the one just gone (国庆上高速 …); 下个国庆 / 明年五一 / 国庆想过来 say the coming one.
HOLIDAY = re.compile(r"国庆|春节|过年|五一|元旦|中秋|端午|清明|十一")
FUTURE_MARK = re.compile(r"下|明年|今年|快到|到时候")
HOLIDAY_LAST_TIME = timedelta(days=60)


def is_visit_time(entity: dict[str, Any], text: str, now: datetime) -> bool:
    """A time entity of ``text`` that tells when the customer would come in: its window is
    still ahead, and it has not begun or the words after it ask to come."""
    info = entity.get("additional_info") or {}
    try:
        earliest = datetime.fromisoformat(str(info.get("earliest") or entity.get("value")))
        until = datetime.fromisoformat(str(info.get("latest") or entity.get("value")))
    except (TypeError, ValueError):
        return False
    end = entity.get("end")
    if until <= now or not isinstance(end, int) or BEGAN_AT.match(text, end):
        return False
    start = entity.get("start")
    said = text[start:end] if isinstance(start, int) else ""
    if (HOLIDAY.search(said) and not FUTURE_MARK.search(said) and earliest - now > HOLIDAY_LAST_TIME
            and not VISIT_ASKED.match(text, end)):
        return False  # 国庆上高速 前杠被石子崩掉好几块漆: the holiday just gone, not next year's
    return earliest > now or VISIT_ASKED.match(text, end) is not None


def _names_a_future_time(when: str, tracker: Tracker) -> bool:
    """The when-words are a time the latest message named to come in."""
    if STARTED.search(when):
        return False
    text, now = latest_text(tracker), message_time(tracker)
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") != "time" or entity.get("start") is None:
            continue
        said = text[entity["start"]:entity["end"]]
        if said and (said in when or when in said) and is_visit_time(entity, text, now):
            return True
    return False


def danger_check(text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Safety first: advise not to drive, give the rescue number, mark urgent (once)."""
    if tracker.get_slot("urgent") or not is_dangerous(text):
        return {}
    dispatcher.utter_message(response="utter_danger_do_not_drive", rescue_phone=backend.catalog().rescue_phone)
    return {"urgent": True}


def current_interview(tracker: Tracker) -> dict[str, Any]:
    """The complaint being interviewed: the words it was told in and the six answers."""
    answers = {question: tracker.get_slot(f"symptom_{question}") for question in QUESTIONS}
    return {"complaint": tracker.get_slot("current_complaint") or answers["what"], **answers}


def all_interviews(tracker: Tracker) -> list[dict[str, Any]]:
    """Every complaint's interview so far, the first complaint first."""
    return [*(tracker.get_slot("symptom_interviews") or []), current_interview(tracker)]


def settled_service(tracker: Tracker) -> str | None:
    """The service type the steps to ask depend on. The slot may hold a raw word the latest
    message matched (检查 in 没什么问题,就是检查一下) that is not validated yet: then the
    code it had before, else the code the word stands for."""
    codes = backend.catalog().service_codes
    current = tracker.get_slot("service_type")
    if current in codes or current is None:
        return current
    before = value_before_latest_message(tracker, "service_type")
    return before if before in codes else backend.catalog().service_code_for(str(current))


def without_interview() -> dict[str, Any]:
    """The interview's slots when there is nothing to interview (a check without a fault)."""
    return {**{slot: NOT_GIVEN for slot in INTERVIEW_SLOTS}, "symptom_confirmed": True,
            "symptom_more": NOT_GIVEN, "repeat_repair": NOT_GIVEN}


def _a_check_without_a_fault(text: str, tracker: Tracker) -> bool:
    """An inspection (a service a fault would change, ServiceType.with_fault) with no fault told."""
    code = settled_service(tracker)
    if code not in backend.catalog().service_codes or not backend.catalog().service_type(code).with_fault:
        return False
    # 没啥问题 / 想全面检测一下: no fault said, or the check asked for again instead of one.
    no_fault = (
        backend.script().says_no_fault(text)
        or backend.script().means_no_answer(text)  # 不清楚: nothing known to be wrong
        or code in backend.catalog().services_named(text)
    )
    return no_fault and not names_a_problem(text)


def _says_no_more(text: str, intent: str | None) -> bool:
    text = backend.script().standardised(text)  # 冒得哒 / 莫得了: 没有了
    if answers_in(text).get("what"):
        return False  # 空调没有冷风 names a problem, whatever else it says
    _, no_words = backend.script().yes_no_words["symptom_more"]
    cleaned = "".join(clauses(text))
    return intent == "deny" or backend.script().means_no_answer(text) or any(w in cleaned for w in no_words)


def _bare_yes(text: str, intent: str | None) -> bool:
    """有 / 还有: a further complaint that is told next."""
    yes_words, no_words = backend.script().yes_no_words["symptom_more"]
    said = "".join(clauses(backend.script().standardised(text)))
    cleaned = said.strip("了啊呀哦吧的")
    if any(word in said for word in no_words):
        return False  # 就这个, read as affirm: that is all
    return cleaned in yes_words or (intent == "affirm" and len(cleaned) <= 3) or announces_one_more(said)


class InterviewValidation:
    """validate_symptom_* for a FormValidationAction."""

    def validate_symptom_what(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value)
        told = tracker.get_slot("told_what")
        if (told and tracker.get_slot("phenomenon_asked") and tracker.get_slot("requested_slot") == "symptom_what"
                and not tracker.get_slot("symptom_interviews")):  # (the first complaint's only)
            return self._phenomenon(text, str(told), dispatcher, tracker)
        no_interview = without_interview()
        if _a_check_without_a_fault(text, tracker):
            # 没啥问题,就例行检查下: nothing to interview; the inspection is booked as asked.
            return no_interview
        earlier = tracker.get_slot("symptom_interviews") or []
        asked = tracker.get_slot("requested_slot") == "symptom_what"
        if asked and earlier and same_complaint(text, [str(i["complaint"] or i["what"] or "") for i in earlier]):
            # Asked what the further complaint is, the customer tells the one recorded again.
            dispatcher.utter_message(response="utter_complaint_already_recorded")
            return back_to_the_last_interview(earlier)
        specific = answers_in(text).get("what") or tells_what_the_part_does(text)
        if not specific and not tracker.get_slot("vague_followed_up"):
            # One follow-up for a vague answer (有点问题), not more.
            return {"symptom_what": None, "vague_followed_up": True}
        if not names_a_problem(text) and backend.script().means_no_answer(text):
            # 不清楚 twice: five questions about a problem nobody can name would only annoy;
            # the technician looks at the car.
            dispatcher.utter_message(response="utter_problem_left_for_check")
            return no_interview
        slots = complaint_prefill(text, tracker)
        if not slots.get("pending_complaints"):
            # The customer's words without what is said around them (就是刚才讲的 / 师傅 / 能保修不).
            slots["symptom_what"] = told_symptom(text) or text
        slots.update(danger_check(text, dispatcher, tracker))
        return slots

    def _phenomenon(
        self, text: str, told: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """The phenomenon of the complaint told (Chery step 6): the customer's words when they
        describe it (踩刹车的时候吱吱响,声音挺大), joined to the complaint when they only add to
        it (吱吱的); the complaint told when they add nothing (就是刚才说的 / 说不上来)."""
        script = backend.script()
        words = told_symptom(text)
        # (What a noise sounds like is not asked as well: the customer was just asked to describe it.)
        if not words or script.only_unknown(text) or script.means_no_answer(text):  # (对的: no words left)
            return {"symptom_what": told, "symptom_detail": NOT_GIVEN}
        # (Words of the description itself, 一直亮着, leave how often to be asked, as for the opening.)
        slots = {**interview_prefill(text, tracker, complaint=True), **danger_check(text, dispatcher, tracker)}
        slots.update(symptom_what=phenomenon_of(told, text), symptom_detail=NOT_GIVEN)
        return slots

    def _interview_answer(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """The customer's own words; 不清楚 is an acceptable answer and is kept as said."""
        text = str(value)
        if tracker.get_slot("requested_slot") == slot and ASKING_BACK.search(text.strip()):
            # 你是问多久响一次吗?: yes, that; the question again (no answer stored yet).
            dispatcher.utter_message(response="utter_yes_that_question")
            return {slot: None}
        if tracker.get_slot("requested_slot") == slot and backend.script().answers_nothing(text):
            # 你问这个干嘛 / 嗯 / ?: nothing for the symptom sheet; the technician asks at the desk.
            dispatcher.utter_message(response="utter_interview_no_answer")
            return {slot: NOT_GIVEN}
        prefill = interview_prefill(text, tracker)
        slots = {**prefill, slot: _unknown_besides_a_request(text, slot) or _said_plainly(text, slot)}
        slots.update(danger_check(text, dispatcher, tracker))
        return slots

    def validate_symptom_detail(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """咯噔咯噔的 to 什么样的声音: joined to the complaint (底盘异响,咯噔咯噔的); 说不上来
        leaves the complaint as told."""
        if tracker.get_slot("requested_slot") != "symptom_detail":
            return {"symptom_detail": value}  # re-checked on a form restart: already settled
        text = str(value).strip()
        script = backend.script()
        if not text or script.only_unknown(text) or script.means_no_answer(text):
            return {"symptom_detail": NOT_GIVEN}
        what = str(tracker.get_slot("symptom_what") or "")
        detail = complaint_words(text) or text.strip(" ,，。.!！~～")
        prefill = {slot: words for slot, words in interview_prefill(text, tracker).items() if slot != "symptom_what"}
        slots = {**prefill, "symptom_detail": detail, **danger_check(text, dispatcher, tracker)}
        if script.detail_to_ask(detail):
            return slots  # 车里有股怪味儿 again: nothing more is known; the complaint stays as told
        if len(detail) >= FULL_DESCRIPTION and answers_in(detail).get("what"):
            return {**slots, "symptom_what": detail}  # 中控台里面哒哒哒的响: the fuller words replace 有异响
        return {**slots, "symptom_what": detail if what in detail else f"{what},{detail}"}  # 底盘异响,咯噔咯噔的

    def validate_symptom_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._interview_answer("symptom_when", value, dispatcher, tracker)

    def validate_symptom_where(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        slots = self._interview_answer("symptom_where", value, dispatcher, tracker)
        told, answer = tracker.get_slot("told_where"), slots.get("symptom_where")
        if told and (answer == NOT_GIVEN or backend.script().only_unknown(str(answer or ""))):
            slots["symptom_where"] = told  # 不清楚 now; the complaint told it (过减速带的时候)
        return slots

    def validate_symptom_frequency(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._interview_answer("symptom_frequency", value, dispatcher, tracker)

    def validate_symptom_driving_impact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._interview_answer("symptom_driving_impact", value, dispatcher, tracker)

    def validate_symptom_tried(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._interview_answer("symptom_tried", value, dispatcher, tracker)

    def validate_symptom_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The restated complaint: 对 goes on; 不是,是… replaces `what` and restates once more.
        Once it is settled, a further problem told with the first is interviewed next."""
        slots = self._restatement_reply(value, dispatcher, tracker)
        pending = list(tracker.get_slot("pending_complaints") or [])
        if tracker.get_slot("requested_slot") != "symptom_confirmed" or slots.get("symptom_confirmed") is None or not pending:
            return slots
        dispatcher.utter_message(response="utter_next_complaint_told")
        return {**further_interview(pending[0], tracker, dispatcher, settled=slots),
                "pending_complaints": pending[1:] or None}

    def _restatement_reply(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "symptom_confirmed":
            return {"symptom_confirmed": value}  # re-checked on a form restart: already settled
        text = str(value).strip()
        reply = read_restatement_reply(text)
        state = tracker.get_slot("restatement_state")
        agrees = reply.agrees
        if agrees is None and not reply.correction:
            agrees = {"affirm": True, "deny": False}.get(latest_intent(tracker) or "")
        done = {"restatement_state": None}
        if state == ASKING_WORDS:
            # After a bare 不对 the answer is the complaint itself.
            if agrees is True:
                return {"symptom_confirmed": True, **done}
            words = reply.correction or (None if agrees is not None else text)
            if not words or backend.script().means_no_answer(words):
                return {"symptom_confirmed": False, **done}  # nothing better: keep the words and go on
            return self._corrected(words, dispatcher, tracker)
        if agrees is True:
            return {"symptom_confirmed": True, **done}
        if reply.correction and names_a_place(reply.correction) and not names_a_problem(reply.correction):
            # 不对,是左前轮: the place is corrected, the complaint stands.
            return {"symptom_where": reply.correction, "symptom_confirmed": True, **done}
        if reply.correction and latest_entity(tracker, "time") and not names_a_problem(reply.correction):
            # 不是前天,是大前天晚上亮的: when it began is corrected, the complaint stands.
            return {"symptom_when": reply.correction, "symptom_confirmed": True, **done}
        if reply.correction:
            if state == RESTATED_AGAIN:
                # Restated once more already: the customer's latest words stand.
                slots = {"symptom_what": reply.correction, "symptom_confirmed": "corrected", **done}
                slots.update(danger_check(reply.correction, dispatcher, tracker))
                return slots
            return self._corrected(reply.correction, dispatcher, tracker)
        if agrees is False:
            if state == RESTATED_AGAIN:
                return {"symptom_confirmed": False, **done}
            return {"symptom_confirmed": None, "restatement_state": ASKING_WORDS}
        # Neither yes nor no nor new words (嗯嗯 / 不清楚): the restatement stands.
        return {"symptom_confirmed": True, **done}

    @staticmethod
    def _corrected(words: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        slots = {"symptom_what": words, "symptom_confirmed": None, "restatement_state": RESTATED_AGAIN}
        slots.update(danger_check(words, dispatcher, tracker))
        return slots

    def validate_symptom_more(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """还有其他的吗: a further complaint gets its own interview; 没有了 ends the interviews."""
        if tracker.get_slot("requested_slot") != "symptom_more":
            return {"symptom_more": value}  # re-checked on a form restart: already settled
        text = str(value).strip()
        intent = latest_intent(tracker)
        bare_yes = _bare_yes(text, intent)  # the words first: NLU often reads a bare 有 as deny
        if not text or (not bare_yes and _says_no_more(text, intent)):
            return {"symptom_more": NOT_GIVEN}
        recorded = [str(i["complaint"] or i["what"] or "") for i in all_interviews(tracker)]
        if not bare_yes and (ONLY_THIS_ONE.match(text) or same_complaint(further_complaint(text), recorded)):
            # The same complaint told again (还是刚才那个异响): recorded once, and no more.
            dispatcher.utter_message(response="utter_complaint_already_recorded")
            return {"symptom_more": NOT_GIVEN}
        if bare_yes:
            return further_interview(None, tracker, dispatcher)  # 有: what it is is asked next
        return {**further_interview(text, tracker, dispatcher), "pending_complaints": None}


# 就是漏水这个,一下雨脚垫全湿 / 就充电这个事: only the complaint already told, said again.
ONLY_THIS_ONE = re.compile(
    r"^(?:就|就是|只有|只是|主要就?是)[^,，。!！?？还另]{0,10}(?:这个|这一个|这件|这)(?:事儿?|问题|毛病|情况)?(?:[,，。!！~～]|$)"
)


def further_interview(
    text: str | None, tracker: Tracker, dispatcher: CollectingDispatcher, settled: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The current complaint's interview is finished (with the slots `settled` this turn) and
    the next complaint's begins: told in `text`, or asked next (None)."""
    finished = [*(tracker.get_slot("symptom_interviews") or []), {**current_interview(tracker), **_answers_in_slots(settled)}]
    slots: dict[str, Any] = {
        "symptom_interviews": finished,
        **{slot: None for slot in INTERVIEW_SLOTS},
        "symptom_detail": None,
        "symptom_confirmed": None,
        "restatement_state": None,
        "symptom_more": None,
        "vague_followed_up": False,
        "current_complaint": text,
        "told_where": None,
    }
    if text is None:
        return slots
    words = further_complaint(text)
    # What the complaint already answers is not asked again, as for the opening.
    slots.update(answers_taken(words, tracker, complaint=True))
    if names_a_problem(words):
        slots["symptom_what"] = slots["symptom_what"] or words
    else:
        # Neither a symptom nor a part named (还有个小毛病): one follow-up, as for a vague answer.
        slots["vague_followed_up"] = True
    slots.update(danger_check(text, dispatcher, tracker))
    return slots


def back_to_the_last_interview(interviews: list[dict[str, Any]]) -> dict[str, Any]:
    """The further complaint begun turns out to be the last one recorded: that interview is
    the current one again, finished, and 还有其他的吗 is asked again."""
    last = interviews[-1]
    return {
        "symptom_interviews": interviews[:-1],
        **{f"symptom_{q}": last.get(q) for q in QUESTIONS},
        "current_complaint": last.get("complaint"),
        "symptom_detail": NOT_GIVEN,
        "symptom_confirmed": True,
        "restatement_state": None,
        "symptom_more": None,
        "vague_followed_up": False,
    }


def _answers_in_slots(slots: dict[str, Any] | None) -> dict[str, Any]:
    """The six answers among slots set this turn (a corrected what or where)."""
    return {q: slots[f"symptom_{q}"] for q in QUESTIONS if f"symptom_{q}" in (slots or {})}


def interview_slots_to_ask(tracker: Tracker, slots: list[str]) -> list[str]:
    """还有其他的吗 is not asked again once the bound of further complaints is reached; what
    a noise sounds like (a light, a smell) only when the complaint leaves it out."""
    what = tracker.get_slot("symptom_what")
    if not (isinstance(what, str) and what != NOT_GIVEN and backend.script().detail_to_ask(what)):
        slots = [slot for slot in slots if slot != "symptom_detail"]
    if len(tracker.get_slot("symptom_interviews") or []) >= MAX_FURTHER_COMPLAINTS:
        return [slot for slot in slots if slot != "symptom_more"]
    return slots
