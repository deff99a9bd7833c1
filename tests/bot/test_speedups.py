"""The faster action-response check accepts and refuses exactly what Rasa's own does."""
from __future__ import annotations

import asyncio
import json

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


def _stored_rows(store) -> list[tuple]:
    import sqlalchemy as sa

    table = store.SQLEvent.__table__
    with store.session_scope() as session:
        return [tuple(row) for row in session.execute(sa.select(table).order_by(table.c.id))]


def test_the_sql_tracker_store_saves_the_rows_rasas_own_save_does(tmp_path) -> None:
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet,
                                         UserUttered)
    from rasa.shared.core.trackers import DialogueStateTracker

    assert SQLTrackerStore.save is speedups._sql_save
    domain = Domain.load("domain.yml")
    ours = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "ours.db"))
    theirs = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "theirs.db"))
    turns = [
        [SessionStarted(timestamp=1.0), ActionExecuted("action_listen", timestamp=2.0),
         UserUttered("您好", {"name": "greet", "confidence": 0.98}, [], timestamp=3.0),
         ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0, timestamp=4.0),
         BotUttered("您好!", {"buttons": [{"title": "预约", "payload": "/book"}]}, {"utter_action": "utter_greet"},
                    timestamp=5.0)],
        [],  # nothing new: no rows
        [ActionExecuted("action_listen", timestamp=6.0),
         UserUttered("我想预约 京A/12345 \"保养\"", {"name": "book_service", "confidence": 0.9},
                     [{"entity": "plate", "value": "京A/12345", "start": 5, "end": 13}], timestamp=7.0),
         ActionExecuted("booking_form", timestamp=8.0), ActiveLoop("booking_form", timestamp=9.0),
         SlotSet("plate", "京A/12345", timestamp=10.0), SlotSet("mileage", 12000.5, timestamp=11.0),
         SlotSet("requested_slot", None, timestamp=12.0), UserUttered(None, timestamp=13.0)],
        [SessionStarted(timestamp=20.0), ActionExecuted("action_listen", timestamp=21.0)],  # a new session
    ]
    for sender in ("c1", "c2"):
        tracker = DialogueStateTracker.from_events(sender, [], domain.slots)
        for events in turns:
            for event in events:
                tracker.update(event, domain)
            asyncio.run(speedups._sql_save(ours, tracker))
            asyncio.run(speedups.rasa_sql_save(theirs, tracker))
            assert _stored_rows(ours) == _stored_rows(theirs)
    rows = _stored_rows(ours)
    assert len(rows) == 2 * 15 and rows[0][0] == 1 and rows[-1][0] == 30
    assert [row[2] for row in rows[:3]] == ["session_started", "action", "user"]
    assert rows[2][4] == "greet" and rows[3][5] == "utter_greet"
    for sender in ("c1", "c2"):
        assert [e.as_dict() for e in asyncio.run(ours.retrieve(sender)).events] == \
            [e.as_dict() for e in asyncio.run(theirs.retrieve(sender)).events]


@pytest.mark.parametrize("text", [
    '{"event": "user", "timestamp": 1796459204.123456, "text": "我的车牌是京A/12345 \\"保养\\"", '
    '"parse_data": {"intent": {"name": "inform", "confidence": 0.30000000000000004}, "entities": []}}',
    '{"event": "slot", "name": "mileage", "value": 1e400}', '{"value": NaN}', '{"value": -Infinity}',
    '{"value": 123456789012345678901234567890}', '{"a": 1, "a": 2}', '"\\ud800"', '[5e-324, -0.0, 1E5]',
    '{"text": "\\u00e9\\n\\t\\u4f60"}',
])
def test_stored_events_are_read_as_json_reads_them(text) -> None:
    import json
    import math

    ours, theirs = speedups._json_loads(text), json.loads(text)
    assert json.dumps(ours) == json.dumps(theirs)
    assert repr(ours) == repr(theirs) or math.isnan(ours["value"])


@pytest.mark.parametrize("text", ['{"a": ', "", "[1,]", None, b"\xff"])
def test_stored_events_that_json_refuses_are_refused_alike(text) -> None:
    import json

    with pytest.raises(Exception) as theirs:
        json.loads(text)
    with pytest.raises(Exception) as ours:
        speedups._json_loads(text)
    assert type(ours.value) is type(theirs.value)


