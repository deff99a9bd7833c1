"""Advisors reviewing drafts: correct fields, approve into an appointment, reject.

Every change writes one audit row per field (who, when, old, new). A change made
against an outdated version of the draft raises VersionConflict: two advisors
editing the same draft never silently overwrite each other.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer import clock
from dealer.catalog import Catalog
from dealer.models import Advisor, Appointment, DraftWorkOrder
from dealer.services import audit, followups
from dealer.services.booking_guard import tags_keeping_conflicts
from dealer.services.changes import release_capacity, reschedule_booking
from dealer.services.drafts import SYMPTOM_FIELDS
from dealer.status import LIVE_STATUSES, DraftStatus
from dealer.symptoms import completeness, symptom_tags
from dealer.validation import (
    MAX_PLAUSIBLE_KM,
    InvalidValue,
    normalize_name,
    normalize_phone,
    normalize_plate,
    normalize_vin,
)

ENTITY = "draft_work_order"
EDITABLE_STATUSES = LIVE_STATUSES
MAX_TEXT = 2000
MAX_REASON = 500

# Plain columns an advisor may correct, and how a new value is checked.
_TEXT_FIELDS = ("model", "extra_requests", "last_service", "job_description")
_FLAG_FIELDS = ("first_visit", "repeat_repair", "urgent", "needs_human")
_NOT_NULL = ("phone", "service_type", "start", "urgent", "needs_human")


class DraftNotFound(LookupError):
    pass


class VersionConflict(Exception):
    """The draft changed since the advisor loaded it."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"draft is at version {current_version}")
        self.current_version = current_version


