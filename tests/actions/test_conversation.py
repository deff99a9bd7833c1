"""actions/conversation.py: a slot's values read around the customer's latest message."""
from __future__ import annotations

from rasa_sdk import Tracker

from actions.conversation import value_before_latest_message, values_set_since_latest_message


def _tracker(events: list[dict]) -> Tracker:
    return Tracker("c1", {}, {"text": "好的"}, events, False, None, {}, "action_listen")


def _slot(name: str, value: object) -> dict:
    return {"event": "slot", "name": name, "value": value}


EVENTS = [
    _slot("service_type", "maintenance"),
    {"event": "user", "text": "先不用"},
    _slot("service_type", "repair"),
    {"event": "user", "text": "好的"},
    _slot("service_type", "warranty"),
    _slot("phone", "13800000000"),
    _slot("service_type", "other"),
]


def test_the_value_before_the_latest_message_is_the_last_one_set_before_it() -> None:
    assert value_before_latest_message(_tracker(EVENTS), "service_type") == "repair"
    assert value_before_latest_message(_tracker(EVENTS), "phone") is None


def test_the_values_set_since_the_latest_message_come_newest_first() -> None:
    assert values_set_since_latest_message(_tracker(EVENTS), "service_type") == ["other", "warranty"]
    assert values_set_since_latest_message(_tracker(EVENTS[:4]), "service_type") == []