def test_the_heap_is_frozen_once_per_model_before_its_first_message() -> None:
    import asyncio
    import gc

    from rasa.core.agent import Agent

    assert Agent.handle_message is speedups._agent_handle_message
    handled = []

    class Processor:
        async def handle_message(self, message):
            handled.append(message)
            return [{"text": "ok"}]

    class FakeAgent:
        lock_store = Agent(lock_store=None).lock_store
        processor = Processor()

        def is_ready(self):
            return True

    class Message:
        sender_id = "c1"

    agent = FakeAgent()
    try:
        before = gc.get_freeze_count()
        assert asyncio.run(speedups._agent_handle_message(agent, Message())) == [{"text": "ok"}]
        frozen = gc.get_freeze_count()
        assert frozen > 0 and speedups._heap_frozen_for() is agent.processor
        garbage = [object() for _ in range(1000)]
        asyncio.run(speedups._agent_handle_message(agent, Message()))  # the same model: nothing done
        assert gc.get_freeze_count() == frozen
        agent.processor = Processor()  # a new model: unfrozen, collected, frozen again
        asyncio.run(speedups._agent_handle_message(agent, Message()))
        assert speedups._heap_frozen_for() is agent.processor and len(handled) == 3
        del garbage, before
    finally:
        gc.unfreeze()
        speedups._heap_frozen_for = None


def test_action_calls_over_a_kept_alive_session_get_what_rasas_own_calls_get() -> None:
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    seen = []

    async def webhook(request):
        seen.append((request.method, request.path_qs, request.headers.get("Authorization"),
                     request.headers.get("Content-Type"), request.headers.get("Cookie"), await request.text()))
        if request.query.get("fail"):
            return web.Response(status=404, text="没有这个动作")
        if request.query.get("text"):
            return web.Response(text="plain")
        response = web.json_response({"events": [{"event": "slot", "name": "plate", "value": "京A12345"}]})
        response.set_cookie("session", "abc")  # neither call sends it back
        return response

    async def calls():
        app = web.Application()
        app.router.add_route("*", "/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", params={"a": "1"},
                                  headers={"Authorization": "Bearer s"}, token="t")
        results = []
        try:
            for request in (speedups._endpoint_request, speedups.rasa_endpoint_request):
                got = []
                for kwargs in ({"json": {"next_action": "x", "text": "你好"}},
                               {"json": {"next_action": "y"}, "params": {"text": "1"}},
                               {"method": "get", "subpath": "", "content_type": None}):
                    got.append(await request(endpoint, **{"method": "post", **kwargs}))
                with pytest.raises(ClientResponseError) as error:
                    await request(endpoint, json={}, params={"fail": "1"})
                got.append((error.value.status, error.value.message, error.value.text))
                results.append(got)
            session = speedups._shared_session(endpoint)
            assert session is speedups._shared_session(endpoint) and not session.closed
            other = EndpointConfig(endpoint.url, headers={"Authorization": "Bearer other"})
            assert speedups._shared_session(other) is not session
        finally:
            await speedups.close_shared_sessions()
            await runner.cleanup()
        return results

    ours, theirs = asyncio.run(calls())
    assert ours == theirs
    assert ours[0] == {"events": [{"event": "slot", "name": "plate", "value": "京A12345"}]}
    assert ours[1] is None and ours[3][0] == 404
    assert seen[:4] == seen[4:]  # the same requests, no cookie sent back
    assert seen[0][1] == "/webhook?a=1&token=t" and seen[0][2] == "Bearer s" and seen[0][4] is None
    asyncio.run(calls())  # another event loop: a new session, and it works


def _rasa_copy(value):
    import copy

    return copy._reconstruct(value, None, *value.__reduce_ex__(4))  # copy.copy without __copy__


def test_slots_are_copied_as_copy_copied_them() -> None:
    import copy

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.slots import Slot, TextSlot

    domain = Domain.load("domain.yml")
    assert Slot.__copy__ is speedups._slot_copy and len(domain.slots) > 40
    for slot in domain.slots:
        slot.value = ["a"] if slot.type_name == "list" else "值"
        ours, theirs = copy.copy(slot), _rasa_copy(slot)
        assert type(ours) is type(theirs) is type(slot) and ours is not slot
        assert ours.__dict__ == theirs.__dict__ == slot.__dict__
        assert all(ours.__dict__[k] is slot.__dict__[k] for k in slot.__dict__)  # shallow, as copy.copy
        ours.value = None
        assert slot.value is not None
        slot.reset()

    class Odd(TextSlot):  # a slot class with its own state: copied copy's way
        def __getstate__(self):
            return {**self.__dict__, "copied": True}

    odd = Odd("odd", mappings=[])
    assert copy.copy(odd).__dict__ == _rasa_copy(odd).__dict__ and copy.copy(odd).copied is True


