"""Everything held about a customer, and forgetting it (PIPL: access and erasure).

``export_customer`` gathers, by phone: the customer and their vehicles, every draft work
order written for that phone, customer or car, its appointments and audit rows, and the
events of the customer's conversations in Rasa's tracker store.

``forget_customer`` then leaves the phone, the customer's names, plates and VINs in no
table of either database:

- the customer and their vehicles are deleted; their drafts stay as work orders (the
  dealer's capacity and history) with name, phone, plate, VIN and the links cleared and
  the conversation id replaced by a pseudonym; the customer's words in the drafts
  (symptoms, requests) lose every mention of them;
- the audit rows of those drafts keep who did what and when, each personal value
  replaced by the customer's pseudonym (a keyed hash of the phone: the same customer
  gets the same pseudonym, nobody without ``PSEUDONYM_KEY`` can tell whose it is); the
  ``audit_log`` guard is lifted for that within the same transaction and is back before
  it commits; the forgetting itself is audited under the pseudonym;
- every conversation of the customer (their drafts' conversations, and any other one
  mentioning their phone, plate or VIN) is deleted from the tracker store;
- a last sweep over every text column of every table of both databases replaces any
  mention of the phone, plates and VINs that is left (columns added later included).

The tracker store is changed first and the dealer database only when that worked, so a
failed run can simply be repeated. Imports neither rasa nor fastapi.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON, Connection, MetaData, String, Table, Text, create_engine, delete, func, inspect, or_, select, text, update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dealer.db import unit_of_work
from dealer.models import Appointment, AuditLog, Customer, DraftWorkOrder, Vehicle
from dealer.privacy import identifiers_in, scrub_text
from dealer.services import audit

PERSONAL_DRAFT_FIELDS = ("customer_name", "phone", "plate", "vin")
TEXT_DRAFT_FIELDS = ("extra_requests", "last_service", "job_description", "rejection_reason")
JSON_DRAFT_FIELDS = ("symptoms", "symptom_tags")
FORGOTTEN_PREFIX = "forgotten:"
ENTITY = "draft_work_order"


class TrackerStoreUnavailable(Exception):
    """The tracker store cannot be read or changed; nothing was changed in the dealer database."""


# ------------------------------------------------------------------ pseudonyms


def pseudonym(key: str, kind: str, value: str) -> str:
    """A keyed hash: stable for the same value, meaningless without the key."""
    digest = hmac.new(key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{FORGOTTEN_PREFIX}{digest[:20]}"


def conversation_pseudonym(key: str, conversation_id: str) -> str:
    return pseudonym(key, "conversation", conversation_id)


# ------------------------------------------------------------------ what is held


@dataclass
class Holdings:
    """A customer's rows in the dealer database, found by phone."""

    phone: str
    customer: Customer | None
    vehicles: list[Vehicle]
    drafts: list[DraftWorkOrder]  # written for this phone, customer or one of their cars
    identifiers: set[str] = field(default_factory=set)  # phone, plates, VINs
    names: set[str] = field(default_factory=set)
    # Issue 14: one person is a customer of each dealer they booked with (by phone).
    customers: list[Customer] = field(default_factory=list)

    @property
    def conversations(self) -> set[str]:
        return {d.conversation_id for d in self.drafts if not d.conversation_id.startswith(FORGOTTEN_PREFIX)}


def find_holdings(session: Session, phone: str) -> Holdings:
    customers = list(session.scalars(select(Customer).where(Customer.phone == phone).order_by(Customer.id)))
    customer = customers[0] if customers else None
    customer_ids = [c.id for c in customers]
    vehicles = list(session.scalars(select(Vehicle).where(Vehicle.customer_id.in_(customer_ids)))) if customers else []
    plates = {v.plate for v in vehicles if v.plate}
    vins = {v.vin for v in vehicles if v.vin}
    mine = [DraftWorkOrder.phone == phone]
    if customers:
        mine.append(DraftWorkOrder.customer_id.in_(customer_ids))
    drafts = list(session.scalars(select(DraftWorkOrder).where(or_(*mine)).order_by(DraftWorkOrder.id)))
    plates |= {d.plate for d in drafts if d.plate}
    vins |= {d.vin for d in drafts if d.vin}
    # The customer's cars booked under another phone are theirs too.
    car_drafts = [DraftWorkOrder.plate.in_(plates), DraftWorkOrder.vin.in_(vins)]
    if vehicles:
        car_drafts.append(DraftWorkOrder.vehicle_id.in_([v.id for v in vehicles]))
    known = {d.id for d in drafts}
    drafts += [d for d in session.scalars(select(DraftWorkOrder).where(or_(*car_drafts)).order_by(DraftWorkOrder.id))
               if d.id not in known]
    names = {c.name for c in customers if c.name}
    names |= {d.customer_name for d in drafts if d.customer_name and (d.phone == phone or d.phone is None)}
    return Holdings(phone, customer, vehicles, drafts, {phone} | plates | vins, names, customers)


