"""``python -m dealer create-user | disable-user | enable-user | reset-password`` as a process, on a real
database (SQLite and PostgreSQL) seeded without demo accounts, as in production."""
from __future__ import annotations

import io
import os
import subprocess

import pytest
from sqlalchemy import select

from dealer.accounts_cli import read_new_password
from dealer.db import unit_of_work
from dealer.models import Advisor, AuditLog, StaffUser
from dealer.services import staff
from dealer.services.accounts import AccountProblem
from devtools.stack import APP_BIN, REPO_ROOT

PASSWORD = "zhe-shi-yi-ge-mi-ma"
NEW_PASSWORD = "another long passphrase"


def dealer_command(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "production", "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([str(APP_BIN / "python"), "-m", "dealer", *args], input=stdin, env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def account(database_url: str, username: str) -> StaffUser | None:
    with unit_of_work(database_url) as session:
        return staff.get_staff_user(session, username)


def signs_in(database_url: str, username: str, password: str) -> bool:
    with unit_of_work(database_url) as session:
        return staff.authenticate(session, username, password) is not None


def audit_actions(database_url: str, user_id: int) -> list[tuple[str, str]]:
    with unit_of_work(database_url) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.entity == "staff_user",
                                                      AuditLog.entity_id == user_id).order_by(AuditLog.id))
        return [(row.action, row.actor) for row in rows]


def test_create_user_reads_the_password_from_stdin_and_stores_only_its_hash(database_url):
    done = dealer_command(database_url, "create-user", "--username", "zhang.hua", "--role", "advisor",
                          "--advisor", "A01", stdin=PASSWORD + "\n")

    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    user = account(database_url, "zhang.hua")
    assert (user.role, user.active) == ("advisor", True)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    with unit_of_work(database_url) as session:
        assert session.get(Advisor, user.advisor_id).code == "A01"
    assert signs_in(database_url, "zhang.hua", PASSWORD)
    assert not signs_in(database_url, "zhang.hua", PASSWORD + "\n")  # the line ending is not part of it
    assert audit_actions(database_url, user.id)[0][0] == "create"


def test_a_manager_needs_no_advisor(database_url):
    done = dealer_command(database_url, "create-user", "--username", "li.jingli", "--role", "manager",
                          stdin=PASSWORD)

    assert done.returncode == 0, done.stderr
    assert (account(database_url, "li.jingli").role, account(database_url, "li.jingli").advisor_id) == ("manager", None)


@pytest.mark.parametrize("argv", [
    ["--password", PASSWORD], [f"--password={PASSWORD}"], ["--pass", PASSWORD],
])
def test_a_password_on_the_command_line_is_refused_without_echoing_it(database_url, argv):
    done = dealer_command(database_url, "create-user", "--username", "wang", "--role", "advisor", *argv,
                          stdin=PASSWORD)

    assert done.returncode == 2
    assert "never taken from the command line" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert account(database_url, "wang") is None


@pytest.mark.parametrize(("args", "stdin", "why"), [
    (["--username", "wang", "--role", "advisor"], "short", "10 to 200 characters"),
    (["--username", "wang", "--role", "advisor"], "", "10 to 200 characters"),
    (["--username", "wangwangwang", "--role", "advisor"], "WangWangWang", "not be the username"),
    (["--username", "wang", "--role", "advisor", "--advisor", "Z99"], PASSWORD, "no advisor 'Z99'"),
    (["--username", "王 华", "--role", "advisor"], PASSWORD, "a username is"),
])
def test_create_user_refuses_what_it_cannot_make_and_writes_nothing(database_url, args, stdin, why):
    done = dealer_command(database_url, "create-user", *args, stdin=stdin)

    assert done.returncode == 1
    assert why in done.stderr
    with unit_of_work(database_url) as session:
        assert session.scalars(select(StaffUser)).all() == []  # no demo accounts either


def test_only_the_three_roles_can_be_made(database_url):
    done = dealer_command(database_url, "create-user", "--username", "root", "--role", "root", stdin=PASSWORD)
    admin = dealer_command(database_url, "create-user", "--username", "it.admin", "--role", "admin", stdin=PASSWORD)

    assert done.returncode == 2 and "invalid choice: 'root'" in done.stderr
    assert account(database_url, "root") is None
    assert admin.returncode == 0 and account(database_url, "it.admin").role == "admin"  # docs/roles.md


