"""The advisor workspace: server-rendered pages in Chinese, for a tablet at the service desk."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from api.pages import drafts, plan, session
from api.pages.session import LoginRequired, redirect_to_login

PAGES_PREFIX = "/advisor"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "advisor"

router = APIRouter(include_in_schema=False)
for pages in (session, drafts, plan):
    router.include_router(pages.router, prefix=PAGES_PREFIX)


def mount_pages(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(f"{PAGES_PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="advisor-static")
    app.add_exception_handler(LoginRequired, redirect_to_login)
