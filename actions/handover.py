"""转人工: handing the conversation to a service advisor.

In the middle of a booking the facts so far become a draft marked needs_human, so
the advisor who calls back has them; without a phone number yet, the customer is
asked for one first (handover_form). The customer is told when they will be
contacted: within the dealer's call-back time while open, else at the next opening.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import backend
from actions.booking_form import check_phone
from actions.conversation import message_time
from actions.submit_booking import BOOKING_SLOTS, booking_request, refuse_booking
from dealer.script import NOT_GIVEN, given
from dealer.services.booking import BookingRequest, SlotUnavailable
from dealer.services.booking_guard import BookingLimitReached
from dealer.services.schedule import callback_time
from dealer.timefmt import format_slot
from dealer.validation import InvalidValue, normalize_phone, normalize_plate, normalize_vin

logger = logging.getLogger(__name__)


def _valid(normalize, value: Any) -> str | None:
    """A fact as the database takes it, or None if it is missing or malformed."""
    if value in (None, "", NOT_GIVEN):
        return None
    try:
        return normalize(str(value))
    except InvalidValue:
        return None


def known_phone(tracker: Tracker) -> str | None:
    return _valid(normalize_phone, tracker.get_slot("callback_phone")) or _valid(
        normalize_phone, tracker.get_slot("phone")
    )


def in_a_booking(tracker: Tracker) -> bool:
    return bool(tracker.get_slot("booking_key")) or tracker.active_loop_name in ("booking_form", "handover_form")


def handover_request(tracker: Tracker, phone: str, booking_key: str) -> BookingRequest:
    """The facts so far; the start is the customer's wanted time if one was accepted."""
    request = booking_request(tracker)
    return replace(
        request,
        idempotency_key=f"{tracker.sender_id}:{booking_key}",
        service_type=request.service_type or "other",
        customer_name=given(request.customer_name),
        phone=phone,
        # Only what was checked reaches the database; a raw answer mid-question does not.
        plate=_valid(normalize_plate, request.plate),
        vin=_valid(normalize_vin, request.vin),
        needs_human=True,
    )


def tell_when_contacted(dispatcher: CollectingDispatcher, now: datetime) -> None:
    dealer = backend.catalog()
    when, open_now = callback_time(now, dealer)
    if open_now:
        dispatcher.utter_message(
            response="utter_handed_over", callback_minutes=dealer.callback_minutes, dealer_phone=dealer.phone
        )
    else:
        dispatcher.utter_message(
            response="utter_handed_over_after_hours",
            opening_hours=dealer.opening_hours_text,
            callback_start=format_slot(when, dealer.timezone),
            dealer_phone=dealer.phone,
        )


class ValidateHandoverForm(FormValidationAction):
    """Before handing a booking over: a phone number the advisor can call back."""

    def name(self) -> str:
        return "validate_handover_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return [] if known_phone(tracker) else domain_slots

    def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in ("deny", "cancel") or backend.script().means_no_answer(str(value)):
            return {"callback_phone": NOT_GIVEN}  # handed over without a number to call
        phone = check_phone(value, dispatcher, tracker)
        return {"callback_phone": phone, "phone": phone} if phone else {"callback_phone": None}


def _handover_key(tracker: Tracker, now: datetime) -> str:
    """A key for a booking the form never keyed: the same on a retry of the same message
    (after an action-server timeout), so the hand-over draft is written once."""
    started = [e.get("timestamp") for e in tracker.events
               if e.get("event") == "active_loop" and e.get("name") == "booking_form"]
    anchor = started[-1] if started else now.timestamp()
    digest = hashlib.sha256(f"{tracker.sender_id}:{anchor}".encode()).hexdigest()[:24]
    return f"handover-{digest}"


class ActionHandOverToHuman(Action):
    def name(self) -> str:
        return "action_hand_over_to_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        now = message_time(tracker)
        events: list[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("callback_phone", None)]
        phone = known_phone(tracker)
        if not in_a_booking(tracker) or phone is None:
            tell_when_contacted(dispatcher, now)
            if tracker.get_slot("callback_phone") == NOT_GIVEN:
                dispatcher.utter_message(response="utter_handed_over_no_phone", dealer_phone=backend.catalog().phone)
            # The booking so far is kept: if it is completed, its draft is flagged for a human.
            return events + [SlotSet("needs_human", True)]
        booking_key = tracker.get_slot("booking_key") or _handover_key(tracker, now)
        try:
            result = await backend.hand_over(handover_request(tracker, phone, booking_key), now)
        except BookingLimitReached as reached:  # as many live bookings as allowed: no draft
            return events + refuse_booking(dispatcher, reached)
        except (SlotUnavailable, InvalidValue, SQLAlchemyError):
            logger.exception("could not write the hand-over draft for %s", tracker.sender_id)
            tell_when_contacted(dispatcher, now)
            return events + [SlotSet("needs_human", True)]
        tell_when_contacted(dispatcher, now)
        dispatcher.utter_message(response="utter_handover_noted", phone=phone)
        # Handed over: the advisor completes this booking; a new one starts afresh.
        return events + [SlotSet(name, None) for name in BOOKING_SLOTS] + [
            SlotSet("draft_id", float(result.draft_id))
        ]
