"""Faster, equivalent versions of what the Rasa server does on every turn.

Each was found by profiling the Rasa server under concurrent bookings (py-spy;
benchmarks/turn_cost.py ``--py-spy``) and each keeps Rasa's behaviour exactly; the tests
compare it with Rasa's own (tests/bot/test_speedups.py).

1. **The check of the action server's responses.** Rasa 3.6 calls ``jsonschema.validate``,
   which validates the (constant) response schema against its meta-schema and builds a new
   validator on every call (once well over half the CPU of a turn). Here the schema is
   checked once and the validators are reused. Each event of a response must match exactly
   one of 23 event schemas (``oneOf``), and jsonschema tries all 23 for every event (then
   ~6 % of a booking turn); as every one of them is told apart by its ``event`` constant,
   an event can only match the one of its own type, so that one alone is checked. A
   response that fails is checked again the slow way, for Rasa's very error message.
2. **Event types by name.** ``Event.resolve_by_type`` walks every Event subclass for each
   event read back from the tracker store (~6 % of a booking turn); the name-to-class map
   is built once.
3. **The SQL tracker store** reads a conversation's events, and counts them before saving
   the new ones, with SQLAlchemy Core statements built once (the rows, order and count of
   Rasa's ORM queries; SQL itself was ~0.1 ms of the ~2.5 ms a read took, the rest ORM
   query building and row objects).
4. **The body of an action call** (the tracker, and the domain for the validate_* actions:
   bot/endpoints.yml ``enable_selective_domain``) is written by ujson, a dependency of Rasa
   (the JSON encoding was ~1.2 ms of a booking turn), and the domain, which never changes
   while a model is loaded, is encoded once per Domain object and spliced in as is.
5. **Per-turn work that does not change within a turn or a model**:
   ``DialogueStateTracker.applied_events`` (the events minus reverted ones and folded form
   turns, recomputed from all events by every policy and every slot check: ~1 ms of a
   booking turn) is kept until the tracker's events change, and when events were appended
   only the new ones are gone through (all again if they activate a loop not seen
   before); the form's unique entity mappings (rebuilt for every slot on every turn by
   action_extract_slots) are built once per form and Domain object.
6. **The garbage collector** (issue 14, second round): the loaded model (TensorFlow, spaCy,
   the domain: ~500,000 objects) is frozen (``gc.freeze``) before a model's first message,
   so that Python's full collections, which a booking turn set off every ~200 turns at
   ~0.25 s each (~1 ms a booking turn), walk only what was made since (~4 ms each).
7. **Saving a turn's events** (``SQLTrackerStore.save``): one Core INSERT of all the new
   rows (executemany) instead of an ORM object per event and the ORM's flush; the same
   rows (ids, columns, order) in the same transaction.
8. **Reading the stored events' JSON** with ujson (same values; json reads whatever ujson
   refuses).
9. **Slots copied** (``copy.copy`` of each of the domain's 56 slots whenever a tracker is
   made: reading one, the form's temporary tracker, each copy in prediction) by a
   ``Slot.__copy__`` that does what copy's generic path ends in, 5x as fast.
10. **Action calls over one kept-alive client session** per event loop (Rasa's
   ``EndpointConfig.request`` opened a session and a connection per call): the same
   request, headers, timeout, errors and result; no cookie jar (Rasa's started empty each
   call), no cap on connections (as before), idle connections dropped after 2 s (the
   action server closes them after 5 s).

``BOT_SPEEDUPS_OFF`` (comma-separated names, or ``all``; see ``_switch_off``) puts Rasa's
own back, to measure a speedup against it under the same load (benchmarks/turn_cost.py).
"""
from __future__ import annotations

import copy
import json
import os
from functools import lru_cache
from typing import Any

from jsonschema import exceptions, validators

