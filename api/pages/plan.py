"""The arrivals board (预约欢迎板: today's appointments as they are now, moved on with
plain form buttons) and the capacity plan of a chosen day."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import SessionDep, Tenancy
from api.labels import (
    APPOINTMENT_ERRORS,
    APPOINTMENT_MOVE_LABELS,
    APPOINTMENT_STATUS_LABELS,
    appointment_error,
)
from api.pages.session import FormPost, PageNotFound, PageScope, PageUser
from api.pages.templating import FormDay, PageDay, templates
from api.routers.plan import AppointmentId, DeskMove
from dealer import clock
from dealer.catalog import Catalog
from dealer.models import Appointment, StaffUser
from dealer.services import appointments, plan
from dealer.status import AppointmentStatus

router = APIRouter()
# What the board says after a move (?notice=<the new status>).
NOTICES = {
    AppointmentStatus.arrived: "已登记到店",
    AppointmentStatus.in_service: "已开始维修",
    AppointmentStatus.delivered: "已交车",
    AppointmentStatus.no_show: "已标记为未到店",
}


def _today(catalog: Catalog) -> date:
    return clock.now(catalog.timezone).date()


def _board(
    request: Request, user: StaffUser, session: Session, scope: Tenancy, day: date, *,
    error: str | None = None, status_code: int = status.HTTP_200_OK,
) -> Response:
    catalog = scope.catalog()
    now = clock.now(catalog.timezone)
    rows = [(appointment, draft, appointments.next_moves(appointment, now))
            for appointment, draft in plan.arrivals(session, day, catalog, list(scope.selected))]
    return templates().TemplateResponse(
        request,
        "advisor/arrivals.html",
        {
            "user": user, "catalog": catalog, "tenancy": scope, "day": day, "today": now.date(), "rows": rows,
            "service_names": {s.code: s.name for s in catalog.service_types},
            "status_labels": APPOINTMENT_STATUS_LABELS, "move_labels": APPOINTMENT_MOVE_LABELS,
            "stamps": appointments.STAMPS,
            "error": error, "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
        status_code=status_code,
    )


@router.get("/arrivals", response_class=HTMLResponse)
def arrivals_board(request: Request, user: PageUser, session: SessionDep, scope: PageScope, day: PageDay = None) -> Response:
    return _board(request, user, session, scope, day or _today(scope.catalog()))


@router.post("/arrivals/{appointment_id}/status", response_class=HTMLResponse, dependencies=[FormPost])
def move_on(
    request: Request, appointment_id: AppointmentId, user: PageUser, session: SessionDep, scope: PageScope,
    move: Annotated[DeskMove, Form(alias="status")],
    day: FormDay = None,
) -> Response:
    """A board button: back to the board it was pressed on (``date``), with a notice or the refusal."""
    found = session.get(Appointment, appointment_id)
    if found is None or not scope.sees(found.dealer_id):  # issue 14: another dealer's is none
        raise PageNotFound("未找到该预约")
    catalog = scope.catalog(found.dealer_id)
    day = day or _today(catalog)
    try:
        appointments.move_appointment(
            session, appointment_id, AppointmentStatus(move), user.username, clock.now(catalog.timezone), catalog
        )
    except APPOINTMENT_ERRORS as error:
        code, message = appointment_error(error)
        return _board(request, user, session, scope, day, error=message, status_code=code)
    return RedirectResponse(f"/advisor/arrivals?date={day.isoformat()}&notice={move}", status.HTTP_303_SEE_OTHER)


@router.get("/capacity", response_class=HTMLResponse)
def capacity_plan(request: Request, user: PageUser, session: SessionDep, scope: PageScope, day: PageDay = None) -> Response:
    catalog = scope.catalog()  # one dealer's plan: the account's own, or a group manager's choice
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
        {"user": user, "catalog": catalog, "tenancy": scope, "day": day, "plan": day_plan, "by_slot": by_slot},
    )
