"""Issue 12: an appointment's life after approval (已预约 → 已到店 → 维修中 → 已交车, or
未到店), each move stamped and audited, and the no-show sweep (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dealer.db import unit_of_work
from dealer.models import Appointment, AuditLog, DraftWorkOrder
from dealer.services import appointments, changes
from dealer.services.appointments import NO_SHOW_ACTOR, TransitionRefused, mark_no_shows, move_appointment
from dealer.services.booking import BookingRequest, book_once
from dealer.services.booking_guard import Requester
from dealer.services.review import approve_draft
from dealer.settings import REPO_ROOT
from dealer.status import AppointmentStatus as S

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOOKED_AT = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)  # when the customers booked (a Thursday)
DAY = datetime(2026, 11, 27, 0, 0, tzinfo=SHANGHAI)  # the appointments' day
_numbers = count(1)


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def approved(database_url: str, catalog, start: datetime) -> int:
    """A booking made the day before and approved by an advisor: its appointment's id."""
    number = next(_numbers)
    request = BookingRequest(
        idempotency_key=f"appointment-test:{number}", channel="rest", conversation_id=f"conv-{number}",
        service_type="maintenance", start=start, customer_name="王先生", phone=f"138{number:08d}",
        plate=f"沪A{number:05d}",
    )
    draft_id = book_once(database_url, request, catalog, BOOKED_AT).draft_id
    with unit_of_work(database_url) as session:
        return approve_draft(session, draft_id, "advisor").id


def move(database_url: str, appointment_id: int, target: S, now: datetime, actor: str = "advisor") -> None:
    with unit_of_work(database_url) as session:
        move_appointment(session, appointment_id, target, actor, now)


def state(database_url: str, appointment_id: int) -> Appointment:
    with unit_of_work(database_url) as session:
        appointment = session.get(Appointment, appointment_id)
        session.expunge(appointment)
        return appointment


def status_rows(database_url: str, appointment_id: int) -> list[tuple]:
    with unit_of_work(database_url) as session:
        rows = session.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "appointment", AuditLog.entity_id == appointment_id, AuditLog.field == "status")
            .order_by(AuditLog.id)
        )
        return [(r.actor, r.action, r.old_value, r.new_value, r.at) for r in rows]


def test_an_appointment_moves_through_its_day_stamped_and_audited(database_url, catalog):
    appointment_id = approved(database_url, catalog, at(10))

    move(database_url, appointment_id, S.arrived, at(9, 50), actor="advisor")
    move(database_url, appointment_id, S.in_service, at(10, 5), actor="advisor2")
    move(database_url, appointment_id, S.delivered, at(11, 40), actor="manager")

    done = state(database_url, appointment_id)
    assert done.status == S.delivered
    assert (done.arrived_at, done.service_started_at, done.delivered_at) == (at(9, 50), at(10, 5), at(11, 40))
    assert done.no_show_at is None
    assert status_rows(database_url, appointment_id) == [
        ("advisor", "arrived", "confirmed", "arrived", at(9, 50)),
        ("advisor2", "in_service", "arrived", "in_service", at(10, 5)),
        ("manager", "delivered", "in_service", "delivered", at(11, 40)),
    ]


@pytest.mark.parametrize(
    ("path", "refused", "now"),
    [
        ((), S.in_service, at(10)),  # not received yet
        ((), S.delivered, at(10)),
        ((S.arrived,), S.arrived, at(10)),  # a second click
        ((S.arrived,), S.no_show, at(11)),  # here already
        ((S.arrived, S.in_service, S.delivered), S.arrived, at(12)),  # the day is over
        ((), S.confirmed, at(10)),
    ],
)
def test_only_the_allowed_moves_are_made_and_a_refusal_writes_nothing(database_url, catalog, path, refused, now):
    appointment_id = approved(database_url, catalog, at(10))
    for step in path:
        move(database_url, appointment_id, step, at(9, 55))
    before = state(database_url, appointment_id)

    with pytest.raises(TransitionRefused) as error:
        move(database_url, appointment_id, refused, now)

    assert (error.value.current, error.value.target, error.value.too_early) == (before.status, refused, False)
    assert state(database_url, appointment_id).status == before.status
    assert len(status_rows(database_url, appointment_id)) == len(path)