# Rasa's own methods, kept for comparison in the tests.
rasa_check: Any = None
rasa_resolve_by_type: Any = None
rasa_sql_retrieve: Any = None
rasa_sql_additional_events: Any = None
rasa_action_call_format: Any = None
rasa_endpoint_session: Any = None
rasa_applied_events: Any = None
rasa_unique_entity_mappings: Any = None
rasa_agent_handle_message: Any = None
rasa_sql_save: Any = None
rasa_endpoint_request: Any = None


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def _by_event_type() -> tuple[Any, dict[str, Any]] | None:
    """A validator of the response without the events' ``oneOf``, and one per event type;
    None if the event schemas are not told apart by their ``event`` constant."""
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    if "$ref" in json.dumps(schema):
        return None  # a sub-schema could not stand alone
    variants = schema["properties"]["events"]["items"].get("oneOf") or []
    types = [variant.get("properties", {}).get("event", {}).get("const") for variant in variants]
    if not variants or None in types or len(set(types)) != len(types):
        return None
    skeleton = copy.deepcopy(schema)
    del skeleton["properties"]["events"]["items"]["oneOf"]
    cls = validators.validator_for(schema)
    return cls(skeleton), {name: cls(variant) for name, variant in zip(types, variants)}


def _valid_by_event_type(result: Any) -> bool:
    check = _by_event_type()
    if check is None:
        return False
    skeleton, by_type = check
    if not skeleton.is_valid(result):
        return False
    for event in result.get("events") or []:  # each an object with an "event" string now
        validator = by_type.get(event["event"])
        if validator is None or not validator.is_valid(event):
            return False
    return True


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    from rasa.shared.constants import DOCS_BASE_URL

    if _valid_by_event_type(result):
        return True
    error = exceptions.best_match(_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


_event_types: dict[str, Any] = {}


def _resolve_by_type(type_name: str, default: Any = None) -> Any:
    found = _event_types.get(type_name)
    if found is not None:
        return found
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    # First one wins, as in Rasa's walk; rebuilt on a miss (a subclass defined since).
    _event_types.clear()
    for cls in all_subclasses(Event):
        _event_types.setdefault(cls.type_name, cls)
    return rasa_resolve_by_type(type_name, default)


@lru_cache(maxsize=8)
def _events_statement(table: Any, what: str, all_sessions: bool) -> Any:
    """Rasa's SQLTrackerStore._event_query as one Core statement: a conversation's events
    (``what``: "data" in order, or "count"), of its latest session unless ``all_sessions``."""
    import sqlalchemy as sa
    from rasa.shared.core.events import SessionStarted

    sender = sa.bindparam("sender_id")
    where = [table.c.sender_id == sender]
    if not all_sessions:
        session_start = (sa.select(sa.func.max(table.c.timestamp))
                         .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
                         .scalar_subquery())
        where.append(sa.or_(table.c.timestamp >= session_start, session_start.is_(None)))
    if what == "count":
        return sa.select(sa.func.count()).select_from(table).where(*where)
    return sa.select(table.c.data).where(*where).order_by(table.c.id)


def _json_loads(text: str) -> Any:
    """json.loads by ujson (a dependency of Rasa; ~3x as fast on the stored events), the same
    values (floats read exactly); whatever ujson refuses is read by json."""
    import ujson

    try:
        return ujson.loads(text)
    except (ValueError, OverflowError, TypeError):
        return json.loads(text)


async def _sql_retrieve(self: Any, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
    from rasa.shared.core.trackers import DialogueStateTracker

    statement = _events_statement(self.SQLEvent.__table__, "data", fetch_events_from_all_sessions)
    with self.session_scope() as session:
        events = [_json_loads(data) for data in session.execute(statement, {"sender_id": sender_id}).scalars()]
    if self.domain and events:
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
    return None


def _sql_additional_events(self: Any, session: Any, tracker: Any) -> Any:
    """The tracker's events not stored yet (Rasa's SQLTrackerStore._additional_events)."""
    import itertools

    statement = _events_statement(self.SQLEvent.__table__, "count", False)
    stored = session.execute(statement, {"sender_id": tracker.sender_id}).scalar_one()
    return itertools.islice(tracker.events, stored, len(tracker.events))


async def _sql_save(self: Any, tracker: Any) -> None:
    """Rasa's SQLTrackerStore.save with the new events' rows written by one Core INSERT
    (executemany) instead of one ORM object each and the ORM's flush: the same rows, in
    the same order, in the same transaction."""
    from rasa.core.tracker_store import logger
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    await self.stream_events(tracker)

    with self.session_scope() as session:
        rows = []
        for event in self._additional_events(session, tracker):
            data = event.as_dict()
            rows.append({
                "sender_id": tracker.sender_id,
                "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"),
                "data": json.dumps(data),
            })
        if rows:
            session.execute(self.SQLEvent.__table__.insert(), rows)
        session.commit()

    logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")


class EncodedJson:
    """JSON text that ujson writes as it is (its ``__json__`` hook)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __json__(self) -> str:
        return self.text


def json_dumps(value: Any) -> str:
    import ujson

    return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)


def _domain_json(domain: Any) -> EncodedJson:
    encoded = domain.__dict__.get("_speedups_json")
    if encoded is None:
        encoded = domain.__dict__["_speedups_json"] = EncodedJson(json_dumps(domain.as_dict()))
    return encoded


def _action_call_format(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
    """Rasa's call body (RemoteAction._action_call_format), the domain as encoded JSON."""
    import rasa
    from rasa.shared.core.trackers import EventVerbosity

    result = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": tracker.current_state(EventVerbosity.ALL),
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = _domain_json(domain)
    return result


def _endpoint_session(self: Any) -> Any:
    """Rasa's client session (EndpointConfig.session) writing JSON bodies with ujson."""
    session = rasa_endpoint_session(self)
    session._json_serialize = json_dumps  # aiohttp's ClientSession(json_serialize=...)
    return session


# Idle kept-alive connections are closed after this long: well under the 5 s after which
# the action server (Sanic's KEEP_ALIVE_TIMEOUT) closes them, so that a connection taken
# from the pool is not one the server is closing.
KEEPALIVE_SECONDS = 2.0
_shared: dict[str, Any] = {"loop": None, "sessions": {}}


def _shared_session(endpoint: Any) -> Any:
    """One client session per event loop and per (headers, basic auth), as Rasa's own
    session is configured (EndpointConfig.session: headers, auth, total timeout), with
    connections kept alive, no cap on their number (Rasa opened one per call), and no
    cookie jar (Rasa's per-call session started without cookies each time)."""
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    if _shared["loop"] is not loop:  # a new loop (never in one server; tests): a new pool
        _shared["loop"], _shared["sessions"] = loop, {}
    auth = endpoint.basic_auth
    key = json.dumps([sorted(endpoint.headers.items()), auth.get("username"), auth.get("password")] if auth
                     else [sorted(endpoint.headers.items())], default=str)
    session = _shared["sessions"].get(key)
    if session is None or session.closed:
        session = _shared["sessions"][key] = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=aiohttp.BasicAuth(auth["username"], auth["password"]) if auth else None,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_SECONDS),
            cookie_jar=aiohttp.DummyCookieJar(),
            json_serialize=json_dumps,
        )
    return session


