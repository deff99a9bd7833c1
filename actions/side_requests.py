"""What a customer may ask or decide in the middle of a booking.

Questions (hours, address, prices) are answered from the dealer catalogue and
the booking resumes; 算了不约了 abandons it without writing anything (转人工
is actions/handover.py).
"""
from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from actions.interview import latest_intent, latest_text
from actions.booking_form import (
    answers_while_asking_to_wait,
    changes_extra_work_at_the_read_back,
    restates_the_read_back,
    service_left_for_advisor,
)
from actions.offers import (
    acknowledge_problem,
    answer_can_you_do,
    booking_start,
    complaint_in_booking,
    details_of_the_complaint,
    note_details_of_the_complaint,
    told_more_while_offered,
    damage_told,
    describes_a_fault,
    offer_after_answer,
    reply_to_offer,
    visit_time_told,
)
from actions.questions import QUESTION_KINDS, answer_question, asks_directly, sounds_like_question
from actions.submit_booking import BOOKING_SLOTS
from dealer.script import NOT_GIVEN

# "Is it done?" (行了吗 / 约上了没 / 预约成功了吗) after the booking.
ASKS_IF_DONE = re.compile(
    r"^(?:那|这样|这就|是不是)?(?:预约)?(?:就)?(?:行|好|成|可以|约上|约好|搞定|妥|成功)了?(?:吗|么|没|嘛|不)[?？]?$"
    # 我刚才是不是约成功了? / 已经约上了吧?
    r"|^(?:我|我们)?(?:刚才|刚刚|已经)?是不是(?:已经)?(?:预约|约)?(?:上|好|成功|成)了?[吗吧呢]?[?？]?$"
    r"|^(?:我|我们)?(?:刚才|刚刚)?(?:已经)?(?:预约|约)(?:上|好|成功|成)了(?:吗|吧|没|没有)[?？]?$"
)


# The car described before anything is asked (its age, its plate not yet issued).
CAR_CONTEXT = re.compile(r"新车|提车|刚提|刚买|车龄|(?:上|挂|办)牌|还没.{0,2}牌|开了.{0,4}(?:年|个月|公里)")

# A booking asked for in a word or two (预约 / 我要预约一下), which the classifier may doubt.
BARE_BOOKING = re.compile(r"(?:你好|您好)?[,，\s]*(?:我|我们)?(?:想|要|想要)?(?:预约|预个约|约个?时间|约个号)(?:一下|下)?[吧啊呀哈呢]?")

# Below this the classifier's question intent alone does not choose the answer.
UNSURE_QUESTION = 0.6
# Asking to come in (能过来吗 / 可以去吗 / 方便到店吗).
COMING = re.compile(r"过来|过去|到店|[来去](?:吗|么|不|嘛|呢|[?？]|$)|能来|能去|可以来|可以去")

# 休息室有wifi吧 / 店里有充电桩吧: whether the shop has something, asked expecting a yes.
HAS_IT_TAG = re.compile(r"有[^,，。;；!！?？]{1,10}(?:吧|吗|么|嘛)[?？]?$")


