"""Typed dependencies shared by the routers and the pages.

Who may do what is docs/roles.md: ``CurrentUser`` is any signed-in staff account,
``DeskUser`` one that handles bookings (advisor, manager), ``AdminUser`` one that
manages accounts. A draft-specific rule (rejecting, reassigning) is checked by
dealer/services/permissions.py inside the route.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.config import ApiSettings
from api.security import InvalidToken, decode_access_token
from dealer.catalog import Catalog, catalog_for, load_catalog
from dealer.db import unit_of_work
from dealer.models import StaffUser
from dealer.roles import handles_bookings, manages_accounts, trains
from dealer.services import staff
from dealer.services.dealers import dealers_by_id, visible_dealer_ids

TOKEN_URL = "/api/auth/token"
NOT_FOR_YOUR_ROLE = "您的账号角色无权进行此操作"
NO_SUCH_DEALER = "没有这个经销商"


async def get_settings(request: Request) -> ApiSettings:
    # async: read in the event loop, so routes that need no more (the chat) take no worker thread
    return request.app.state.settings


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


def get_catalog(settings: SettingsDep) -> Catalog:
    return load_catalog(settings.catalog_path)


CatalogDep = Annotated[Catalog, Depends(get_catalog)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    """One session and transaction per request: committed on success, rolled back on error."""
    with unit_of_work(settings.database_url) as session:
        yield session


# scope="function": the transaction ends before the response is sent, so a
# failed commit is reported to the client instead of after a 200.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

# auto_error=False: we answer 401 ourselves, in Chinese like every other error.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def user_for_token(session: Session, settings: ApiSettings, token: str | None) -> StaffUser | None:
    """The active staff user a token was issued to, unless it was revoked since (its
    version is older than the account's: signed out, new password, disabled)."""
    if not token:
        return None
    try:
        claims = decode_access_token(settings, token)
    except InvalidToken:
        return None
    user = staff.get_active_staff_user(session, claims.user_id)
    if user is None or user.token_version != claims.ver:
        return None
    return user


def get_current_user(token: TokenDep, settings: SettingsDep, session: SessionDep) -> StaffUser:
    if not token:
        raise _unauthorized("请先登录")
    user = user_for_token(session, settings, token)
    if user is None:
        raise _unauthorized("登录已失效，请重新登录")
    return user


CurrentUser = Annotated[StaffUser, Depends(get_current_user)]


def _forbidden() -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=NOT_FOR_YOUR_ROLE)


def get_desk_user(user: CurrentUser) -> StaffUser:
    """Advisors and managers: drafts, appointments, the capacity plan (customers' data)."""
    if not handles_bookings(user.role):
        raise _forbidden()
    return user


def get_admin_user(user: CurrentUser) -> StaffUser:
    """Staff accounts: the admin role only."""
    if not manages_accounts(user.role):
        raise _forbidden()
    return user


def get_training_user(user: CurrentUser) -> StaffUser:
    """Phone-script training (issue 13): trainees, advisors, trainers and managers."""
    if not trains(user.role):
        raise _forbidden()
    return user


DeskUser = Annotated[StaffUser, Depends(get_desk_user)]
AdminUser = Annotated[StaffUser, Depends(get_admin_user)]
TrainingUser = Annotated[StaffUser, Depends(get_training_user)]


# --- tenancy (issue 14) ---------------------------------------------------------------------


class DealerNotVisible(LookupError):
    """A dealer code the account does not see (or that does not exist): answered 404."""


@dataclass(frozen=True)
class Tenancy:
    """What a signed-in account sees: its own dealer, and a group manager the linked ones.

    ``selected`` are the dealers a list shows (``?dealer=<code>`` narrows a group manager's
    lists to one), ``current`` the dealer of the views that are one dealer's (the capacity
    plan, the call list, CSI: the chosen one, else the account's own). A row of any other
    dealer is answered as if it did not exist (404, or left out of a list)."""

    user: StaffUser
    visible: tuple[int, ...]
    selected: tuple[int, ...]
    current: int
    codes: dict[int, str]
    names: dict[int, str]
    catalog_path: object
    dealers_dir: object

    def sees(self, dealer_id: int | None) -> bool:
        return dealer_id is not None and dealer_id in self.visible

    def catalog(self, dealer_id: int | None = None) -> Catalog:
        """The dealer's catalogue (default: the current dealer's)."""
        return dealer_catalog(self.codes[self.current if dealer_id is None else dealer_id],
                              self.catalog_path, self.dealers_dir)

    @property
    def several(self) -> bool:
        return len(self.visible) > 1

    @property
    def dealers(self) -> list[tuple[str, str]]:
        """(code, name) of every dealer the account sees, for a filter."""
        return [(self.codes[i], self.names[i]) for i in self.visible]

    @property
    def selected_code(self) -> str | None:
        return self.codes[self.selected[0]] if len(self.selected) == 1 and self.several else None


def dealer_catalog(code: str, catalog_path, dealers_dir) -> Catalog:
    """A dealer's catalogue by code; a dealer row without a file keeps the default file's
    contents under its own code, so its rows stay its own."""
    try:
        return catalog_for(code, catalog_path, dealers_dir)
    except KeyError:
        return dataclasses.replace(load_catalog(catalog_path), code=code)


def tenancy_for(session: Session, settings: ApiSettings, user: StaffUser, dealer: str | None = None) -> Tenancy:
    visible = tuple(visible_dealer_ids(session, user))
    rows = dealers_by_id(session, list(visible))
    codes = {i: rows[i].code for i in visible}
    if dealer:
        chosen = [i for i in visible if codes[i] == dealer]
        if not chosen:
            raise DealerNotVisible(dealer)
        selected = tuple(chosen)
    else:
        selected = visible
    current = selected[0] if len(selected) == 1 else user.dealer_id
    return Tenancy(user=user, visible=visible, selected=selected, current=current, codes=codes,
                   names={i: rows[i].name for i in visible},
                   catalog_path=settings.catalog_path, dealers_dir=settings.dealers_dir)


DealerQuery = Annotated[str | None, Query(
    max_length=20, description="issue 14: only this dealer's rows (a code; a group manager's choice among theirs)")]


def get_desk_scope(user: DeskUser, session: SessionDep, settings: SettingsDep, dealer: DealerQuery = None) -> Tenancy:
    try:
        return tenancy_for(session, settings, user, dealer)
    except DealerNotVisible:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_DEALER) from None


def get_admin_scope(user: AdminUser, session: SessionDep, settings: SettingsDep) -> Tenancy:
    return tenancy_for(session, settings, user)


def get_training_catalog(user: TrainingUser, session: SessionDep, settings: SettingsDep) -> Catalog:
    """The trainee's own dealer's catalogue: its name and advisors in the model lines."""
    return tenancy_for(session, settings, user).catalog(user.dealer_id)


DeskScope = Annotated[Tenancy, Depends(get_desk_scope)]
TrainingCatalog = Annotated[Catalog, Depends(get_training_catalog)]
AdminScope = Annotated[Tenancy, Depends(get_admin_scope)]
