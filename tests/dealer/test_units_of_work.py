"""Units of work: one that only reads does not queue behind a writer (SQLite), and
refuses to write; both engines."""
from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dealer.__main__ import migrate, seed
from dealer.db import ReadOnlyViolation, make_engine, read_only_unit, unit_of_work
from dealer.models import Dealer
from dealer.settings import get_settings


def _dealers(url: str) -> int:
    with read_only_unit(url) as session:
        return session.scalar(select(func.count()).select_from(Dealer))


def test_a_read_only_unit_reads_what_is_committed(database_url):
    assert _dealers(database_url) >= 1
    with unit_of_work(database_url) as session:
        session.add(Dealer(code="reader-test", name="读者测试店"))
    with read_only_unit(database_url) as session:
        assert session.scalar(select(Dealer.name).where(Dealer.code == "reader-test")) == "读者测试店"


def test_a_read_only_unit_refuses_to_write_and_writes_nothing(database_url):
    before = _dealers(database_url)
    with pytest.raises(ReadOnlyViolation):
        with read_only_unit(database_url) as session:
            session.add(Dealer(code="never-written", name="不应写入"))
    assert _dealers(database_url) == before
    with pytest.raises(ReadOnlyViolation):
        with read_only_unit(database_url) as session:
            session.scalars(select(Dealer)).first().name = "改名"
    with read_only_unit(database_url) as session:
        assert "改名" not in session.scalars(select(Dealer.name)).all()


def test_on_sqlite_a_read_does_not_wait_for_a_writer_and_a_write_does(tmp_path):
    url = f"sqlite:///{tmp_path / 'dealer.db'}"
    migrate(url)
    seed(url, get_settings().catalog_path, demo=False)
    expected = _dealers(url)
    writer = sqlite3.connect(tmp_path / "dealer.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process writing a booking holds the write lock
    try:
        began = time.perf_counter()
        assert _dealers(url) == expected
        assert time.perf_counter() - began < 1.0  # no busy wait (the engine waits up to 10 s)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    blocker = sqlite3.connect(tmp_path / "dealer.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:  # a unit that may write still takes the write lock first: it waits, then gives up
        engine = make_engine(url)
        event.listen(engine, "connect", lambda connection, _record: connection.execute("PRAGMA busy_timeout = 200"))
        with pytest.raises(OperationalError, match="locked"):
            with Session(engine) as session, session.begin():
                session.scalar(select(func.count()).select_from(Dealer))
        engine.dispose()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