class StatusConflict(Exception):
    """The draft's status does not allow this (e.g. approving a rejected draft)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _text(field: str, value: Any, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > limit or any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise InvalidValue(field, "bad_text")
    return text


def _mileage(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PLAUSIBLE_KM:
        raise InvalidValue("mileage_km", "implausible")
    return value


def _checked_value(field: str, value: Any, catalog: Catalog) -> Any:
    if value is None:
        if field in _NOT_NULL:
            raise InvalidValue(field, "required")
        return None
    if field == "customer_name":
        return normalize_name(str(value))
    if field == "phone":
        return normalize_phone(str(value))
    if field == "plate":
        return normalize_plate(str(value))
    if field == "vin":
        return normalize_vin(str(value))
    if field == "mileage_km":
        return _mileage(value)
    if field == "service_type":
        codes = {service.code for service in catalog.service_types}
        if value not in codes:
            raise InvalidValue(field, "unknown_service_type")
        return value
    if field in _FLAG_FIELDS:
        if not isinstance(value, bool):
            raise InvalidValue(field, "not_a_flag")
        return value
    if field in _TEXT_FIELDS:
        return _text(field, value)
    raise InvalidValue(field, "not_editable")


def _load(session: Session, draft_id: int, expected_version: int | None) -> DraftWorkOrder:
    draft = session.get(DraftWorkOrder, draft_id, with_for_update=True)
    if draft is None:
        raise DraftNotFound(draft_id)
    if expected_version is not None and draft.version != expected_version:
        raise VersionConflict(draft.version)
    return draft


def _advisor_by_name(session: Session, name: str | None, dealer_id: int) -> Advisor | None:
    """One of the draft's dealer's active advisors (another dealer's is unknown here)."""
    if name is None:
        return None
    advisor = session.scalar(
        select(Advisor).where(Advisor.dealer_id == dealer_id, Advisor.name == name, Advisor.active.is_(True))
    )
    if advisor is None:
        raise InvalidValue("advisor", "unknown_advisor")
    return advisor


def _edit_symptoms(
    session: Session, draft: DraftWorkOrder, changes: Mapping[str, Any], actor: str
) -> None:
    symptoms = dict(draft.symptoms or {})
    changed = False
    for name, value in changes.items():
        if name not in SYMPTOM_FIELDS:
            raise InvalidValue(f"symptoms.{name}", "not_editable")
        new = _text(f"symptoms.{name}", value)
        if symptoms.get(name) != new:
            audit.record(session, actor, ENTITY, draft.id, "edit", f"symptoms.{name}", symptoms.get(name), new)
            symptoms[name] = new
            changed = True
    if changed:
        draft.symptoms = symptoms
        draft.symptom_completeness = completeness(symptoms)
        # Over every complaint, further ones included; the conflict notes stay.
        draft.symptom_tags = tags_keeping_conflicts(symptom_tags(symptoms), draft)


def edit_draft(
    session: Session,
    draft_id: int,
    changes: Mapping[str, Any],
    actor: str,
    catalog: Catalog,
    now: datetime,
    expected_version: int | None = None,
) -> DraftWorkOrder:
    """Apply an advisor's corrections; every value is checked before anything is written.

    ``changes`` uses column names (customer_name, phone, plate, vin, model, mileage_km,
    service_type, first_visit, repeat_repair, extra_requests, last_service, job_description, urgent,
    needs_human), plus ``start`` (a new slot, taken atomically), ``advisor`` (a name)
    and ``symptoms`` (a mapping of the six questions' answers).
    Raises InvalidValue, VersionConflict, StatusConflict, DraftNotFound or SlotUnavailable.
    """
    draft = _load(session, draft_id, expected_version)
    if draft.status not in EDITABLE_STATUSES:
        raise StatusConflict(draft.status)
    plain = {
        field: _checked_value(field, value, catalog)
        for field, value in changes.items()
        if field not in ("start", "advisor", "symptoms")
    }
    advisor = (_advisor_by_name(session, _text("advisor", changes["advisor"]), draft.dealer_id)
               if "advisor" in changes else draft.advisor)
    if "start" in changes and changes["start"] is None:
        raise InvalidValue("start", "required")

    for field, value in plain.items():
        old = getattr(draft, field)
        if old != value:
            audit.record(session, actor, ENTITY, draft.id, "edit", field, old, value)
            setattr(draft, field, value)
    if advisor is not draft.advisor:
        audit.record(
            session, actor, ENTITY, draft.id, "edit", "advisor",
            draft.advisor.name if draft.advisor else None, advisor.name if advisor else None,
        )
        draft.advisor = advisor
        _appointment_follows(session, draft)
    if changes.get("symptoms"):
        _edit_symptoms(session, draft, changes["symptoms"], actor)
    if "start" in changes and changes["start"] != draft.start_at:
        reschedule_booking(session, draft.id, changes["start"], catalog, now, actor=actor)
    session.flush()
    return draft


def _appointment_follows(session: Session, draft: DraftWorkOrder) -> None:
    appointment = session.scalar(select(Appointment).where(Appointment.draft_id == draft.id))
    if appointment is not None:
        appointment.advisor_id = draft.advisor.id if draft.advisor else None


def approve_draft(
    session: Session, draft_id: int, actor: str, expected_version: int | None = None,
    catalog: Catalog | None = None, now: datetime | None = None,
) -> Appointment:
    """预约登记: the draft becomes a confirmed appointment, and its day-before reminder is
    planned (dealer/services/followups.py; ``now`` defaults to the dealer clock)."""
    draft = _load(session, draft_id, expected_version)
    if draft.status != DraftStatus.draft:
        raise StatusConflict(draft.status)
    if not draft.phone:
        raise InvalidValue("phone", "required")
    audit.record(session, actor, ENTITY, draft.id, "approve", "status", draft.status, DraftStatus.approved)
    draft.status = DraftStatus.approved
    appointment = Appointment(dealer_id=draft.dealer_id, draft_id=draft.id, start_at=draft.start_at,
                              advisor_id=draft.advisor_id)
    session.add(appointment)
    session.flush()
    audit.record(session, actor, "appointment", appointment.id, "create")
    followups.plan_reminder(session, draft, followups.dealer_catalog(catalog), now or clock.now(timezone.utc))
    return appointment


def reject_draft(
    session: Session, draft_id: int, reason: str, actor: str, expected_version: int | None = None
) -> DraftWorkOrder:
    """Refuse a draft with a reason; its slot is freed for other customers."""
    reason_text = _text("reason", reason, MAX_REASON)
    if reason_text is None:
        raise InvalidValue("reason", "required")
    draft = _load(session, draft_id, expected_version)
    if draft.status != DraftStatus.draft:
        raise StatusConflict(draft.status)
    audit.record(session, actor, ENTITY, draft.id, "reject", "status", draft.status, DraftStatus.rejected)
    audit.record(session, actor, ENTITY, draft.id, "reject", "rejection_reason", None, reason_text)
    draft.status = DraftStatus.rejected
    draft.rejection_reason = reason_text
    release_capacity(session, draft.start_at, draft.dealer_id)
    session.flush()
    return draft
