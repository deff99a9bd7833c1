"""Engine and session factories. Nothing is connected at import time."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" hook below open transactions itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the API read while the action server writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# An execution option of the sessions of read_only_unit.
READ_ONLY = "dealer_read_only"


def _sqlite_begin_immediate(connection) -> None:
    # Take the write lock at BEGIN: a deferred transaction that reads and then
    # writes can fail with "database is locked" under concurrent bookings. A unit of
    # work that only reads begins deferred: in WAL mode it takes no lock at all.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(database_url: str) -> Engine:
    # hide_parameters: a failing statement's error (logged, or shown in a traceback)
    # names no customer's phone, plate or name among its bound values.
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url, connect_args={"check_same_thread": False, "timeout": 10},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                         hide_parameters=True)


@lru_cache
def get_engine(database_url: str) -> Engine:
    """One engine per URL and process, created on first use."""
    return make_engine(database_url)


@lru_cache
def _session_factory(database_url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(database_url), expire_on_commit=False)


@contextmanager
def unit_of_work(database_url: str) -> Iterator[Session]:
    """A session and a transaction: committed on success, rolled back on error."""
    with _session_factory(database_url)() as session, session.begin():
        yield session


class ReadOnlyViolation(RuntimeError):
    """A read-only unit of work added, changed or deleted a row (rolled back)."""


@contextmanager
def read_only_unit(database_url: str) -> Iterator[Session]:
    """A unit of work that only reads. On SQLite its transaction begins deferred instead
    of taking the write lock, so concurrent reads (an action call checking a slot or a
    customer's history) neither queue behind one another nor behind a booking being
    written. Anything it would write is refused and rolled back."""
    with _session_factory(database_url)() as session, session.begin():
        session.connection(execution_options={READ_ONLY: True})
        yield session
        if session.new or session.dirty or session.deleted:
            raise ReadOnlyViolation("a read-only unit of work changed rows")
