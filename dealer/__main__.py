"""`python -m dealer migrate|seed|prepare`: schema and reference data;
`python -m dealer create-user|disable-user|enable-user|reset-password`: staff accounts (dealer/accounts_cli.py);
`python -m dealer export|forget --phone …`: a customer's data (dealer/customer_data.py);
`python -m dealer retain [--dry-run]`: retention (dealer/retention.py);
`python -m dealer mark-no-shows`: appointments not arrived by start + grace become 未到店."""
from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config

from dealer import accounts_cli, clock, customer_data, retention
from dealer.catalog import DEALERS_DIR, load_catalog, load_dealers
from dealer.db import unit_of_work
from dealer.seed import seed_demo_accounts, seed_reference_data
from dealer.services import appointments
from dealer.settings import REPO_ROOT, DealerSettings, get_settings
from dealer.shared_secrets import SecretRefused, shared_secret
from dealer.validation import InvalidValue, normalize_phone


def migrate(database_url: str, revision: str = "head") -> None:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)


def seed(database_url: str, catalog_path: Path, demo: bool, dealers_dir: Path | None = DEALERS_DIR) -> None:
    """Every dealer's reference data: the default dealer's file (``catalog_path``) first,
    then each file of ``dealers_dir`` (issue 14; None: the default dealer only)."""
    catalogs = list(load_dealers(catalog_path, dealers_dir).values())
    with unit_of_work(database_url) as session:
        for catalog in catalogs:
            seed_reference_data(session, catalog)
        if demo:
            for catalog in catalogs:
                seed_demo_accounts(session, catalog)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m dealer")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="the schema to the newest revision (Alembic)")
    commands.add_parser("seed", help="the dealer's reference data (and the demo accounts in local/test mode)")
    commands.add_parser("prepare", help="migrate, then seed")
    commands.add_parser("mark-no-shows", help="confirmed appointments past start + the dealer's grace become no-shows")
    accounts_cli.add_commands(commands)
    _add_personal_data_commands(commands)
    args = parser.parse_args()
    settings = get_settings()
    if accounts_cli.is_account_command(args):
        return accounts_cli.run(args, settings.database_url)
    if hasattr(args, "personal_data_command"):
        return args.personal_data_command(args, settings)
    if args.command == "mark-no-shows":
        return mark_no_shows(settings)
    if args.command in ("migrate", "prepare"):
        migrate(settings.database_url)
    if args.command in ("seed", "prepare"):
        seed(settings.database_url, settings.catalog_path, demo=settings.is_demo, dealers_dir=settings.dealers_dir)
    print(f"dealer database ready: {args.command}")
    return 0


def mark_no_shows(settings: DealerSettings) -> int:
    """Idempotent: run it as often as you like (the scheduler does)."""
    catalog = load_catalog(settings.catalog_path)
    with unit_of_work(settings.database_url) as session:
        marked = appointments.mark_no_shows(session, clock.now(timezone.utc), catalog)
    print(f"mark-no-shows: {len(marked)} appointment(s) marked no-show "
          f"({catalog.no_show_grace_minutes} min after the start)")
    return 0


def _add_personal_data_commands(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="everything held about a customer, as JSON on stdout")
    export.add_argument("--phone", required=True)
    export.set_defaults(personal_data_command=_export)
    forget = commands.add_parser("forget", help="erase a customer from both databases (the audit log keeps a pseudonym)")
    forget.add_argument("--phone", required=True)
    forget.set_defaults(personal_data_command=_forget)
    retain = commands.add_parser("retain", help="anonymise old work orders and unbooked conversations")
    retain.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    retain.set_defaults(personal_data_command=_retain)


def _phone(args: argparse.Namespace) -> str | None:
    try:
        return normalize_phone(args.phone)
    except InvalidValue:
        print(f"{args.command}: not a mainland mobile number", file=sys.stderr)  # never echoed back
        return None


def _export(args: argparse.Namespace, settings: DealerSettings) -> int:
    if (phone := _phone(args)) is None:
        return 2
    found = customer_data.export_customer(settings.database_url, settings.tracker_store_url, phone)
    print(customer_data.to_json(found))
    return 0


def _pseudonym_key(args: argparse.Namespace, settings: DealerSettings) -> str | None:
    try:
        return shared_secret(settings, "pseudonym_key")  # type: ignore[arg-type]
    except SecretRefused as refused:
        print(f"{args.command}: {refused}", file=sys.stderr)
        return None


def _forget(args: argparse.Namespace, settings: DealerSettings) -> int:
    if (phone := _phone(args)) is None or (key := _pseudonym_key(args, settings)) is None:
        return 2
    try:
        report = customer_data.forget_customer(settings.database_url, settings.tracker_store_url, phone, key,
                                               accounts_cli._actor())
    except customer_data.TrackerStoreUnavailable as error:
        print(f"forget: {error}; nothing was changed, run it again when the tracker store answers",
              file=sys.stderr)
        return 1
    print(customer_data.to_json(dataclasses.asdict(report)))
    return 0


def _retain(args: argparse.Namespace, settings: DealerSettings) -> int:
    if (key := _pseudonym_key(args, settings)) is None:
        return 2
    policy = retention.RetentionPolicy(settings.retention_work_order_days,
                                       settings.retention_unbooked_conversation_days)
    try:
        report = retention.retain(settings.database_url, settings.tracker_store_url, key, accounts_cli._actor(),
                                  policy, clock.now(timezone.utc), datetime.now(timezone.utc), args.dry_run)
    except customer_data.TrackerStoreUnavailable as error:
        print(f"retain: {error}; nothing was changed", file=sys.stderr)
        return 1
    print(customer_data.to_json(dataclasses.asdict(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
