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
   ``Slot.__copy__`` that does what copy's generic path ends in, 5x as fast. (Until the
   third round it never took its fast path: ABC, a base of Slot, has an empty
   ``__slots__``, which the check took for a copy hook of its own.)
10. **Action calls over one kept-alive client session** per event loop (Rasa's
   ``EndpointConfig.request`` opened a session and a connection per call): the same
   request, headers, timeout, errors and result; no cookie jar (Rasa's started empty each
   call), no cap on connections (as before), idle connections dropped after 2 s (the
   action server closes them after 5 s).

Third round (issue 14), each compared with Rasa's own in tests/bot/test_speedups.py too:

11. **SQLite connections pooled** (``sqlite_pool``): SQLAlchemy 1.4 gives a SQLite file a
    NullPool, so each of the two sessions of a turn opened a connection (and SQLite read
    the schema again); a QueuePool as SQLAlchemy 2.0 uses for files (see
    ``_pool_sqlite_connections``).
12. **applied_events folded** (``fast_fold``) by Rasa's loop and helpers step for step with
    each event's class looked up once (isinstance against Rasa's ABCs was most of it) and
    without the list copy per undone loop turn: a 154-event booking, 540 -> 130 µs.
13. **The tracker state** (``current_state``): the active loop's copy (the parse data of
    the message that started the form) made as dataclasses.asdict makes it (75 -> 10 µs).
14. **Deep copies for debug lines** (``log_copies``): Rasa deep-copies an action's events,
    the form's latest message, the policies' states ... as arguments of
    ``structlogger.debug``, which the configured logger (INFO) drops; in the four modules
    that use copy for nothing else the value is passed as it is when the line is dropped.
15. **The response checks compiled** (``compiled_check``): each schema of type,
    properties, required, items and string const made a plain Python predicate (a
    six-event response: 170 -> 19 µs); the user event's (a oneOf) stays jsonschema's.
16. **Stored events fetched** (``raw_rows``) by SQLAlchemy's own cursor strategy without a
    Row object each (~1.5 µs a row), when the column has no result processor.

Fourth round (issue 14):

17. **A conversation's tracker kept between its turns** (``tracker_cache``;
    bot/tracker_cache.py): a read still runs Rasa's query, and when the rows begin with
    exactly the texts the tracker kept at the last save was made from, that tracker is
    taken (with any later rows applied) instead of parsing and replaying every row (a
    booking's ~80: ~1.5 ms of its read, against ~0.2 ms of a greeting conversation's).

