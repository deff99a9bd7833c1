"""Alembic migrations go down and up again on both engines, and the schema matches the models."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from dealer.__main__ import migrate, seed
from dealer.catalog import DEFAULT_CATALOG
from dealer.db import get_engine
from dealer.models import Base
from dealer.settings import REPO_ROOT


def _alembic(url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    return config


def _tables(url: str) -> set[str]:
    engine = get_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(fresh_database_url: str) -> None:
    model_tables = set(Base.metadata.tables)
    assert _tables(fresh_database_url) == model_tables

    command.downgrade(_alembic(fresh_database_url), "base")
    assert _tables(fresh_database_url) == set()

    migrate(fresh_database_url)
    seed(fresh_database_url, DEFAULT_CATALOG, demo=True)
    assert _tables(fresh_database_url) == model_tables


def test_each_step_down_and_up(fresh_database_url: str) -> None:
    config = _alembic(fresh_database_url)
    command.downgrade(config, "-1")
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    assert _tables(fresh_database_url) == set(Base.metadata.tables)


def test_migrated_schema_matches_the_models(fresh_database_url: str) -> None:
    engine = get_engine(fresh_database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