def _row(obj: Any) -> dict[str, Any]:
    return {column.key: getattr(obj, column.key) for column in inspect(obj).mapper.column_attrs}


def audit_rows(session: Session, draft_ids: Collection[int], identifiers: Collection[str]) -> list[AuditLog]:
    """The audit rows of the drafts and their appointments, and any that mentions the identifiers."""
    appointment_ids = list(session.scalars(select(Appointment.id).where(Appointment.draft_id.in_(draft_ids))))
    linked = or_(
        (AuditLog.entity == ENTITY) & AuditLog.entity_id.in_(draft_ids),
        (AuditLog.entity == "appointment") & AuditLog.entity_id.in_(appointment_ids),
    )
    rows = {r.id: r for r in session.scalars(select(AuditLog).where(linked))}
    mentions = [c.contains(v, autoescape=True) for c in (AuditLog.old_value, AuditLog.new_value) for v in identifiers]
    if mentions:
        for row in session.scalars(select(AuditLog).where(or_(*mentions))):
            rows.setdefault(row.id, row)
    return sorted(rows.values(), key=lambda r: r.id)


def export_customer(database_url: str, tracker_store_url: str | None, phone: str) -> dict[str, Any]:
    """Everything held about the customer with this (normalised) phone, as JSON-ready data."""
    with unit_of_work(database_url) as session:
        holdings = find_holdings(session, phone)
        draft_ids = [d.id for d in holdings.drafts]
        appointments = session.scalars(select(Appointment).where(Appointment.draft_id.in_(draft_ids)))
        found: dict[str, Any] = {
            "phone": phone,
            "customer": _row(holdings.customer) if holdings.customer else None,
            "customers": [_row(c) for c in holdings.customers],  # issue 14: one per dealer
            "vehicles": [_row(v) for v in holdings.vehicles],
            "drafts": [_row(d) for d in holdings.drafts],
            "appointments": [_row(a) for a in appointments],
            "audit_log": [_row(a) for a in audit_rows(session, draft_ids, holdings.identifiers)],
        }
    found["conversations"] = _export_conversations(tracker_store_url, holdings)
    return found


def _export_conversations(tracker_store_url: str | None, holdings: Holdings) -> dict[str, Any]:
    try:
        with tracker_store(tracker_store_url) as tracker:
            if tracker is None:
                return {"unavailable": "no tracker store"}
            senders = holdings.conversations | tracker.senders_mentioning(holdings.identifiers)
            return {"events": {sender: tracker.events(sender) for sender in sorted(senders)}}
    except TrackerStoreUnavailable as error:
        return {"unavailable": str(error)}


def to_json(data: Any) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        raise TypeError(f"not JSON: {type(value).__name__}")

    return json.dumps(data, ensure_ascii=False, indent=2, default=plain)


# ------------------------------------------------------------------ the tracker store


