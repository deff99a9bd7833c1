"""The faster action-response check accepts and refuses exactly what Rasa's own does."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import bot.components  # noqa: F401  (installs the check, as loading the model does)
from bot import speedups

ACTION = RemoteAction("action_submit_booking", None)
VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "phone", "value": "13812345678"}], "responses": [{"text": "好的"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_listen"}]},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"name": "phone"}]},
    {"responses": "oops"},
]


def test_the_check_is_installed() -> None:
    assert RemoteAction._validate_action_result is speedups._validate_action_result
    assert speedups.rasa_check is not speedups._validate_action_result


@pytest.mark.parametrize("result", VALID)
def test_valid_responses_pass(result: dict) -> None:
    assert speedups._validate_action_result(ACTION, result) is True
    assert speedups.rasa_check(ACTION, result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_responses_are_refused_as_rasa_does(result: dict) -> None:
    with pytest.raises(ValidationError) as ours:
        speedups._validate_action_result(ACTION, result)
    with pytest.raises(ValidationError) as theirs:
        speedups.rasa_check(ACTION, result)
    assert ours.value.message == theirs.value.message
    assert "Failed to validate Action server response" in ours.value.message


MORE_VALID = [
    {"events": [{"event": "bot", "text": "好的", "data": {"buttons": []}, "metadata": {}},
                {"event": "user", "text": "对", "parse_data": {"intent": {"name": "affirm", "confidence": 1.0},
                                                               "entities": []}},
                {"event": "action", "name": "booking_form", "policy": None, "confidence": 1.0},
                {"event": "reset_slots"}, {"event": "restart"}, {"event": "rewind"}, {"event": "undo"},
                {"event": "session_started"}, {"event": "pause"}, {"event": "resume"},
                {"event": "reminder", "intent": "x", "date_time": "2030-01-01T10:00:00"},
                {"event": "cancel_reminder", "name": "r"}, {"event": "export"},
                {"event": "loop_interrupted", "is_interrupted": True},
                {"event": "action_execution_rejected", "name": "booking_form"},
                {"event": "entities", "entities": []}, {"event": "user_featurization", "use_text_for_featurization": False},
                {"event": "slot", "name": "x", "value": None, "timestamp": None}],
     "responses": [{"text": "好的", "buttons": []}]},
]
MORE_INVALID = [
    {"events": [{"event": "slot", "name": 5}]},
    {"events": [{"event": "user", "text": "对", "parse_data": {"intent": "affirm"}}]},
    {"events": [{"event": "slot", "name": "x", "timestamp": "noon"}]},
    {"events": [{"event": "followup", "name": "action_listen"}, "not an event"]},
    {"events": [{"event": 3}]},
    ["not", "an", "object"],
]


def rasa_accepts(result) -> bool:
    try:
        return speedups.rasa_check(ACTION, result)
    except ValidationError:
        return False


# Cases at the edge of the schemas: whatever Rasa decides, the check by type decides alike.
EDGES = [{"events": [{"event": "bot", "text": 7}]}, {"events": [{"event": "slot"}]},
         {"events": [{"event": "user", "text": None, "extra": 1}]}, {"events": [], "extra": True},
         {"events": [{"event": "action", "name": None}]}, {"events": [{"event": "active_loop", "name": 3}]}]


@pytest.mark.parametrize("result", EDGES)
def test_the_check_by_type_decides_edge_cases_as_rasa_does(result) -> None:
    assert speedups._valid_by_event_type(result) is rasa_accepts(result)


@pytest.mark.parametrize("result", MORE_VALID + VALID)
def test_checking_each_event_by_its_type_accepts_what_rasa_accepts(result) -> None:
    assert speedups._valid_by_event_type(result) is True
    assert speedups.rasa_check(ACTION, result) is True


@pytest.mark.parametrize("result", MORE_INVALID + INVALID)
def test_checking_each_event_by_its_type_refuses_what_rasa_refuses(result) -> None:
    assert speedups._valid_by_event_type(result) is False
    with pytest.raises(ValidationError) as ours:
        speedups._validate_action_result(ACTION, result)
    with pytest.raises(ValidationError) as theirs:
        speedups.rasa_check(ACTION, result)
    assert ours.value.message == theirs.value.message


def test_event_types_resolve_as_rasa_resolves_them() -> None:
    from rasa.shared.core.events import Event, SlotSet
    from rasa.shared.utils.common import all_subclasses

    assert Event.resolve_by_type is speedups._resolve_by_type
    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is speedups.rasa_resolve_by_type(cls.type_name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_the_sql_tracker_store_reads_back_what_rasas_own_read_does(tmp_path) -> None:
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load("domain.yml")
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    first = [SessionStarted(timestamp=1.0), ActionExecuted("action_listen", timestamp=2.0),
             UserUttered("您好", {"name": "greet", "confidence": 1.0}, timestamp=3.0),
             BotUttered("您好", timestamp=4.0)]
    second = [SessionStarted(timestamp=10.0), SlotSet("dealer", "pudong", timestamp=11.0),
              ActionExecuted("action_listen", timestamp=12.0), UserUttered("预约", timestamp=13.0)]
    tracker = DialogueStateTracker.from_events("c1", first + second, domain.slots)
    asyncio.run(store.save(tracker))

    for all_sessions in (False, True):
        ours = asyncio.run(speedups._sql_retrieve(store, "c1", all_sessions))
        theirs = asyncio.run(speedups.rasa_sql_retrieve(store, "c1", all_sessions))
        assert ours.current_state() == theirs.current_state()
        assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in theirs.events]
        assert len(ours.events) == (8 if all_sessions else 4)
    assert asyncio.run(speedups._sql_retrieve(store, "nobody", False)) is None

    latest = asyncio.run(store.retrieve("c1"))  # the latest session, as the processor has it
    latest.update(SlotSet("customer_name", "王先生", timestamp=14.0))
    with store.session_scope() as session:
        ours = list(speedups._sql_additional_events(store, session, latest))
        theirs = list(speedups.rasa_sql_additional_events(store, session, latest))
    assert ours == theirs and [e.as_dict() for e in ours] == [latest.events[-1].as_dict()]


@pytest.mark.parametrize(("action_name", "selective", "gets_domain"), [
    ("validate_booking_form", True, True), ("action_submit_booking", True, False),
    ("action_submit_booking", False, True),
])
def test_the_action_call_body_is_rasas_own(action_name, selective, gets_domain) -> None:
    import json

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    domain = Domain.load("domain.yml")
    tracker = DialogueStateTracker.from_events("c1", [
        ActionExecuted("action_listen"), UserUttered("我想预约 京A/12345", {"name": "book_service", "confidence": 1.0}),
        SlotSet("dealer", "pudong"), SlotSet("customer_name", "王先生")], domain.slots)
    action = RemoteAction(action_name, EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=selective))

    ours = json.loads(speedups.json_dumps(speedups._action_call_format(action, tracker, domain)))
    theirs = json.loads(json.dumps(speedups.rasa_action_call_format(action, tracker, domain)))
    assert ours == theirs
    assert ("domain" in ours) is gets_domain


def test_action_calls_are_written_by_the_faster_encoder() -> None:
    import asyncio

    from rasa.utils.endpoints import EndpointConfig

    async def session_encoder():
        async with EndpointConfig("http://127.0.0.1:1/webhook").session() as session:
            return session.json_serialize

    assert asyncio.run(session_encoder()) is speedups.json_dumps


def test_applied_events_follow_every_change_of_the_tracker() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (ActionExecuted, ActiveLoop, SessionStarted, SlotSet, UserUttered,
                                         UserUtteranceReverted)
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load("domain.yml")
    tracker = DialogueStateTracker.from_events("c1", [], domain.slots)
    steps = [SessionStarted(), ActionExecuted("action_listen"), UserUttered("我想预约"),
             ActionExecuted("booking_form"), ActiveLoop("booking_form"), SlotSet("requested_slot", "phone"),
             ActionExecuted("action_listen"), UserUttered("138"), ActionExecuted("booking_form"),
             SlotSet("phone", None), ActionExecuted("action_listen"), UserUttered("随便"),
             UserUtteranceReverted(), ActionExecuted("action_listen"), UserUttered("13812345678"),
             ActionExecuted("booking_form"), ActiveLoop(None), ActionExecuted("action_listen")]
    for event in steps:
        tracker.update(event, domain)
        assert tracker.applied_events() == speedups.rasa_applied_events(tracker)
        assert tracker.applied_events() == speedups.rasa_applied_events(tracker)  # the kept one
    mine = tracker.applied_events()
    mine.clear()  # a caller's list is its own
    assert tracker.applied_events() == speedups.rasa_applied_events(tracker) != []
    copied = tracker.copy()
    copied.update(SlotSet("plate", "沪A12345"), domain)
    assert copied.applied_events() == speedups.rasa_applied_events(copied) != tracker.applied_events()


def test_unique_entity_mappings_are_rasas_for_every_form() -> None:
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.domain import Domain

    domain = Domain.load("domain.yml")
    for form in domain.form_names:
        action = FormAction(form, None)
        assert action._create_unique_entity_mappings(domain) == speedups.rasa_unique_entity_mappings(action, domain)
        assert FormAction(form, None)._create_unique_entity_mappings(domain) == \
            speedups.rasa_unique_entity_mappings(action, domain)