def test_trackers_created_with_the_faster_copy_are_rasas() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load("domain.yml")
    tracker = DialogueStateTracker.from_events("c1", [SlotSet("plate", "沪A12345")], domain.slots)
    assert tracker.current_state() == DialogueStateTracker.from_dict("c1", [e.as_dict() for e in tracker.events],
                                                                     domain.slots).current_state()
    assert all(tracker.slots[s.name] is not s for s in domain.slots)
    assert {n: (type(s), s.__dict__) for n, s in tracker.slots.items() if n != "plate"} == \
        {s.name: (type(s), _rasa_copy(s).__dict__) for s in domain.slots if s.name != "plate"}


def test_speedups_can_be_switched_off_for_measuring_and_on_again(monkeypatch) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import Event
    from rasa.shared.core.slots import Slot
    from rasa.utils.endpoints import EndpointConfig

    try:
        speedups._switch_off("save, slot_copy")
        assert SQLTrackerStore.save is speedups.rasa_sql_save and "__copy__" not in Slot.__dict__
        assert EndpointConfig.request is speedups._endpoint_request
        speedups._switch_off("all")
        assert EndpointConfig.request is speedups.rasa_endpoint_request
        assert Event.resolve_by_type("slot") is speedups.rasa_resolve_by_type("slot")
        monkeypatch.setenv("BOT_SPEEDUPS_OFF", "request")
        speedups.install()
        assert EndpointConfig.request is speedups.rasa_endpoint_request
        assert SQLTrackerStore.save is speedups._sql_save and Slot.__copy__ is speedups._slot_copy
    finally:
        monkeypatch.delenv("BOT_SPEEDUPS_OFF")
        speedups.install()
    assert EndpointConfig.request is speedups._endpoint_request


@pytest.mark.parametrize("seed", range(40))
def test_applied_events_kept_and_extended_are_rasas_for_random_conversations(seed) -> None:
    import random

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActionReverted, ActiveLoop,
                                         BotUttered, DefinePrevUserUtteredFeaturization, LoopInterrupted,
                                         Restarted, SessionStarted, SlotSet, UserUttered, UserUtteranceReverted)
    from rasa.shared.core.trackers import DialogueStateTracker

    assert DialogueStateTracker.applied_events is speedups._applied_events
    domain = Domain.load("domain.yml")
    rng = random.Random(seed)
    loops = ["booking_form", "other_form", "third_form"]
    makers = [
        lambda: ActionExecuted("action_listen"), lambda: UserUttered(rng.choice(["预约", "对", "不是"])),
        lambda: ActionExecuted(rng.choice(loops)), lambda: ActionExecuted(rng.choice(loops)),
        lambda: ActiveLoop(rng.choice(loops + [None])), lambda: ActiveLoop(None),
        lambda: ActionExecuted(rng.choice(["utter_greet", "action_submit_booking", "validate_booking_form"])),
        lambda: SlotSet("requested_slot", rng.choice(["phone", None])), lambda: BotUttered("好的"),
        lambda: DefinePrevUserUtteredFeaturization(rng.random() < 0.5), lambda: ActionExecutionRejected(rng.choice(loops)),
        lambda: LoopInterrupted(rng.random() < 0.5), lambda: UserUtteranceReverted(), lambda: ActionReverted(),
        lambda: Restarted(), lambda: SessionStarted(),
    ]
    weights = [6, 6, 4, 4, 2, 1, 3, 3, 3, 1, 1, 1, 1, 1, 0.3, 0.3]
    tracker = DialogueStateTracker.from_events("c1", [], domain.slots)
    for step in range(120):
        for _ in range(rng.choice([1, 1, 1, 2, 3, 5])):  # sometimes several events between reads
            tracker.update(rng.choices(makers, weights)[0](), domain)
        assert tracker.applied_events() == speedups.rasa_applied_events(tracker), step
        if step % 17 == 0:
            copied = tracker.copy()
            copied.update(ActionExecuted(rng.choice(loops)), domain)
            assert copied.applied_events() == speedups.rasa_applied_events(copied)
    bounded = DialogueStateTracker.from_events("c2", list(tracker.events)[:30], domain.slots, max_event_history=10)
    for event in list(tracker.events)[30:60]:
        bounded.update(event, domain)
        assert bounded.applied_events() == speedups.rasa_applied_events(bounded)


def test_the_kept_alive_connections_close_when_the_server_stops():
    """bot/rasa_server.py wraps Rasa's after_server_stop listener: the shared sessions go with it."""
    import rasa.core.run
    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa_server import _close_kept_alive_connections_on_stop

    rasa_close = rasa.core.run.close_resources
    try:
        _close_kept_alive_connections_on_stop()
        _close_kept_alive_connections_on_stop()  # idempotent: wrapped once
        assert rasa.core.run.close_resources.closes_kept_alive_connections

        async def stop():
            session = speedups._shared_session(EndpointConfig("http://127.0.0.1:9/webhook"))
            app = type("App", (), {"ctx": type("Ctx", (), {})()})()  # no agent: Rasa's part returns early
            await rasa.core.run.close_resources(app, asyncio.get_running_loop())
            return session

        session = asyncio.run(stop())
        assert session.closed and speedups._shared["sessions"] == {}
    finally:
        rasa.core.run.close_resources = rasa_close


