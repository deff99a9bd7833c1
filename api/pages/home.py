"""The public pages: the landing page at ``/`` (the dealer, a way into the web chat, the
advisors' sign-in) and the dealer's privacy text at ``/privacy`` (PIPL)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import CatalogDep
from api.pages.templating import templates

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, catalog: CatalogDep) -> Response:
    return templates().TemplateResponse(request, "home.html", {"catalog": catalog, "user": None})


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request, catalog: CatalogDep) -> Response:
    """The full privacy text the assistant's notice links to (dealer file, ``privacy:``)."""
    return templates().TemplateResponse(request, "privacy.html", {"catalog": catalog, "user": None})
