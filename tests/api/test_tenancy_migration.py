"""Migration 0010 (issue 14) on a database with data in it, on both engines: every row
goes to the default dealer, per-dealer uniqueness holds, the audit log stays append-only."""
from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from dealer.__main__ import migrate, seed
from dealer.catalog import DEFAULT_CATALOG
from dealer.db import get_engine
from tests.api.test_migrations import _alembic

ROWS_0009 = [
    "INSERT INTO advisor (id, code, name, active) VALUES (1, 'A01', '李明', true)",
    "INSERT INTO staff_user (id, username, password_hash, role, advisor_id, active, created_at) "
    "VALUES (1, 'advisor', 'x', 'advisor', 1, true, '2026-12-01 02:00:00+00:00')",
    "INSERT INTO customer (id, name, phone, created_at) VALUES (1, '王先生', '13812345678', '2026-12-01 02:00:00+00:00')",
    "INSERT INTO vehicle (id, customer_id, plate, created_at) VALUES (1, 1, '沪A12345', '2026-12-01 02:00:00+00:00')",
    "INSERT INTO capacity_slot (id, start_at, capacity, booked) VALUES (1, '2026-12-02 02:00:00+00:00', 2, 1)",
    "INSERT INTO draft_work_order (id, idempotency_key, status, channel, conversation_id, customer_id, vehicle_id, "
    "phone, plate, service_type, start_at, advisor_id, urgent, needs_human, version, created_at, updated_at) VALUES "
    "(1, 'k1', 'approved', 'rest', 'c1', 1, 1, '13812345678', '沪A12345', 'maintenance', '2026-12-02 02:00:00+00:00', "
    "1, false, false, 1, '2026-12-01 02:00:00+00:00', '2026-12-01 02:00:00+00:00')",
    "INSERT INTO appointment (id, draft_id, start_at, advisor_id, status, created_at) VALUES "
    "(1, 1, '2026-12-02 02:00:00+00:00', 1, 'confirmed', '2026-12-01 02:00:00+00:00')",
    "INSERT INTO followup_task (id, key, kind, channel, state, draft_id, due_at, run_at, attempts, complaint, created_at) "
    "VALUES (100, 'reminder:1', 'reminder', 'call', 'pending', 1, '2026-12-01 02:00:00+00:00', "
    "'2026-12-01 02:00:00+00:00', 0, false, '2026-12-01 02:00:00+00:00')",
    "INSERT INTO audit_log (id, at, actor, entity, entity_id, action) VALUES "
    "(1, '2026-12-01 02:00:00+00:00', 'assistant', 'draft_work_order', 1, 'create')",
]
SCOPED = ("advisor", "staff_user", "customer", "vehicle", "capacity_slot", "draft_work_order", "appointment",
          "followup_task", "audit_log")


def test_existing_rows_go_to_the_default_dealer(fresh_database_url: str) -> None:
    config = _alembic(fresh_database_url)
    command.downgrade(config, "base")
    command.upgrade(config, "0009")
    engine = get_engine(fresh_database_url)
    with engine.begin() as connection:
        for statement in ROWS_0009:
            connection.execute(text(statement))
        if connection.dialect.name == "postgresql":  # the ids were given: move the sequences on
            for table in SCOPED:
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
    engine.dispose()

    migrate(fresh_database_url)
    seed(fresh_database_url, DEFAULT_CATALOG, demo=True)

    engine = get_engine(fresh_database_url)
    try:
        with engine.connect() as connection:
            demo = connection.scalar(text("SELECT id FROM dealer WHERE code = 'demo'"))
            assert demo == connection.scalar(text("SELECT min(id) FROM dealer"))
            for table in SCOPED:
                assert connection.scalar(text(f"SELECT count(*) FROM {table} WHERE dealer_id = :d"), {"d": demo}) >= 1
                assert connection.scalar(text(f"SELECT count(*) FROM {table} WHERE dealer_id IS NULL")) == 0
            assert connection.scalar(text("SELECT count(*) FROM dealer")) == 2  # the second demo dealer seeded
            pudong = connection.scalar(text("SELECT id FROM dealer WHERE code = 'pudong'"))
        # The same phone, plate and slot at another dealer are another dealer's rows ...
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO customer (dealer_id, phone, created_at) VALUES "
                                    "(:d, '13812345678', '2026-12-01 02:00:00+00:00')"), {"d": pudong})
            connection.execute(text("INSERT INTO capacity_slot (dealer_id, start_at, capacity, booked) VALUES "
                                    "(:d, '2026-12-02 02:00:00+00:00', 3, 0)"), {"d": pudong})
        # ... but twice at one dealer is refused, as before.
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text("INSERT INTO customer (dealer_id, phone, created_at) VALUES "
                                    "(:d, '13812345678', '2026-12-01 02:00:00+00:00')"), {"d": demo})
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(text("UPDATE audit_log SET actor = 'x'"))
    finally:
        engine.dispose()
