"""Fixtures of the dealer tests: a real database on each engine (SQLite and PostgreSQL),
migrated and seeded with the dealer's reference data but no demo accounts, as in
production. PostgreSQL is never skipped: the server at TEST_POSTGRES_URL must answer
(devtools/ensure_postgres.sh starts the local one for `make test`)."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from dealer.__main__ import migrate, seed
from dealer.db import get_engine
from dealer.settings import get_settings

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dealer.db'}"
        migrate(url)
        seed(url, get_settings().catalog_path, demo=False)
        yield url
        return
    name = f"dealer_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate(url)
        seed(url, get_settings().catalog_path, demo=False)
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
