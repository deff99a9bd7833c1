"""Signing in to the advisor workspace: the password check, the failed-login lockout
and revoking tokens.

The lockout lives in the database (``staff_user.failed_logins``, ``first_failed_login_at``,
``locked_until``), so it holds across processes and restarts: after ``failures`` wrong
passwords within ``window`` the account is locked for ``duration``, and while it is
locked even the right password is refused. Counters move by conditional UPDATEs, so
parallel attempts cannot lose a failure. Security timers run on the real clock (like
token expiry), never on the business clock of dealer/clock.py.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, or_, update
from sqlalchemy.orm import Session

from dealer.models import StaffUser
from dealer.passwords import verify_password
from dealer.services import audit
from dealer.services.staff import get_staff_user, unknown_user_hash

ENTITY = "staff_user"


@dataclass(frozen=True)
class Lockout:
    failures: int  # wrong passwords in a row ...
    window: timedelta  # ... within this long ...
    duration: timedelta  # ... lock the account for this long


@dataclass(frozen=True)
class SignIn:
    """The user when the password opened the account; else why not."""

    user: StaffUser | None
    locked_until: datetime | None = None  # set when the account is (now) locked


def sign_in(
    session: Session,
    username: str,
    password: str,
    lockout: Lockout,
    now: datetime,
    *,
    password_allowed: bool = True,
    verify: Callable[[str, str], bool] = verify_password,
) -> SignIn:
    """Check a sign-in and record its outcome. ``password_allowed=False`` refuses even
    a matching password (the demo accounts' well-known ones outside demo mode).

    An unknown username costs one hash verification too, so response times do not
    tell which usernames exist; it has no account to lock.
    """
    user = get_staff_user(session, username)
    if user is None:
        verify(password, unknown_user_hash())
        return SignIn(None)
    if locked(user, now):
        return SignIn(None, user.locked_until)
    if verify(password, user.password_hash) and password_allowed and user.active:
        if user.failed_logins or user.first_failed_login_at is not None:
            user.failed_logins, user.first_failed_login_at = 0, None
        return SignIn(user)
    return SignIn(None, _record_failure(session, user, lockout, now))


def locked(user: StaffUser, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _record_failure(session: Session, user: StaffUser, lockout: Lockout, now: datetime) -> datetime | None:
    """Count one failure (a new window when the last one is over); lock at the limit."""
    column = StaffUser.first_failed_login_at
    starts_window = or_(column.is_(None), column <= now - lockout.window)
    failures = session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(
            failed_logins=case((starts_window, 1), else_=StaffUser.failed_logins + 1),
            first_failed_login_at=case((starts_window, literal(now, column.type)), else_=column),
        )
        .returning(StaffUser.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    locked_until = None
    if failures >= lockout.failures:
        locked_until = now + lockout.duration
        session.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(locked_until=locked_until, failed_logins=0, first_failed_login_at=None)
            .execution_options(synchronize_session=False)
        )
        audit.record(session, "sign-in", ENTITY, user.id, "lock", "locked_until", None, locked_until.isoformat())
    session.expire(user)
    return locked_until


def unlock(session: Session, user: StaffUser) -> bool:
    """Lift a lockout and forget the failures; True when the account was locked."""
    was_locked = user.locked_until is not None
    user.locked_until, user.failed_logins, user.first_failed_login_at = None, 0, None
    return was_locked


def revoke_tokens(session: Session, user_id: int) -> None:
    """Every token issued so far stops working (signing out, a new password, disabling)."""
    session.execute(
        update(StaffUser)
        .where(StaffUser.id == user_id)
        .values(token_version=StaffUser.token_version + 1)
        .execution_options(synchronize_session=False)
    )
    user = session.get(StaffUser, user_id)
    if user is not None:
        session.expire(user, ["token_version"])
