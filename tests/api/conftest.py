"""Fixtures for the advisor API tests: a real database, on SQLite and on PostgreSQL.

Each engine gets its own database for the test session (never the app's), migrated
with Alembic and seeded with the demo dealer. Every test runs inside one transaction
on that database which is rolled back afterwards; the app's per-request sessions
join it through ``app.dependency_overrides``.

PostgreSQL is required: if the server at TEST_POSTGRES_URL cannot be reached, the
PostgreSQL half of the tests fails (it is never skipped).
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import Connection, make_url
from sqlalchemy.orm import Session

from api.config import ApiSettings
from api.deps import get_session
from api.main import create_app
from dealer import clock
from dealer.__main__ import migrate, seed
from dealer.catalog import DEFAULT_CATALOG, Catalog, load_catalog
from dealer.db import get_engine
from dealer.services.booking import BookingRequest, book

POSTGRES_SERVER_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ENGINES = ("sqlite", "postgresql")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# "Now" for booking rules, read once from the clock the API uses too (DEALER_CLOCK moves
# both); drafts are booked on the days after it.
NOW = clock.now(SHANGHAI)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _postgres_database() -> Iterator[str]:
    server = make_url(POSTGRES_SERVER_URL)
    name = f"dealer_test_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(_libpq(POSTGRES_SERVER_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is required for the API tests but {server.render_as_string()} "
            f"is unreachable ({error}); start it or set TEST_POSTGRES_URL",
            pytrace=False,
        )
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = server.set(database=name).render_as_string(hide_password=False)
        try:
            yield url
        finally:
            get_engine(url).dispose()
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def _database(kind: str, directory: Path) -> Iterator[str]:
    """A new, migrated and seeded database; dropped (PostgreSQL) when done."""
    if kind == "sqlite":
        url = f"sqlite:///{directory / 'dealer.db'}"
        migrate(url)
        seed(url, DEFAULT_CATALOG, demo=True)
        try:
            yield url
        finally:
            get_engine(url).dispose()
        return
    with _postgres_database() as url:
        migrate(url)
        seed(url, DEFAULT_CATALOG, demo=True)
        yield url


@pytest.fixture(scope="session", params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(engine_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _database(engine_kind, tmp_path_factory.mktemp(engine_kind)) as url:
        yield url


@pytest.fixture
def fresh_database_url(engine_kind: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own, for tests that commit through the app's real sessions."""
    with _database(engine_kind, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def now() -> datetime:
    """The "now" drafts are booked at (the slot rules depend on it)."""
    return NOW


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture
def connection(database_url: str) -> Iterator[Connection]:
    """The test's transaction: everything the test and the app write is rolled back."""
    with get_engine(database_url).connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


def _joined_session(connection: Connection) -> Session:
    # Commits release a savepoint inside the test's transaction.
    return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db_session(connection: Connection) -> Iterator[Session]:
    with _joined_session(connection) as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> ApiSettings:
    return ApiSettings(database_url=database_url, app_env="test")


@pytest.fixture
def make_client(connection: Connection) -> Iterator[Callable[[ApiSettings], TestClient]]:
    """A TestClient for an app built from the given settings, inside the test's transaction."""
    clients: list[TestClient] = []

    def session_in_test_transaction() -> Iterator[Session]:
        with _joined_session(connection) as session, session.begin():
            yield session

    def make(settings: ApiSettings, address: tuple[str, int] = ("testclient", 50000)) -> TestClient:
        """``address``: where the requests come from (the per-IP limits count it)."""
        app: FastAPI = create_app(settings)
        app.dependency_overrides[get_session] = session_in_test_transaction
        client = TestClient(app, client=address)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[[ApiSettings], TestClient], settings: ApiSettings) -> TestClient:
    return make_client(settings)


@pytest.fixture
def login(client: TestClient) -> Callable[[str, str], str]:
    """Log in through the API; returns the access token."""

    def login_as(username: str = "advisor", password: str = "advisor") -> str:
        response = client.post("/api/auth/token", data={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    return login_as


@pytest.fixture
def auth_headers(login: Callable[[str, str], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {login()}"}


def future_slots(catalog: Catalog, first_day: int = 1) -> Iterator[datetime]:
    """Bookable slot starts (08:30, 09:00, ... 17:00) from NOW's day + first_day on."""
    day = NOW.date() + timedelta(days=first_day)
    while True:
        slot = datetime.combine(day, catalog.opens_at, SHANGHAI)
        closes = datetime.combine(day, catalog.closes_at, SHANGHAI)
        while slot + timedelta(minutes=catalog.slot_minutes) <= closes:
            yield slot
            slot += timedelta(minutes=catalog.slot_minutes)
        day += timedelta(days=1)


@pytest.fixture
def make_draft(db_session: Session, catalog: Catalog) -> Callable[..., int]:
    """Book a draft through the real booking service; returns its id.

    Without ``start`` each draft takes the next free slot from tomorrow on.
    """
    slots = future_slots(catalog)
    numbers = count(1)

    def make(**fields) -> int:
        number = next(numbers)
        values = {
            "idempotency_key": f"api-test-{number}",
            "channel": "rest",
            "conversation_id": f"api-test-conversation-{number}",
            "service_type": "maintenance",
            **fields,
        }
        values.setdefault("start", next(slots))
        result = book(db_session, BookingRequest(**values), catalog, NOW)
        db_session.commit()
        assert result.created
        return result.draft_id

    return make
