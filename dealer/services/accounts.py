"""Staff accounts made by hand (``python -m dealer create-user`` ...), so production
never needs the demo accounts: create, disable, reset a password. Every change is
audited; a password is only ever stored as its Argon2 hash (dealer/passwords.py)."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.models import Advisor, StaffUser, StaffUserDealer
from dealer.passwords import hash_password
from dealer.roles import Role
from dealer.services import audit, logins
from dealer.services.dealers import UnknownDealer, dealer_id
from dealer.services.staff import get_staff_user

ROLES = tuple(Role)  # advisor, manager, admin (docs/roles.md)
# Letters of any script (张华), digits, . _ @ -; no spaces. StaffUser.username holds 60.
USERNAME = re.compile(r"^[^\W_][\w.@-]{1,59}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200  # what the sign-in form accepts


class AccountProblem(ValueError):
    """The account cannot be made or changed as asked; the message says why."""


def check_password(username: str, password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountProblem(
            f"the password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    if password.strip() != password:
        raise AccountProblem("the password must not start or end with a space")
    if password.casefold() == username.casefold():
        raise AccountProblem("the password must not be the username")


def create_staff_user(
    session: Session, username: str, password: str, role: str, actor: str,
    advisor_code: str | None = None, dealer: str | None = None, group_dealers: tuple[str, ...] = (),
) -> StaffUser:
    """``dealer``: the account's dealer code (default: the default dealer); ``group_dealers``:
    a group manager's further dealers (issue 14)."""
    if not USERNAME.match(username):
        raise AccountProblem("a username is 2 to 60 letters, digits or . _ @ - (no spaces), "
                             "starting with a letter or digit")
    if role not in ROLES:
        raise AccountProblem(f"the role is one of {', '.join(ROLES)}")
    if get_staff_user(session, username) is not None:
        raise AccountProblem(f"{username!r} exists already (reset-password changes its password)")
    check_password(username, password)
    try:
        home = dealer_id(session, dealer)
        linked = [dealer_id(session, code) for code in group_dealers]
    except UnknownDealer as error:
        raise AccountProblem(f"there is no dealer {error.args[0]!r}") from None
    if linked and role != "group_manager":
        raise AccountProblem("only a group_manager sees further dealers")
    advisor = _advisor(session, advisor_code, home) if advisor_code else None
    user = StaffUser(username=username, password_hash=hash_password(password), role=role, dealer_id=home,
                     advisor_id=advisor.id if advisor else None, active=True)
    session.add(user)
    session.flush()
    for other in dict.fromkeys(linked):
        if other != home:
            session.add(StaffUserDealer(user_id=user.id, dealer_id=other))
    session.flush()
    audit.record(session, actor, "staff_user", user.id, "create", "role", None, role)
    return user


def disable_staff_user(session: Session, username: str, actor: str) -> StaffUser:
    """The account signs in no more; its tokens stop working at once (deps check ``active``
    and the token version)."""
    user = _existing(session, username)
    if user.active:
        user.active = False
        audit.record(session, actor, "staff_user", user.id, "disable", "active", True, False)
    logins.revoke_tokens(session, user.id)
    return user


def enable_staff_user(session: Session, username: str, actor: str) -> StaffUser:
    """A disabled account signs in again (with its password); a lockout is lifted too."""
    user = _existing(session, username)
    if not user.active:
        user.active = True
        audit.record(session, actor, "staff_user", user.id, "enable", "active", False, True)
    _unlock(session, user, actor)
    return user


def reset_password(session: Session, username: str, password: str, actor: str) -> StaffUser:
    """A new password: the tokens issued under the old one stop working, a lockout is lifted."""
    user = _existing(session, username)
    check_password(username, password)
    user.password_hash = hash_password(password)
    audit.record(session, actor, "staff_user", user.id, "reset_password")  # never the value
    _unlock(session, user, actor)
    logins.revoke_tokens(session, user.id)
    return user


def unlock_staff_user(session: Session, username: str, actor: str) -> StaffUser:
    user = _existing(session, username)
    _unlock(session, user, actor)
    return user


def _unlock(session: Session, user: StaffUser, actor: str) -> None:
    if logins.unlock(session, user):
        audit.record(session, actor, "staff_user", user.id, "unlock", "locked_until")


def list_staff_users(session: Session, dealer_ids: list[int] | None = None) -> list[tuple[StaffUser, str | None]]:
    """Every account with its advisor's code, by username; only the dealers' of
    ``dealer_ids`` when given (issue 14)."""
    query = select(StaffUser, Advisor.code).outerjoin(Advisor, StaffUser.advisor_id == Advisor.id)
    if dealer_ids is not None:
        query = query.where(StaffUser.dealer_id.in_(dealer_ids))
    rows = session.execute(query.order_by(StaffUser.username))
    return [(user, code) for user, code in rows]


def _existing(session: Session, username: str) -> StaffUser:
    user = get_staff_user(session, username)
    if user is None:
        raise AccountProblem(f"there is no account {username!r}")
    return user


def _advisor(session: Session, code: str, dealer: int) -> Advisor:
    advisor = session.scalar(select(Advisor).where(Advisor.dealer_id == dealer, Advisor.code == code))
    if advisor is None:
        known = ", ".join(session.scalars(select(Advisor.code).where(Advisor.dealer_id == dealer).order_by(Advisor.code)))
        raise AccountProblem(f"there is no advisor {code!r} (the dealer's advisors: {known})")
    return advisor