18. **Copies of a tracker made from its state** (``tracker_copy``; bot/tracker_copy.py)
    instead of a replay of all its events: before each action and for the form's
    validation and next question (four replays of a booking's ~80 events a turn).

Fifth round (issue 14):

19. **An action call's events sent as their stored texts** (``stored_events``): each event
    read from or written to the tracker store carries the JSON text of its row
    (json.dumps of its ``as_dict``, bot/tracker_cache.py ``EVENT_TEXT``), spliced into the
    body instead of ``as_dict`` and ujson again for every event of every call (a booking's
    ~80); only the turn's new events are encoded. The action server reads the same values.
    An EntitiesAdded among the events (it changes the message before it in place) means
    Rasa's own body. ``BOT_VERIFY_TRACKERS`` compares every such body with Rasa's values.
20. **The SQLite tracker file in WAL mode** (with ``sqlite_pool``; synchronous stays FULL):
    one log append and fsync per commit instead of a rollback journal written, synced and
    deleted; readers (the advisor API) and the writer no longer block each other.

``BOT_SPEEDUPS_OFF`` (comma-separated names, or ``all``; see ``_switch_off``) puts Rasa's
own back, to measure a speedup against it under the same load (benchmarks/turn_cost.py).
"""
from __future__ import annotations

import copy
import json
import os
import sys
import threading
from functools import lru_cache
from typing import Any

from jsonschema import exceptions, validators

from bot import tracker_copy
from bot.tracker_cache import verifying

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
rasa_session_scope: Any = None
rasa_current_state: Any = None


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
    check = _checks_by_event_type() if _compiled_check_on else _validators_by_event_type()
    if check is None:
        return False
    skeleton, by_type = check
    if not skeleton(result):
        return False
    for event in result.get("events") or []:  # each an object with an "event" string now
        valid = by_type.get(event["event"])
        if valid is None or not valid(event):
            return False
    return True


@lru_cache(maxsize=1)
def _validators_by_event_type() -> tuple[Any, dict[str, Any]] | None:
    check = _by_event_type()
    if check is None:
        return None
    skeleton, by_type = check
    return skeleton.is_valid, {name: validator.is_valid for name, validator in by_type.items()}


@lru_cache(maxsize=1)
def _checks_by_event_type() -> tuple[Any, dict[str, Any]] | None:
    """_validators_by_event_type with each schema made of the keywords _compiled_schema
    knows turned into plain Python (jsonschema's is_valid took ~85 µs for the skeleton of
    a six-event response, ~9 µs an event); any other schema is checked by jsonschema."""
    check = _by_event_type()
    if check is None:
        return None
    skeleton, by_type = check
    return (_compiled_schema(skeleton.schema, type(skeleton)) or skeleton.is_valid,
            {name: _compiled_schema(validator.schema, type(validator)) or validator.is_valid
             for name, validator in by_type.items()})


_compiled_check_on = True  # BOT_SPEEDUPS_OFF=compiled_check: jsonschema's is_valid for every schema
_SCHEMA_KEYWORDS = frozenset({"type", "properties", "required", "items", "const"})


def _type_check(name: Any, cls: Any) -> Any:
    """The validator class's own type check (jsonschema 4's TYPE_CHECKER) as a predicate:
    the plain isinstance tests it makes for these names, the checker itself otherwise."""
    import numbers

    plain = {
        "object": lambda value: isinstance(value, dict),
        "array": lambda value: isinstance(value, list),
        "string": lambda value: isinstance(value, str),
        "null": lambda value: value is None,
        "boolean": lambda value: isinstance(value, bool),
        "number": lambda value: not isinstance(value, bool) and isinstance(value, numbers.Number),
    }
    if not isinstance(name, str):
        return None
    from jsonschema import _types

    checker = cls.TYPE_CHECKER
    expected = {"object": _types.is_object, "array": _types.is_array, "string": _types.is_string,
                "null": _types.is_null, "boolean": _types.is_bool, "number": _types.is_number}
    try:
        if name in plain and checker._type_checkers[name] is expected[name]:
            return plain[name]
        checker.is_type(None, name)  # raises for a type it does not know
    except Exception:
        return None
    return lambda value: checker.is_type(value, name)


def _compiled_schema(schema: Any, cls: Any) -> Any:
    """A predicate equal to ``cls(schema).is_valid`` for a schema of type, properties,
    required, items (a schema for every item, as draft 2020-12 reads it without
    prefixItems) and string const, at every level; None for anything else."""
    from jsonschema import _types

    if not isinstance(schema, dict) or not set(schema) <= _SCHEMA_KEYWORDS:
        return None
    checkers = cls.TYPE_CHECKER._type_checkers
    if checkers.get("object") is not _types.is_object or checkers.get("array") is not _types.is_array:
        return None  # properties, required and items apply to what these say is an object, an array
    type_ok = None
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        predicates = [_type_check(name, cls) for name in names]
        if not predicates or None in predicates:
            return None
        type_ok = predicates[0] if len(predicates) == 1 else (lambda value: any(p(value) for p in predicates))
    has_const, const = "const" in schema, schema.get("const")
    if has_const and not isinstance(const, str):
        return None
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        return None
    if not isinstance(schema.get("properties", {}), dict):
        return None
    properties = [(name, _compiled_schema(sub, cls)) for name, sub in schema.get("properties", {}).items()]
    if any(valid is None for _, valid in properties):
        return None
    each = None
    if "items" in schema:
        each = _compiled_schema(schema["items"], cls)
        if each is None:
            return None

    def valid(value: Any) -> bool:
        if type_ok is not None and not type_ok(value):
            return False
        if has_const and not value == const:  # jsonschema's equal() when one side is a str
            return False
        if isinstance(value, dict):
            for name in required:
                if name not in value:
                    return False
            for name, sub in properties:
                if name in value and not sub(value[name]):
                    return False
        elif each is not None and isinstance(value, list):
            for item in value:
                if not each(item):
                    return False
        return True

    return valid


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


_raw_rows_on = True  # BOT_SPEEDUPS_OFF=raw_rows: the values through SQLAlchemy's rows (.scalars())


def _column_values(result: Any) -> list:
    """``list(result.scalars())`` of a one-column result: the driver's rows as SQLAlchemy's
    own cursor strategy fetches them (its fetchall: errors handled and the cursor closed
    as for any fetch), without a Row object for each (~1.5 µs a row), when the column has
    no result processor (the data column's Text on SQLite: the driver's str as it is)."""
    processors = getattr(getattr(result, "_metadata", None), "_processors", None)
    if (not _raw_rows_on or processors is None or len(processors) != 1 or processors[0] is not None
            or getattr(result, "cursor", None) is None or result._unique_filter_state
            or result._row_logging_fn or getattr(result, "_yield_per", None)):
        return list(result.scalars())
    return [row[0] for row in result.cursor_strategy.fetchall(result, result.cursor)]


_tracker_cache_on = True  # BOT_SPEEDUPS_OFF=tracker_cache: every read parses and replays all rows


def _tracker_cache(store: Any) -> Any:
    """The store's bot/tracker_cache.py cache (made on first use, from the environment)."""
    if not _tracker_cache_on:
        return None
    cache = store.__dict__.get("_speedups_tracker_cache")
    if cache is None:
        from bot.tracker_cache import from_environment

        cache = store.__dict__["_speedups_tracker_cache"] = from_environment()
    return cache


