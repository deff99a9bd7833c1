"""The day's appointments (arrivals board) and capacity plan."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import CatalogDep, SessionDep, get_desk_user
from api.schemas import (
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
from dealer.models import DraftWorkOrder
from dealer.services import plan

router = APIRouter(tags=["plan"], dependencies=[Depends(get_desk_user)])  # advisors, managers


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
def list_appointments(query: Annotated[DayQuery, Query()], session: SessionDep, catalog: CatalogDep) -> AppointmentsPublic:
    """The day's confirmed appointments in arrival order (预约欢迎板)."""
    zone = catalog.timezone
    items = [
        AppointmentPublic(
            id=appointment.id,
            draft_id=draft.id,
            start=appointment.start_at.astimezone(zone),
            advisor=draft.advisor.name if draft.advisor else None,
            status=appointment.status,
            customer=CustomerPublic(name=draft.customer_name, phone=draft.phone),
            vehicle=VehiclePublic(plate=draft.plate, vin=draft.vin, model=draft.model, mileage_km=draft.mileage_km),
            service_type=draft.service_type,
        )
        for appointment, draft in plan.arrivals(session, query.date, catalog)
    ]
    return AppointmentsPublic(date=query.date, items=items)


@router.get("/capacity", response_model=CapacityPlan)
def read_capacity_plan(query: Annotated[DayQuery, Query()], session: SessionDep, catalog: CatalogDep) -> CapacityPlan:
    """Each slot's occupancy and each advisor's bookings for the day."""
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
