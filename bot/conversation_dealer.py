"""Which dealer a conversation is for (issue 14): set once, at its session start.

Every channel sends ``metadata={"dealer": "<code>"}`` with each message (the web chat
page at ``/chat/<dealer>``, a dealer's WeChat account, a REST caller that says so).
Rasa sets that metadata as the ``session_started_metadata`` slot and then runs
``action_session_start``, whose ``SessionStarted`` resets every slot, that one
included. So Rasa's own session start is wrapped here (on the Rasa side, not as a
custom action: a conversation's first message must not depend on the action server)
to add, after ``SessionStarted``:

- ``dealer``: the dealer's code, which the action server reads to pick the dealer's
  catalogue (actions/backend.py) and the apology reads for the dealer's phone;
- ``dealer_name``: the name utter_greet says (您好,<dealer_name>,…).

A message without a known dealer keeps the conversation's dealer from its previous
session (the worker's ``trigger_intent`` three days later carries no metadata), else
the default dealer's.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dealer.catalog import DEALERS_DIR, DEFAULT_CATALOG, Catalog, load_dealers

DEALER_SLOT = "dealer"
DEALER_NAME_SLOT = "dealer_name"
METADATA_KEY = "dealer"

rasa_session_start_run: Any = None


def dealers() -> dict[str, Catalog]:
    """The network's dealers by code, the default first (CATALOG_PATH and DEALERS_DIR as
    the other processes read them; the bot runtime has no pydantic-settings)."""
    return load_dealers(Path(os.environ.get("CATALOG_PATH") or DEFAULT_CATALOG),
                        Path(os.environ.get("DEALERS_DIR") or DEALERS_DIR))


def dealer_of(code: Any) -> Catalog:
    """The dealer with this code; the default dealer for anything else."""
    known = dealers()
    return known.get(code) if isinstance(code, str) and code in known else next(iter(known.values()))


def requested_code(metadata: Any) -> str | None:
    """The known dealer code a message's metadata names, if any."""
    code = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return code if isinstance(code, str) and code in dealers() else None


def conversation_dealer(tracker: Any) -> Catalog:
    """The dealer a running conversation is for (its ``dealer`` slot)."""
    return dealer_of(tracker.get_slot(DEALER_SLOT))


def _slot_if_defined(tracker: Any, name: str) -> Any:
    return tracker.get_slot(name) if name in tracker.slots else None


async def _session_start_run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list:
    from rasa.shared.core.constants import SESSION_START_METADATA_SLOT
    from rasa.shared.core.events import SessionStarted, SlotSet

    events = await rasa_session_start_run(self, output_channel, nlg, tracker, domain)
    if not any(slot.name == DEALER_SLOT for slot in domain.slots):
        return events  # a model trained before the slot existed
    code = (requested_code(_slot_if_defined(tracker, SESSION_START_METADATA_SLOT))
            or _slot_if_defined(tracker, DEALER_SLOT))
    dealer = dealer_of(code)
    at = next((i + 1 for i, event in enumerate(events) if isinstance(event, SessionStarted)), 0)
    return [*events[:at], SlotSet(DEALER_SLOT, dealer.code), SlotSet(DEALER_NAME_SLOT, dealer.name), *events[at:]]


def install() -> None:
    """Wrap Rasa's ActionSessionStart.run (idempotent)."""
    global rasa_session_start_run
    from rasa.core.actions.action import ActionSessionStart

    if rasa_session_start_run is None:
        rasa_session_start_run = ActionSessionStart.run
    ActionSessionStart.run = _session_start_run
