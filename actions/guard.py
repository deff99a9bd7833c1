"""Who is asking, and whether one more booking may be made (dealer/services/booking_guard.py)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend
from actions.conversation import channel_name, message_time
from dealer.services.booking_guard import Requester


def requester_of(tracker: Tracker) -> Requester:
    return Requester(conversation_id=tracker.sender_id, channel=channel_name(tracker))


async def stop_at_booking_limit(
    events: list[EventType], dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType]:
    """The booking form's events, ended at once when the phone just given (or this
    conversation) already holds the most live bookings, so the customer types nothing
    more for nothing: action_submit_booking then refuses politely, and that refusal is
    all that is said (what the form said this turn is dropped)."""
    phone = next(
        (e.get("value") for e in reversed(events) if e.get("event") == "slot" and e.get("name") == "phone"),
        None,
    )
    if not phone or await backend.booking_limit(phone, requester_of(tracker), message_time(tracker)) is None:
        return events
    dispatcher.messages.clear()
    return [*events, SlotSet("requested_slot", None)]
