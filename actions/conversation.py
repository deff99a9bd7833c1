"""Reading facts about the conversation from the tracker."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker

from dealer import clock


def message_time(tracker: Tracker) -> datetime:
    """The time the customer sent the latest message (times resolve against it)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("timestamp"):
            return clock.get_clock().from_timestamp(float(event["timestamp"]))
    return clock.now(timezone.utc)


def latest_entity(tracker: Tracker, name: str) -> dict[str, Any] | None:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == name:
            return entity
    return None


def channel_name(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def value_before_latest_message(tracker: Tracker, slot: str) -> Any:
    """A slot's value as it was before the customer's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None
