"""Copies of a tracker made from its state instead of a replay of all its events (issue 14).

Rasa makes a new tracker by replaying every event of the one it has: before each action
(``DialogueStateTracker.copy``, in the processor and the form's activation) and for the
form's validation and next question (``FormAction._temporary_tracker``: the events since
the last restart and the form's own, on the domain's slots): four replays of a booking's
~80 events per turn against two of a greeting conversation's ~20.

A tracker's state is by construction what a replay of its events gives: every change of it
is an event applied by ``update`` (``DialogueStateTracker``: "MUST be re-creatable by
processing all the events"; bot/tracker_cache.py verifies the trackers it keeps against a
replay of their stored rows). So the copy is that state copied: the events, a copy of each
slot, of the latest action and of the active loop; the latest message and bot utterance
are the same event objects a replay sets (a new empty one where no event set them), and
the model id, assistant id and source are unset as on a replayed tracker, and the followup
action is the one the events leave (the processor clears it without an event when it runs
it; a replay sets it again). Where it cannot
say so cheaply — a Restarted event (the temporary tracker replays only what follows it), a
revert since the last action, a bounded history, a subclass, an attribute it does not
know, slots of another domain — Rasa's replay is used. ``BOT_VERIFY_TRACKERS=1`` (the test suite's) compares every copy
with Rasa's replay and raises ``TrackerCopyMismatch`` if anything differs.
"""
from __future__ import annotations

import copy
import dataclasses
from collections import deque
from typing import Any

from bot.tracker_cache import differences, verifying

# The attributes of a DialogueStateTracker (Rasa 3.6 __init__), and ours that a copy drops.
_RASAS = frozenset({"_max_event_history", "events", "sender_id", "slots", "sender_source", "is_rule_tracker",
                    "_paused", "followup_action", "latest_action", "latest_message", "latest_bot_utterance",
                    "active_loop", "model_id", "assistant_id"})
_OURS_PREFIX = ("_speedups", "_stored_texts")
MISMATCH = "differs from Rasa's replay"

rasa_copy: Any = None
rasa_temporary_tracker: Any = None


class TrackerCopyMismatch(AssertionError):
    """A copy made from the state differs from Rasa's replay (verification mode)."""


def _copyable(tracker: Any) -> bool:
    from rasa.shared.core.events import Restarted
    from rasa.shared.core.trackers import DialogueStateTracker

    if type(tracker) is not DialogueStateTracker or tracker._max_event_history is not None:
        return False
    if not isinstance(tracker.slots, dict) or type(tracker.slots) is not dict:
        return False  # AnySlotDict: a tracker made without slots
    if any(name not in _RASAS and not name.startswith(_OURS_PREFIX) for name in vars(tracker)):
        return False
    return not any(isinstance(event, Restarted) for event in tracker.events) and _followup(tracker.events) is not _UNKNOWN


_UNKNOWN = object()


def _followup(events: Any) -> Any:
    """The followup action a replay of ``events`` leaves. Not the tracker's own: the
    processor clears it directly when it runs it (``_predict_next_with_tracker``), the
    one change of a tracker that is no event, and a replay sets it again. ``_UNKNOWN``
    after a revert (the replay of the events left), which Rasa's replay works out."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import (ActionExecuted, ActionReverted, FollowupAction, SessionStarted,
                                         UserUttered, UserUtteranceReverted)

    for event in reversed(events):
        if isinstance(event, (UserUttered, ActionExecuted)):
            return None
        if isinstance(event, FollowupAction):
            return event.action_name
        if isinstance(event, SessionStarted):
            return ACTION_LISTEN_NAME
        if isinstance(event, (ActionReverted, UserUtteranceReverted)):
            return _UNKNOWN
    return ACTION_LISTEN_NAME  # as a new tracker has it


def copy_of(tracker: Any, sender_id: str, is_rule_tracker: bool) -> Any:
    """A new tracker with ``tracker``'s state, as a replay of its events gives it."""
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    new = object.__new__(DialogueStateTracker)
    events = tracker.events
    state = new.__dict__
    state["_max_event_history"] = None
    state["events"] = deque(events)
    state["sender_id"] = sender_id
    state["slots"] = {name: copy.copy(slot) for name, slot in tracker.slots.items()}
    state["sender_source"] = None
    state["is_rule_tracker"] = is_rule_tracker
    state["_paused"] = tracker._paused
    state["followup_action"] = _followup(events)
    latest_action = tracker.latest_action
    state["latest_action"] = dict(latest_action) if type(latest_action) is dict else latest_action
    latest_message, latest_bot = tracker.latest_message, tracker.latest_bot_utterance
    # The empty ones _reset() made (none in the events): a replay makes its own, and
    # applies to it what was applied to this one since (a featurization, entities added).
    state["latest_message"] = latest_message if _among(latest_message, events) else _placeholder(latest_message)
    state["latest_bot_utterance"] = latest_bot if _among(latest_bot, events) else BotUttered.empty()
    active_loop = tracker.active_loop
    state["active_loop"] = dataclasses.replace(active_loop) if active_loop is not None else None
    state["model_id"] = None
    state["assistant_id"] = None
    if _SLOTS_OF in tracker.__dict__:  # copies of the same slots
        state[_SLOTS_OF] = tracker.__dict__[_SLOTS_OF]
    return new


