"""`python -m dealer migrate|seed|prepare`: schema and reference data;
`python -m dealer create-user|disable-user|reset-password`: staff accounts (dealer/accounts_cli.py)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from dealer import accounts_cli
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


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m dealer")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="the schema to the newest revision (Alembic)")
    commands.add_parser("seed", help="the dealer's reference data (and the demo accounts in local/test mode)")
    commands.add_parser("prepare", help="migrate, then seed")
    accounts_cli.add_commands(commands)
    args = parser.parse_args()
    settings = get_settings()
    if accounts_cli.is_account_command(args):
        return accounts_cli.run(args, settings.database_url)
    if args.command in ("migrate", "prepare"):
        migrate(settings.database_url)
    if args.command in ("seed", "prepare"):
        seed(settings.database_url, settings.catalog_path, demo=settings.is_demo)
    print(f"dealer database ready: {args.command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
