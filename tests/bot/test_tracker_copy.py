"""Copies of a tracker made from its state (bot/tracker_copy.py) are what Rasa's replay of
its events makes, and Rasa's replay is used where that cannot be said cheaply."""
from __future__ import annotations

import random

import pytest
from rasa.core.actions.forms import FormAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActionReverted, ActiveLoop,
                                     AllSlotsReset, BotUttered, ConversationPaused, ConversationResumed,
                                     DefinePrevUserUtteredFeaturization, EntitiesAdded, FollowupAction,
                                     LoopInterrupted, Restarted, SessionStarted, SlotSet, UserUttered,
                                     UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

import bot.components  # noqa: F401  (installs the speedups, as loading the model does)
from bot import tracker_copy
from bot.tracker_cache import differences

DOMAIN = Domain.load("domain.yml")
FORM = FormAction("booking_form", None)
SLOTS = ["customer_name", "phone", "plate", "mileage", "requested_slot", "pending_complaints", "booking_confirmed"]


def random_events(rng: random.Random, count: int, with_restart: bool) -> list:
    makers = [
        lambda: ActionExecuted("action_listen"),
        lambda: UserUttered(rng.choice(["预约", "对", "王先生"]), {"name": rng.choice(["inform", "affirm"]),
                                                                    "confidence": 0.9},
                            [{"entity": "plate", "value": "沪A12345"}] if rng.random() < 0.3 else []),
        lambda: ActionExecuted(rng.choice(["booking_form", "utter_greet", "action_submit_booking"])),
        lambda: ActiveLoop(rng.choice(["booking_form", None])),
        lambda: SlotSet(rng.choice(SLOTS), rng.choice(["王", "13812345678", None, ["异响"], True])),
        lambda: BotUttered("好的", {"buttons": [{"title": "是", "payload": "/affirm"}]}),
        lambda: DefinePrevUserUtteredFeaturization(rng.random() < 0.5),
        lambda: ActionExecutionRejected("booking_form"),
        lambda: LoopInterrupted(rng.random() < 0.5),
        lambda: UserUtteranceReverted(), lambda: ActionReverted(),
        lambda: FollowupAction("utter_greet"), lambda: ConversationPaused(), lambda: ConversationResumed(),
        lambda: AllSlotsReset(), lambda: EntitiesAdded([{"entity": "phone", "value": "13812345678"}]),
        lambda: SessionStarted(), lambda: Restarted(),
    ]
    weights = [6, 6, 4, 2, 6, 3, 2, 1, 1, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.5, 0.3, 0.3 if with_restart else 0]
    return [rng.choices(makers, weights)[0]() for _ in range(count)]


def tracker_of(events: list) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("c1", [], DOMAIN.slots)
    for event in events:
        tracker.update(event, DOMAIN)
    return tracker


@pytest.mark.parametrize("seed", range(30))
def test_copies_are_rasas_replay_at_every_step_of_random_conversations(seed, monkeypatch) -> None:
    monkeypatch.delenv("BOT_VERIFY_TRACKERS", raising=False)  # compared here, not inside
    rng = random.Random(seed)
    tracker = DialogueStateTracker.from_events("c1", [], DOMAIN.slots)
    tracker.model_id = "m1"  # as the processor sets them: a copy has neither
    tracker.assistant_id = "a1"
    for step, event in enumerate(random_events(rng, 150, with_restart=False)):
        tracker.update(event, DOMAIN)
        if rng.random() < 0.2:
            tracker.clear_followup_action()  # as the processor does when it runs the followup action
        if step % 7:
            continue
        ours, theirs = tracker.copy(), tracker_copy.rasa_copy(tracker)
        assert differences(ours, theirs, DOMAIN) == [], step
        assert (ours.model_id, ours.assistant_id) == (None, None)
        assert ours.events is not tracker.events and list(ours.events) == list(tracker.events)
        extra = [SlotSet("phone", "13900000000"), ActionExecuted("booking_form")]
        made = tracker_copy._temporary_tracker(FORM, tracker, extra, DOMAIN)
        replayed = DialogueStateTracker.from_events(
            "c1", tracker.events_after_latest_restart() + [made.events[-len(extra) - 2], made.events[-len(extra) - 1],
                                                           *extra], slots=DOMAIN.slots)
        assert differences(made, replayed, DOMAIN) == [], step