async def _sql_retrieve(self: Any, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_cache import mark

    statement = _events_statement(self.SQLEvent.__table__, "data", fetch_events_from_all_sessions)
    with self.session_scope() as session:
        texts = _column_values(session.execute(statement, {"sender_id": sender_id}))
    cache = None if fetch_events_from_all_sessions else _tracker_cache(self)
    if cache is not None and texts:
        kept = cache.take(sender_id, self.domain, texts, _json_loads)
        if kept is not None:
            return kept
    if self.domain and texts:
        tracker = DialogueStateTracker.from_dict(sender_id, [_json_loads(text) for text in texts], self.domain.slots)
        return mark(tracker, texts) if cache is not None else tracker
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
    cache = _tracker_cache(self)
    if cache is not None:
        cache.keep(tracker, [row["data"] for row in rows], self.domain)

    logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")


def _pool_sqlite_connections(store: Any) -> None:
    """A SQLite file tracker store's connections kept in a pool (SQLAlchemy 1.4 gives a file
    database a NullPool: a new SQLite connection, whose first statement reads the schema
    again, for every session: two a turn). The engine's own pool is swapped, once, for a
    QueuePool built as SQLAlchemy's own ``Pool.recreate`` builds one (the same connect
    function, events, reset on return: a rollback, as closing did), as SQLAlchemy 2.0 does
    for file databases: connections handed out one session at a time, so one may pass
    between threads (``check_same_thread=False``, as 2.0 sets it); no cap on their number
    and no waiting for one (``max_overflow=-1``), as NullPool never waited."""
    engine = getattr(store, "engine", None)
    if engine is None or engine.__dict__.get("_speedups_pooled"):
        return
    with _pooling:
        if not engine.__dict__.get("_speedups_pooled"):
            _pool_engine(engine)
            engine._speedups_pooled = True


_pooling = threading.Lock()


def _pool_engine(engine: Any) -> None:
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.pool import NullPool, QueuePool

    old = engine.pool
    if type(old) is not NullPool or engine.dialect.name != "sqlite" or engine.dialect.driver != "pysqlite":
        return

    def shareable(dialect: Any, record: Any, cargs: Any, cparams: dict) -> None:
        cparams["check_same_thread"] = False

    event.listen(engine, "do_connect", shareable)
    engine.pool = QueuePool(old._creator, pool_size=5, max_overflow=-1, recycle=old._recycle, echo=old.echo,
                            logging_name=old._orig_logging_name, reset_on_return=old._reset_on_return,
                            pre_ping=old._pre_ping, _dispatch=old.dispatch, dialect=old._dialect)
    old.dispose()

    def write_ahead_log(dbapi_connection: Any, record: Any) -> None:
        # WAL (kept in the file, so the advisor API's reads use it too): a commit is one
        # append and one fsync of the log (synchronous stays FULL: as durable as before)
        # instead of a rollback journal written, synced, and deleted; readers and the
        # writer no longer block each other. A file another connection holds stays as it is.
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass
        finally:
            cursor.close()

    event.listen(engine, "connect", write_ahead_log)


def _session_scope(self: Any) -> Any:
    """Rasa's SQLTrackerStore.session_scope over pooled SQLite connections."""
    if not self.engine.__dict__.get("_speedups_pooled"):
        _pool_sqlite_connections(self)
    return rasa_session_scope(self)


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

    events = _stored_events_json(tracker.events) if _stored_events_on else None
    if events is None:
        state = tracker.current_state(EventVerbosity.ALL)
    else:
        state = tracker.current_state(EventVerbosity.NONE)
        state["events"] = events
        if verifying():
            _check_events_json(events, tracker)
    result = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": state,
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = _domain_json(domain)
    return result


_stored_events_on = True  # BOT_SPEEDUPS_OFF=stored_events: every event of an action call encoded again


def _stored_events_json(events: Any) -> EncodedJson | None:
    """The events of an action call's tracker as JSON, each event read from or written to
    the tracker store as its stored text (json.dumps of its as_dict, bot/tracker_cache.py)
    and the others encoded: the values Rasa's ``[event.as_dict() ...]`` has. None (Rasa's
    way) when an EntitiesAdded is among them: it changes the message it follows in place."""
    from rasa.shared.core.events import EntitiesAdded

    from bot.tracker_cache import EVENT_TEXT

    if not events:
        return None
    parts = []
    for event in events:
        if isinstance(event, EntitiesAdded):
            return None
        text = event.__dict__.get(EVENT_TEXT)
        parts.append(text if text is not None else json_dumps(event.as_dict()))
    return EncodedJson("[" + ",".join(parts) + "]")


def _check_events_json(events: EncodedJson, tracker: Any) -> None:
    """Verification (BOT_VERIFY_TRACKERS): the events sent read back as Rasa's own."""
    from bot.tracker_copy import MISMATCH, TrackerCopyMismatch

    if json.loads(events.text) != json.loads(json_dumps([event.as_dict() for event in tracker.events])):
        raise TrackerCopyMismatch(f"action call events {MISMATCH}")


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
    if _fast_fold_on and _rasa_fold_methods(type(tracker)):
        return _fast_fold(events, loop_names, applied)
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


_fast_fold_on = True  # BOT_SPEEDUPS_OFF=fast_fold: the fold above with Rasa's own helpers
# What an event is, for the fold: one bit per class of Rasa's isinstance checks.
_RESET, _ACTION_REVERTED, _USER_REVERTED, _ACTION, _USER, _LOOP, _REJECTED, _FEATURIZATION = (1 << i for i in range(8))
_kinds: dict = {}
_kinds_token: list = [None]


@lru_cache(maxsize=None)
def _kind_classes() -> tuple:
    from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActionReverted, ActiveLoop,
                                         DefinePrevUserUtteredFeaturization, Restarted, SessionStarted,
                                         UserUttered, UserUtteranceReverted)

    return ((_RESET, (Restarted, SessionStarted)), (_ACTION_REVERTED, ActionReverted),
            (_USER_REVERTED, UserUtteranceReverted), (_ACTION, ActionExecuted), (_USER, UserUttered),
            (_LOOP, ActiveLoop), (_REJECTED, ActionExecutionRejected),
            (_FEATURIZATION, DefinePrevUserUtteredFeaturization))


