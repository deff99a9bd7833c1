"""The day's appointments (arrivals board) and capacity plan."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel

from api.deps import DeskScope, DeskUser, SessionDep, get_desk_user
from api.labels import APPOINTMENT_ERRORS, appointment_error
from api.schemas import (
    MAX_ID,
    AdvisorPlan,
    AppointmentPublic,
    AppointmentsPublic,
    CapacityPlan,
    CustomerPublic,
    DayQuery,
    PlannedBooking,
    SlotOccupancy,
    VehiclePublic,
)
from dealer import clock
from dealer.models import Appointment, DraftWorkOrder
from dealer.services import appointments, plan
from dealer.status import AppointmentStatus

router = APIRouter(tags=["plan"], dependencies=[Depends(get_desk_user)],  # advisors, managers
                   responses={404: {"description": "未找到（或不是您的经销商的）"}})


# The moves made at the desk (appointments.DESK_MOVES); cancelling is the customer's.
DeskMove = Literal["arrived", "in_service", "delivered", "no_show"]
AppointmentId = Annotated[int, Path(ge=1, le=MAX_ID)]


class AppointmentMove(BaseModel):
    status: DeskMove


class AppointmentProgress(AppointmentPublic):
    """An appointment with when it moved on (null: not yet)."""

    arrived_at: datetime | None
    service_started_at: datetime | None
    delivered_at: datetime | None
    no_show_at: datetime | None


def _appointment(appointment: Appointment, draft: DraftWorkOrder, zone: ZoneInfo) -> AppointmentPublic:
    return AppointmentPublic(
        id=appointment.id,
        draft_id=draft.id,
        start=appointment.start_at.astimezone(zone),
        advisor=draft.advisor.name if draft.advisor else None,
        status=appointment.status,
        customer=CustomerPublic(name=draft.customer_name, phone=draft.phone),
        vehicle=VehiclePublic(plate=draft.plate, vin=draft.vin, model=draft.model, mileage_km=draft.mileage_km),
        service_type=draft.service_type,
    )


def _planned(draft: DraftWorkOrder) -> PlannedBooking:
    return PlannedBooking(
        draft_id=draft.id,
        start=draft.start_at,
        status=draft.status,
        service_type=draft.service_type,
        customer_name=draft.customer_name,
        plate=draft.plate,
    )


@router.get("/appointments", response_model=AppointmentsPublic)
def list_appointments(query: Annotated[DayQuery, Query()], session: SessionDep, scope: DeskScope) -> AppointmentsPublic:
    """The day's appointments in arrival order, each in its state (预约欢迎板); not the cancelled.
    The account's dealers' (a group manager's: ``dealer`` picks one)."""
    catalog = scope.catalog()
    items = [_appointment(appointment, draft, catalog.timezone)
             for appointment, draft in plan.arrivals(session, query.date, catalog, list(scope.selected))]
    return AppointmentsPublic(date=query.date, items=items)


@router.post(
    "/appointments/{appointment_id}/status", response_model=AppointmentProgress,
    responses={404: {"description": "未找到该预约"}, 409: {"description": "当前状态不允许此变更"},
               400: {"description": "请求体不是有效的 JSON"}},
)
def move_appointment(
    appointment_id: AppointmentId, body: AppointmentMove, user: DeskUser, session: SessionDep, scope: DeskScope
) -> AppointmentProgress:
    """Move an appointment on: arrived (到店), in_service (开始维修), delivered (交车), no_show (未到店)."""
    found = session.get(Appointment, appointment_id)
    if found is None or not scope.sees(found.dealer_id):  # issue 14: another dealer's is none
        raise HTTPException(404, detail="未找到该预约")
    catalog = scope.catalog(found.dealer_id)
    try:
        appointment = appointments.move_appointment(
            session, appointment_id, AppointmentStatus(body.status), user.username,
            clock.now(catalog.timezone), catalog,
        )
    except APPOINTMENT_ERRORS as error:
        code, message = appointment_error(error)
        raise HTTPException(code, detail=message) from error
    zone = catalog.timezone
    return AppointmentProgress(
        **_appointment(appointment, appointment.draft, zone).model_dump(),
        **{column: _local(getattr(appointment, column), zone) for column in appointments.STAMPS.values()},
    )


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(zone)


@router.get("/capacity", response_model=CapacityPlan)
def read_capacity_plan(query: Annotated[DayQuery, Query()], session: SessionDep, scope: DeskScope) -> CapacityPlan:
    """Each slot's occupancy and each advisor's bookings for the day: one dealer's (the
    account's own; a group manager's choice with ``dealer``)."""
    catalog = scope.catalog()
    day = plan.day_plan(session, query.date, catalog)
    zone = catalog.timezone
    advisors = [AdvisorPlan(advisor=a.name, bookings=[_planned(b) for b in a.bookings]) for a in day.advisors]
    if day.unassigned:
        advisors.append(AdvisorPlan(advisor=None, bookings=[_planned(b) for b in day.unassigned]))
    return CapacityPlan(
        date=day.day,
        slots=[
            SlotOccupancy(start=s.start.astimezone(zone), capacity=s.capacity, booked=s.booked, free=s.free)
            for s in day.slots
        ],
        advisors=advisors,
    )
