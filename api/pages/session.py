"""Signing in to the pages: the API's token, kept in an HttpOnly cookie."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import (
    NO_SUCH_DEALER,
    CatalogDep,
    DealerNotVisible,
    DealerQuery,
    SessionDep,
    SettingsDep,
    Tenancy,
    tenancy_for,
    user_for_token,
)
from api.pages.templating import templates
from api.ratelimit import LoginLimit
from api.security import token_for
from api.signin import BUSY, SignInRefused, in_line, sign_in_staff
from dealer.models import StaffUser
from dealer.roles import handles_bookings
from dealer.services import logins

COOKIE = "advisor_token"
router = APIRouter()


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


async def redirect_to_login(_request: Request, error: Exception) -> Response:
    next_url = error.next_url if isinstance(error, LoginRequired) else "/advisor"
    return RedirectResponse(f"/advisor/login?next={quote(next_url)}", status.HTTP_303_SEE_OTHER)


class PageForbidden(Exception):
    """Signed in, but the account's role has no business here (docs/roles.md)."""


class PageNotFound(Exception):
    """Answered with a page in Chinese, not the API's JSON."""


class PageBusy(Exception):
    """Too many sign-ins checking passwords at once: answered 503 with a page."""

    def __init__(self) -> None:
        super().__init__(BUSY)


def signed_in(
    request: Request, settings: SettingsDep, session: SessionDep, allowed: Callable[[str], bool], refusal: str
) -> StaffUser:
    """The signed-in account if its role is allowed; no valid token (a revoked one too) is
    sent to the sign-in page, another role gets 403 with the refusal."""
    user = user_for_token(session, settings, request.cookies.get(COOKIE))
    if user is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if not allowed(user.role):
        raise PageForbidden(refusal)
    return user


def page_user(request: Request, settings: SettingsDep, session: SessionDep) -> StaffUser:
    """The signed-in advisor or manager; an admin account gets 403: it sees no customer data."""
    return signed_in(request, settings, session, handles_bookings, "您的账号角色（管理员）只管理账号，不能查看客户的预约")


def same_origin(request: Request) -> None:
    """Forms post only from our own pages (with the SameSite=Strict cookie, against CSRF)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and urlsplit(origin).netloc != request.url.netloc:
        raise LoginRequired("/advisor")


PageUser = Annotated[StaffUser, Depends(page_user)]


def page_scope(user: PageUser, session: SessionDep, settings: SettingsDep, dealer: DealerQuery = None) -> Tenancy:
    """Issue 14: the dealers the signed-in account sees (api.deps.Tenancy); ``?dealer=`` a
    group manager's choice. A dealer the account does not see is a page not found."""
    try:
        return tenancy_for(session, settings, user, dealer)
    except DealerNotVisible:
        raise PageNotFound(NO_SUCH_DEALER) from None


PageScope = Annotated[Tenancy, Depends(page_scope)]
FormPost = Depends(same_origin)


def _safe_next(next_url: str | None) -> str:
    # Only paths of our own pages: never an open redirect.
    if next_url and next_url.startswith("/advisor") and not next_url.startswith("//"):
        return next_url
    return "/advisor"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, catalog: CatalogDep, next: str | None = None) -> Response:
    return templates().TemplateResponse(
        request, "advisor/login.html", {"catalog": catalog, "next": _safe_next(next), "error": None}
    )


@router.post("/login", response_class=HTMLResponse, dependencies=[LoginLimit, in_line(PageBusy), FormPost])
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    try:
        user = sign_in_staff(request.app.state.password_checks, session, settings, catalog, username, password)
    except SignInRefused as refused:
        # Returned, not raised: the failed attempt is committed with the request.
        return templates().TemplateResponse(
            request,
            "advisor/login.html",
            {"catalog": catalog, "next": _safe_next(next), "error": refused.detail, "username": username},
            status_code=refused.status_code, headers=refused.headers,
        )
    token = token_for(settings, user)
    target = _safe_next(next)
    if target == "/advisor" and not handles_bookings(user.role):
        target = "/advisor/training"  # a trainee or trainer: no inbox, their training
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE, token, max_age=settings.access_token_minutes * 60, httponly=True,
        samesite="strict", secure=settings.cookies_secure, path="/advisor",
    )
    return response


@router.post("/logout", dependencies=[FormPost])
def logout(request: Request, settings: SettingsDep, session: SessionDep) -> Response:
    """Signs the account out everywhere: the cookie's token (and every other) is revoked."""
    user = user_for_token(session, settings, request.cookies.get(COOKIE))
    if user is not None:
        logins.revoke_tokens(session, user.id)
    response = RedirectResponse("/advisor/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/advisor", secure=settings.cookies_secure, httponly=True,
                           samesite="strict")
    return response