def _placeholder(message: Any) -> Any:
    from rasa.shared.core.events import UserUttered

    if message is None:
        return UserUttered.empty()
    made = copy.copy(message)
    made.entities = list(message.entities)
    return made


def _among(event: Any, events: Any) -> bool:
    return event is not None and any(candidate is event for candidate in reversed(events))


def _copy(self: Any) -> Any:
    """DialogueStateTracker.copy (Rasa: init_copy and a replay of every event)."""
    from rasa.shared.constants import DEFAULT_SENDER_ID

    if not _copyable(self):
        return rasa_copy(self)
    made = copy_of(self, self.sender_id or DEFAULT_SENDER_ID, self.is_rule_tracker)
    if verifying():
        _check(made, rasa_copy(self), "copy")
    return made


def _same_domain_slots(tracker: Any, domain: Any) -> bool:
    """Whether the tracker's slots are the domain's (names, kinds, initial values). Known
    once per tracker and domain: a tracker's slots are made with it and never replaced."""
    if tracker.__dict__.get(_SLOTS_OF) is domain:
        return True
    slots = tracker.slots
    same = len(slots) == len(domain.slots) and all(
        type(slots.get(slot.name)) is type(slot) and slots[slot.name].initial_value == slot.initial_value
        for slot in domain.slots)
    if same:
        tracker.__dict__[_SLOTS_OF] = domain
    return same


_SLOTS_OF = "_speedups_slots_of"  # on a tracker: the domain its slots were found to be


def _temporary_tracker(self: Any, current_tracker: Any, additional_events: list, domain: Any) -> Any:
    """FormAction._temporary_tracker (Rasa: a replay, on the domain's slots, of the events
    since the last restart, then the requested slot, the form's execution and the new ones)."""
    from rasa.shared.core.constants import REQUESTED_SLOT
    from rasa.shared.core.events import ActionExecuted, SlotSet

    if not _copyable(current_tracker) or not _same_domain_slots(current_tracker, domain):
        return rasa_temporary_tracker(self, current_tracker, additional_events, domain)
    made = copy_of(current_tracker, current_tracker.sender_id, False)
    added = [SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)), ActionExecuted(self.name()),
             *additional_events]
    for event in added:
        made.update(event)
    if verifying():  # Rasa's own replay, of the very same event objects
        from rasa.shared.core.trackers import DialogueStateTracker

        replayed = DialogueStateTracker.from_events(
            current_tracker.sender_id, current_tracker.events_after_latest_restart() + added, slots=domain.slots)
        _check(made, replayed, "temporary tracker")
    return made


def _check(made: Any, replayed: Any, what: str) -> None:
    found = differences(made, replayed, None)
    if len(made.events) != len(replayed.events):
        found.append("event count")
    if found:
        raise TrackerCopyMismatch(f"{what} {MISMATCH} in: {', '.join(found)}")


def install() -> None:
    global rasa_copy, rasa_temporary_tracker
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.trackers import DialogueStateTracker

    if rasa_copy is None:
        rasa_copy = DialogueStateTracker.copy
        rasa_temporary_tracker = FormAction._temporary_tracker
    DialogueStateTracker.copy = _copy
    FormAction._temporary_tracker = _temporary_tracker


def uninstall() -> None:
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.trackers import DialogueStateTracker

    if rasa_copy is not None:
        DialogueStateTracker.copy = rasa_copy
        FormAction._temporary_tracker = rasa_temporary_tracker
