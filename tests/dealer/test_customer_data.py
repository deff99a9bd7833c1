"""`python -m dealer export|forget --phone …` on SQLite and PostgreSQL: everything held
about a customer, then nothing of them left in either database but a pseudonym."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from dealer import clock
from dealer.customer_data import TrackerStoreUnavailable, export_customer, forget_customer, pseudonym
from dealer.db import unit_of_work
from dealer.models import AuditLog, Customer, DraftWorkOrder
from devtools.stack import REPO_ROOT
from tests.dealer.privacy_data import (
    CUSTOMER,
    STRANGER,
    add_conversation,
    add_customer_booking,
    dump,
    tracker_url,
    traces_of,
)

KEY = "k" * 40


@pytest.fixture
def held(database_url, tmp_path):
    """The customer: two bookings (two conversations) and a chat that booked nothing but
    gave the phone; a stranger with a booking of their own."""
    tracker = tracker_url(tmp_path)
    now = clock.now(timezone.utc)
    drafts = [add_customer_booking(database_url, CUSTOMER, "rest-customer-1"),
              add_customer_booking(database_url, CUSTOMER, "rest-customer-2")]
    stranger_draft = add_customer_booking(database_url, STRANGER, "rest-stranger")
    add_conversation(tracker, "rest-customer-1", ["我想修刹车", f"我叫{CUSTOMER.name}", CUSTOMER.typed_phone,
                                                  CUSTOMER.typed_plate],
                     {"customer_name": CUSTOMER.name, "phone": CUSTOMER.phone, "plate": CUSTOMER.plate}, now)
    add_conversation(tracker, "rest-customer-2", ["还是我", f"车架号{CUSTOMER.vin.lower()}"], {}, now)
    add_conversation(tracker, "web-unbooked", [f"我的电话是{CUSTOMER.typed_phone}", "算了不约了"], {}, now)
    add_conversation(tracker, "rest-stranger", [f"我叫{STRANGER.name}", STRANGER.phone],
                     {"customer_name": STRANGER.name}, now)
    return database_url, tracker, drafts, stranger_draft


def test_export_holds_everything_about_the_customer_and_nothing_of_others(held) -> None:
    database_url, tracker, drafts, _ = held

    found = json.loads(json.dumps(export_customer(database_url, tracker, CUSTOMER.phone), default=str))

    assert found["customer"]["name"] == CUSTOMER.name and found["customer"]["phone"] == CUSTOMER.phone
    assert [(v["plate"], v["vin"]) for v in found["vehicles"]] == [(CUSTOMER.plate, CUSTOMER.vin)]
    assert sorted(d["id"] for d in found["drafts"]) == sorted(drafts)
    assert len(found["appointments"]) == 2
    assert {(a["field"], a["new_value"]) for a in found["audit_log"]} >= {
        ("customer_name", CUSTOMER.name), ("phone", CUSTOMER.phone), ("symptoms.tried", f"车牌{CUSTOMER.plate}上次修过")}
    assert {a["entity"] for a in found["audit_log"]} == {"draft_work_order", "appointment"}
    events = found["conversations"]["events"]
    assert sorted(events) == ["rest-customer-1", "rest-customer-2", "web-unbooked"]
    assert f"我叫{CUSTOMER.name}" in [e["data"].get("text") for e in events["rest-customer-1"]]
    assert not traces_of(STRANGER, json.dumps(found, ensure_ascii=False))


def test_after_forget_no_trace_is_left_in_either_database(held) -> None:
    database_url, tracker, drafts, stranger_draft = held
    assert traces_of(CUSTOMER, dump(database_url)) and traces_of(CUSTOMER, dump(tracker))  # the dump sees them

    report = forget_customer(database_url, tracker, CUSTOMER.phone, KEY, "cli:test")

    assert traces_of(CUSTOMER, dump(database_url)) == []
    assert traces_of(CUSTOMER, dump(tracker)) == []
    assert report.customer_deleted and report.vehicles_deleted == 1 and report.drafts_anonymised == 2
    assert report.conversations_deleted == 3
    who = pseudonym(KEY, "customer", CUSTOMER.phone)
    assert report.pseudonym == who
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Customer).where(Customer.phone == CUSTOMER.phone)) == 0
        kept = [session.get(DraftWorkOrder, d) for d in drafts]
        assert [(d.status, d.service_type, d.phone, d.customer_name) for d in kept] == [("approved", "repair", None, None)] * 2
        history = session.scalars(select(AuditLog).where(AuditLog.entity == "draft_work_order",
                                                         AuditLog.entity_id == drafts[0])).all()
        assert [(h.field, h.old_value, h.new_value) for h in history if h.field] == [
            ("customer_name", who, who), ("phone", who, who), ("symptoms.tried", None, f"车牌{who}上次修过")]
        forgot = session.scalars(select(AuditLog).where(AuditLog.action == "forget")).one()
        assert (forgot.actor, forgot.new_value) == ("cli:test", who)
        stranger = session.get(DraftWorkOrder, stranger_draft)
        assert (stranger.customer_name, stranger.phone, stranger.plate) == (STRANGER.name, STRANGER.phone, STRANGER.plate)
    assert STRANGER.name in dump(tracker)  # the stranger's conversation stays


def test_the_audit_log_is_append_only_again_after_forget(held) -> None:
    database_url, tracker, _, _ = held
    forget_customer(database_url, tracker, CUSTOMER.phone, KEY, "cli:test")
    with pytest.raises(DBAPIError, match="append-only"), unit_of_work(database_url) as session:
        session.execute(text("UPDATE audit_log SET actor = 'x'"))
    with pytest.raises(DBAPIError, match="append-only"), unit_of_work(database_url) as session:
        session.execute(text("DELETE FROM audit_log"))


def test_an_unreachable_tracker_store_changes_nothing(held) -> None:
    database_url, _, _, _ = held
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:9/nothing?connect_timeout=2"
    before = dump(database_url)
    with pytest.raises(TrackerStoreUnavailable):
        forget_customer(database_url, unreachable, CUSTOMER.phone, KEY, "cli:test")
    assert dump(database_url) == before


def test_forget_twice_and_a_phone_nobody_has(held) -> None:
    database_url, tracker, _, _ = held
    forget_customer(database_url, tracker, CUSTOMER.phone, KEY, "cli:test")
    again = forget_customer(database_url, tracker, CUSTOMER.phone, KEY, "cli:test")
    assert (again.customer_deleted, again.drafts_anonymised, again.conversations_deleted) == (False, 0, 0)
    nobody = export_customer(database_url, tracker, "13700000000")
    assert (nobody["customer"], nobody["drafts"], nobody["conversations"]["events"]) == (None, [], {})


def run_cli(*args: str, database_url: str, tracker: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "TRACKER_STORE_URL": tracker, "PSEUDONYM_KEY": KEY,
           "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "dealer", *args], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_commands(held) -> None:
    database_url, tracker, drafts, _ = held

    exported = run_cli("export", "--phone", "138-1234-5678", database_url=database_url, tracker=tracker)
    assert exported.returncode == 0, exported.stderr
    assert sorted(d["id"] for d in json.loads(exported.stdout)["drafts"]) == sorted(drafts)

    refused = run_cli("forget", "--phone", "12345", database_url=database_url, tracker=tracker)
    assert refused.returncode == 2 and "not a mainland mobile number" in refused.stderr

    forgotten = run_cli("forget", "--phone", CUSTOMER.phone, database_url=database_url, tracker=tracker)
    assert forgotten.returncode == 0, forgotten.stderr
    assert json.loads(forgotten.stdout)["pseudonym"] == pseudonym(KEY, "customer", CUSTOMER.phone)
    assert traces_of(CUSTOMER, dump(database_url) + dump(tracker)) == []


def test_the_customers_car_booked_under_another_phone(held) -> None:
    """The customer's car booked under another phone: the car is forgotten, that phone is not."""
    database_url, tracker, _, _ = held
    with unit_of_work(database_url) as session:
        other = session.get(DraftWorkOrder, add_customer_booking(database_url, STRANGER, "rest-spouse"))
        other.plate, other.vehicle_id = CUSTOMER.plate, None
        other_id = other.id
    forget_customer(database_url, tracker, CUSTOMER.phone, KEY, "cli:test")
    with unit_of_work(database_url) as session:
        other = session.get(DraftWorkOrder, other_id)
        assert (other.plate, other.phone) == (None, STRANGER.phone)
    assert traces_of(CUSTOMER, dump(database_url)) == []