def test_an_existing_username_is_not_overwritten(database_url):
    assert dealer_command(database_url, "create-user", "--username", "zhang", "--role", "advisor",
                          stdin=PASSWORD).returncode == 0

    again = dealer_command(database_url, "create-user", "--username", "zhang", "--role", "manager",
                           stdin=NEW_PASSWORD)

    assert again.returncode == 1 and "exists already" in again.stderr
    assert account(database_url, "zhang").role == "advisor"
    assert signs_in(database_url, "zhang", PASSWORD)


def test_disable_user_stops_the_sign_in(database_url):
    dealer_command(database_url, "create-user", "--username", "left", "--role", "advisor", stdin=PASSWORD)

    done = dealer_command(database_url, "disable-user", "--username", "left")

    assert done.returncode == 0, done.stderr
    assert account(database_url, "left").active is False
    assert not signs_in(database_url, "left", PASSWORD)
    with unit_of_work(database_url) as session:  # what the API's token check asks
        assert staff.get_active_staff_user(session, account(database_url, "left").id) is None
    assert [a for a, _ in audit_actions(database_url, account(database_url, "left").id)] == ["create", "disable"]


def test_reset_password_replaces_the_old_one(database_url):
    dealer_command(database_url, "create-user", "--username", "forgot", "--role", "advisor", stdin=PASSWORD)

    done = dealer_command(database_url, "reset-password", "--username", "forgot", stdin=NEW_PASSWORD + "\r\n")

    assert done.returncode == 0, done.stderr
    assert NEW_PASSWORD not in done.stdout + done.stderr
    assert signs_in(database_url, "forgot", NEW_PASSWORD)
    assert not signs_in(database_url, "forgot", PASSWORD)
    actions = audit_actions(database_url, account(database_url, "forgot").id)
    assert [a for a, _ in actions] == ["create", "reset_password"]
    assert all(actor.startswith("cli") for _, actor in actions)


@pytest.mark.parametrize("command", ["disable-user", "reset-password"])
def test_disabling_or_a_new_password_revokes_the_accounts_tokens(database_url, command):
    dealer_command(database_url, "create-user", "--username", "moved", "--role", "advisor", stdin=PASSWORD)
    before = account(database_url, "moved").token_version

    done = dealer_command(database_url, command, "--username", "moved", stdin=NEW_PASSWORD)

    assert done.returncode == 0, done.stderr
    assert account(database_url, "moved").token_version == before + 1  # tokens carry the old one


def test_enable_user_lets_a_disabled_account_sign_in_again(database_url):
    dealer_command(database_url, "create-user", "--username", "back", "--role", "advisor", stdin=PASSWORD)
    dealer_command(database_url, "disable-user", "--username", "back")

    done = dealer_command(database_url, "enable-user", "--username", "back")

    assert done.returncode == 0, done.stderr
    assert account(database_url, "back").active is True
    assert signs_in(database_url, "back", PASSWORD)
    assert [a for a, _ in audit_actions(database_url, account(database_url, "back").id)] == [
        "create", "disable", "enable"]


@pytest.mark.parametrize("command", ["disable-user", "enable-user", "reset-password"])
def test_an_unknown_account_is_said(database_url, command):
    done = dealer_command(database_url, command, "--username", "nobody", stdin=PASSWORD)

    assert done.returncode == 1 and "no account 'nobody'" in done.stderr


# ------------------------------------------------------------------ the prompt


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_at_a_terminal_the_password_is_asked_twice_unechoed():
    answers = iter([PASSWORD, PASSWORD])
    prompts: list[str] = []

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    assert read_new_password(Terminal(), getpass) == PASSWORD
    assert len(prompts) == 2


def test_at_a_terminal_two_different_entries_are_refused():
    answers = iter([PASSWORD, PASSWORD + "x"])

    with pytest.raises(AccountProblem, match="differ"):
        read_new_password(Terminal(), lambda _prompt: next(answers))