async def close_shared_sessions() -> None:
    """Close the kept-alive connections (on the loop they belong to)."""
    sessions, _shared["sessions"] = _shared["sessions"], {}
    for session in sessions.values():
        await session.close()


async def _endpoint_request(self: Any, method: str = "post", subpath: str | None = None,
                            content_type: str | None = "application/json", compress: bool = False,
                            **kwargs: Any) -> Any:
    """Rasa's EndpointConfig.request over a shared, kept-alive session instead of a new
    session (and a new connection) per call; the same request, errors and result."""
    import os
    import ssl

    from aiohttp import ContentTypeError
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, concat_url

    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs["headers"])
        del kwargs["headers"]
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
            ) from e

    session = _shared_session(self)
    async with session.request(method, url, headers=headers, params=self.combine_parameters(kwargs),
                               compress=compress, ssl=sslcontext, **kwargs) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


def _fold_applied_events(tracker: Any, events: Any, loop_names: Any, applied: list) -> list:
    """The loop of Rasa's DialogueStateTracker.applied_events over ``events``, continuing
    from ``applied`` (the applied events of what came before them)."""
    from rasa.shared.core.events import (ActionExecuted, ActionReverted, Restarted, SessionStarted, UserUttered,
                                         UserUtteranceReverted)

    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied = []
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (isinstance(event, ActionExecuted) and event.action_name in loop_names
              and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    return applied


def _loop_names(events: Any) -> frozenset:
    from rasa.shared.core.events import ActiveLoop

    return frozenset(event.name for event in events if isinstance(event, ActiveLoop) and event.name)


def _applied_events(self: Any) -> list:
    """Rasa's applied_events, recomputed only when the events changed, and only for the new
    ones when events were appended: Rasa's loop goes through the events in order with the
    list so far as its only state, given the names of the loops activated anywhere in the
    events (so a newly activated loop's name means all again). Kept with the result: the
    events object, its length, its first and last event (themselves, so that their ids
    are not reused); a bounded deque that drops its oldest changes the first."""
    import itertools

    events = self.events
    length = len(events)
    first, last = (events[0], events[-1]) if length else (None, None)
    cached = self.__dict__.get("_speedups_applied")
    if cached is not None and cached[0] is events and cached[2] is first:
        _, known, _, known_last, loop_names, applied = cached
        if known == length and known_last is last:
            return list(applied)  # callers may change the list they get
        if 0 < known < length and events[known - 1] is known_last:
            new = list(itertools.islice(events, known, length))
            if _loop_names(new) <= loop_names:
                applied = _fold_applied_events(self, new, loop_names, list(applied))
                self.__dict__["_speedups_applied"] = (events, length, first, last, loop_names, applied)
                return list(applied)
    applied = rasa_applied_events(self)
    self.__dict__["_speedups_applied"] = (events, length, first, last, _loop_names(events), applied)
    return list(applied)


def _unique_entity_mappings(self: Any, domain: Any) -> set:
    cache = domain.__dict__.setdefault("_speedups_unique_entity_mappings", {})
    name = self.name()
    if name not in cache:
        cache[name] = frozenset(rasa_unique_entity_mappings(self, domain))
    return set(cache[name])


_heap_frozen_for: Any = None  # a weak reference to the processor whose model was frozen


def freeze_heap(processor: Any) -> None:
    """Move what exists now (the loaded model: TensorFlow, spaCy, the domain; some 500,000
    objects) out of the garbage collector's sight (``gc.freeze``), after a collection.
    Python's full collections walk every object it tracks, and they come once the
    objects promoted since the last one reach a quarter of those: a booking turn, which
    keeps more alive across its awaits, set one off every ~200 turns at ~0.25 s each.
    Frozen objects are still freed by reference counting; only reference cycles among
    them are no longer collected, so on a new model (a reload) the heap is unfrozen and
    collected first."""
    import gc
    import weakref

    global _heap_frozen_for
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _heap_frozen_for = weakref.ref(processor)


async def _agent_handle_message(self: Any, message: Any) -> Any:
    """Rasa's Agent.handle_message, freezing the heap before the first message of each model."""
    processor = self.processor
    if processor is not None and (_heap_frozen_for is None or _heap_frozen_for() is not processor):
        freeze_heap(processor)
    return await rasa_agent_handle_message(self, message)


_COPY_HOOKS = ("__copy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__slots__",
               "__getnewargs__", "__getnewargs_ex__")


@lru_cache(maxsize=None)
def _copied_by_dict(cls: type) -> bool:
    """Whether copy.copy of an instance is a new instance with the same attributes: no class
    below ``object`` says otherwise (the Slot classes of Rasa 3.6 do not)."""
    from rasa.shared.core.slots import Slot

    return all(not any(hook in klass.__dict__ for hook in _COPY_HOOKS)
               for klass in cls.__mro__ if klass is not object and klass is not Slot) and \
        not any(hook in Slot.__dict__ for hook in _COPY_HOOKS if hook != "__copy__")


def _slot_copy(self: Any) -> Any:
    """copy.copy of a slot (every tracker copies the domain's 56 slots when created) without
    copy's generic way through __reduce_ex__, which ends in the same: ``cls.__new__(cls)``
    given the instance's attributes (5x as fast)."""
    cls = type(self)
    if _copied_by_dict(cls):
        new = cls.__new__(cls)
        new.__dict__.update(self.__dict__)
        return new
    return copy._reconstruct(self, None, *self.__reduce_ex__(4))


def install() -> None:
    """Put these in place of Rasa's (idempotent)."""
    global rasa_check, rasa_resolve_by_type, rasa_sql_retrieve, rasa_sql_additional_events
    global rasa_action_call_format, rasa_endpoint_session, rasa_applied_events, rasa_unique_entity_mappings
    global rasa_agent_handle_message, rasa_sql_save, rasa_endpoint_request
    from rasa.core.agent import Agent
    from rasa.shared.core.slots import Slot
    from rasa.core.actions.action import RemoteAction
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig

    if rasa_check is None:
        rasa_check = RemoteAction._validate_action_result
        rasa_resolve_by_type = Event.resolve_by_type
        rasa_sql_retrieve = SQLTrackerStore._retrieve
        rasa_sql_additional_events = SQLTrackerStore._additional_events
        rasa_action_call_format = RemoteAction._action_call_format
        rasa_endpoint_session = EndpointConfig.session
        rasa_applied_events = DialogueStateTracker.applied_events
        rasa_unique_entity_mappings = FormAction._create_unique_entity_mappings
        rasa_agent_handle_message = Agent.handle_message
        rasa_sql_save = SQLTrackerStore.save
        rasa_endpoint_request = EndpointConfig.request
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_by_type)
    SQLTrackerStore._retrieve = _sql_retrieve
    SQLTrackerStore._additional_events = _sql_additional_events
    RemoteAction._action_call_format = _action_call_format
    EndpointConfig.session = _endpoint_session
    DialogueStateTracker.applied_events = _applied_events
    FormAction._create_unique_entity_mappings = _unique_entity_mappings
    Agent.handle_message = _agent_handle_message
    Slot.__copy__ = _slot_copy
    SQLTrackerStore.save = _sql_save
    EndpointConfig.request = _endpoint_request
    _switch_off(os.environ.get("BOT_SPEEDUPS_OFF", ""))


