"""Retention: personal data is kept only as long as the dealer needs it.

``python -m dealer retain [--dry-run]``:

- a draft work order whose creation and booked time both lie more than
  ``RETENTION_WORK_ORDER_DAYS`` (3 years) back is anonymised as ``forget`` does it (name,
  phone, plate, VIN and links cleared, mentions in the customer's words replaced, the
  conversation known by a pseudonym), its audit rows keep a pseudonym, and its
  conversation is deleted from the tracker store;
- a customer (and their cars) that no draft refers to any more and that was recorded
  before the same limit is deleted;
- a conversation that booked nothing (no draft names it) and whose last event is more
  than ``RETENTION_UNBOOKED_CONVERSATION_DAYS`` (180 days) old is deleted.

Unlike ``forget``, nothing is swept across tables: a phone of an old work order may
belong to a customer who booked again last month. ``--dry-run`` does all of it in
transactions that are rolled back, and reports what would have changed.
Drafts are aged on the business clock (dealer/clock.py, as ``created_at`` is written),
conversations on the real clock (Rasa stamps events with it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, not_, or_, select
from sqlalchemy.orm import Session

from dealer.customer_data import (
    FORGOTTEN_PREFIX,
    anonymise_draft,
    audit_log_opened,
    audit_rows,
    pseudonym,
    pseudonymise_audit_rows,
    tracker_store,
)
from dealer.db import unit_of_work
from dealer.models import Customer, DraftWorkOrder, Vehicle
from dealer.services import audit


@dataclass(frozen=True)
class RetentionPolicy:
    work_order_days: int = 3 * 365
    unbooked_conversation_days: int = 180


@dataclass(frozen=True)
class RetentionReport:
    dry_run: bool
    work_orders_before: str
    conversations_before: str
    drafts_anonymised: int
    audit_rows_pseudonymised: int
    customers_deleted: int
    vehicles_deleted: int
    conversations_deleted: int
    tracker_events_deleted: int


class _DryRun(Exception):
    """Raised at the end of a dry run's transaction so that it is rolled back."""


def _holds_personal_data():
    return or_(
        DraftWorkOrder.customer_name.is_not(None), DraftWorkOrder.phone.is_not(None),
        DraftWorkOrder.plate.is_not(None), DraftWorkOrder.vin.is_not(None),
        DraftWorkOrder.customer_id.is_not(None), DraftWorkOrder.vehicle_id.is_not(None),
        not_(DraftWorkOrder.conversation_id.startswith(FORGOTTEN_PREFIX, autoescape=True)),
    )


def _old_drafts(session: Session, before: datetime) -> list[DraftWorkOrder]:
    return list(session.scalars(
        select(DraftWorkOrder)
        .where(DraftWorkOrder.created_at < before, DraftWorkOrder.start_at < before, _holds_personal_data())
        .order_by(DraftWorkOrder.id)
    ))


def retain(database_url: str, tracker_store_url: str | None, key: str, actor: str, policy: RetentionPolicy,
           now: datetime, real_now: datetime, dry_run: bool = False) -> RetentionReport:
    work_orders_before = now - timedelta(days=policy.work_order_days)
    conversations_before = (real_now - timedelta(days=policy.unbooked_conversation_days)).timestamp()
    with unit_of_work(database_url) as session:
        expiring = {d.conversation_id for d in _old_drafts(session, work_orders_before)
                    if not d.conversation_id.startswith(FORGOTTEN_PREFIX)}
        booked = set(session.scalars(select(DraftWorkOrder.conversation_id).distinct())) - expiring
    conversations, events = _expire_conversations(tracker_store_url, expiring, booked, conversations_before, dry_run)
    counts = _expire_work_orders(database_url, key, actor, work_orders_before, dry_run)
    return RetentionReport(dry_run, work_orders_before.isoformat(),
                           datetime.fromtimestamp(conversations_before, real_now.tzinfo).isoformat(),
                           *counts, conversations, events)


def _expire_conversations(tracker_store_url: str | None, expiring: set[str], booked: set[str],
                          before: float, dry_run: bool) -> tuple[int, int]:
    """The conversations of expiring work orders, and old ones that booked nothing, deleted."""
    counts = (0, 0)
    try:
        with tracker_store(tracker_store_url) as tracker:
            if tracker is None:
                return counts
            last_times = tracker.last_event_times()
            senders = {s for s in expiring if s in last_times}
            senders |= {s for s, last in last_times.items() if last < before and s not in booked}
            counts = (len(senders), tracker.delete_conversations(senders))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return counts


def _expire_work_orders(database_url: str, key: str, actor: str, before: datetime,
                        dry_run: bool) -> tuple[int, int, int, int]:
    counts = (0, 0, 0, 0)
    try:
        with unit_of_work(database_url) as session:
            counts = _anonymise_old(session, key, actor, before)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return counts


def _anonymise_old(session: Session, key: str, actor: str, before: datetime) -> tuple[int, int, int, int]:
    drafts = _old_drafts(session, before)
    pseudonymised = 0
    with audit_log_opened(session.connection()):
        for draft in drafts:
            identifiers = {v for v in (draft.phone, draft.plate, draft.vin) if v}
            names = {draft.customer_name} if draft.customer_name else set()
            who = pseudonym(key, "customer", draft.phone or f"draft:{draft.id}")
            rows = audit_rows(session, [draft.id], ())
            anonymise_draft(draft, None, who, key)
            session.flush()
            pseudonymise_audit_rows(session, rows, identifiers, names, who)
            pseudonymised += len(rows)
    customers, vehicles = _delete_unreferenced_customers(session, before)
    if drafts or customers:
        audit.record(session, actor, "retention", 0, "anonymise", "drafts", None,
                     f"{len(drafts)} drafts, {customers} customers")
    return len(drafts), pseudonymised, customers, vehicles


def _delete_unreferenced_customers(session: Session, before: datetime) -> tuple[int, int]:
    """Customers recorded before the limit that no draft refers to, with their cars."""
    customers = list(session.scalars(select(Customer).where(
        Customer.created_at < before,
        ~exists().where(DraftWorkOrder.customer_id == Customer.id),
    )))
    vehicles = list(session.scalars(select(Vehicle).where(
        Vehicle.customer_id.in_([c.id for c in customers]),
        ~exists().where(DraftWorkOrder.vehicle_id == Vehicle.id),
    ))) if customers else []
    for vehicle in vehicles:
        session.delete(vehicle)
    session.flush()
    kept = {v.customer_id for v in session.scalars(select(Vehicle).where(Vehicle.customer_id.in_([c.id for c in customers])))} \
        if customers else set()
    gone = [c for c in customers if c.id not in kept]
    for customer in gone:
        session.delete(customer)
    session.flush()
    return len(gone), len(vehicles)