def _event_kinds() -> dict:
    """Event class -> its bits (issubclass, as isinstance decides for an instance of it);
    emptied whenever an ABC registers a class (abc's cache token)."""
    import abc

    token = abc.get_cache_token()
    if _kinds_token[0] != token:
        _kinds.clear()
        _kinds_token[0] = token
    return _kinds


def _kind(kinds: dict, event: Any) -> int:
    cls = type(event)
    kind = kinds.get(cls)
    if kind is None:
        kind = kinds[cls] = sum(bit for bit, classes in _kind_classes() if issubclass(cls, classes))
    return kind


@lru_cache(maxsize=None)
def _rasa_fold_methods(cls: type) -> bool:
    """Whether the tracker class folds with Rasa's own helpers (no subclass overrides them)."""
    from rasa.shared.core.trackers import DialogueStateTracker

    return all(getattr(cls, name) is getattr(DialogueStateTracker, name)
               for name in ("_undo_till_previous", "_first_loop_execution_or_unhappy_path",
                            "_is_within_unhappy_path", "_undo_till_previous_loop_execution"))


def _fast_fold(events: Any, loop_names: Any, applied: list) -> list:
    """Rasa's applied_events loop and its four helpers, step for step, with each event's
    class looked up once (isinstance against Rasa's ABCs was most of the loop's time) and
    no copy of the list for every loop turn undone (Rasa's helpers copy it each time)."""
    kinds = _event_kinds()
    for event in events:
        kind = kinds.get(type(event))
        if kind is None:
            kind = _kind(kinds, event)
        if kind & _RESET:
            applied = []
        elif kind & _ACTION_REVERTED:
            _undo_till_previous(kinds, _ACTION, applied)
        elif kind & _USER_REVERTED:
            _undo_till_previous(kinds, _USER, applied)
            _undo_till_previous(kinds, _ACTION, applied)
        elif (kind & _ACTION and event.action_name in loop_names
              and not _first_loop_execution_or_unhappy_path(kinds, event.action_name, applied)):
            _undo_till_previous_loop_execution(kinds, event.action_name, applied)
        else:
            applied.append(event)
    return applied


