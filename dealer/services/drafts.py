"""Reading drafts and shaping them as the contract's Draft JSON."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from dealer.models import Advisor, DraftWorkOrder
from dealer.services.booking_guard import conflicts_of, public_tags
from dealer.symptoms import completeness
from dealer.validation import InvalidValue, normalize_phone, normalize_plate

SYMPTOM_FIELDS = ("when", "where", "what", "frequency", "driving_impact", "tried")


@dataclass(frozen=True)
class DraftFilters:
    status: str | None = None
    phone: str | None = None
    plate: str | None = None
    day: date | None = None  # the booked day, in the dealer's zone
    advisor_id: int | None = None
    advisor_name: str | None = None
    urgent: bool | None = None
    needs_human: bool | None = None
    # Issue 14: the dealers whose drafts are listed (None: every dealer's; the API and the
    # pages always pass the signed-in account's).
    dealer_ids: tuple[int, ...] | None = None


def _iso(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds")


def draft_to_contract(draft: DraftWorkOrder, zone: ZoneInfo) -> dict[str, Any]:
    symptoms = None
    if draft.symptoms is not None:
        symptoms = {name: draft.symptoms.get(name) for name in SYMPTOM_FIELDS}
        # Beyond the contract's six: the first complaint as the customer told it (客户陈述),
        # when its phenomenon (what) was asked of it; null otherwise.
        symptoms["complaint"] = draft.symptoms.get("complaint")
        # Beyond the contract's six: the other complaints of 还有其他的吗, in the customer's words,
        # and each one's own interview (the same six questions) with its completeness.
        symptoms["further_complaints"] = draft.symptoms.get("further_complaints") or []
        symptoms["further_interviews"] = [
            {
                "complaint": interview.get("complaint"),
                **{name: interview.get(name) for name in SYMPTOM_FIELDS},
                "completeness": completeness(interview),
            }
            for interview in draft.symptoms.get("further_interviews") or []
        ]
    return {
        "id": draft.id,
        "status": draft.status,
        "created_at": _iso(draft.created_at, zone),
        "updated_at": _iso(draft.updated_at, zone),
        "channel": draft.channel,
        "conversation_id": draft.conversation_id,
        "customer": {"name": draft.customer_name, "phone": draft.phone},
        "vehicle": {
            "plate": draft.plate,
            "vin": draft.vin,
            "model": draft.model,
            "mileage_km": draft.mileage_km,
        },
        "booking": {
            "service_type": draft.service_type,
            "start": _iso(draft.start_at, zone),
            "advisor": draft.advisor.name if draft.advisor else None,
            "first_visit": draft.first_visit,
        },
        "symptoms": symptoms,
        "repeat_repair": draft.repeat_repair,
        "extra_requests": draft.extra_requests,
        "last_service": draft.last_service,
        "job_description": draft.job_description,
        # Beyond the contract's minimum: flags the advisor pages need.
        "symptom_completeness": draft.symptom_completeness,
        "symptom_tags": public_tags(draft),
        "urgent": draft.urgent,
        "needs_human": draft.needs_human,
        "version": draft.version,
        # What the booking said against the dealer's records (another customer's name,
        # a car on another phone) or a change asked from another conversation.
        "conflicts": conflicts_of(draft),
        # PIPL: when the customer agreed to which privacy notice; null when never asked
        # (a hand-over before the notice).
        # Issue 14: the dealer the booking is for (its code).
        "dealer": draft.dealer.code if draft.dealer is not None else None,
        "privacy_consent": (
            {"agreed_at": _iso(draft.privacy_consent_at, zone), "notice_version": draft.privacy_notice_version}
            if draft.privacy_consent_at else None
        ),
    }


def _filter_conditions(filters: DraftFilters, zone: ZoneInfo) -> list:
    conditions = []
    if filters.dealer_ids is not None:
        conditions.append(DraftWorkOrder.dealer_id.in_(filters.dealer_ids))
    if filters.status:
        conditions.append(DraftWorkOrder.status == filters.status)
    if filters.phone:
        try:
            conditions.append(DraftWorkOrder.phone == normalize_phone(filters.phone))
        except InvalidValue:
            conditions.append(DraftWorkOrder.phone == filters.phone)
    if filters.plate:
        try:
            conditions.append(DraftWorkOrder.plate == normalize_plate(filters.plate))
        except InvalidValue:
            conditions.append(DraftWorkOrder.plate == filters.plate.strip().upper())
    if filters.day:
        day_start = datetime.combine(filters.day, time.min, zone)
        conditions.append(DraftWorkOrder.start_at >= day_start)
        conditions.append(DraftWorkOrder.start_at < day_start + timedelta(days=1))
    if filters.advisor_id is not None:
        conditions.append(DraftWorkOrder.advisor_id == filters.advisor_id)
    if filters.advisor_name:
        advisor_ids = select(Advisor.id).where(Advisor.name == filters.advisor_name)
        if filters.dealer_ids is not None:
            advisor_ids = advisor_ids.where(Advisor.dealer_id.in_(filters.dealer_ids))
        conditions.append(DraftWorkOrder.advisor_id.in_(advisor_ids))
    if filters.urgent is not None:
        conditions.append(DraftWorkOrder.urgent.is_(filters.urgent))
    if filters.needs_human is not None:
        conditions.append(DraftWorkOrder.needs_human.is_(filters.needs_human))
    return conditions


def list_drafts(
    session: Session, filters: DraftFilters, zone: ZoneInfo, limit: int = 50, offset: int = 0
) -> tuple[list[DraftWorkOrder], int]:
    """Drafts matching the filters, newest first, and how many match in all."""
    conditions = _filter_conditions(filters, zone)
    total = session.scalar(select(func.count()).select_from(DraftWorkOrder).where(*conditions))
    rows = session.scalars(
        select(DraftWorkOrder)
        .options(joinedload(DraftWorkOrder.advisor))
        .where(*conditions)
        .order_by(DraftWorkOrder.created_at.desc(), DraftWorkOrder.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


def get_draft(session: Session, draft_id: int) -> DraftWorkOrder | None:
    return session.get(DraftWorkOrder, draft_id, options=[joinedload(DraftWorkOrder.advisor)])
