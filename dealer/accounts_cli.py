"""``python -m dealer create-user | disable-user | enable-user | reset-password``: staff
accounts by hand. Disabling or a new password also signs the account out everywhere
(its tokens' version is bumped); enabling or a new password lifts a failed-login lockout.

A password is read from the terminal (twice, not echoed) or, when stdin is not a
terminal, as the first line of stdin (``< file``, a secret manager's pipe); never from
the command line, where ``ps`` and the shell's history would show it.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TextIO

from sqlalchemy.orm import Session

from dealer.db import unit_of_work
from dealer.services import accounts
from dealer.services.accounts import AccountProblem

NOT_ON_THE_COMMAND_LINE = ("a password is never taken from the command line (ps and the shell's "
                           "history show it): type it at the prompt, or give it on stdin")


class _RefusePassword(argparse.Action):
    """``--password`` is refused without echoing the value (argparse would print it)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        parser.error(NOT_ON_THE_COMMAND_LINE)


def _with_password(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password", nargs="?", action=_RefusePassword, help=argparse.SUPPRESS)
    parser.set_defaults(needs_password=True)


def add_commands(commands: argparse._SubParsersAction) -> None:
    create = commands.add_parser("create-user", help="a staff account (password from a prompt or stdin)")
    _with_password(create)
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=accounts.ROLES)
    # Issue 14: the account's dealer (its code; default: the default dealer) and a group
    # manager's further dealers (--group-dealer pudong --group-dealer …).
    create.add_argument("--dealer", metavar="CODE", default=None)
    create.add_argument("--group-dealer", metavar="CODE", action="append")
    create.add_argument("--advisor", metavar="CODE",
                        help="the dealer's advisor this account is (e.g. A01): the name on bookings")
    create.set_defaults(account_command=_create)

    disable = commands.add_parser("disable-user", help="the account signs in no more; its tokens stop working")
    disable.add_argument("--username", required=True)
    disable.set_defaults(account_command=_disable, needs_password=False)

    enable = commands.add_parser("enable-user", help="a disabled or locked-out account signs in again")
    enable.add_argument("--username", required=True)
    enable.set_defaults(account_command=_enable, needs_password=False)

    reset = commands.add_parser("reset-password", help="a new password (from a prompt or stdin)")
    _with_password(reset)
    reset.add_argument("--username", required=True)
    reset.set_defaults(account_command=_reset)


def is_account_command(args: argparse.Namespace) -> bool:
    return hasattr(args, "account_command")


def run(args: argparse.Namespace, database_url: str, stdin: TextIO | None = None) -> int:
    """Exit status 0 when done; 1 (and why, on stderr) when refused. Nothing half-done."""
    try:
        # Read before the transaction opens: nobody holds the database while typing.
        args.password = read_new_password(stdin or sys.stdin) if args.needs_password else None
        with unit_of_work(database_url) as session:
            done = args.account_command(session, args, _actor())
    except AccountProblem as problem:
        print(f"{args.command}: {problem}", file=sys.stderr)
        return 1
    print(done)
    return 0


def read_new_password(stdin: TextIO, prompt: Callable[[str], str] = getpass.getpass) -> str:
    if stdin.isatty():
        first = prompt("New password: ")
        if prompt("The same again: ") != first:
            raise AccountProblem("the two entries differ")
        return first
    return stdin.readline().rstrip("\r\n")


def _create(session: Session, args: argparse.Namespace, actor: str) -> str:
    user = accounts.create_staff_user(session, args.username, args.password, args.role, actor, args.advisor,
                                      dealer=args.dealer, group_dealers=tuple(args.group_dealer or ()))
    return f"created {user.role} {user.username!r}"


def _disable(session: Session, args: argparse.Namespace, actor: str) -> str:
    user = accounts.disable_staff_user(session, args.username, actor)
    return f"disabled {user.username!r}"


def _enable(session: Session, args: argparse.Namespace, actor: str) -> str:
    user = accounts.enable_staff_user(session, args.username, actor)
    return f"enabled {user.username!r}"


def _reset(session: Session, args: argparse.Namespace, actor: str) -> str:
    user = accounts.reset_password(session, args.username, args.password, actor)
    state = "" if user.active else " (the account stays disabled)"
    return f"new password set for {user.username!r}{state}"


def _actor() -> str:
    """Who made the change, for the audit log: the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"[:60]
    except (KeyError, OSError):
        return "cli"
