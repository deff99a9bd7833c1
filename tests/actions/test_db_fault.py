"""action_submit_booking with the dealer database unavailable (actions/db_fault.py):
the apology says it is not booked, with the dealer's phone, nothing is written, the form
stays at the read-back with every fact kept; other database errors keep utter_booking_failed.
Against real processes and PostgreSQL: tests/cluster/test_database_down.py."""
from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import exc

from actions import backend, db_fault
from actions.submit_booking import ActionSubmitBooking
from dealer.catalog import load_catalog
from tests.actions.test_submit_booking import CONFIRMED, drafts

pytestmark = pytest.mark.usefixtures("app_database")


def failing_with(error: Exception):
    async def book(request, now):
        raise error

    return book


@pytest.mark.parametrize("error", [
    exc.OperationalError("SELECT 1", {}, Exception("database is not currently accepting connections")),
    exc.InterfaceError("SELECT 1", {}, Exception("connection already closed")),
    exc.TimeoutError("QueuePool limit reached"),
])
async def test_an_unavailable_database_keeps_the_read_back(dispatcher, form_tracker, domain, app_database,
                                                           monkeypatch, error):
    monkeypatch.setattr(backend, "book", failing_with(error))
    tracker = form_tracker({}, requested_slot=None, slots=CONFIRMED)
    tracker.events.append({"event": "bot", "text": "好的,跟您确认一下预约信息…",
                           "data": {"buttons": [{"title": "正确", "payload": "/affirm"}]}})
    tracker.events.append({"event": "user", "text": "对的"})

    events = await ActionSubmitBooking().run(dispatcher, tracker, domain)

    [apology] = dispatcher.messages
    assert apology["response"] == db_fault.APOLOGY and apology["dealer_phone"] == load_catalog().phone
    assert apology["buttons"] == [{"title": "正确", "payload": "/affirm"}]
    assert [(e["event"], e.get("name"), e.get("value")) for e in events] == [
        ("slot", "booking_confirmed", None), ("active_loop", "booking_form", None),
        ("slot", "requested_slot", "booking_confirmed"), ("followup", "action_listen", None),
    ]
    assert drafts(app_database) == []


async def test_a_database_that_does_not_answer_is_unavailable_after_the_write_timeout(
    dispatcher, form_tracker, domain, monkeypatch
):
    async def silent(request, now):
        await asyncio.sleep(5)

    monkeypatch.setattr(backend, "book", silent)
    monkeypatch.setenv(db_fault.TIMEOUT_ENV, "0.2")
    tracker = form_tracker({}, requested_slot=None, slots=CONFIRMED)

    started = time.perf_counter()
    events = await ActionSubmitBooking().run(dispatcher, tracker, domain)

    assert time.perf_counter() - started < 1
    assert [m["response"] for m in dispatcher.messages] == [db_fault.APOLOGY]
    assert ("active_loop", "booking_form") in [(e["event"], e.get("name")) for e in events]


def test_the_write_timeout_defaults_to_3_s_under_rasas_4(monkeypatch):
    monkeypatch.delenv(db_fault.TIMEOUT_ENV, raising=False)
    assert db_fault.write_timeout() == 3.0
    monkeypatch.setenv(db_fault.TIMEOUT_ENV, "nonsense")
    assert db_fault.write_timeout() == 3.0


async def test_another_database_error_keeps_the_old_answer(dispatcher, form_tracker, domain, monkeypatch):
    monkeypatch.setattr(backend, "book", failing_with(exc.IntegrityError("INSERT", {}, Exception("check"))))
    tracker = form_tracker({}, requested_slot=None, slots=CONFIRMED)

    events = await ActionSubmitBooking().run(dispatcher, tracker, domain)

    assert [m["response"] for m in dispatcher.messages] == ["utter_booking_failed"]
    assert events == [{"event": "slot", "timestamp": None, "name": "booking_confirmed", "value": None}]


def test_the_apology_is_in_the_domain(domain):
    [variant] = domain["responses"][db_fault.APOLOGY]
    assert "还没有" in variant["text"] and "{dealer_phone}" in variant["text"]