# Third round (issue 14): each compared with Rasa's own path.

def test_every_slot_class_of_the_domain_is_copied_by_the_fast_path(monkeypatch) -> None:
    """ABC, a base of Slot, has an empty __slots__: it adds no slot, so the fast path
    applies (before, it made every slot go copy's generic way)."""
    import copy

    from rasa.shared.core.domain import Domain

    domain = Domain.load("domain.yml")
    assert {type(slot) for slot in domain.slots} and \
        all(speedups._copied_by_dict(type(slot)) for slot in domain.slots)
    expected = {slot.name: _rasa_copy(slot).__dict__ for slot in domain.slots}

    def no_generic_copy(*args, **kwargs):
        raise AssertionError("copied copy's generic way")

    monkeypatch.setattr(copy, "_reconstruct", no_generic_copy)
    copies = {slot.name: copy.copy(slot) for slot in domain.slots}
    assert {name: slot.__dict__ for name, slot in copies.items()} == expected
    assert all(type(copies[slot.name]) is type(slot) and copies[slot.name] is not slot for slot in domain.slots)

    class Slotted(type(domain.slots[0])):  # a class with a slot of its own: copy's generic way
        __slots__ = ("extra",)

    assert not speedups._copied_by_dict(Slotted)


def _tracker_rows(store, sender="c1") -> list:
    import asyncio

    tracker = asyncio.run(store.retrieve(sender))
    return [event.as_dict() for event in tracker.events] if tracker else None


def test_sqlite_tracker_store_connections_are_pooled_and_store_what_rasas_store(tmp_path) -> None:
    import asyncio
    import threading

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy.pool import NullPool, QueuePool

    assert SQLTrackerStore.session_scope is speedups._session_scope
    domain = Domain.load("domain.yml")
    ours = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "ours.db"))
    theirs = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "theirs.db"))
    theirs.engine._speedups_pooled = True  # Rasa's NullPool kept for this one
    tracker = DialogueStateTracker.from_events("c1", [SessionStarted(timestamp=1.0)], domain.slots)
    for step, event in enumerate([ActionExecuted("action_listen", timestamp=2.0),
                                  UserUttered("您好", {"name": "greet", "confidence": 1.0}, timestamp=3.0),
                                  SlotSet("plate", "沪A12345", timestamp=4.0)]):
        tracker.update(event)
        for store in (ours, theirs):
            asyncio.run(store.save(tracker))
        assert _stored_rows(ours) == _stored_rows(theirs) and _tracker_rows(ours) == _tracker_rows(theirs)
    assert type(ours.engine.pool) is QueuePool and type(theirs.engine.pool) is NullPool
    assert ours.engine.pool.checkedin() == 1  # one connection, used by every session since

    with ours.session_scope() as first, ours.session_scope() as second:  # never shared by two sessions
        assert first.connection().connection.dbapi_connection is not second.connection().connection.dbapi_connection
    seen = []
    worker = threading.Thread(target=lambda: seen.append(_tracker_rows(ours)))  # a pooled connection, another thread
    worker.start()
    worker.join()
    assert seen == [_tracker_rows(theirs)]

    other = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "ours.db"))  # another process's writes
    tracker.update(SlotSet("mileage", 12000, timestamp=5.0))
    asyncio.run(other.save(tracker))
    assert _tracker_rows(ours) == _tracker_rows(other) and len(_tracker_rows(ours)) == 5


def test_only_sqlite_file_stores_are_pooled() -> None:
    import sqlalchemy as sa
    from sqlalchemy.pool import SingletonThreadPool

    class Store:
        engine = sa.create_engine("sqlite://")  # in memory: SQLAlchemy's own pool, untouched

    speedups._pool_sqlite_connections(Store)
    assert type(Store.engine.pool) is SingletonThreadPool


def _booking_like_events() -> list:
    from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActiveLoop, BotUttered,
                                         DefinePrevUserUtteredFeaturization, SessionStarted, SlotSet, UserUttered)

    events = [SessionStarted(), ActionExecuted("action_listen"), UserUttered("我想预约"),
              ActionExecuted("booking_form"), ActiveLoop("booking_form"), SlotSet("requested_slot", "phone"),
              BotUttered("手机号?")]
    for turn in range(12):
        events += [ActionExecuted("action_listen"), UserUttered(f"答{turn}"),
                   DefinePrevUserUtteredFeaturization(False), ActionExecuted("booking_form")]
        events += [SlotSet(f"s{turn}_{i}", i) for i in range(5)] + [BotUttered("下一个?")]
        if turn == 6:
            events += [ActionExecutionRejected("booking_form"), ActionExecuted("utter_ask_continue")]
    return events + [ActiveLoop(None), SlotSet("requested_slot", None), ActionExecuted("action_submit_booking")]


