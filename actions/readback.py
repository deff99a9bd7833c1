"""Asking for confirmation: the read-back, or what to correct after a 'no'."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class ActionAskBookingConfirmed(Action):
    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("awaiting_correction"):
            dispatcher.utter_message(response="utter_ask_what_to_correct")
        else:
            dispatcher.utter_message(response="utter_booking_readback")
        return []