def _switch_off(names: str) -> None:
    """Put Rasa's own back for the speedups named (comma-separated; "all"): for measuring
    one against Rasa's under the same load (BOT_SPEEDUPS_OFF, read by install())."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.actions.forms import FormAction
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import Event
    from rasa.shared.core.slots import Slot
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    own = {
        "check": (RemoteAction, "_validate_action_result", rasa_check),
        "resolve": (Event, "resolve_by_type", staticmethod(rasa_resolve_by_type)),
        "retrieve": (SQLTrackerStore, "_retrieve", rasa_sql_retrieve),
        "count": (SQLTrackerStore, "_additional_events", rasa_sql_additional_events),
        "call_format": (RemoteAction, "_action_call_format", rasa_action_call_format),
        "encoder": (EndpointConfig, "session", rasa_endpoint_session),
        "applied_events": (DialogueStateTracker, "applied_events", rasa_applied_events),
        "entity_mappings": (FormAction, "_create_unique_entity_mappings", rasa_unique_entity_mappings),
        "freeze": (Agent, "handle_message", rasa_agent_handle_message),
        "save": (SQLTrackerStore, "save", rasa_sql_save),
        "request": (EndpointConfig, "request", rasa_endpoint_request),
    }
    wanted = {name.strip() for name in names.split(",") if name.strip()}
    if "all" in wanted:
        wanted = set(own) | {"slot_copy"}
    for name in wanted & set(own):
        owner, attribute, theirs = own[name]
        setattr(owner, attribute, theirs)
    if "slot_copy" in wanted and "__copy__" in Slot.__dict__:
        del Slot.__copy__