def _undo_till_previous(kinds: dict, bit: int, applied: list) -> None:
    """Rasa's DialogueStateTracker._undo_till_previous: the last events removed up to and
    including the last one of the kind."""
    while applied:
        if _kind(kinds, applied.pop()) & bit:
            break


def _first_loop_execution_or_unhappy_path(kinds: dict, loop_name: Any, applied: list) -> bool:
    """Rasa's DialogueStateTracker._first_loop_execution_or_unhappy_path (with
    _is_within_unhappy_path)."""
    next_action = None
    for event in reversed(applied):
        kind = kinds.get(type(event))
        if kind is None:
            kind = _kind(kinds, event)
        if kind & _LOOP and event.name is None:
            return True
        if ((kind & _REJECTED and event.action_name == loop_name)
                or (kind & _USER and next_action is not None and next_action != loop_name)):
            return True
        if kind & _ACTION:
            if event.action_name == loop_name:
                return False
            next_action = event.action_name
    return True


def _undo_till_previous_loop_execution(kinds: dict, loop_name: Any, applied: list) -> None:
    """Rasa's DialogueStateTracker._undo_till_previous_loop_execution: back to the loop's
    previous execution, the actions, user messages and featurization events removed."""
    index = len(applied) - 1
    while index >= 0:
        event = applied[index]
        kind = kinds.get(type(event))
        if kind is None:
            kind = _kind(kinds, event)
        if kind & _ACTION and event.action_name == loop_name:
            break
        if kind & (_ACTION | _USER | _FEATURIZATION):
            del applied[index]
        index -= 1


def _loop_names(events: Any) -> frozenset:
    kinds = _event_kinds()
    return frozenset(event.name for event in events if _kind(kinds, event) & _LOOP and event.name)


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
    if _fast_fold_on and _rasa_fold_methods(type(self)):
        loop_names = _loop_names(events)
        applied = _fast_fold(events, loop_names, [])
    else:
        applied = rasa_applied_events(self)
        loop_names = _loop_names(events)
    self.__dict__["_speedups_applied"] = (events, length, first, last, loop_names, applied)
    return list(applied)


_PLAIN_ATOMS = frozenset({str, int, float, bool, type(None)})


def _asdict_plain(value: Any) -> Any:
    """dataclasses' _asdict_inner (asdict's copy of each field's value) for exact dicts,
    lists and JSON atoms, which it copies alike (a new dict or list at every level; an
    atom is its own deepcopy); anything else is copied by dataclasses itself."""
    cls = type(value)
    if cls in _PLAIN_ATOMS:
        return value
    if cls is dict:
        return {_asdict_plain(key): _asdict_plain(item) for key, item in value.items()}
    if cls is list:
        return [_asdict_plain(item) for item in value]
    import dataclasses

    return dataclasses._asdict_inner(value, dict)


def _current_state(self: Any, event_verbosity: Any = None) -> dict:
    """Rasa's DialogueStateTracker.current_state, the active loop (with the ~1 KB parse
    data of the message that started it) copied by _asdict_plain instead of
    dataclasses.asdict (half the time of the whole state of a booking tracker)."""
    import dataclasses

    from rasa.shared.core.constants import ACTIVE_LOOP
    from rasa.shared.core.trackers import EventVerbosity, TrackerActiveLoop

    if event_verbosity is None:
        event_verbosity = EventVerbosity.NONE
    loop = self.active_loop
    if type(loop) is not TrackerActiveLoop or "active_loop" not in self.__dict__:
        return rasa_current_state(self, event_verbosity)
    self.active_loop = None  # Rasa's own state without the loop, then the loop as asdict has it
    try:
        state = rasa_current_state(self, event_verbosity)
    finally:
        self.active_loop = loop
    state[ACTIVE_LOOP] = {field.name: _asdict_plain(getattr(loop, field.name))
                          for field in dataclasses.fields(loop)}
    return state