class ActionAnswerQuestion(Action):
    """Hours, address, prices: answered; outside a booking a booking is offered."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        offer = tracker.get_slot("booking_offer")
        if tracker.active_loop_name is None and offer is not None and visit_time_told(tracker):
            # 最快什么时候能去 今天下午五点行不, while a booking is offered: it is taken up at that time.
            return booking_start(tracker, offer)
        if (tracker.active_loop_name is None and offer is not None and backend.script().asks_for_booking(text)
                and backend.script().question_kind(text) is None):
            # 那我开过去给你们看看 (read as ask_address) while a booking is offered: it is taken up.
            return booking_start(tracker, offer)
        answered = answer_can_you_do(dispatcher, tracker)
        if answered is not None:
            return answered  # 你们能贴膜吗 read as a question of another kind: the shop does it
        # The words name the question more surely than the intent (保养要多久 is no ask_hours).
        kind = backend.script().question_kind(text)
        if kind is None and tracker.active_loop_name is None and visit_time_told(tracker) and COMING.search(text):
            # 明天下午五点能过来吗? (read as ask_hours): asking to come then; the booking starts.
            return booking_start(tracker, offer)
        if kind is None:
            confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0)
            # 你们这能开发票吗 read as ask_hours (0.5): a question no catalogue word names and
            # the classifier is unsure of goes to the advisor, not to the opening hours.
            kind = latest_intent(tracker) if confidence >= UNSURE_QUESTION else "ask_beyond_bot"
        if kind not in QUESTION_KINDS and kind != "ask_beyond_bot":
            dispatcher.utter_message(response="utter_default")
            return []
        answer_question(kind, text, dispatcher, tracker)
        return offer_after_answer(dispatcher, tracker)


class ActionAbandonBooking(Action):
    """算了不约了 ends the booking and writes nothing. 回头再说 to an optional question
    (行驶证不在身上 回头再说, to the VIN) puts off that answer only: the booking goes on."""

    def name(self) -> str:
        return "action_abandon_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        asked = tracker.get_slot("requested_slot")
        script = backend.script()
        text = latest_text(tracker)
        if script.is_optional(asked) and not script.abandons_booking(text):
            dispatcher.utter_message(response="utter_answer_later")
            return [SlotSet(asked, NOT_GIVEN), FollowupAction("booking_form")]
        if script.defers_to_visit(text):
            # 到了再说 to a required question: that answer waits, not the booking.
            if asked == "service_type":
                dispatcher.utter_message(response="utter_service_left_for_advisor")
                return [*(SlotSet(k, v) for k, v in service_left_for_advisor().items()), FollowupAction("booking_form")]
            dispatcher.utter_message(response="utter_needed_for_booking")
            return [FollowupAction("booking_form")]
        dispatcher.utter_message(response="utter_booking_abandoned")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + [
            SlotSet(name, None) for name in BOOKING_SLOTS
        ]


# Entities that show an unclear message is still about a service visit.
BOOKING_SIGNS = {"symptom", "part", "service_type", "time"}
# Facts of the car told outside a booking (卡罗拉,快五千公里了).
CAR_FACTS = {"car_model", "mileage", "plate"}


def _tells_more_of_the_job(tracker: Tracker, named: set[str]) -> bool:
    """A statement the booking's question did not expect, in a bodywork booking that keeps
    the customer's description: more of the damage or the accident, not a question nor a
    fact of the booking."""
    service = tracker.get_slot("service_type")
    dealer = backend.catalog()
    return (
        service in dealer.service_codes and dealer.service_type(service).describe
        and tracker.get_slot("requested_slot") not in (None, "extra_requests", "booking_confirmed", "privacy_consent")
        and not named & {"time", "phone", "plate", "vin", "customer_name", "car_model", "mileage"}
        and not asks_directly(latest_text(tracker)) and latest_intent(tracker) != "out_of_scope"
        and len(re.findall(r"[\u4e00-\u9fff]", latest_text(tracker))) >= 2
    )


# Words that announce what the customer is about to tell or ask (我跟你说啊 / 问你个事儿).
STORY_OPENER = re.compile(
    r"(?:唉|哎|哎呀|嗯|那个|师傅|你好|您好)?[,，\s]*"
    r"(?:我)?(?:跟|和|给)?(?:你|您)?(?:说|讲)(?:一?下|个事儿?|件事|啊|哈|哦)?(?:啊|哈|哦|呀)?"
    r"|(?:唉|哎)?[,，\s]*说来话长(?:啊|了)?|(?:我)?(?:想)?(?:问|咨询)(?:你|您)?(?:个|一个|件)事儿?"
    r"|(?:我)?有个事儿?(?:想)?(?:问|说|咨询)?(?:一?下)?|(?:我)?有个问题(?:想)?(?:问|咨询)(?:一?下)?"
)


class ActionHandleUnclearMessage(Action):
    """A bare fact or an unclear message outside a booking.

    A problem told alone is heard and a booking offered (as report_problem); a time
    or a service named starts the booking, with what an earlier offer already knew.
    """

    def name(self) -> str:
        return "action_handle_unclear_message"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.active_loop_name is None:
            offer = tracker.get_slot("booking_offer")
            reply = reply_to_offer(tracker) if offer is not None else None
            if reply is not None:
                # A reply to "需要我帮您预约吗?" in words the classifier did not place (要约).
                if reply:
                    return booking_start(tracker, offer)
                dispatcher.utter_message(response="utter_offer_declined")
                return [SlotSet("booking_offer", None)]
            if STORY_OPENER.fullmatch(latest_text(tracker).strip(" ,，。.!！~～…")):
                # 我跟你说啊 / 唉说来话长: the story is still to come; no "cannot answer".
                dispatcher.utter_message(response="utter_go_on")
                return []
            answered = answer_can_you_do(dispatcher, tracker)
            if answered is not None:
                return answered  # 你们那能装行车记录仪吗? read as out of scope: the shop does it
            if BARE_BOOKING.fullmatch(latest_text(tracker).strip(" ,，。.!！~～")):
                return booking_start(tracker, tracker.get_slot("booking_offer"))  # 预约 alone: it begins
            question = backend.script().question_kind(latest_text(tracker))
            if question is not None and sounds_like_question(latest_text(tracker)):
                # 保养要多久? read as out of scope: a question the catalogue answers.
                answer_question(question, latest_text(tracker), dispatcher, tracker)
                return offer_after_answer(dispatcher, tracker)
            named = {e.get("entity") for e in tracker.latest_message.get("entities", [])}
            if "time" not in named and (
                latest_intent(tracker) == "report_problem" or describes_a_fault(latest_text(tracker))
            ):
                return acknowledge_problem(dispatcher, tracker)
            if damage_told(latest_text(tracker)) and not asks_directly(latest_text(tracker)):
                # 国庆上高速 前杠被石子崩掉好几块漆 (read as out of scope, with a day gone by): heard.
                return acknowledge_problem(dispatcher, tracker)
            signs = named & BOOKING_SIGNS
            if "time" in signs and not visit_time_told(tracker):
                signs.discard("time")  # 昨天刮大风: a day gone by is no time to come in
            if signs and latest_intent(tracker) != "out_of_scope":
                return booking_start(tracker, tracker.get_slot("booking_offer"))
            if named & CAR_FACTS and tracker.get_slot("booking_offer") is None and not tracker.get_slot("draft_id"):
                # 卡罗拉,快五千公里了 after a question: the car told, noted; a booking offered
                # (the model is kept for it).
                dispatcher.utter_message(response="utter_other_answer_noted")
                return offer_after_answer(dispatcher, tracker)
        offer = tracker.get_slot("booking_offer")
        if tracker.active_loop_name is None and offer is not None and not tracker.get_slot("draft_id") \
                and backend.script().courtesy_kind(latest_text(tracker)) is None:
            # 像烧塑料那种 / 车是过年时候买的轩逸 / 这正常吗 while a booking is offered: more told
            # of the problem, heard, and the offer stands (never "not understood").
            return told_more_while_offered(dispatcher, tracker, offer)
        courtesy = backend.script().courtesy_kind(latest_text(tracker))
        booked = tracker.get_slot("booked_display")
        if booked and tracker.active_loop_name is None and ASKS_IF_DONE.search(latest_text(tracker)):
            # 行了吗 / 约上了没 after the booking: it is done.
            dispatcher.utter_message(response="utter_booking_already_done", booked_display=booked)
            return []
        if courtesy is not None and tracker.active_loop_name is None:
            if courtesy == "acknowledge":
                # 收到 / 知道了: after a booking, it stands; otherwise, what can we do for you.
                if booked:
                    dispatcher.utter_message(response="utter_booking_already_done", booked_display=booked)
                else:
                    dispatcher.utter_message(response="utter_how_can_i_help")
                return []
            dispatcher.utter_message(response="utter_you_are_welcome" if courtesy == "thank" else "utter_goodbye")
            return []
        if tracker.active_loop_name == "booking_form":
            text = latest_text(tracker)
            if restates_the_read_back(tracker) or changes_extra_work_at_the_read_back(tracker):
                return []  # 是五万四 / 再加一个,顺便洗个车 at the read-back: the form takes it
            if tracker.get_slot("requested_slot") == "appointment_time" and backend.script().undecided(text):
                # 还没想好 / 我看看哪天有空: no answer yet, and no "not understood" either.
                dispatcher.utter_message(response="utter_time_undecided")
                return []
            details = details_of_the_complaint(text, tracker)
            if details and not asks_directly(text):
                return note_details_of_the_complaint(dispatcher, details)  # 上周开始的, after 方向盘抖
            if asks_directly(text):
                # 走保险的话要我自己先垫钱吗? mid-booking: a question for the advisor; the
                # booking question comes again after it.
                dispatcher.utter_message(response="utter_answer_by_advisor", dealer_phone=backend.catalog().phone)
                return []
            named = {e.get("entity") for e in tracker.latest_message.get("entities", [])}
            if (tracker.get_slot("requested_slot") not in (None, "extra_requests") and "time" not in named
                    and describes_a_fault(text)):
                return complaint_in_booking(dispatcher, tracker)  # 中控屏老黑屏 at 哪天几点: heard, noted
            if _tells_more_of_the_job(tracker, named):
                # 追尾了 … 被人追的 / 对方保险出: the accident told in pieces, for the bodywork job.
                job = tracker.get_slot("job_description")
                said = text.strip(" ,，。.!！~～")
                dispatcher.utter_message(response="utter_other_answer_noted")
                return [SlotSet("job_description", said if job in (None, NOT_GIVEN) else f"{job},{said}")]
        unclear = latest_intent(tracker) != "out_of_scope"
        text = latest_text(tracker)
        if tracker.active_loop_name is None and not booked and CAR_CONTEXT.search(text) and not asks_directly(text):
            # 新车提了一个礼拜 / 车刚提没几天 还没上牌: what the car is, said first; what is
            # wanted comes next (and the car's age stays in the conversation for the warranty).
            dispatcher.utter_message(response="utter_how_can_i_help")
            return []
        # 休息室有wifi吧: asking what the shop has, with a tag that expects a yes.
        asked = asks_directly(text) or bool(HAS_IT_TAG.search(text.strip()))
        if unclear and booked and tracker.active_loop_name is None and asked:
            # 修的时候有代步车吗? after the booking: a question for the advisor, not "not understood".
            dispatcher.utter_message(response="utter_answer_by_advisor", dealer_phone=backend.catalog().phone)
            return []
        dispatcher.utter_message(response="utter_default" if unclear else "utter_out_of_scope")
        return []


class ActionTakeYourTime(Action):
    """稍等 / 我找找: the question stays open. A message that already answers it (车架号我记不住,
    行驶证在我老公那) or is said again is left to the form as the answer."""

    def name(self) -> str:
        return "action_take_your_time"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.active_loop_name and answers_while_asking_to_wait(tracker):
            return []
        dispatcher.utter_message(response="utter_take_your_time")
        return []
