"""The actions' one door to the dealer database and catalogue.

Blocking database work runs in a worker thread: rasa_sdk serves every
conversation on one event loop.

Issue 14: a conversation is for one dealer (its ``dealer`` slot, set by the Rasa
server at the session start: bot/conversation_dealer.py). The action server sets
``conversation_dealer`` for each action call (actions/server.py) before the action
runs; ``catalog()`` is then that dealer's catalogue, and every query below is scoped
to it. A context variable rather than an argument: the catalogue is read in some forty
places, many of them helpers that never see the tracker, and each action call runs in
its own asyncio task (and ``to_thread`` carries the variable into the worker thread).
"""
from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from dealer.catalog import Catalog, load_dealers
from dealer.db import read_only_unit, unit_of_work
from dealer.script import BookingScript, load_script
from dealer.services import booking, booking_guard, changes, followups, schedule
from dealer.services.customers import CustomerHistory, customer_history
from dealer.settings import get_settings

T = TypeVar("T")

# The code of the dealer the action being run serves; None: the default dealer.
conversation_dealer: contextvars.ContextVar[str | None] = contextvars.ContextVar("conversation_dealer", default=None)


def dealers() -> dict[str, Catalog]:
    settings = get_settings()
    return load_dealers(settings.catalog_path, settings.dealers_dir)


def serve_dealer(code: object) -> None:
    """The action call about to run is for this dealer (an unknown code: the default)."""
    conversation_dealer.set(code if isinstance(code, str) and code in dealers() else None)


@contextmanager
def serving(code: str | None) -> Iterator[None]:
    """Run the actions of a block for this dealer (tests, scripts)."""
    token = conversation_dealer.set(code)
    try:
        yield
    finally:
        conversation_dealer.reset(token)


def warm_up() -> None:
    """Load before serving what the first action calls would load while a customer waits:
    every dealer's catalogue, the booking script, and pypinyin's dictionaries for the
    homophones (dealer/homophones.py: ~1 s, once)."""
    for dealer_catalog in dealers().values():
        dealer_catalog.services_named("预约保样")  # a homophone: the readings are loaded
    script()


def catalog() -> Catalog:
    """The catalogue of the dealer the current conversation is for."""
    known = dealers()
    code = conversation_dealer.get()
    return known[code] if code in known else next(iter(known.values()))


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
    dealer = catalog()
    return await in_session(lambda s: customer_history(s, phone, dealer), read_only=True)


async def in_session(work: Callable[[Session], T], read_only: bool = False) -> T:
    """``work`` in a unit of work of its own, in a worker thread; ``read_only`` for work
    that only reads (dealer/db.py: on SQLite it does not wait for the write lock)."""
    def run() -> T:
        with (read_only_unit if read_only else unit_of_work)(get_settings().database_url) as session:
            return work(session)

    return await asyncio.to_thread(run)


async def slot_problem(start: datetime, now: datetime) -> schedule.SlotProblem | None:
    """Why ``start`` cannot be offered now (closed, past, full ...), or None."""
    dealer = catalog()
    problem = schedule.slot_problem(start, dealer, now)
    if problem is not None:
        return problem
    counts = await in_session(lambda s: schedule.booked_counts(s, [start], dealer), read_only=True)
    if counts.get(start, 0) >= dealer.slot_capacity:
        return schedule.SlotProblem.full
    return None


async def free_slots_near(wanted: datetime, now: datetime, limit: int = 3) -> list[datetime]:
    dealer = catalog()
    return await in_session(lambda s: schedule.free_slots_near(s, wanted, dealer, now, limit), read_only=True)


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

    dealer = catalog()

    def find(session: Session) -> tuple[int, datetime] | None:
        draft = booking_guard.find_own_booking(session, phone, plate, requester, now, dealer)
        return (draft.id, draft.start_at) if draft else None

    return await in_session(find)


async def booking_limit(
    phone: str | None, requester: booking_guard.Requester, now: datetime
) -> booking_guard.BookingLimitReached | None:
    dealer = catalog()
    return await in_session(lambda s: booking_guard.limit_reached(s, phone, requester, dealer, now), read_only=True)


async def opted_out(draft_id: int) -> bool:
    """Whether the booking's customer opted out of reminders (退订)."""
    return await in_session(lambda s: followups.draft_opted_out(s, draft_id), read_only=True)


async def cancel_booking(draft_id: int, requester: booking_guard.Requester) -> None:
    await in_session(lambda s: changes.cancel_booking(s, draft_id, requester=requester))


async def reschedule_booking(
    draft_id: int, new_start: datetime, now: datetime, requester: booking_guard.Requester
) -> None:
    dealer = catalog()
    await in_session(lambda s: changes.reschedule_booking(s, draft_id, new_start, dealer, now, requester=requester))
