"""Which dealer a row belongs to (issue 14).

Every service that reads or writes a dealer's rows takes the dealer as an optional
argument: a ``Catalog`` (its ``code``) or a dealer id; none means the default dealer (the
first, lowest id: dealer/demo_dealer.yml's), so callers that predate tenancy (the
assistant's actions, the worker) keep working for it unchanged.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.models import Dealer, StaffUser, StaffUserDealer
from dealer.roles import sees_several_dealers

DealerRef = Catalog | int | str | None
_CACHE = "dealer_ids"


class UnknownDealer(LookupError):
    pass


def default_dealer_id(session: Session) -> int:
    dealer_id = session.scalar(select(func.min(Dealer.id)))
    if dealer_id is None:
        raise UnknownDealer("no dealer in the database: run `python -m dealer prepare`")
    return dealer_id


def dealer_id(session: Session, dealer: DealerRef = None) -> int:
    """The id of a dealer given as a catalogue, an id, a code, or None (the default dealer).

    A catalogue whose code has no row yet (a test's own catalogue, not seeded) is the
    default dealer's."""
    if isinstance(dealer, int):
        return dealer
    cache: dict = session.info.setdefault(_CACHE, {})
    code = dealer.code if isinstance(dealer, Catalog) else dealer
    if code in cache:
        return cache[code]
    if code is None:
        found = default_dealer_id(session)
    else:
        found = session.scalar(select(Dealer.id).where(Dealer.code == code))
        if found is None:
            if isinstance(dealer, str):
                raise UnknownDealer(code)
            found = default_dealer_id(session)
    cache[code] = found
    return found


def code_of(session: Session, dealer_id_: int) -> str:
    return session.scalar(select(Dealer.code).where(Dealer.id == dealer_id_))


def visible_dealer_ids(session: Session, user: StaffUser) -> list[int]:
    """The dealers whose data an account sees: its own; a group manager's linked ones too."""
    ids = [user.dealer_id]
    if sees_several_dealers(user.role):
        linked = session.scalars(
            select(StaffUserDealer.dealer_id).where(StaffUserDealer.user_id == user.id).order_by(StaffUserDealer.dealer_id)
        )
        ids += [linked_id for linked_id in linked if linked_id not in ids]
    return ids


def dealers_by_id(session: Session, ids: list[int]) -> dict[int, Dealer]:
    rows = session.scalars(select(Dealer).where(Dealer.id.in_(ids)))
    return {row.id: row for row in rows}
