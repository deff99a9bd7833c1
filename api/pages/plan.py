"""Tomorrow's arrivals board (预约欢迎板) and the capacity plan of a chosen day."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import CatalogDep, SessionDep
from dealer import clock
from api.pages.session import PageUser
from api.pages.templating import PageDay, templates
from dealer.services import plan

router = APIRouter()


def _today(catalog) -> date:
    return clock.now(catalog.timezone).date()


@router.get("/arrivals", response_class=HTMLResponse)
def arrivals_board(request: Request, user: PageUser, session: SessionDep, catalog: CatalogDep, day: PageDay = None) -> Response:
    day = day or _today(catalog) + timedelta(days=1)
    return templates().TemplateResponse(
        request,
        "advisor/arrivals.html",
        {
            "user": user, "catalog": catalog, "day": day,
            "rows": plan.arrivals(session, day, catalog),
            "service_names": {s.code: s.name for s in catalog.service_types},
        },
    )


@router.get("/capacity", response_class=HTMLResponse)
def capacity_plan(request: Request, user: PageUser, session: SessionDep, catalog: CatalogDep, day: PageDay = None) -> Response:
    day = day or _today(catalog)
    day_plan = plan.day_plan(session, day, catalog)
    by_slot: dict[str, dict[datetime, list]] = {}
    for advisor in day_plan.advisors:
        cells = by_slot.setdefault(advisor.name, {})
        for booking in advisor.bookings:
            cells.setdefault(booking.start_at, []).append(booking)
    return templates().TemplateResponse(
        request,
        "advisor/capacity.html",
        {"user": user, "catalog": catalog, "day": day, "plan": day_plan, "by_slot": by_slot},
    )
