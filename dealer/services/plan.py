"""The day's plan (服务顾问/车间维修能力预约任务计划表) and the arrivals board (预约欢迎板)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from dealer.catalog import Catalog
from dealer.models import Advisor, Appointment, DraftWorkOrder
from dealer.services.changes import ACTIVE_STATUSES
from dealer.services.dealers import dealer_id
from dealer.services.schedule import booked_counts, day_slots
from dealer.status import AppointmentStatus


@dataclass(frozen=True)
class SlotLoad:
    start: datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


@dataclass(frozen=True)
class AdvisorDay:
    name: str
    bookings: list[DraftWorkOrder]


@dataclass(frozen=True)
class DayPlan:
    day: date
    slots: list[SlotLoad]
    advisors: list[AdvisorDay]
    unassigned: list[DraftWorkOrder]


def _day_bounds(day: date, catalog: Catalog) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, catalog.timezone)
    return start, start + timedelta(days=1)


def day_plan(session: Session, day: date, catalog: Catalog) -> DayPlan:
    """Every slot of the day with its occupancy, and each advisor's bookings."""
    first, after = _day_bounds(day, catalog)
    starts = day_slots(first, catalog)
    dealer = dealer_id(session, catalog)  # issue 14: the catalogue's dealer's plan
    counts = booked_counts(session, starts, dealer)
    slots = [SlotLoad(start, catalog.slot_capacity, counts.get(start, 0)) for start in starts]
    bookings = list(
        session.scalars(
            select(DraftWorkOrder)
            .options(joinedload(DraftWorkOrder.advisor))
            .where(
                DraftWorkOrder.dealer_id == dealer,
                DraftWorkOrder.start_at >= first,
                DraftWorkOrder.start_at < after,
                DraftWorkOrder.status.in_(ACTIVE_STATUSES),
            )
            .order_by(DraftWorkOrder.start_at, DraftWorkOrder.id)
        )
    )
    advisors = session.scalars(
        select(Advisor).where(Advisor.dealer_id == dealer, Advisor.active.is_(True)).order_by(Advisor.code)
    )
    return DayPlan(
        day=day,
        slots=slots,
        advisors=[
            AdvisorDay(advisor.name, [b for b in bookings if b.advisor_id == advisor.id])
            for advisor in advisors
        ],
        unassigned=[b for b in bookings if b.advisor_id is None],
    )


def arrivals(
    session: Session, day: date, catalog: Catalog, dealer_ids: list[int] | None = None
) -> list[tuple[Appointment, DraftWorkOrder]]:
    """The day's appointments in arrival order, with their drafts: each in its state now
    (已预约, 已到店, 维修中, 已交车, 未到店); cancelled ones are left off. Those of the
    dealers of ``dealer_ids`` (issue 14), by default the catalogue's dealer's."""
    first, after = _day_bounds(day, catalog)
    dealers = dealer_ids if dealer_ids is not None else [dealer_id(session, catalog)]
    rows = session.execute(
        select(Appointment, DraftWorkOrder)
        .join(DraftWorkOrder, DraftWorkOrder.id == Appointment.draft_id)
        .options(joinedload(DraftWorkOrder.advisor))
        .where(
            Appointment.dealer_id.in_(dealers),
            Appointment.start_at >= first,
            Appointment.start_at < after,
            Appointment.status != AppointmentStatus.cancelled,
        )
        .order_by(Appointment.start_at, Appointment.id)
    )
    return [(appointment, draft) for appointment, draft in rows]
