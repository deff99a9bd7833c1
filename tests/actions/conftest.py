"""Tracker fixtures for the actions, as in RasaHQ/financial-demo."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from dealer import clock

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(autouse=True)
def recorded_message_times() -> Iterator[None]:
    """The tracker fixtures are recorded conversations: their events carry the times the
    messages were sent (Thu 2026-11-26 15:00), which the rules resolve against. A faked
    clock (DEALER_CLOCK, make test-clocks) must not shift those; the offset itself is
    tested in tests/dealer/test_clock.py and, end to end, by the integration tests."""
    clock.set_clock(clock.Clock())
    yield
    clock.set_clock(None)


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The real domain.yml, as the action server receives it."""
    return yaml.safe_load((DATA.parent.parent / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def form_tracker() -> Callable[..., Tracker]:
    """A booking_form tracker whose last user turn set ``candidates``."""
    base = json.loads((DATA / "tracker_booking_form.json").read_text(encoding="utf-8"))

    def build(
        candidates: dict[str, Any],
        requested_slot: str = "appointment_time",
        slots: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        text: str = "",
    ) -> Tracker:
        state = copy.deepcopy(base)
        state["slots"].update(slots or {})
        state["slots"]["requested_slot"] = requested_slot
        state["latest_message"]["entities"] = entities or []
        state["latest_message"]["text"] = text
        state["events"].extend(
            {"event": "slot", "timestamp": 1795676400.2, "name": name, "value": value}
            for name, value in candidates.items()
        )
        return Tracker.from_dict(state)

    return build
