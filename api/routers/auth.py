from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from api.config import ApiSettings
from api.deps import CatalogDep, SessionDep, SettingsDep
from api.schemas import Token
from api.security import create_access_token
from dealer.catalog import Catalog
from dealer.models import StaffUser
from dealer.services import staff

router = APIRouter(prefix="/auth", tags=["auth"])

WRONG_CREDENTIALS = "用户名或密码错误"


def authenticate_staff(
    session: Session, settings: ApiSettings, catalog: Catalog, username: str, password: str
) -> StaffUser | None:
    """The staff user for these credentials; the demo accounts only in local/demo mode."""
    demo_login = any(a.username == username and a.password == password for a in catalog.demo_accounts)
    user = staff.authenticate(session, username, password)
    # The demo accounts' well-known passwords never open a production API.
    if user is None or (demo_login and not settings.is_demo):
        return None
    return user


@router.post("/token", response_model=Token, responses={401: {"description": WRONG_CREDENTIALS}})
def login_for_access_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    catalog: CatalogDep,
) -> Token:
    """OAuth2 password flow: a staff user's username and password for a bearer token."""
    user = authenticate_staff(session, settings, catalog, form.username, form.password)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=WRONG_CREDENTIALS,
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = create_access_token(settings, user_id=user.id, username=user.username, role=user.role)
    return Token(access_token=token)
