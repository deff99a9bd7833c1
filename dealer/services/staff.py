"""Staff logins for the advisor workspace."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.models import StaffUser
from dealer.passwords import hash_password, verify_password


@lru_cache
def unknown_user_hash() -> str:
    return hash_password("no such user; hashed only to spend the same time")


def get_staff_user(session: Session, username: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.username == username))


def get_active_staff_user(session: Session, user_id: int) -> StaffUser | None:
    user = session.get(StaffUser, user_id)
    return user if user is not None and user.active else None


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active user with these credentials, or None.

    An unknown username costs one hash verification too, so response times do
    not tell which usernames exist.
    """
    user = get_staff_user(session, username)
    if user is None:
        verify_password(password, unknown_user_hash())
        return None
    if not verify_password(password, user.password_hash) or not user.active:
        return None
    return user
