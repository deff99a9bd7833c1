"""An appointment's life after approval: 已预约 → 已到店 → 维修中 → 已交车, or 未到店.

Only the moves in ``NEXT`` are made; any other raises TransitionRefused (the API answers
409). Each move stamps its time (``arrived_at`` ...) from the caller's ``now`` (the
injectable clock) and writes an audit row with who made it. ``mark_no_shows`` is the
automatic move: confirmed appointments not arrived by their start plus the dealer's grace.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.models import Appointment
from dealer.services import audit, followups
from dealer.status import AppointmentStatus
from dealer.tasks import TaskKind

ENTITY = "appointment"
NO_SHOW_ACTOR = "system:no-show"

_S = AppointmentStatus
# Where an appointment may go from each status. A customer marked 未到店 who comes late
# after all is received (no_show → arrived); cancelling is the booking's (changes.cancel_booking).
NEXT: dict[AppointmentStatus, tuple[AppointmentStatus, ...]] = {
    _S.confirmed: (_S.arrived, _S.no_show, _S.cancelled),
    _S.no_show: (_S.arrived,),
    _S.arrived: (_S.in_service,),
    _S.in_service: (_S.delivered,),
    _S.delivered: (),
    _S.cancelled: (),
}
# The moves made at the desk (the arrivals board and POST /api/appointments/{id}/status).
DESK_MOVES = (_S.arrived, _S.in_service, _S.delivered, _S.no_show)
# The column each move stamps with its time.
STAMPS = {
    _S.arrived: "arrived_at",
    _S.in_service: "service_started_at",
    _S.delivered: "delivered_at",
    _S.no_show: "no_show_at",
}


class AppointmentNotFound(LookupError):
    pass


class TransitionRefused(Exception):
    """The appointment cannot go to ``target`` from ``current`` (``too_early``: a no-show
    marked before the appointment's start)."""

    def __init__(self, current: AppointmentStatus, target: AppointmentStatus, too_early: bool = False) -> None:
        super().__init__(f"{current} -> {target}" + (" before the start" if too_early else ""))
        self.current = current
        self.target = target
        self.too_early = too_early


def _too_early(appointment: Appointment, target: AppointmentStatus, now: datetime) -> bool:
    # Before the start a customer who will not come cancels; 未到店 is for after it.
    return target == _S.no_show and now < appointment.start_at


def next_moves(appointment: Appointment, now: datetime) -> list[AppointmentStatus]:
    """The desk moves open to this appointment now (the board's buttons)."""
    return [
        target for target in NEXT[_S(appointment.status)]
        if target in DESK_MOVES and not _too_early(appointment, target, now)
    ]


def _move(session: Session, appointment: Appointment, target: AppointmentStatus, actor: str,
          now: datetime | None, catalog: Catalog | None = None) -> Appointment:
    current = _S(appointment.status)
    if target not in NEXT[current]:
        raise TransitionRefused(current, target)
    if now is not None and _too_early(appointment, target, now):
        raise TransitionRefused(current, target, too_early=True)
    audit.record(session, actor, ENTITY, appointment.id, target.name, "status", current, target, at=now)
    appointment.status = target
    if target in STAMPS:
        setattr(appointment, STAMPS[target], now)
    _follow_up(session, appointment, target, now, catalog)
    return appointment


def _follow_up(session: Session, appointment: Appointment, target: AppointmentStatus, now: datetime | None,
               catalog: Catalog | None) -> None:
    """Issue 12: a customer received needs no reminder any more; a delivered car gets its 回访."""
    if target in (_S.arrived, _S.no_show, _S.cancelled):
        followups.cancel_tasks(session, appointment.draft_id, (TaskKind.reminder,))
    if target == _S.delivered and now is not None:
        followups.plan_followup(session, appointment.draft, now, followups.dealer_catalog(catalog))


def move_appointment(
    session: Session, appointment_id: int, target: AppointmentStatus, actor: str, now: datetime,
    catalog: Catalog | None = None,
) -> Appointment:
    """Move one appointment on (row locked, so two advisors' clicks are made one after the other)."""
    appointment = session.get(Appointment, appointment_id, with_for_update=True)
    if appointment is None:
        raise AppointmentNotFound(appointment_id)
    _move(session, appointment, target, actor, now, catalog)
    session.flush()
    return appointment


def cancel_appointment(session: Session, appointment: Appointment, actor: str) -> None:
    """The customer cancelled the booking: a confirmed appointment is cancelled with it."""
    _move(session, appointment, _S.cancelled, actor, None)


def mark_no_shows(session: Session, now: datetime, catalog: Catalog, actor: str = NO_SHOW_ACTOR,
                  dealer: int | None = None) -> list[int]:
    """Confirmed appointments whose start plus ``catalog.no_show_grace_minutes`` has passed
    become 未到店; returns their ids. Idempotent; rows another transaction holds (an advisor
    receiving the customer, a second marker) are skipped, and seen again on the next run.
    ``dealer``: that dealer's appointments only (the worker marks each dealer's with its
    own grace); None: every dealer's."""
    due = now - timedelta(minutes=catalog.no_show_grace_minutes)
    of_dealer = [Appointment.dealer_id == dealer] if dealer is not None else []
    late = session.scalars(
        select(Appointment)
        .where(Appointment.status == _S.confirmed, Appointment.start_at <= due, *of_dealer)
        .order_by(Appointment.start_at, Appointment.id)
        .with_for_update(skip_locked=True)
    )
    marked = [_move(session, appointment, _S.no_show, actor, now).id for appointment in late]
    session.flush()
    return marked