def test_a_followup_action_the_processor_took_is_set_again_in_a_copy_as_a_replay_sets_it() -> None:
    tracker = tracker_of([ActionExecuted("action_listen"), UserUttered("好的", {"name": "affirm"}),
                          ActionExecuted("action_handle_affirm"), FollowupAction("booking_form")])
    tracker.clear_followup_action()  # MessageProcessor._predict_next_with_tracker, no event
    assert tracker.followup_action is None
    assert tracker.copy().followup_action == "booking_form" == tracker_copy.rasa_copy(tracker).followup_action


def test_a_copy_changed_leaves_the_original_as_it_was() -> None:
    tracker = tracker_of([ActionExecuted("action_listen"), UserUttered("预约", {"name": "book_service"}),
                          ActionExecuted("booking_form"), ActiveLoop("booking_form"), SlotSet("phone", "138")])
    before = tracker.current_state()
    copied = tracker.copy()
    copied.update(SlotSet("phone", "139"), DOMAIN)
    copied.update(ActionExecuted("utter_greet"), DOMAIN)
    copied.update(LoopInterrupted(True), DOMAIN)
    assert tracker.current_state() == before and tracker.get_slot("phone") == "138"
    assert tracker.active_loop.is_interrupted is False and copied.active_loop.is_interrupted is True


@pytest.mark.parametrize("why", ["restart", "revert", "bounded", "subclass", "unknown attribute", "no slots"])
def test_rasas_replay_is_used_where_a_copy_cannot_be_vouched_for(why, monkeypatch) -> None:
    events = [ActionExecuted("action_listen"), UserUttered("预约", {"name": "book_service"}), SlotSet("phone", "138")]
    if why == "restart":
        tracker = tracker_of([SlotSet("plate", "沪A1"), Restarted(), *events])
    elif why == "revert":
        tracker = tracker_of([*events, ActionExecuted("action_default_fallback"), UserUtteranceReverted()])
    elif why == "bounded":
        tracker = DialogueStateTracker.from_events("c1", events, DOMAIN.slots, max_event_history=2)
    elif why == "subclass":
        tracker = type("Own", (DialogueStateTracker,), {}).from_events("c1", events, DOMAIN.slots)
    elif why == "unknown attribute":
        tracker = tracker_of(events)
        tracker.something_else = 1
    else:
        tracker = DialogueStateTracker.from_events("c1", events, None)
    calls = []
    monkeypatch.setattr(tracker_copy, "rasa_copy", lambda t: calls.append(t) or "rasa's")
    monkeypatch.setattr(tracker_copy, "rasa_temporary_tracker", lambda *args: calls.append(args) or "rasa's")
    assert tracker.copy() == "rasa's"
    assert tracker_copy._temporary_tracker(FORM, tracker, [], DOMAIN) == "rasa's"
    assert len(calls) == 2


def test_a_temporary_tracker_on_another_domains_slots_is_rasas_replay(monkeypatch) -> None:
    other = Domain.from_dict({"slots": {"phone": {"type": "text", "initial_value": "000",
                                                  "mappings": [{"type": "custom"}]}}})
    tracker = tracker_of([ActionExecuted("action_listen"), SlotSet("phone", "138")])
    assert tracker_copy._same_domain_slots(tracker, DOMAIN)  # known from now on, for its copies too
    assert tracker_copy._same_domain_slots(tracker.copy(), DOMAIN)
    monkeypatch.setattr(tracker_copy, "rasa_temporary_tracker", lambda *args: "rasa's")
    assert tracker_copy._temporary_tracker(FORM, tracker, [], other) == "rasa's"
    assert tracker_copy._temporary_tracker(FORM, tracker.copy(), [], other) == "rasa's"


def test_verification_refuses_a_tracker_changed_without_an_event(monkeypatch) -> None:
    monkeypatch.setenv("BOT_VERIFY_TRACKERS", "1")
    tracker = tracker_of([ActionExecuted("action_listen"), SlotSet("phone", "138")])
    tracker.copy()  # as it is: passes
    tracker.latest_action = {"action_name": "utter_greet"}  # nothing in the events says so
    with pytest.raises(tracker_copy.TrackerCopyMismatch, match="differs from Rasa's replay"):
        tracker.copy()


def test_switched_off_copies_are_rasas_again() -> None:
    from bot import speedups

    try:
        speedups._switch_off("tracker_copy")
        assert DialogueStateTracker.copy is tracker_copy.rasa_copy
        assert FormAction._temporary_tracker is tracker_copy.rasa_temporary_tracker
    finally:
        speedups.install()
    assert DialogueStateTracker.copy is tracker_copy._copy
    assert FormAction._temporary_tracker is tracker_copy._temporary_tracker
