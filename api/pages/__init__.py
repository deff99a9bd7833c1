"""The pages, server-rendered in Chinese: the advisor workspace (for a tablet at the service
desk) under /advisor, and the landing page at /."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from fastapi import Request, status
from fastapi.responses import HTMLResponse

from api.pages import drafts, home, plan, session
from api.pages.drafts import PageNotFound
from api.pages.session import LoginRequired, redirect_to_login

PAGES_PREFIX = "/advisor"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "advisor"

router = APIRouter(include_in_schema=False)
for pages in (session, drafts, plan):
    router.include_router(pages.router, prefix=PAGES_PREFIX)
router.include_router(home.router)  # "/": the landing page


def mount_pages(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(f"{PAGES_PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="advisor-static")
    app.add_exception_handler(LoginRequired, redirect_to_login)
    app.add_exception_handler(PageNotFound, _not_found_page)


async def _not_found_page(_request: Request, error: Exception) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>未找到</title>'
        f'<link rel="stylesheet" href="{PAGES_PREFIX}/static/advisor.css">'
        f'<main><p class="banner error">{error}</p><p><a href="{PAGES_PREFIX}">返回草稿收件箱</a></p></main></html>',
        status_code=status.HTTP_404_NOT_FOUND,
    )
