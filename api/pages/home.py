"""The public pages: the landing page at ``/`` (the dealer, a way into the web chat, the
advisors' sign-in) and the dealer's privacy text at ``/privacy`` (PIPL)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import NO_SUCH_DEALER, DealerQuery, SettingsDep
from api.pages.session import PageNotFound
from api.pages.templating import templates
from dealer.catalog import Catalog, catalog_for

router = APIRouter()


def _public_catalog(settings: SettingsDep, dealer: str | None) -> Catalog:
    """The default dealer's file, or with ``?dealer=<code>`` that dealer's (issue 14)."""
    try:
        return catalog_for(dealer or None, settings.catalog_path, settings.dealers_dir)
    except KeyError:
        raise PageNotFound(NO_SUCH_DEALER) from None


@router.get("/", response_class=HTMLResponse)
def home(request: Request, settings: SettingsDep, dealer: DealerQuery = None) -> Response:
    catalog = _public_catalog(settings, dealer)
    return templates().TemplateResponse(request, "home.html", {"catalog": catalog, "user": None})


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request, settings: SettingsDep, dealer: DealerQuery = None) -> Response:
    """The full privacy text the assistant's notice links to (dealer file, ``privacy:``);
    ``?dealer=<code>``: that dealer's (its file's ``privacy.url`` says so)."""
    catalog = _public_catalog(settings, dealer)
    return templates().TemplateResponse(request, "privacy.html", {"catalog": catalog, "user": None})
