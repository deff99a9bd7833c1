"""Asking for confirmation: the read-back, or what to correct after a 'no'."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from actions.interview import ASKING_WORDS, RESTATED_AGAIN
from dealer.script import NOT_GIVEN
from dealer.symptoms import restatement


def shown(value: object, suffix: str = "") -> str:
    """An optional fact as the read-back shows it."""
    if value in (None, NOT_GIVEN, ""):
        return backend.script().not_given_label
    return f"{value}{suffix}"


class ActionAskBookingConfirmed(Action):
    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("awaiting_correction"):
            dispatcher.utter_message(response="utter_ask_what_to_correct")
            return []
        dispatcher.utter_message(
            response="utter_booking_readback",
            customer_name_display=shown(tracker.get_slot("customer_name")),
            plate_display=shown(tracker.get_slot("plate")),
            car_model_display=shown(tracker.get_slot("car_model")),
            mileage_display=shown(tracker.get_slot("mileage"), backend.script().mileage_unit),
            extra_requests_display=shown(tracker.get_slot("extra_requests")),
        )
        return []


class ActionAskSymptomWhat(Action):
    """What is wrong: asked once more, with examples, after a vague first answer."""

    def name(self) -> str:
        return "action_ask_symptom_what"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        told = tracker.get_slot("told_what")
        if (tracker.get_slot("phenomenon_asked") and told and not tracker.get_slot("symptom_what")
                and not tracker.get_slot("symptom_interviews")):
            dispatcher.utter_message(response="utter_ask_symptom_phenomenon", told_what=told)  # Chery step 6
            return []
        vague = tracker.get_slot("vague_followed_up") and not tracker.get_slot("symptom_what")
        dispatcher.utter_message(
            response="utter_ask_symptom_what_more_detail" if vague else "utter_ask_symptom_what"
        )
        return []


class ActionAskSymptomDetail(Action):
    """What the noise sounds like (which light, what smell) when the complaint leaves it out."""

    def name(self) -> str:
        return "action_ask_symptom_detail"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ask = backend.script().detail_to_ask(str(tracker.get_slot("symptom_what") or ""))
        dispatcher.utter_message(response=ask or "utter_ask_symptom_what_more_detail")
        return []


class ActionAskSymptomConfirmed(Action):
    """Restate the complaint for the customer to confirm (Chery step 5), or ask for the right words."""

    def name(self) -> str:
        return "action_ask_symptom_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        state = tracker.get_slot("restatement_state")
        if state == ASKING_WORDS:
            dispatcher.utter_message(response="utter_ask_complaint_words")
        elif state == RESTATED_AGAIN:
            dispatcher.utter_message(response="utter_ask_symptom_confirmed_again")
        else:
            restated = restatement(tracker.get_slot("symptom_what"), tracker.get_slot("symptom_where"))
            dispatcher.utter_message(response="utter_ask_symptom_confirmed", symptom_what=restated)
        return []


class ActionAskSymptomMore(Action):
    """还有其他的吗, after the first complaint and again after each further one."""

    def name(self) -> str:
        return "action_ask_symptom_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        again = bool(tracker.get_slot("symptom_interviews"))
        dispatcher.utter_message(response="utter_ask_symptom_more_again" if again else "utter_ask_symptom_more")
        return []
