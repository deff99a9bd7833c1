"""The actions' one door to the dealer database and catalogue.

Blocking database work runs in a worker thread: rasa_sdk serves every
conversation on one event loop.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from dealer.catalog import Catalog, load_catalog
from dealer.db import unit_of_work
from dealer.script import BookingScript, load_script
from dealer.services import booking, booking_guard, changes, followups, schedule
from dealer.services.customers import CustomerHistory, customer_history
from dealer.settings import get_settings

T = TypeVar("T")


def catalog() -> Catalog:
    return load_catalog(get_settings().catalog_path)


def script() -> BookingScript:
    return load_script()


def service_flags(code: str | None) -> frozenset[str]:
    """The catalogue attributes (interview, ask_vin) of a service type code, if any."""
    if not code:
        return frozenset()
    try:
        return catalog().service_type(code).flags
    except KeyError:
        return frozenset()


async def history_of(phone: str) -> CustomerHistory | None:
    return await in_session(lambda s: customer_history(s, phone))


async def in_session(work: Callable[[Session], T]) -> T:
    def run() -> T:
        with unit_of_work(get_settings().database_url) as session:
            return work(session)

    return await asyncio.to_thread(run)


async def slot_problem(start: datetime, now: datetime) -> schedule.SlotProblem | None:
    """Why ``start`` cannot be offered now (closed, past, full ...), or None."""
    dealer = catalog()
    problem = schedule.slot_problem(start, dealer, now)
    if problem is not None:
        return problem
    counts = await in_session(lambda s: schedule.booked_counts(s, [start]))
    if counts.get(start, 0) >= dealer.slot_capacity:
        return schedule.SlotProblem.full
    return None


async def free_slots_near(wanted: datetime, now: datetime, limit: int = 3) -> list[datetime]:
    dealer = catalog()
    return await in_session(lambda s: schedule.free_slots_near(s, wanted, dealer, now, limit))


async def book(request: booking.BookingRequest, now: datetime) -> booking.BookingResult:
    return await asyncio.to_thread(
        booking.book_once, get_settings().database_url, request, catalog(), now
    )


async def hand_over(request: booking.BookingRequest, now: datetime) -> booking.BookingResult:
    """转人工 mid-booking: the facts so far as a draft that needs a human (see booking.hand_over)."""
    return await asyncio.to_thread(
        booking.book_once, get_settings().database_url, request, catalog(), now, booking.hand_over
    )


async def find_own_booking(
    phone: str, plate: str, requester: booking_guard.Requester, now: datetime
) -> tuple[int, datetime] | None:
    """The requester's own next booking for this phone and plate; None alike when there
    is none and when it was made elsewhere (then flagged for an advisor)."""

    def find(session: Session) -> tuple[int, datetime] | None:
        draft = booking_guard.find_own_booking(session, phone, plate, requester, now)
        return (draft.id, draft.start_at) if draft else None

    return await in_session(find)


async def booking_limit(
    phone: str | None, requester: booking_guard.Requester, now: datetime
) -> booking_guard.BookingLimitReached | None:
    dealer = catalog()
    return await in_session(lambda s: booking_guard.limit_reached(s, phone, requester, dealer, now))


async def opted_out(draft_id: int) -> bool:
    """Whether the booking's customer opted out of reminders (退订)."""
    return await in_session(lambda s: followups.draft_opted_out(s, draft_id))


async def cancel_booking(draft_id: int, requester: booking_guard.Requester) -> None:
    await in_session(lambda s: changes.cancel_booking(s, draft_id, requester=requester))


async def reschedule_booking(
    draft_id: int, new_start: datetime, now: datetime, requester: booking_guard.Requester
) -> None:
    dealer = catalog()
    await in_session(lambda s: changes.reschedule_booking(s, draft_id, new_start, dealer, now, requester=requester))
