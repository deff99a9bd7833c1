"""Who is asking, and whether one more booking may be made (dealer/services/booking_guard.py)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions import backend
from actions.conversation import channel_name, message_time
from dealer.services.booking_guard import Requester


def requester_of(tracker: Tracker) -> Requester:
    return Requester(conversation_id=tracker.sender_id, channel=channel_name(tracker))


async def stop_at_booking_limit(tracker: Tracker, phone: str) -> dict[str, Any] | None:
    """At the phone step: if the phone or this conversation already holds the most live
    bookings, the slots that end the booking form at once (the customer types nothing
    more for nothing); action_submit_booking then refuses politely. Else None."""
    if await backend.booking_limit(phone, requester_of(tracker), message_time(tracker)) is None:
        return None
    return {"phone": phone, "requested_slot": None}