# Rasa modules whose only use of the copy module is ``copy.deepcopy(...)`` as an argument of
# ``structlogger.debug(...)`` (checked by tests/bot/test_speedups.py against their source).
DEBUG_LOG_COPY_MODULES = ("rasa.core.processor", "rasa.core.actions.forms", "rasa.core.policies.memoization",
                          "rasa.core.policies.rule_policy")


def _debug_is_nop(module: Any) -> bool:
    """Whether ``module.structlogger.debug`` is structlog's no-op: the filtering bound logger
    Rasa configures (rasa.utils.log_utils.configure_structlog) below its level."""
    try:
        from structlog._native import _nop
    except ImportError:  # another structlog: always copy
        return False
    debug = getattr(module.structlogger.bind(), "debug", None)
    return getattr(debug, "__func__", None) is _nop


class DebugLogCopy:
    """The copy module as one of DEBUG_LOG_COPY_MODULES sees it (its global ``copy``):
    ``deepcopy`` copies only when its debug line is logged. Rasa 3.6 deep-copies the
    events of every action, the parse data of the form's latest message, the policies'
    states and more for ``structlogger.debug`` lines whose arguments the configured
    logger (INFO) throws away; the value itself is passed to the no-op instead."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if _debug_is_nop(self._module):
            return value
        return copy.deepcopy(value, memo)


def _copy_only_logged(on: bool) -> None:
    import importlib

    for name in DEBUG_LOG_COPY_MODULES:
        module = importlib.import_module(name)
        module.copy = DebugLogCopy(module) if on else copy


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

    return all(not any(_copy_hook(klass, hook) for hook in _COPY_HOOKS)
               for klass in cls.__mro__ if klass is not object and klass is not Slot) and \
        not any(_copy_hook(Slot, hook) for hook in _COPY_HOOKS if hook != "__copy__")


def _copy_hook(klass: type, hook: str) -> bool:
    """Whether ``klass`` itself changes how copy.copy copies: an empty ``__slots__`` (ABC's,
    a base of Slot) adds no slot and leaves the copy to the instance's ``__dict__``."""
    if hook not in klass.__dict__:
        return False
    return not (hook == "__slots__" and klass.__dict__[hook] in ((), []))


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
    global rasa_agent_handle_message, rasa_sql_save, rasa_endpoint_request, rasa_session_scope
    global rasa_current_state, _fast_fold_on, _compiled_check_on, _raw_rows_on, _tracker_cache_on, _stored_events_on
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
        rasa_session_scope = SQLTrackerStore.session_scope
        rasa_current_state = DialogueStateTracker.current_state
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
    SQLTrackerStore.session_scope = _session_scope
    DialogueStateTracker.current_state = _current_state
    _fast_fold_on = True
    _copy_only_logged(True)
    _compiled_check_on = True
    _raw_rows_on = True
    _tracker_cache_on = True
    _stored_events_on = True
    tracker_copy.install()
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
        "sqlite_pool": (SQLTrackerStore, "session_scope", rasa_session_scope),
        "current_state": (DialogueStateTracker, "current_state", rasa_current_state),
        "fast_fold": (sys.modules[__name__], "_fast_fold_on", False),
        "compiled_check": (sys.modules[__name__], "_compiled_check_on", False),
        "raw_rows": (sys.modules[__name__], "_raw_rows_on", False),
        "tracker_cache": (sys.modules[__name__], "_tracker_cache_on", False),
        "stored_events": (sys.modules[__name__], "_stored_events_on", False),
    }
    wanted = {name.strip() for name in names.split(",") if name.strip()}
    if "all" in wanted:
        wanted = set(own) | {"slot_copy", "log_copies", "tracker_copy"}
    for name in wanted & set(own):
        owner, attribute, theirs = own[name]
        setattr(owner, attribute, theirs)
    if "slot_copy" in wanted and "__copy__" in Slot.__dict__:
        del Slot.__copy__
    if "log_copies" in wanted:
        _copy_only_logged(False)
    if "tracker_copy" in wanted:
        tracker_copy.uninstall()
