"""`python -m dealer migrate|seed|prepare`: schema and reference data."""
from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config

from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.seed import seed_demo_accounts, seed_reference_data
from dealer.settings import REPO_ROOT, get_settings


def migrate(database_url: str, revision: str = "head") -> None:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)


def seed(database_url: str, catalog_path: Path, demo: bool) -> None:
    catalog = load_catalog(catalog_path)
    with unit_of_work(database_url) as session:
        seed_reference_data(session, catalog)
        if demo:
            seed_demo_accounts(session, catalog)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m dealer")
    parser.add_argument("command", choices=("migrate", "seed", "prepare"))
    args = parser.parse_args()
    settings = get_settings()
    if args.command in ("migrate", "prepare"):
        migrate(settings.database_url)
    if args.command in ("seed", "prepare"):
        seed(settings.database_url, settings.catalog_path, demo=settings.is_demo)
    print(f"dealer database ready: {args.command}")


if __name__ == "__main__":
    main()