def test_applied_events_folded_fast_are_rasas_for_every_prefix_of_a_long_form() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load("domain.yml")
    events = _booking_like_events()
    for end in range(len(events) + 1):
        tracker = DialogueStateTracker.from_events("c1", events[:end], domain.slots)
        ours = speedups._fast_fold(tracker.events, speedups._loop_names(tracker.events), [])
        assert ours == speedups.rasa_applied_events(tracker), end
        assert all(a is b for a, b in zip(ours, speedups.rasa_applied_events(tracker)))
        assert tracker.applied_events() == speedups.rasa_applied_events(tracker)


def test_a_tracker_class_with_its_own_fold_helpers_is_folded_with_them() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    calls = []

    class Tracker(DialogueStateTracker):
        def _first_loop_execution_or_unhappy_path(self, name, applied):
            calls.append(name)
            return True  # never undo a loop turn

    domain = Domain.load("domain.yml")
    tracker = Tracker.from_events("c1", _booking_like_events(), domain.slots)
    assert not speedups._rasa_fold_methods(Tracker) and speedups._rasa_fold_methods(DialogueStateTracker)
    assert tracker.applied_events() == speedups.rasa_applied_events(tracker) and calls
    assert len(tracker.applied_events()) > len(DialogueStateTracker.from_events(
        "c1", _booking_like_events(), domain.slots).applied_events())


def test_event_kinds_follow_isinstance_and_abc_registrations() -> None:
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

    class Later(Event):  # registered as a UserUttered after its kind was looked up
        type_name = "later_test_event"

        def as_story_string(self):
            return None

        def __eq__(self, other):
            return self is other

        def __hash__(self):
            return id(self)

    later = Later()
    kinds = speedups._event_kinds()
    assert speedups._kind(kinds, later) == 0 and speedups._kind(kinds, SlotSet("x", 1)) == 0
    assert speedups._kind(kinds, ActionExecuted("a")) == speedups._ACTION
    UserUttered.register(Later)
    assert isinstance(later, UserUttered) and speedups._kind(speedups._event_kinds(), later) == speedups._USER


def test_the_tracker_state_is_rasas_own_with_or_without_an_active_loop() -> None:
    import json

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, LoopInterrupted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    assert DialogueStateTracker.current_state is speedups._current_state
    domain = Domain.load("domain.yml")
    parse_data = {"intent": {"name": "book_service", "confidence": 0.9}, "text": "预约 沪A12345",
                  "entities": [{"entity": "plate", "value": "沪A12345", "start": 3, "end": 11, "extractor": "x"}],
                  "intent_ranking": [{"name": "book_service", "confidence": 0.9}, {"name": "greet", "confidence": 0.1}],
                  "metadata": {"nested": [1, 2.5, None, True, "文字", {"deep": [[], {}]}]}, "message_id": "m1"}
    tracker = DialogueStateTracker.from_events("c1", [
        ActionExecuted("action_listen"),
        UserUttered("预约 沪A12345", parse_data["intent"], parse_data["entities"], parse_data)], domain.slots)
    parse_data = tracker.latest_message.parse_data
    states = []
    for event in [ActionExecuted("booking_form"), ActiveLoop("booking_form"), SlotSet("plate", "沪A12345"),
                  LoopInterrupted(True), ActiveLoop(None)]:
        for verbosity in (None, EventVerbosity.ALL, EventVerbosity.AFTER_RESTART, EventVerbosity.APPLIED):
            args = () if verbosity is None else (verbosity,)
            ours, theirs = tracker.current_state(*args), speedups.rasa_current_state(tracker, *args)
            assert ours == theirs and json.dumps(ours) == json.dumps(theirs)
            assert list(ours) == list(theirs)
        states.append(ours)
        tracker.update(event, domain)
    loop = tracker.current_state()  # none now; the one kept from when it was active:
    assert loop["active_loop"] == {} and states[2]["active_loop"]["name"] == "booking_form"
    copied = states[2]["active_loop"]["trigger_message"]
    assert copied == parse_data and copied is not parse_data and copied["metadata"] is not parse_data["metadata"]
    assert copied["metadata"]["nested"] == [1, 2.5, None, True, "文字", {"deep": [[], {}]}]
    copied["metadata"]["nested"][5]["deep"].append("changed")  # a copy, as dataclasses.asdict makes
    assert parse_data["metadata"]["nested"][5]["deep"] == [[], {}]


