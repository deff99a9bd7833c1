"""Is the fault a warranty claim? Asked once of a repair booked from a told fault.

A customer who tells a fault (天窗咔咔响) seldom says whether the car is still under the
maker's warranty, and the booking would go down as a paid repair. An advisor asks, because
it decides who pays and what the claim needs (the VIN, asked next for warranty). The
question is the service step's (FAW-VW step c, 服务项目) own, asked right after the time,
with the repair kept as the answer when the customer does not know.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from actions.conversation import latest_entity, user_texts, value_before_latest_message
from actions.interview import latest_intent, latest_text, without_interview
from actions.offers import describes_a_fault, names_the_warranty
from dealer.catalog import months_owned
from dealer.script import NOT_GIVEN

# The steps the question is asked before: the facts after the time (the time comes first;
# once the interview has begun or at the read-back it would only interrupt).
_ASKED_BEFORE = ("privacy_consent", "customer_name", "phone", "first_visit", "plate", "vin", "car_model",
                 "mileage", "last_service", "job_description", "extra_requests")

# 自费 / 自己出钱: the customer pays, whatever the car's age.
SELF_PAID = re.compile(r"自费|自己出钱|自己掏钱|自掏腰包")
# 不在了 / 早过了 / 超了: the warranty said to be over in a short answer to the question.
NOT_WITHIN = re.compile(r"不在|没在|早过|过了|超了|超过|到期|不是保修|不走保修|不保了")
# 修 / 修理 / 就修一下: the repair, as booked.
PAID_REPAIR = re.compile(r"(?:就|直接)?(?:修|修理|修修|修一下|修下|维修)(?:吧|呗|就行|就好)?[。.!！]*$")
# 在的 / 还在 / 是的: the car said to be within it.
WITHIN = re.compile(r"^(?:嗯|对|是)?[,，]?(?:还在|在的|在呢|在啊|在吧|应该在|应该还在|在|是的|是啊|对的|对)")


def warranty_question_due(events: list[EventType], tracker: Tracker) -> list[EventType]:
    """The events that ask the warranty question next, or [] when it is not due: the booking
    is a repair for a told fault, the time is settled, the question has not been asked, the
    customer has not chosen 维修 from the list of services, and nothing said already tells
    (保修 / 才提车一年 made it a claim; 过保了 / 自费 / 开了五年 leave it a repair)."""
    slots = {**tracker.current_slot_values(),
             **{e.get("name"): e.get("value") for e in events if e.get("event") == "slot"}}
    if (slots.get("requested_slot") not in _ASKED_BEFORE or slots.get("warranty_asked")
            or slots.get("service_type") != "repair" or _service_asked(tracker)):
        return []
    dealer = backend.catalog()
    said = user_texts(tracker)
    if any(dealer.warranty_said_over(text) or SELF_PAID.search(text) or names_the_warranty(text) for text in said):
        return []
    ages = [months for months in map(months_owned, said) if months is not None]
    if ages and max(ages) >= dealer.warranty_months:
        return []
    kept = [e for e in events if not (e.get("event") == "slot" and e.get("name") == "requested_slot")]
    return [*kept, SlotSet("warranty_asked", True), SlotSet("requested_slot", "service_type")]


def _service_asked(tracker: Tracker) -> bool:
    """The list of services was asked in this conversation (维修 was the customer's choice)."""
    return any(e.get("event") == "slot" and e.get("name") == "requested_slot" and e.get("value") == "service_type"
               for e in tracker.events)


def answering_warranty_question(tracker: Tracker) -> bool:
    """The latest message answers the warranty question (the repair still stands)."""
    return (tracker.get_slot("requested_slot") == "service_type" and bool(tracker.get_slot("warranty_asked"))
            and value_before_latest_message(tracker, "service_type") == "repair")


def warranty_answer(tracker: Tracker) -> str | None:
    """The service the answer books: ``warranty`` (在的 / 才买一年 / 走保修), ``repair`` (不在了 /
    自费 / 就修一下), or None when the answer does not tell (不清楚: the repair stays and the
    advisor checks)."""
    dealer = backend.catalog()
    entity = latest_entity(tracker, "service_type")
    text = latest_text(tracker)
    if entity and not text.startswith("/"):
        entity = None  # a word inside the customer's own answer is read with its context below
    if entity:
        return "warranty" if dealer.service_code_for(str(entity.get("value"))) == "warranty" else "repair"
    if dealer.warranty_said_over(text) or SELF_PAID.search(text) or NOT_WITHIN.search(text):
        return "repair"
    if names_the_warranty(text) or dealer.within_warranty(text) or "warranty" in dealer.services_named(text):
        return "warranty"
    # 主要是修跑偏,保养顺带: a service said only by the way beside the fault is no change.
    named = dealer.main_service_for(text, describes_a_fault(text))
    if named and not dealer.is_interview(named) and named != "other":
        return named  # 就做个保养: what the customer came for, said now (补胎 is the repair's job)
    months = months_owned(text)
    if months is not None:
        return "repair"  # 开了四年了: older than the warranty (a younger car was read above)
    if backend.script().says_unknown(text):
        return None
    intent = latest_intent(tracker)
    if intent == "affirm" or WITHIN.match(text.strip()):
        return "warranty"
    if intent == "deny" or dealer.services_named(text) or PAID_REPAIR.match(text.strip()):
        return "repair"  # 不是 / 维修 / 修一下
    return None


def take_warranty_answer(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """The service slots the answer sets, said back in a word."""
    code = warranty_answer(tracker)
    dealer = backend.catalog()
    slots: dict[str, Any] = {}
    if code == "warranty":
        dispatcher.utter_message(response="utter_warranty_noted")
    elif code is None:
        dispatcher.utter_message(response="utter_warranty_to_check")
        code = "repair"
    elif code == "repair":
        dispatcher.utter_message(response="utter_repair_noted")
    else:
        # The fault told is no longer the job: kept for the technician as extra work.
        told, extra = tracker.get_slot("symptom_what"), tracker.get_slot("extra_requests")
        if told not in (None, NOT_GIVEN):
            slots["extra_requests"] = told if extra in (None, NOT_GIVEN) else f"{extra},{told}"
        slots.update(without_interview())
    return {**slots, "service_type": code, "service_display": dealer.service_type(code).name}


class ActionAskServiceType(Action):
    """The service step: the list of services, or, for a repair of a told fault, whether the
    car is still under warranty."""

    def name(self) -> str:
        return "action_ask_service_type"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("warranty_asked") and tracker.get_slot("service_type") == "repair":
            dispatcher.utter_message(response="utter_ask_warranty")
        else:
            dispatcher.utter_message(response="utter_ask_service_type")
        return []