def test_no_show_only_after_the_start_and_a_late_customer_is_still_received(database_url, catalog):
    appointment_id = approved(database_url, catalog, at(10))
    with unit_of_work(database_url) as session:
        assert appointments.next_moves(session.get(Appointment, appointment_id), at(9, 59)) == [S.arrived]
        assert appointments.next_moves(session.get(Appointment, appointment_id), at(10)) == [S.arrived, S.no_show]

    with pytest.raises(TransitionRefused) as early:
        move(database_url, appointment_id, S.no_show, at(9, 59))
    move(database_url, appointment_id, S.no_show, at(10, 20))
    move(database_url, appointment_id, S.arrived, at(10, 45))  # came late after all

    assert early.value.too_early
    late = state(database_url, appointment_id)
    assert (late.status, late.no_show_at, late.arrived_at) == (S.arrived, at(10, 20), at(10, 45))


def test_mark_no_shows_takes_only_confirmed_appointments_past_the_grace_and_is_idempotent(database_url, catalog):
    grace = timedelta(minutes=catalog.no_show_grace_minutes)
    now = at(11) + grace
    late = approved(database_url, catalog, at(11))  # start + grace: now
    also_late = approved(database_url, catalog, at(9))
    within_grace = approved(database_url, catalog, at(11, 30))
    received = approved(database_url, catalog, at(10))
    move(database_url, received, S.arrived, at(9, 50))
    cancelled = approved(database_url, catalog, at(10, 30))
    with unit_of_work(database_url) as session:
        changes.cancel_booking(session, state(database_url, cancelled).draft_id, actor="advisor")

    with unit_of_work(database_url) as session:
        first = mark_no_shows(session, now, catalog)
    with unit_of_work(database_url) as session:
        second = mark_no_shows(session, now, catalog)

    assert first == [also_late, late] and second == []
    assert [state(database_url, a).status for a in (late, also_late, within_grace, received, cancelled)] == [
        S.no_show, S.no_show, S.confirmed, S.arrived, S.cancelled,
    ]
    assert state(database_url, late).no_show_at == now
    assert status_rows(database_url, late) == [(NO_SHOW_ACTOR, "no_show", "confirmed", "no_show", now)]
    assert catalog.no_show_grace_minutes == 30  # the dealer file's value


def test_two_sweeps_at_once_mark_each_appointment_once(database_url, catalog):
    late = [approved(database_url, catalog, at(hour)) for hour in (9, 10, 11)]
    now = at(15)

    def sweep(_: int) -> list[int]:
        with unit_of_work(database_url) as session:
            return mark_no_shows(session, now, catalog)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(sweep, range(4)))

    assert sorted(a for marked in results for a in marked) == late
    assert all(len(status_rows(database_url, a)) == 1 for a in late)


def test_a_customer_cannot_cancel_once_received_but_cancelling_before_is_audited(database_url, catalog):
    received, expected = approved(database_url, catalog, at(16)), approved(database_url, catalog, at(16, 30))
    move(database_url, received, S.arrived, at(9))
    received_draft, expected_draft = (state(database_url, a).draft_id for a in (received, expected))
    with unit_of_work(database_url) as session:  # each booking's own conversation asks
        owner = {d: Requester(session.get(DraftWorkOrder, d).conversation_id, "rest")
                 for d in (received_draft, expected_draft)}

    with pytest.raises(LookupError), unit_of_work(database_url) as session:
        changes.cancel_booking(session, received_draft, requester=owner[received_draft])
    with unit_of_work(database_url) as session:
        changes.cancel_booking(session, expected_draft, requester=owner[expected_draft])

    assert state(database_url, received).status == S.arrived
    assert state(database_url, expected).status == S.cancelled
    assert [row[1:4] for row in status_rows(database_url, expected)] == [("cancelled", "confirmed", "cancelled")]


def test_the_command_line_marks_no_shows_on_the_injected_clock(database_url, catalog):
    appointment_id = approved(database_url, catalog, at(10))
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO_ROOT),
           "DEALER_CLOCK": at(10, 31).isoformat()}
    env.pop("DEALER_CLOCK_AT", None)

    done = subprocess.run([sys.executable, "-m", "dealer", "mark-no-shows"], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert "1 appointment(s) marked no-show" in done.stdout
    assert state(database_url, appointment_id).status == S.no_show
