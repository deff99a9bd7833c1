"""Customers rescheduling or cancelling a booking they already made (found and owned:
booking_guard.find_own_booking), and advisors moving one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.models import Appointment, CapacitySlot, DraftWorkOrder
from dealer.services import audit, followups
from dealer.services.appointments import cancel_appointment
from dealer.services.booking import ASSISTANT_ACTOR, SlotUnavailable, take_capacity
from dealer.services.booking_guard import Requester, owned_draft
from dealer.services.dealers import DealerRef, dealer_id
from dealer.services.schedule import slot_problem
from dealer.status import LIVE_STATUSES, AppointmentStatus, DraftStatus

ACTIVE_STATUSES = LIVE_STATUSES


def release_capacity(session: Session, start: datetime, dealer: DealerRef = None) -> None:
    """One car less in the dealer's slot (default: the default dealer's)."""
    session.execute(
        update(CapacitySlot)
        .where(CapacitySlot.dealer_id == dealer_id(session, dealer), CapacitySlot.start_at == start,
               CapacitySlot.booked > 0)
        .values(booked=CapacitySlot.booked - 1)
    )


def _active_draft(session: Session, draft_id: int, requester: Requester | None = None) -> DraftWorkOrder:
    """The live draft, row locked; for a customer's request (``requester``) only their own
    (booking_guard.may_change) and only while its appointment is still to come (not yet
    received at the desk). LookupError otherwise, alike for missing and not theirs."""
    if requester is not None:
        draft = owned_draft(session, draft_id, requester)
    else:
        draft = session.get(DraftWorkOrder, draft_id, with_for_update=True)
    if draft is None or draft.status not in ACTIVE_STATUSES:
        raise LookupError(draft_id)
    appointment = _appointment_of(session, draft)
    if requester is not None and appointment is not None and appointment.status != AppointmentStatus.confirmed:
        raise LookupError(draft_id)
    return draft


def _appointment_of(session: Session, draft: DraftWorkOrder) -> Appointment | None:
    return session.scalar(select(Appointment).where(Appointment.draft_id == draft.id))


def cancel_booking(
    session: Session, draft_id: int, actor: str = ASSISTANT_ACTOR, requester: Requester | None = None
) -> DraftWorkOrder:
    draft = _active_draft(session, draft_id, requester)
    release_capacity(session, draft.start_at, draft.dealer_id)
    audit.record(session, actor, "draft_work_order", draft.id, "cancel", "status", draft.status, DraftStatus.cancelled)
    draft.status = DraftStatus.cancelled
    appointment = _appointment_of(session, draft)
    if appointment is not None:
        cancel_appointment(session, appointment, actor)
    followups.cancel_tasks(session, draft.id)
    return draft


def reschedule_booking(
    session: Session,
    draft_id: int,
    new_start: datetime,
    catalog: Catalog,
    now: datetime,
    actor: str = ASSISTANT_ACTOR,
    requester: Requester | None = None,
) -> DraftWorkOrder:
    """Move a booking: the new slot is taken atomically before the old one is released."""
    draft = _active_draft(session, draft_id, requester)
    if new_start == draft.start_at:
        return draft
    problem = slot_problem(new_start, catalog, now)
    if problem is not None:
        raise SlotUnavailable(problem)
    take_capacity(session, new_start, catalog.slot_capacity, draft.dealer_id)
    release_capacity(session, draft.start_at, draft.dealer_id)
    audit.record(
        session, actor, "draft_work_order", draft.id, "reschedule", "start_at",
        draft.start_at.isoformat(), new_start.isoformat(),
    )
    draft.start_at = new_start
    appointment = _appointment_of(session, draft)
    if appointment is not None:
        appointment.start_at = new_start
    followups.move_reminder(session, draft, catalog, now)
    return draft
