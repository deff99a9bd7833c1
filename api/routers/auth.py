"""The API's sign-in (OAuth2 password flow) and sign-out."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import CatalogDep, CurrentUser, SessionDep, SettingsDep
from api.ratelimit import LoginLimit
from api.schemas import Token
from api.security import token_for
from api.signin import WRONG_CREDENTIALS, SignInRefused, api_busy, in_line, sign_in_staff
from dealer.services import logins

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=Token,
    dependencies=[LoginLimit, in_line(api_busy)],
    responses={
        401: {"description": WRONG_CREDENTIALS},
        429: {"description": "请求过于频繁，或账号因多次登录失败已锁定（见 Retry-After）"},
        503: {"description": "登录请求过多，请稍后再试"},
    },
)
def login_for_access_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    catalog: CatalogDep,
) -> Token | JSONResponse:
    """OAuth2 password flow: a staff user's username and password for a bearer token."""
    try:
        user = sign_in_staff(request.app.state.password_checks, session, settings, catalog,
                             form.username, form.password)
    except SignInRefused as refused:
        # Returned, not raised: the failed attempt is committed with the request.
        headers = {**refused.headers, **({"WWW-Authenticate": "Bearer"} if refused.status_code == 401 else {})}
        return JSONResponse({"detail": refused.detail}, status_code=refused.status_code, headers=headers)
    return Token(access_token=token_for(settings, user))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT,
             responses={401: {"description": "没有令牌，或令牌无效、已过期"}})
def logout(user: CurrentUser, session: SessionDep) -> Response:
    """Sign out: every token of this account stops working (this device and any other)."""
    logins.revoke_tokens(session, user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
