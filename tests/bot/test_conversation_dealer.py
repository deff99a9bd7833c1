"""Which dealer a conversation is for: set at its session start (bot/conversation_dealer.py)."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.actions.action import ActionSessionStart
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import conversation_dealer
from dealer.catalog import load_dealers


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load("domain.yml")


@pytest.fixture(autouse=True)
def installed():
    conversation_dealer.install()
    yield
    ActionSessionStart.run = conversation_dealer.rasa_session_start_run


def start_session(domain: Domain, tracker: DialogueStateTracker) -> list:
    events = asyncio.run(ActionSessionStart().run(None, None, tracker, domain))
    tracker.update_with_events(events, domain)
    return events


def new_tracker(domain: Domain, metadata: dict | None) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("c1", [], domain.slots)
    if metadata:
        tracker.update(SlotSet("session_started_metadata", metadata), domain)
    return tracker


def test_the_dealer_named_by_the_channel_survives_the_session_start(domain):
    tracker = new_tracker(domain, {"dealer": "pudong"})
    events = start_session(domain, tracker)

    assert isinstance(events[0], SessionStarted) and events[-1] == ActionExecuted("action_listen")
    assert tracker.get_slot("dealer") == "pudong"
    assert tracker.get_slot("dealer_name") == load_dealers()["pudong"].name


@pytest.mark.parametrize("metadata", [None, {"dealer": "nowhere"}, {"other": 1}])
def test_without_a_known_dealer_the_conversation_is_the_default_dealers(domain, metadata):
    tracker = new_tracker(domain, metadata)
    start_session(domain, tracker)

    default = next(iter(load_dealers().values()))
    assert (tracker.get_slot("dealer"), tracker.get_slot("dealer_name")) == (default.code, default.name)


def test_a_later_session_without_metadata_keeps_the_conversations_dealer(domain):
    tracker = new_tracker(domain, {"dealer": "pudong"})
    start_session(domain, tracker)
    tracker.update(UserUttered("您好"), domain)
    start_session(domain, tracker)  # e.g. the worker's trigger_intent days later

    assert tracker.get_slot("dealer") == "pudong"


def test_the_greeting_names_the_conversations_dealer(domain):
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator

    tracker = new_tracker(domain, {"dealer": "pudong"})
    start_session(domain, tracker)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    greeting = asyncio.run(nlg.generate("utter_greet", tracker, "rest"))

    assert greeting["text"].startswith(f"您好,{load_dealers()['pudong'].name},")
