"""Writing the confirmed booking as a draft work order (steps d-g)."""
from __future__ import annotations

import logging
from datetime import datetime

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import backend
from actions.booking_form import explain_problem, offer_free_slots
from actions.conversation import channel_name, message_time
from dealer.services.booking import BookingRequest, SlotUnavailable

logger = logging.getLogger(__name__)

BOOKING_SLOTS = (
    "appointment_time",
    "appointment_display",
    "service_type",
    "service_display",
    "customer_name",
    "phone",
    "plate",
    "car_model",
    "booking_confirmed",
    "awaiting_correction",
    "booking_key",
)


def booking_request(tracker: Tracker) -> BookingRequest:
    return BookingRequest(
        # One draft per booking, however often this action is retried.
        idempotency_key=f"{tracker.sender_id}:{tracker.get_slot('booking_key')}",
        channel=channel_name(tracker),
        conversation_id=tracker.sender_id,
        service_type=tracker.get_slot("service_type"),
        start=datetime.fromisoformat(tracker.get_slot("appointment_time")),
        customer_name=tracker.get_slot("customer_name"),
        phone=tracker.get_slot("phone"),
        plate=tracker.get_slot("plate"),
        model=tracker.get_slot("car_model"),
    )


class ActionSubmitBooking(Action):
    def name(self) -> str:
        return "action_submit_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        request = booking_request(tracker)
        now = message_time(tracker)
        try:
            result = await backend.book(request, now)
        except SlotUnavailable as unavailable:
            # Taken by someone else while this customer was confirming.
            explain_problem(dispatcher, unavailable.problem, request.start)
            await offer_free_slots(dispatcher, request.start, now)
            return [
                SlotSet("appointment_time", None),
                SlotSet("booking_confirmed", None),
                FollowupAction("booking_form"),
            ]
        except SQLAlchemyError:
            logger.exception("could not write the draft for %s", tracker.sender_id)
            dispatcher.utter_message(
                response="utter_booking_failed", dealer_phone=backend.catalog().phone
            )
            return [SlotSet("booking_confirmed", None)]
        response = "utter_booking_done" if result.advisor_name else "utter_booking_done_no_advisor"
        dispatcher.utter_message(
            response=response,
            appointment_display=tracker.get_slot("appointment_display"),
            advisor_name=result.advisor_name,
        )
        return [SlotSet(name, None) for name in BOOKING_SLOTS] + [
            SlotSet("draft_id", float(result.draft_id)),
            SlotSet("advisor_name", result.advisor_name),
        ]
