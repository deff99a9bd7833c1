"""What a customer may ask or decide in the middle of a booking.

Questions (hours, address, prices) are answered from the dealer catalogue and
the booking resumes; 算了不约了 abandons it without writing anything (转人工
is actions/handover.py).
"""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from actions.submit_booking import BOOKING_SLOTS


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dealer = backend.catalog()
        intent = tracker.latest_message.get("intent", {}).get("name")
        if intent == "ask_hours":
            dispatcher.utter_message(response="utter_answer_hours", opening_hours=dealer.opening_hours_text)
        elif intent == "ask_address":
            dispatcher.utter_message(
                response="utter_answer_address", address=dealer.address, dealer_phone=dealer.phone
            )
        elif intent == "ask_price":
            words = tracker.latest_message.get("text") or ""
            dispatcher.utter_message(response="utter_answer_price", price_list=dealer.price_list_text(words))
        else:
            dispatcher.utter_message(response="utter_default")
        return []


class ActionAbandonBooking(Action):
    def name(self) -> str:
        return "action_abandon_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_booking_abandoned")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + [
            SlotSet(name, None) for name in BOOKING_SLOTS
        ]


# Entities that show an unclear message is still about a service visit.
BOOKING_SIGNS = {"symptom", "part", "service_type", "time"}


class ActionHandleUnclearMessage(Action):
    """Low NLU confidence: a message naming a problem or a time still starts a booking."""

    def name(self) -> str:
        return "action_handle_unclear_message"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        named = {e.get("entity") for e in tracker.latest_message.get("entities", [])}
        if named & BOOKING_SIGNS and tracker.active_loop_name is None:
            return [FollowupAction("booking_form")]
        dispatcher.utter_message(response="utter_default")
        return []
