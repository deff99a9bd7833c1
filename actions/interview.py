"""The symptom interview's slot checks (Chery steps 5-6), mixed into the booking form.

Each answer is kept in the customer's own words; what a sentence already answers
is filled in so it is not asked again; danger signs are acted on at once.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from dealer.script import NOT_GIVEN
from dealer.symptoms import answers_in, is_dangerous

MAX_FURTHER_COMPLAINTS = 5


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def interview_prefill(text: str, tracker: Tracker) -> dict[str, Any]:
    """What the customer's words already answer is not asked again (Chery step 6)."""
    return {
        f"symptom_{question}": words
        for question, words in answers_in(text).items()
        if not tracker.get_slot(f"symptom_{question}")
    }


def danger_check(text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Safety first: advise not to drive, give the rescue number, mark urgent (once)."""
    if tracker.get_slot("urgent") or not is_dangerous(text):
        return {}
    dispatcher.utter_message(response="utter_danger_do_not_drive", rescue_phone=backend.catalog().rescue_phone)
    return {"urgent": True}


class InterviewValidation:
    """validate_symptom_* for a FormValidationAction."""

    def validate_symptom_what(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value)
        if not answers_in(text).get("what") and not tracker.get_slot("vague_followed_up"):
            # One follow-up for a vague answer (有点问题), not more.
            return {"symptom_what": None, "vague_followed_up": True}
        slots = {**interview_prefill(text, tracker), "symptom_what": text}
        slots.update(danger_check(text, dispatcher, tracker))
        return slots

    def _interview_answer(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """The customer's own words; 不清楚 is an acceptable answer and is kept as said."""
        text = str(value)
        slots = {**interview_prefill(text, tracker), slot: text}
        slots.update(danger_check(text, dispatcher, tracker))
        return slots

    def validate_symptom_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._interview_answer("symptom_when", value, dispatcher, tracker)

    def validate_symptom_where(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._interview_answer("symptom_where", value, dispatcher, tracker)

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

    def validate_symptom_more(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """还有其他的吗: each further complaint is recorded in the customer's words and asked again."""
        text = str(value).strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        complaints = list(tracker.get_slot("further_complaints") or [])
        if not text or intent == "deny" or backend.script().means_no_answer(text):
            return {"symptom_more": NOT_GIVEN}
        complaints.append(text)
        slots: dict[str, Any] = {"further_complaints": complaints}
        slots.update(danger_check(text, dispatcher, tracker))
        # Ask again until the customer has nothing more (bounded).
        slots["symptom_more"] = NOT_GIVEN if len(complaints) >= MAX_FURTHER_COMPLAINTS else None
        return slots