def test_asdict_plain_copies_as_dataclasses_asdict_does() -> None:
    import dataclasses
    from collections import OrderedDict, namedtuple

    Point = namedtuple("Point", "x y")

    @dataclasses.dataclass
    class Inner:
        values: list

    @dataclasses.dataclass
    class Holder:
        value: object

    for value in [None, 1, 2.5, True, "字", [1, [2, {"a": (3, 4)}]], {"k": {"l": [None]}}, (1, [2]),
                  OrderedDict(a=1), Point(1, [2]), Inner([1, {"x": 2}]), {1: "int key"}, b"bytes", {"s": {1, 2}}]:
        ours = speedups._asdict_plain(value)
        theirs = dataclasses.asdict(Holder(value))["value"]
        assert ours == theirs and type(ours) is type(theirs)
        if isinstance(value, (dict, list)):
            assert ours is not value


def test_debug_log_copies_are_only_made_for_a_logged_line(monkeypatch) -> None:
    """Each module named uses the copy module only as copy.deepcopy(...) arguments of
    structlogger.debug(...); with the logger at INFO (Rasa's configuration) the value is
    passed as it is, at DEBUG a deep copy as before."""
    import ast
    import copy
    import importlib
    import inspect
    import logging

    import structlog

    for name in speedups.DEBUG_LOG_COPY_MODULES:
        module = importlib.import_module(name)
        assert isinstance(module.copy, speedups.DebugLogCopy)
        tree = ast.parse(inspect.getsource(module))
        debug_args = set()
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "debug"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "structlogger"):
                debug_args |= {id(arg) for arg in node.args} | {id(keyword.value) for keyword in node.keywords}
        uses = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "copy"]
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                 and isinstance(node.func.value, ast.Name) and node.func.value.id == "copy"]
        assert uses and len(calls) == len(uses)  # every use of the name is such a call
        assert not [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "copy"]
        assert all(call.func.attr == "deepcopy" and id(call) in debug_args for call in calls), name

    value = {"events": [{"event": "slot", "value": [1, 2]}]}
    module = importlib.import_module("rasa.core.processor")
    for level, passed_as_is in ((logging.INFO, True), (logging.DEBUG, False)):
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level),
                            cache_logger_on_first_use=False)
        monkeypatch.setattr(module, "structlogger", structlog.get_logger())
        try:
            copied = module.copy.deepcopy(value)
            assert (copied is value) is passed_as_is and copied == copy.deepcopy(value)
        finally:
            structlog.reset_defaults()
    assert module.copy.copy is copy.copy and module.copy.deepcopy(value) is not value  # structlog's defaults log


def test_the_third_rounds_speedups_can_be_switched_off_and_on_again(monkeypatch) -> None:
    import copy
    import importlib

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = importlib.import_module("rasa.core.processor")
    try:
        speedups._switch_off("sqlite_pool, current_state, fast_fold, log_copies, compiled_check")
        assert SQLTrackerStore.session_scope is speedups.rasa_session_scope
        assert DialogueStateTracker.current_state is speedups.rasa_current_state
        assert speedups._fast_fold_on is False and processor.copy is copy and speedups._compiled_check_on is False
        assert DialogueStateTracker.applied_events is speedups._applied_events  # the others stay
        monkeypatch.setenv("BOT_SPEEDUPS_OFF", "fast_fold")
        speedups.install()
        assert speedups._fast_fold_on is False and isinstance(processor.copy, speedups.DebugLogCopy)
        assert SQLTrackerStore.session_scope is speedups._session_scope
    finally:
        monkeypatch.delenv("BOT_SPEEDUPS_OFF")
        speedups.install()
    assert speedups._fast_fold_on is True and DialogueStateTracker.current_state is speedups._current_state
    assert speedups._compiled_check_on is True


def _random_json(rng, depth=0):
    atoms = [None, True, False, 0, 1, -3, 1.5, 2.0, float("inf"), "", "slot", "bot", "x", "文字"]
    roll = rng.random()
    if depth > 2 or roll < 0.6:
        return rng.choice(atoms)
    if roll < 0.8:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["a", "name", "value", "text", "event"]): _random_json(rng, depth + 1)
            for _ in range(rng.randint(0, 3))}


