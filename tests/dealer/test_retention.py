"""`python -m dealer retain [--dry-run]` on SQLite and PostgreSQL: work orders older than
the limit lose who they were for, conversations that booked nothing go after 180 days,
and everything younger stays as it is."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from dealer import clock
from dealer.customer_data import pseudonym
from dealer.db import unit_of_work
from dealer.models import AuditLog, Customer, DraftWorkOrder
from dealer.retention import RetentionPolicy, retain
from tests.dealer.privacy_data import (
    CUSTOMER,
    STRANGER,
    Person,
    add_conversation,
    add_customer_booking,
    dump,
    tracker_url,
    traces_of,
)

KEY = "r" * 40
RETURNING = Person("诸葛青", "13611112222", "粤BD12345", "LFV2A21K8D4012345", "136 1111 2222", "粤B·D12345")


@pytest.fixture
def history(database_url, tmp_path):
    """Four years back: CUSTOMER's booking and RETURNING's first one; RETURNING booked again
    last month; STRANGER booked last week. Chats: one that booked nothing a year ago, one
    that booked nothing last week."""
    now = clock.now(timezone.utc)
    real_now = datetime.now(timezone.utc)
    long_ago = now - timedelta(days=4 * 365)
    tracker = tracker_url(tmp_path)
    drafts = {
        "old": add_customer_booking(database_url, CUSTOMER, "rest-old", created=long_ago),
        "returning_old": add_customer_booking(database_url, RETURNING, "rest-returning-old", created=long_ago,
                                              with_vin=False),
        "returning_new": add_customer_booking(database_url, RETURNING, "rest-returning-new",
                                              created=now - timedelta(days=30), with_vin=False),
        "recent": add_customer_booking(database_url, STRANGER, "rest-recent", created=now - timedelta(days=7)),
    }
    add_conversation(tracker, "rest-old", [f"我叫{CUSTOMER.name}", CUSTOMER.typed_phone], {},
                     real_now - timedelta(days=4 * 365))
    add_conversation(tracker, "rest-recent", [STRANGER.phone], {}, real_now - timedelta(days=7))
    add_conversation(tracker, "rest-returning-new", [RETURNING.phone], {}, real_now - timedelta(days=30))
    add_conversation(tracker, "web-unbooked-old", ["我叫路人甲", "13755556666", "算了"], {},
                     real_now - timedelta(days=365))
    add_conversation(tracker, "web-unbooked-new", ["我叫路人乙", "13755557777"], {}, real_now - timedelta(days=7))
    return database_url, tracker, drafts, now, real_now


def run(history, dry_run: bool = False):
    database_url, tracker, _, now, real_now = history
    return retain(database_url, tracker, KEY, "cli:test", RetentionPolicy(), now, real_now, dry_run=dry_run)


def test_old_work_orders_and_unbooked_conversations_are_anonymised(history) -> None:
    database_url, tracker, drafts, _, _ = history

    report = run(history)

    assert (report.drafts_anonymised, report.customers_deleted, report.vehicles_deleted) == (2, 1, 1)
    assert (report.conversations_deleted, report.dry_run) == (2, False)  # rest-old, web-unbooked-old
    assert traces_of(CUSTOMER, dump(database_url) + dump(tracker)) == []
    tracker_text = dump(tracker)
    assert "路人甲" not in tracker_text and "13755556666" not in tracker_text
    assert "路人乙" in tracker_text and STRANGER.phone in tracker_text  # younger than 180 days
    with unit_of_work(database_url) as session:
        old = session.get(DraftWorkOrder, drafts["old"])
        assert (old.customer_name, old.phone, old.plate, old.vin, old.customer_id) == (None,) * 5
        assert old.conversation_id.startswith("forgotten:") and old.status == "approved"
        returning_old = session.get(DraftWorkOrder, drafts["returning_old"])
        assert returning_old.phone is None
        # RETURNING booked again last month: that booking, the customer and the car stay.
        returning_new = session.get(DraftWorkOrder, drafts["returning_new"])
        assert (returning_new.customer_name, returning_new.phone, returning_new.plate) == (
            RETURNING.name, RETURNING.phone, RETURNING.plate)
        assert session.scalar(select(Customer).where(Customer.phone == RETURNING.phone)) is not None
        recent = session.get(DraftWorkOrder, drafts["recent"])
        assert (recent.customer_name, recent.phone) == (STRANGER.name, STRANGER.phone)
        who = pseudonym(KEY, "customer", CUSTOMER.phone)
        edits = session.scalars(select(AuditLog).where(AuditLog.entity_id == drafts["old"],
                                                       AuditLog.field == "phone")).all()
        assert [(e.old_value, e.new_value) for e in edits] == [(who, who)]
        assert session.scalars(select(AuditLog.actor).where(AuditLog.entity == "retention")).all() == ["cli:test"]


def test_a_dry_run_reports_and_changes_nothing(history) -> None:
    database_url, tracker, _, _, _ = history
    before = dump(database_url), dump(tracker)

    report = run(history, dry_run=True)

    assert (report.drafts_anonymised, report.customers_deleted, report.conversations_deleted) == (2, 1, 2)
    assert report.dry_run
    assert (dump(database_url), dump(tracker)) == before


def test_a_second_run_finds_nothing_more(history) -> None:
    run(history)
    again = run(history)
    assert (again.drafts_anonymised, again.customers_deleted, again.conversations_deleted) == (0, 0, 0)


def test_the_limits_are_settings(history, monkeypatch) -> None:
    from dealer.settings import DealerSettings

    monkeypatch.setenv("RETENTION_WORK_ORDER_DAYS", "10")
    monkeypatch.setenv("RETENTION_UNBOOKED_CONVERSATION_DAYS", "3")
    settings = DealerSettings()
    assert (settings.retention_work_order_days, settings.retention_unbooked_conversation_days) == (10, 3)
    assert DealerSettings.model_fields["retention_work_order_days"].default == 3 * 365
    database_url, tracker, _, now, real_now = history
    policy = RetentionPolicy(settings.retention_work_order_days, settings.retention_unbooked_conversation_days)
    report = retain(database_url, tracker, KEY, "cli:test", policy, now, real_now)
    # Every booking but last week's with their chats (rest-old, rest-returning-new), and
    # both unbooked chats.
    assert (report.drafts_anonymised, report.conversations_deleted) == (3, 4)
