"""Asking for confirmation: the read-back, or what to correct after a 'no'."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from dealer.script import NOT_GIVEN


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
        vague = tracker.get_slot("vague_followed_up") and not tracker.get_slot("symptom_what")
        dispatcher.utter_message(
            response="utter_ask_symptom_what_more_detail" if vague else "utter_ask_symptom_what"
        )
        return []


class ActionAskSymptomMore(Action):
    """Restate the complaint and ask 还有其他的吗; after a further complaint, just ask again."""

    def name(self) -> str:
        return "action_ask_symptom_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        again = bool(tracker.get_slot("further_complaints"))
        dispatcher.utter_message(response="utter_ask_symptom_more_again" if again else "utter_ask_symptom_more")
        return []
