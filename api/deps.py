"""Typed dependencies shared by the routers and the pages.

Who may do what is docs/roles.md: ``CurrentUser`` is any signed-in staff account,
``DeskUser`` one that handles bookings (advisor, manager), ``AdminUser`` one that
manages accounts. A draft-specific rule (rejecting, reassigning) is checked by
dealer/services/permissions.py inside the route.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.config import ApiSettings
from api.security import InvalidToken, decode_access_token
from dealer.catalog import Catalog, load_catalog
from dealer.db import unit_of_work
from dealer.models import StaffUser
from dealer.roles import handles_bookings, manages_accounts, trains
from dealer.services import staff

TOKEN_URL = "/api/auth/token"
NOT_FOR_YOUR_ROLE = "您的账号角色无权进行此操作"


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
