"""The capacity plan: which slots are bookable and which are free."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.models import CapacitySlot
from dealer.services.dealers import DealerRef, dealer_id


class SlotProblem(str, Enum):
    past = "past"
    closed = "closed"  # outside opening hours
    misaligned = "misaligned"  # not on a slot boundary
    too_far = "too_far"
    full = "full"


def slot_problem(start: datetime, catalog: Catalog, now: datetime) -> SlotProblem | None:
    """Why a start time cannot be booked, ignoring occupancy; None if it can."""
    local = start.astimezone(catalog.timezone)
    if start <= now:
        return SlotProblem.past
    if start - now > timedelta(days=catalog.booking_horizon_days):
        return SlotProblem.too_far
    last_start = (
        datetime.combine(local.date(), catalog.closes_at, catalog.timezone)
        - timedelta(minutes=catalog.slot_minutes)
    ).time()
    if not (catalog.opens_at <= local.time() <= last_start):
        return SlotProblem.closed
    minutes_from_open = (local.hour * 60 + local.minute) - (
        catalog.opens_at.hour * 60 + catalog.opens_at.minute
    )
    if local.second or local.microsecond or minutes_from_open % catalog.slot_minutes:
        return SlotProblem.misaligned
    return None


def day_slots(day_start: datetime, catalog: Catalog) -> list[datetime]:
    """Every slot start of the local day that contains ``day_start``."""
    local_day = day_start.astimezone(catalog.timezone).date()
    slot = datetime.combine(local_day, catalog.opens_at, catalog.timezone)
    closes = datetime.combine(local_day, catalog.closes_at, catalog.timezone)
    slots = []
    while slot + timedelta(minutes=catalog.slot_minutes) <= closes:
        slots.append(slot)
        slot += timedelta(minutes=catalog.slot_minutes)
    return slots


def booked_counts(session: Session, starts: list[datetime], dealer: DealerRef = None) -> dict[datetime, int]:
    """How many cars each slot holds at the dealer (default: the default dealer)."""
    if not starts:
        return {}
    rows = session.execute(
        select(CapacitySlot.start_at, CapacitySlot.booked).where(
            CapacitySlot.dealer_id == dealer_id(session, dealer), CapacitySlot.start_at.in_(starts)
        )
    )
    return {start: booked for start, booked in rows}


def free_slots_near(
    session: Session,
    wanted: datetime,
    catalog: Catalog,
    now: datetime,
    limit: int = 3,
    search_days: int = 14,
) -> list[datetime]:
    """The free slots closest to ``wanted`` (same day first, then the following days)."""
    anchor = max(wanted, now)
    candidates: list[datetime] = []
    for offset in range(search_days):
        candidates.extend(
            s
            for s in day_slots(anchor + timedelta(days=offset), catalog)
            if slot_problem(s, catalog, now) is None
        )
    counts = booked_counts(session, candidates, catalog)
    free = [s for s in candidates if counts.get(s, 0) < catalog.slot_capacity]
    free.sort(key=lambda s: (abs((s - wanted).total_seconds()), s))
    return sorted(free[:limit])


def callback_time(now: datetime, catalog: Catalog) -> tuple[datetime, bool]:
    """When an advisor calls back after 转人工, and whether that is within today's opening hours.

    Open now (and still open after ``callback_minutes``): within ``callback_minutes``;
    otherwise at the next opening.
    """
    local = now.astimezone(catalog.timezone)
    soon = local + timedelta(minutes=catalog.callback_minutes)
    if catalog.opens_at <= local.time() and soon.date() == local.date() and soon.time() <= catalog.closes_at:
        return soon, True
    day = local.date() if local.time() < catalog.opens_at else local.date() + timedelta(days=1)
    return datetime.combine(day, catalog.opens_at, catalog.timezone), False
