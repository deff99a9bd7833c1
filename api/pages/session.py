"""Signing in to the pages: the API's token, kept in an HttpOnly cookie."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import CatalogDep, SessionDep, SettingsDep
from api.pages.templating import templates
from api.routers.auth import WRONG_CREDENTIALS, authenticate_staff
from api.security import InvalidToken, create_access_token, decode_access_token
from dealer.models import StaffUser
from dealer.services import staff

COOKIE = "advisor_token"
router = APIRouter()


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


async def redirect_to_login(_request: Request, error: Exception) -> Response:
    next_url = error.next_url if isinstance(error, LoginRequired) else "/advisor"
    return RedirectResponse(f"/advisor/login?next={quote(next_url)}", status.HTTP_303_SEE_OTHER)


def page_user(request: Request, settings: SettingsDep, session: SessionDep) -> StaffUser:
    token = request.cookies.get(COOKIE)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise LoginRequired(target)
    try:
        claims = decode_access_token(settings, token)
    except InvalidToken:
        raise LoginRequired(target) from None
    user = staff.get_active_staff_user(session, claims.user_id)
    if user is None:
        raise LoginRequired(target)
    return user


def same_origin(request: Request) -> None:
    """Forms post only from our own pages (with the SameSite=Strict cookie, against CSRF)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and urlsplit(origin).netloc != request.url.netloc:
        raise LoginRequired("/advisor")


PageUser = Annotated[StaffUser, Depends(page_user)]
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


@router.post("/login", response_class=HTMLResponse, dependencies=[FormPost])
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    user = authenticate_staff(session, settings, catalog, username, password)
    if user is None:
        return templates().TemplateResponse(
            request,
            "advisor/login.html",
            {"catalog": catalog, "next": _safe_next(next), "error": WRONG_CREDENTIALS, "username": username},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    token = create_access_token(settings, user_id=user.id, username=user.username, role=user.role)
    response = RedirectResponse(_safe_next(next), status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE, token, max_age=settings.access_token_minutes * 60, httponly=True,
        samesite="strict", secure=settings.cookies_secure, path="/advisor",
    )
    return response


@router.post("/logout", dependencies=[FormPost])
def logout(settings: SettingsDep) -> Response:
    response = RedirectResponse("/advisor/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/advisor", secure=settings.cookies_secure, httponly=True,
                           samesite="strict")
    return response