class TrackerStore:
    """Rasa's SQL tracker store: one ``events`` row per event, JSON in ``data``."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.events_table = Table("events", MetaData(), autoload_with=connection)

    def events(self, sender: str) -> list[dict[str, Any]]:
        table = self.events_table
        rows = self.connection.execute(
            select(table.c.type_name, table.c.timestamp, table.c.data).where(table.c.sender_id == sender)
            .order_by(table.c.id)
        )
        return [{"type": t, "timestamp": ts, "data": _json_or_text(data)} for t, ts, data in rows]

    def senders_mentioning(self, identifiers: Collection[str]) -> set[str]:
        """The conversations whose events mention one of the phones, plates or VINs, in
        whatever form the customer typed them (the JSON escapes Chinese: read decoded)."""
        wanted = set(identifiers)
        table = self.events_table
        found: set[str] = set()
        rows = self.connection.execute(select(table.c.sender_id, table.c.data)).yield_per(1000)
        for sender, data in rows:
            if sender not in found and data and wanted & identifiers_in(_decoded_text(data)):
                found.add(sender)
        return found

    def delete_conversations(self, senders: Collection[str]) -> int:
        table = self.events_table
        deleted = 0
        for chunk in _chunks(sorted(senders), 500):
            deleted += self.connection.execute(delete(table).where(table.c.sender_id.in_(chunk))).rowcount
        return deleted

    def last_user_message_time(self, sender: str) -> float | None:
        """When the customer last wrote in this conversation (Rasa's real-time stamp)."""
        table = self.events_table
        return self.connection.scalar(
            select(func.max(table.c.timestamp)).where(table.c.sender_id == sender, table.c.type_name == "user")
        )

    def last_event_times(self) -> dict[str, float]:
        table = self.events_table
        rows = self.connection.execute(select(table.c.sender_id, func.max(table.c.timestamp)).group_by(table.c.sender_id))
        return {sender: last or 0.0 for sender, last in rows}


@contextmanager
def tracker_store(url: str | None) -> Iterator[TrackerStore | None]:
    """The tracker store in one transaction (committed when the block ends without error);
    None when there is none: no URL, a SQLite file that does not exist, or no ``events``
    table yet (Rasa never ran)."""
    if not url:
        yield None
        return
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        yield None
        return
    engine: Engine = create_engine(url, hide_parameters=True)
    try:
        try:
            connection = engine.connect()
            has_events = inspect(connection).has_table("events")
            connection.rollback()  # the inspection's own transaction; one is begun below
        except SQLAlchemyError as error:
            raise TrackerStoreUnavailable(f"tracker store not reachable: {type(error).__name__}") from None
        with connection, connection.begin():
            try:
                yield TrackerStore(connection) if has_events else None
            except SQLAlchemyError as error:  # rolled back: nothing changed there
                raise TrackerStoreUnavailable(f"tracker store failed: {type(error).__name__}") from None
    finally:
        engine.dispose()


def _json_or_text(data: str | None) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return data


def _decoded_text(data: str) -> str:
    """JSON text with its escapes undone (\\u4eac → 京), so mentions can be recognised."""
    value = _json_or_text(data)
    return data if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ------------------------------------------------------------------ forgetting


@dataclass(frozen=True)
class ForgetReport:
    pseudonym: str
    customer_deleted: bool
    vehicles_deleted: int
    drafts_anonymised: int
    audit_rows_pseudonymised: int
    conversations_deleted: int
    tracker_events_deleted: int
    rows_swept: int


def forget_customer(database_url: str, tracker_store_url: str | None, phone: str, key: str,
                    actor: str) -> ForgetReport:
    """After this, the phone, the customer's names, plates and VINs are in neither database."""
    with unit_of_work(database_url) as session:
        holdings = find_holdings(session, phone)
    who = pseudonym(key, "customer", phone)
    conversations, events = _forget_conversations(tracker_store_url, holdings, who)
    with unit_of_work(database_url) as session:
        holdings = find_holdings(session, phone)  # as it is now
        rows = audit_rows(session, [d.id for d in holdings.drafts], holdings.identifiers)
        for draft in holdings.drafts:
            anonymise_draft(draft, holdings, who, key)
        vehicles = len(holdings.vehicles)
        session.flush()
        for vehicle in holdings.vehicles:
            session.delete(vehicle)
        for customer in holdings.customers:
            session.delete(customer)
        session.flush()
        with audit_log_opened(session.connection()):
            pseudonymise_audit_rows(session, rows, holdings.identifiers, holdings.names, who)
            swept = sweep(session.connection(), holdings.identifiers, who)
        audit.record(session, actor, "customer", holdings.customer.id if holdings.customer else 0,
                     "forget", "pseudonym", None, who)
    return ForgetReport(who, holdings.customer is not None, vehicles, len(holdings.drafts), len(rows),
                        conversations, events, swept)


def _forget_conversations(tracker_store_url: str | None, holdings: Holdings, replacement: str) -> tuple[int, int]:
    with tracker_store(tracker_store_url) as tracker:
        if tracker is None:
            return 0, 0
        senders = holdings.conversations | tracker.senders_mentioning(holdings.identifiers)
        events = tracker.delete_conversations(senders)
        sweep(tracker.connection, holdings.identifiers, replacement)
        return len(senders), events


def anonymise_draft(draft: DraftWorkOrder, holdings: Holdings | None, replacement: str, key: str) -> None:
    """The work order stays; who it was for goes: personal fields cleared, the customer's
    mentions in their own words replaced, the conversation known by a pseudonym."""
    identifiers = set(holdings.identifiers) if holdings else set()
    names = set(holdings.names) if holdings else set()
    identifiers |= {v for v in (draft.phone, draft.plate, draft.vin) if v}
    names |= {draft.customer_name} if draft.customer_name else set()
    if holdings is not None and draft.phone not in (None, holdings.phone):
        # Another phone's booking of the customer's car: only the car is theirs.
        identifiers, names = {draft.plate, draft.vin} & holdings.identifiers, set()
        draft.plate = draft.plate if draft.plate not in identifiers else None
        draft.vin = draft.vin if draft.vin not in identifiers else None
        draft.vehicle_id = None
    else:
        for name in PERSONAL_DRAFT_FIELDS:
            setattr(draft, name, None)
        draft.customer_id = draft.vehicle_id = None
        if not draft.conversation_id.startswith(FORGOTTEN_PREFIX):
            hidden = conversation_pseudonym(key, draft.conversation_id)
            draft.idempotency_key = draft.idempotency_key.replace(draft.conversation_id, hidden, 1)[:120]
            draft.conversation_id = hidden
    for name in TEXT_DRAFT_FIELDS:
        value = getattr(draft, name)
        if value:
            setattr(draft, name, scrub_text(value, identifiers, names, replacement))
    for name in JSON_DRAFT_FIELDS:
        value = getattr(draft, name)
        if value:
            setattr(draft, name, scrub_value(value, identifiers, names, replacement))


def pseudonymise_audit_rows(session: Session, rows: list[AuditLog], identifiers: Collection[str],
                            names: Collection[str], replacement: str) -> None:
    """Old and new values that are personal become the pseudonym; other values lose mentions.
    Call inside ``audit_log_opened``."""
    for row in rows:
        changes = {}
        for column in ("old_value", "new_value"):
            value = getattr(row, column)
            if value is None:
                continue
            if row.field in PERSONAL_DRAFT_FIELDS:
                new = replacement
            else:
                new = scrub_text(value, identifiers, names, replacement)
            if new != value:
                changes[column] = new
        if changes:
            session.execute(update(AuditLog).where(AuditLog.id == row.id).values(**changes))
    session.expire_all()


@contextmanager
def audit_log_opened(connection: Connection) -> Iterator[None]:
    """The append-only guard of ``audit_log`` lifted inside the current transaction only:
    dropped and made again (SQLite) or disabled and enabled (PostgreSQL) before it ends,
    so a failure rolls it back together with everything else."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        triggers = connection.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        )).all()
        for name, _sql in triggers:
            connection.execute(text(f'DROP TRIGGER "{name}"'))  # a name read from the schema
        yield
        for _name, sql in triggers:
            connection.execute(text(sql))
    elif dialect == "postgresql":
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        yield
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    else:
        yield


def scrub_value(value: Any, identifiers: Collection[str], names: Collection[str], replacement: str) -> Any:
    """A text or JSON value (also JSON held as text) with the mentions replaced."""
    if isinstance(value, str):
        if value[:1] in "{[":
            decoded = _json_or_text(value)
            if not isinstance(decoded, str):
                scrubbed = scrub_value(decoded, identifiers, names, replacement)
                return value if scrubbed == decoded else json.dumps(scrubbed)
        return scrub_text(value, identifiers, names, replacement)
    if isinstance(value, dict):
        return {k: scrub_value(v, identifiers, names, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_value(v, identifiers, names, replacement) for v in value]
    return value


def sweep(connection: Connection, identifiers: Collection[str], replacement: str) -> int:
    """Every text and JSON column of every table: mentions of the identifiers replaced.
    Tables read from the database itself, so columns added later are covered too.
    Returns how many rows changed."""
    if not identifiers:
        return 0
    metadata = MetaData()
    metadata.reflect(connection)
    changed = 0
    for table in metadata.sorted_tables:
        key = list(table.primary_key.columns)
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON) and c not in key]
        if not key or not columns or table.name == "alembic_version":
            continue
        updates = []
        for row in connection.execute(select(*key, *columns)).mappings().all():
            new = {c.name: _fitting(c, scrub_value(row[c.name], identifiers, (), replacement)) for c in columns}
            new = {name: value for name, value in new.items() if value != row[name]}
            if new:
                updates.append(({k.name: row[k.name] for k in key}, new))
        for where, values in updates:
            connection.execute(update(table).where(*[table.c[k] == v for k, v in where.items()]).values(**values))
        changed += len(updates)
    return changed


def _fitting(column, value: Any) -> Any:
    """A value the column holds: one grown beyond a short column's length (a phone column
    of 11 characters) is cleared where the column allows it, else cut."""
    length = getattr(column.type, "length", None)
    if not isinstance(value, str) or length is None or len(value) <= length:
        return value
    return None if column.nullable else value[:length]
