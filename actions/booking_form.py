"""The booking form: checking each fact the customer gives (FAW-VW 预约 step a-c)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import backend
from actions.conversation import latest_entity, message_time
from dealer.services.schedule import SlotProblem
from dealer.timefmt import format_slot
from dealer.validation import InvalidValue, normalize_name, normalize_phone, normalize_plate

# Slots whose change means the customer has corrected something.
FACT_SLOTS = ("appointment_time", "service_type", "customer_name", "phone", "plate")

PROBLEM_RESPONSES = {
    SlotProblem.past: "utter_time_past",
    SlotProblem.closed: "utter_time_closed",
    SlotProblem.misaligned: "utter_time_misaligned",
    SlotProblem.too_far: "utter_time_too_far",
    SlotProblem.full: "utter_time_full",
}


def slot_buttons(starts: list[datetime]) -> list[dict[str, str]]:
    zone = backend.catalog().timezone
    return [
        {
            "title": format_slot(start, zone),
            "payload": '/inform{"time": "%s"}' % start.astimezone(zone).isoformat(),
        }
        for start in starts
    ]


async def offer_free_slots(
    dispatcher: CollectingDispatcher, wanted: datetime, now: datetime, window_end: datetime | None = None
) -> None:
    """Propose the nearest free slots (step b), inside the customer's window when possible."""
    slots = await backend.free_slots_near(wanted, now, limit=3)
    if window_end is not None:
        inside = [s for s in slots if wanted <= s <= window_end]
        slots = inside or slots
    if not slots:
        dispatcher.utter_message(response="utter_no_free_slots")
        return
    dispatcher.utter_message(response="utter_offer_slots", buttons=slot_buttons(slots))


def explain_problem(dispatcher: CollectingDispatcher, problem: SlotProblem, start: datetime) -> None:
    dealer = backend.catalog()
    dispatcher.utter_message(
        response=PROBLEM_RESPONSES[problem],
        slot_label=format_slot(start, dealer.timezone),
        opening_hours=f"{dealer.opens_at:%H:%M}–{dealer.closes_at:%H:%M}",
        horizon_days=dealer.booking_horizon_days,
    )


def _value_from_entity_or_text(tracker: Tracker, entity: str, slot_value: Any) -> str:
    found = latest_entity(tracker, entity)
    return str(found["value"]) if found else str(slot_value)


class ValidateBookingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        if not tracker.get_slot("booking_key"):
            events.append(SlotSet("booking_key", uuid.uuid4().hex))
        corrected = any(
            e.get("event") == "slot" and e.get("name") in FACT_SLOTS and e.get("value") is not None
            for e in events
        )
        if corrected and tracker.get_slot("awaiting_correction"):
            events.append(SlotSet("awaiting_correction", False))
        return events

    async def validate_appointment_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        now = message_time(tracker)
        try:
            start = datetime.fromisoformat(str(value))
        except ValueError:
            dispatcher.utter_message(response="utter_invalid_time_unparsed")
            return {"appointment_time": None}
        if start.tzinfo is None:
            start = start.replace(tzinfo=backend.catalog().timezone)
        info = (latest_entity(tracker, "time") or {}).get("additional_info") or {}
        if info.get("exact") is False:
            latest = datetime.fromisoformat(info["latest"]) if info.get("latest") else None
            earliest = datetime.fromisoformat(info["earliest"]) if info.get("earliest") else start
            await offer_free_slots(dispatcher, max(earliest, now), now, latest)
            return {"appointment_time": None}
        problem = await backend.slot_problem(start, now)
        if problem is not None:
            explain_problem(dispatcher, problem, start)
            await offer_free_slots(dispatcher, start, now)
            return {"appointment_time": None}
        return {
            "appointment_time": start.isoformat(),
            "appointment_display": format_slot(start, backend.catalog().timezone),
        }

    def validate_service_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        dealer = backend.catalog()
        code = dealer.service_code_for(str(value)) or "other"
        return {"service_type": code, "service_display": dealer.service_type(code).name}

    def validate_customer_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"customer_name": normalize_name(_value_from_entity_or_text(tracker, "customer_name", value))}
        except InvalidValue:
            dispatcher.utter_message(response="utter_invalid_customer_name")
            return {"customer_name": None}

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"phone": normalize_phone(_value_from_entity_or_text(tracker, "phone", value))}
        except InvalidValue:
            dispatcher.utter_message(response="utter_invalid_phone")
            return {"phone": None}

    def validate_plate(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"plate": normalize_plate(_value_from_entity_or_text(tracker, "plate", value))}
        except InvalidValue:
            dispatcher.utter_message(response="utter_invalid_plate")
            return {"plate": None}

    def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            return {"booking_confirmed": True}
        # "Not right": ask what to change instead of reading everything back again.
        return {"booking_confirmed": None, "awaiting_correction": True}
