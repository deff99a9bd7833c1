"""Fixtures shared by the app-runtime tests: a real, migrated, seeded database."""
from __future__ import annotations

from pathlib import Path

import pytest

from dealer.__main__ import migrate, seed
from dealer.catalog import Catalog, load_catalog
from dealer.settings import get_settings


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'dealer.db'}"
    migrate(url)
    seed(url, get_settings().catalog_path, demo=True)
    return url


@pytest.fixture
def app_database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points every settings reader (actions, services) at a fresh SQLite database."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()
