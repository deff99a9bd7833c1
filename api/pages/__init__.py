"""The pages, server-rendered in Chinese: the advisor workspace (for a tablet at the service
desk) under /advisor, and the landing page at /."""
from __future__ import annotations

from pathlib import Path

from html import escape

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.pages import calls, csi, drafts, home, plan, session, training
from api.pages.drafts import PageNotFound
from api.pages.session import LoginRequired, PageBusy, PageForbidden, redirect_to_login

PAGES_PREFIX = "/advisor"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "advisor"

router = APIRouter(include_in_schema=False)
for pages in (session, drafts, plan, calls, csi, training):
    router.include_router(pages.router, prefix=PAGES_PREFIX)
router.include_router(home.router)  # "/": the landing page


def mount_pages(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(f"{PAGES_PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="advisor-static")
    app.add_exception_handler(LoginRequired, redirect_to_login)
    app.add_exception_handler(PageNotFound, _not_found_page)
    app.add_exception_handler(PageForbidden, _forbidden_page)
    app.add_exception_handler(PageBusy, _busy_page)


def _message_page(title: str, message: str, back: str, status_code: int) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="stylesheet" href="{PAGES_PREFIX}/static/advisor.css">'
        f'<main><p class="banner error">{escape(message)}</p><p>{back}</p></main></html>',
        status_code=status_code,
    )


async def _not_found_page(_request: Request, error: Exception) -> HTMLResponse:
    return _message_page("未找到", str(error), f'<a href="{PAGES_PREFIX}">返回草稿收件箱</a>',
                         status.HTTP_404_NOT_FOUND)


async def _forbidden_page(_request: Request, error: Exception) -> HTMLResponse:
    logout = (f'<form method="post" action="{PAGES_PREFIX}/logout">'
              f'<button type="submit">退出登录</button></form>')
    return _message_page("无权访问", str(error), logout, status.HTTP_403_FORBIDDEN)


async def _busy_page(_request: Request, error: Exception) -> HTMLResponse:
    page = _message_page("请稍后", str(error), f'<a href="{PAGES_PREFIX}/login">返回登录</a>',
                         status.HTTP_503_SERVICE_UNAVAILABLE)
    page.headers["Retry-After"] = "1"
    return page
