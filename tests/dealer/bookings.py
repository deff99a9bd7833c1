"""Bookings for the issue-12 tests (due work, the worker): made through the real booking
and review services, every time from the dealer clock."""
from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from dealer import clock
from dealer.db import unit_of_work
from dealer.services.booking import BookingRequest, book_once
from dealer.services.review import approve_draft

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The customers book at 15:00 on the day after the clock's today; appointments are later.
BOOKED_AT = datetime.combine(clock.now(SHANGHAI).date() + timedelta(days=1),
                             datetime.min.time(), SHANGHAI).replace(hour=15)
_numbers = count(1)


def day_at(days: int, hour: int, minute: int = 0) -> datetime:
    """``days`` after the booking day, at hour:minute (Asia/Shanghai)."""
    return (BOOKED_AT + timedelta(days=days)).replace(hour=hour, minute=minute)


def booked(database_url: str, catalog, start: datetime, channel: str = "rest", conversation: str | None = None) -> int:
    number = next(_numbers)
    request = BookingRequest(
        idempotency_key=f"followup-test:{number}", channel=channel,
        conversation_id=conversation or f"conv-{number}", service_type="maintenance", start=start,
        customer_name="王先生", phone=f"139{number:08d}", plate=f"沪B{number:05d}",
    )
    return book_once(database_url, request, catalog, BOOKED_AT).draft_id


def approved(database_url: str, catalog, start: datetime, now: datetime = BOOKED_AT, **kwargs) -> int:
    draft_id = booked(database_url, catalog, start, **kwargs)
    with unit_of_work(database_url) as session:
        approve_draft(session, draft_id, "advisor", catalog=catalog, now=now)
    return draft_id