def _random_instance(rng, schema, depth=0):
    """Mostly of the schema's shape, often not quite."""
    if rng.random() < 0.15 or depth > 4:
        return _random_json(rng)
    if "const" in schema and rng.random() < 0.8:
        return schema["const"]
    kind = schema.get("type")
    kind = rng.choice(kind) if isinstance(kind, list) else kind
    if kind == "array" or ("items" in schema and kind is None):
        return [_random_instance(rng, schema.get("items", {}), depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == "object" or "properties" in schema:
        names = list(schema.get("properties", {})) + ["extra"]
        value = {name: _random_instance(rng, schema.get("properties", {}).get(name, {}), depth + 1)
                 for name in names if rng.random() < 0.75}
        return value
    return rng.choice({"string": ["", "x", "slot", 3], "number": [0, 1.5, -2, True, None, "1"],
                       "null": [None, 0, ""], "boolean": [True, False, 0, None]}.get(kind, [None, 1, "s", [], {}]))


@pytest.mark.parametrize("seed", range(4))
def test_compiled_response_checks_decide_as_jsonschema_does(seed) -> None:
    import inspect
    import random

    rng = random.Random(seed)
    skeleton, by_type = speedups._by_event_type()
    compiled_skeleton, compiled = speedups._checks_by_event_type()
    assert not inspect.ismethod(compiled_skeleton)
    assert [name for name, check in compiled.items() if inspect.ismethod(check)] == ["user"]  # it has a oneOf
    for name, validator in [("skeleton", skeleton)] + sorted(by_type.items()):
        check = compiled_skeleton if name == "skeleton" else compiled[name]
        verdicts = set()
        for _ in range(200):
            instance = _random_instance(rng, validator.schema)
            verdict = validator.is_valid(instance)
            assert check(instance) is verdict, (name, instance)
            verdicts.add(verdict)
        assert verdicts == {True, False}, name  # both kinds of instance were tried
    for _ in range(40):  # whole responses, through the check Rasa's RemoteAction calls
        events = [_random_instance(rng, by_type[rng.choice(sorted(by_type))].schema) for _ in range(rng.randint(0, 4))]
        result = {"events": [dict(event, event=rng.choice(sorted(by_type) + ["nope"])) if isinstance(event, dict)
                             and rng.random() < 0.5 else event for event in events],
                  "responses": [_random_json(rng) for _ in range(rng.randint(0, 2))]}
        if rng.random() < 0.3:
            result = _random_instance(rng, skeleton.schema)
        assert speedups._valid_by_event_type(result) is rasa_accepts(result), result


def test_the_compiler_leaves_what_it_does_not_know_to_jsonschema() -> None:
    from jsonschema import validators

    cls = validators.validator_for({})
    for schema in [{"oneOf": [{}]}, {"type": "integer"}, {"const": 3}, {"items": [{}]}, {"minimum": 1},
                   {"properties": {"a": {"pattern": "x"}}}, {"type": "nothing"}, True]:
        compiled = speedups._compiled_schema(schema, cls)
        assert compiled is None or all(compiled(value) is cls(schema).is_valid(value)
                                       for value in [None, 1, 1.0, True, "x", [], {}, {"a": "y"}, [{}]]), schema
    assert speedups._compiled_schema({"type": "integer"}, cls)(1.0) is True  # the checker's own: 1.0 is one


def test_stored_event_rows_are_fetched_as_sqlalchemys_scalars_fetch_them(tmp_path) -> None:
    import asyncio

    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load("domain.yml")
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    events = [SessionStarted(timestamp=1.0), ActionExecuted("action_listen", timestamp=2.0),
              UserUttered("我的车牌是京A/12345 \"保养\"", {"name": "inform", "confidence": 0.5}, timestamp=3.0)] + \
        [SlotSet(f"s{i}", "值" * i, timestamp=4.0 + i) for i in range(30)]
    asyncio.run(store.save(DialogueStateTracker.from_events("c1", events, domain.slots)))
    table = store.SQLEvent.__table__
    statements = [speedups._events_statement(table, "data", False), speedups._events_statement(table, "data", True),
                  sa.select(table.c.timestamp).order_by(table.c.id)]
    for statement in statements:
        for sender in ("c1", "nobody"):
            with store.session_scope() as session:
                ours = speedups._column_values(session.execute(statement, {"sender_id": sender}))
                theirs = list(session.execute(statement, {"sender_id": sender}).scalars())
            assert ours == theirs and [type(value) for value in ours] == [type(value) for value in theirs]
    assert len(ours) == 33 and ours[2] == 3.0  # the float column: read as SQLAlchemy reads it
    with store.session_scope() as session:  # a column with a result processor: SQLAlchemy's own rows
        result = session.execute(sa.select(sa.cast(table.c.timestamp, sa.Numeric(10, 2))).order_by(table.c.id))
        assert result._metadata._processors[0] is not None
        assert speedups._column_values(result)[:2] == [1, 2] and speedups._column_values(result) == []


def _booking_events(start: float) -> list:
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered

    return [SessionStarted(timestamp=start), ActionExecuted("action_listen", timestamp=start + 1),
            UserUttered("我想预约保养 沪A12345", {"name": "book_service", "confidence": 0.97},
                        [{"entity": "plate", "value": "沪A12345", "start": 6, "end": 14}], timestamp=start + 2),
            ActionExecuted("booking_form", timestamp=start + 3), ActiveLoop("booking_form", timestamp=start + 4),
            SlotSet("plate", "沪A12345", timestamp=start + 5), SlotSet("mileage", 12000.5, timestamp=start + 6),
            BotUttered("请问您贵姓？", {"elements": None}, {"utter_action": "utter_ask_customer_name"},
                       timestamp=start + 7)]


def test_an_action_call_sends_the_stored_texts_of_stored_events_and_rasas_values(tmp_path) -> None:
    import json

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, EntitiesAdded, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot.tracker_cache import EVENT_TEXT

    domain = Domain.load("domain.yml")
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    action = RemoteAction("validate_booking_form", EndpointConfig("http://127.0.0.1:1/webhook"))
    asyncio.run(store.save(DialogueStateTracker.from_events("c1", _booking_events(1.0), domain.slots)))

    def bodies(tracker):
        ours = speedups._action_call_format(action, tracker, domain)
        theirs = speedups.rasa_action_call_format(action, tracker, domain)
        return ours, json.loads(speedups.json_dumps(ours)), json.loads(json.dumps(theirs))

    tracker = asyncio.run(store.retrieve("c1"))  # read: every event is a stored row's
    tracker.update(ActionExecuted("action_listen", timestamp=9.0))  # and this turn's new ones
    tracker.update(UserUttered("姓王", {"name": "inform", "confidence": 0.9}, timestamp=10.0))
    sent, ours, theirs = bodies(tracker)
    assert isinstance(sent["tracker"]["events"], speedups.EncodedJson)
    assert [EVENT_TEXT in vars(event) for event in tracker.events] == [True] * 8 + [False] * 2
    assert ours == theirs and len(ours["tracker"]["events"]) == 10
    copy = tracker.copy()  # the form's temporary trackers and the processor's copies: the same events
    assert bodies(copy)[1] == theirs

    asyncio.run(store.save(tracker))  # kept: the new events are now stored rows, read again from the cache
    tracker = asyncio.run(store.retrieve("c1"))
    tracker.update(SlotSet("customer_name", "王先生", timestamp=11.0))
    assert all(EVENT_TEXT in vars(event) for event in list(tracker.events)[:-1])
    sent, ours, theirs = bodies(tracker)
    assert isinstance(sent["tracker"]["events"], speedups.EncodedJson) and ours == theirs

    # An EntitiesAdded changes the message before it in place: that body is Rasa's own.
    tracker.update(EntitiesAdded([{"entity": "customer_name", "value": "王"}], timestamp=12.0))
    sent, ours, theirs = bodies(tracker)
    assert isinstance(sent["tracker"]["events"], list) and ours == theirs


def test_stored_event_texts_are_checked_against_rasas_in_verification(monkeypatch) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot.tracker_cache import EVENT_TEXT
    from bot.tracker_copy import TrackerCopyMismatch

    domain = Domain.load("domain.yml")
    tracker = DialogueStateTracker.from_events("c1", _booking_events(1.0), domain.slots)
    for event in tracker.events:
        event.__dict__[EVENT_TEXT] = json.dumps(event.as_dict())
    action = RemoteAction("validate_booking_form", EndpointConfig("http://127.0.0.1:1/webhook"))
    monkeypatch.setenv("BOT_VERIFY_TRACKERS", "1")
    speedups._action_call_format(action, tracker, domain)  # the same: no error
    tracker.events[2].parse_data["entities"].append({"entity": "plate", "value": "沪B00001"})  # changed in place
    with pytest.raises(TrackerCopyMismatch):
        speedups._action_call_format(action, tracker, domain)
    monkeypatch.setenv("BOT_SPEEDUPS_OFF", "stored_events")
    try:
        speedups.install()
        assert isinstance(speedups._action_call_format(action, tracker, domain)["tracker"]["events"], list)
    finally:
        monkeypatch.delenv("BOT_SPEEDUPS_OFF")
        speedups.install()
    assert speedups._stored_events_on is True


def test_the_sqlite_tracker_store_writes_ahead_to_a_log(tmp_path) -> None:
    import sqlite3

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load("domain.yml")
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    asyncio.run(store.save(DialogueStateTracker.from_events("c1", _booking_events(1.0), domain.slots)))
    with sqlite3.connect(tmp_path / "tracker.db") as other:  # a reader in another process
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert other.execute("SELECT count(*) FROM events").fetchone() == (8,)
    assert len(asyncio.run(store.retrieve("c1")).events) == 8
