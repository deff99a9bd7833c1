"""Rescheduling or cancelling an existing booking, found by phone and plate, and only from
the conversation that made it (dealer/services/booking_guard.py)."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import backend
from actions.booking_form import check_appointment_time, check_phone, check_plate, explain_problem
from actions.conversation import channel_name, message_time
from actions.guard import requester_of
from actions.handover import tell_when_contacted
from dealer.services import followups
from dealer.services.booking import SlotUnavailable
from dealer.timefmt import format_slot

logger = logging.getLogger(__name__)

CHANGE_SLOTS = (
    "phone",
    "plate",
    "appointment_time",
    "appointment_display",
    "change_kind",
    "change_confirmed",
    "change_draft_id",
    "change_found",
    "current_display",
)


class ValidateChangeBookingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_change_booking_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("change_found") is False:
            return ["phone", "plate"]  # nothing to change: the form ends
        if tracker.get_slot("change_kind") == "cancel":
            return ["phone", "plate", "change_confirmed"]
        return domain_slots

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"phone": check_phone(value, dispatcher, tracker)}

    async def validate_plate(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        plate = check_plate(value, dispatcher, tracker)
        phone = tracker.get_slot("phone")
        if plate is None or phone is None:
            return {"plate": plate}
        now = message_time(tracker)
        found = await backend.find_own_booking(phone, plate, requester_of(tracker), now)
        if found is None:
            # No booking, or one made in another conversation: the same words either way,
            # nothing about the booking, and an advisor takes over (the booking is flagged).
            dispatcher.utter_message(response="utter_change_not_found_here")
            tell_when_contacted(dispatcher, now)
            return {"plate": plate, "change_found": False, "needs_human": True}
        draft_id, start = found
        display = format_slot(start, backend.catalog().timezone)
        dispatcher.utter_message(response="utter_change_found", current_display=display)
        return {
            "plate": plate,
            "change_found": True,
            "change_draft_id": float(draft_id),
            "current_display": display,
        }

    async def validate_appointment_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("change_found") is not True:
            return {"appointment_time": None}  # a time said before the booking was found
        return await check_appointment_time(value, dispatcher, tracker)


class ActionAskChangeConfirmed(Action):
    def name(self) -> str:
        return "action_ask_change_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("change_kind") == "cancel":
            dispatcher.utter_message(response="utter_confirm_cancel")
        else:
            dispatcher.utter_message(response="utter_confirm_reschedule")
        return []


class ActionApplyBookingChange(Action):
    def name(self) -> str:
        return "action_apply_booking_change"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(name, None) for name in CHANGE_SLOTS]
        if not tracker.get_slot("change_found"):
            return reset
        if not tracker.get_slot("change_confirmed"):
            dispatcher.utter_message(response="utter_change_kept")
            return reset
        draft_id = int(tracker.get_slot("change_draft_id"))
        current = tracker.get_slot("current_display")
        if tracker.get_slot("change_kind") == "cancel":
            try:
                await backend.cancel_booking(draft_id, requester_of(tracker))
                dispatcher.utter_message(response="utter_booking_cancelled", current_display=current)
            except LookupError:
                dispatcher.utter_message(response="utter_change_not_found")
            return reset
        new_start = datetime.fromisoformat(tracker.get_slot("appointment_time"))
        try:
            await backend.reschedule_booking(draft_id, new_start, message_time(tracker), requester_of(tracker))
            dispatcher.utter_message(
                response="utter_booking_rescheduled_and_promise",
                appointment_display=tracker.get_slot("appointment_display"),
                reminder_promise=followups.reminder_promise(channel_name(tracker), new_start, message_time(tracker),
                                                            backend.catalog(), await backend.opted_out(draft_id)),
            )
        except SlotUnavailable as unavailable:  # taken meanwhile by someone else
            explain_problem(dispatcher, unavailable.problem, new_start)
            dispatcher.utter_message(response="utter_change_kept", current_display=current)
        except LookupError:
            dispatcher.utter_message(response="utter_change_not_found")
        return reset
