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
   booking turn) is kept until the tracker's events change; the form's unique entity
   mappings (rebuilt for every slot on every turn by action_extract_slots) are built once
   per form and Domain object.
"""
from __future__ import annotations

import copy
import json
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


async def _sql_retrieve(self: Any, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
    from rasa.shared.core.trackers import DialogueStateTracker

    statement = _events_statement(self.SQLEvent.__table__, "data", fetch_events_from_all_sessions)
    with self.session_scope() as session:
        events = [json.loads(data) for data in session.execute(statement, {"sender_id": sender_id}).scalars()]
    if self.domain and events:
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
    return None


def _sql_additional_events(self: Any, session: Any, tracker: Any) -> Any:
    """The tracker's events not stored yet (Rasa's SQLTrackerStore._additional_events)."""
    import itertools

    statement = _events_statement(self.SQLEvent.__table__, "count", False)
    stored = session.execute(statement, {"sender_id": tracker.sender_id}).scalar_one()
    return itertools.islice(tracker.events, stored, len(tracker.events))


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


def _applied_events(self: Any) -> list:
    """Rasa's applied_events, recomputed only when the events changed: appending changes the
    length and the last event, a bounded deque that drops its oldest changes the first."""
    events = self.events
    key = (id(events), len(events), id(events[0]) if events else None, id(events[-1]) if events else None)
    cached = self.__dict__.get("_speedups_applied")
    if cached is None or cached[0] != key:
        cached = self.__dict__["_speedups_applied"] = (key, rasa_applied_events(self))
    return list(cached[1])  # callers may change the list they get


def _unique_entity_mappings(self: Any, domain: Any) -> set:
    cache = domain.__dict__.setdefault("_speedups_unique_entity_mappings", {})
    name = self.name()
    if name not in cache:
        cache[name] = frozenset(rasa_unique_entity_mappings(self, domain))
    return set(cache[name])


def install() -> None:
    """Put these in place of Rasa's (idempotent)."""
    global rasa_check, rasa_resolve_by_type, rasa_sql_retrieve, rasa_sql_additional_events
    global rasa_action_call_format, rasa_endpoint_session, rasa_applied_events, rasa_unique_entity_mappings
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
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_by_type)
    SQLTrackerStore._retrieve = _sql_retrieve
    SQLTrackerStore._additional_events = _sql_additional_events
    RemoteAction._action_call_format = _action_call_format
    EndpointConfig.session = _endpoint_session
    DialogueStateTracker.applied_events = _applied_events
    FormAction._create_unique_entity_mappings = _unique_entity_mappings
