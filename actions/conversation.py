"""Reading facts about the conversation from the tracker."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from itertools import takewhile
from typing import Any

from rasa_sdk import Tracker

from dealer import clock
from dealer.validation import after_taking_back


def message_time(tracker: Tracker) -> datetime:
    """The time the customer sent the latest message (times resolve against it)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("timestamp"):
            return clock.get_clock().from_timestamp(float(event["timestamp"]))
    return clock.now(timezone.utc)


def latest_entity(tracker: Tracker, name: str) -> dict[str, Any] | None:
    """The message's entity of that kind: the first, or, when the message takes one back
    (13816620593 哦打错了 是13816620539 / 英朗 哦不是 现在开的是昂科威), the one said after it."""
    found = [entity for entity in tracker.latest_message.get("entities", []) if entity.get("entity") == name]
    said_after = after_taking_back(tracker.latest_message.get("text") or "") if len(found) > 1 else None
    if said_after:
        # (是雷凌,不是卡罗拉: the one said after the mark, not the one taken back after it.)
        return next((entity for entity in found if str(entity.get("value")) in said_after), found[0])
    return found[0] if found else None


def model_as_said(tracker: Tracker, found: dict[str, Any] | None = None) -> str | None:
    """The car model the message names: its names told side by side kept together
    (特斯拉Model 3 / RAV4荣放: brand and model, or the two names of one car), else the model
    entity found (latest_entity)."""
    found = found or latest_entity(tracker, "car_model")
    if found is None:
        return None
    text = tracker.latest_message.get("text") or ""
    spans = sorted((e["start"], e["end"]) for e in tracker.latest_message.get("entities", [])
                   if e.get("entity") == "car_model" and isinstance(e.get("start"), int) and isinstance(e.get("end"), int))
    runs: list[tuple[int, int]] = []
    for start, end in spans:
        if runs and not text[runs[-1][1]:start].strip():
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    joined = [text[start:end] for start, end in runs if (start, end) not in spans]
    return max(joined, key=len) if joined else str(found["value"])


def channel_name(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def _slot_values_newest_first(tracker: Tracker, slot: str) -> Iterator[tuple[Any, bool]]:
    """Each value the slot was set to, newest first, and whether it was set before the
    customer's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif event.get("event") == "slot" and event.get("name") == slot:
            yield event.get("value"), seen_user


def value_before_latest_message(tracker: Tracker, slot: str) -> Any:
    """A slot's value as it was before the customer's latest message."""
    return next((value for value, before in _slot_values_newest_first(tracker, slot) if before), None)


def values_set_since_latest_message(tracker: Tracker, slot: str) -> list[Any]:
    """The values actions set the slot to after the customer's latest message, newest first."""
    return [value for value, before in takewhile(lambda item: not item[1], _slot_values_newest_first(tracker, slot))]


def last_value_given(tracker: Tracker, slot: str, unset: tuple[Any, ...] = (None,)) -> Any:
    """The slot's newest value before the customer's latest message that was not one of
    ``unset`` (a value cleared to be asked again)."""
    return next((value for value, before in _slot_values_newest_first(tracker, slot)
                 if before and value not in unset), None)


def user_texts(tracker: Tracker) -> list[str]:
    """Every message of the customer in this conversation, the latest last."""
    return [str(e.get("text") or "") for e in tracker.events if e.get("event") == "user"]


def previous_user_text(tracker: Tracker) -> str:
    """What the customer said in the message before the latest one ("" if none)."""
    said = user_texts(tracker)
    return said[-2] if len(said) >= 2 else ""
