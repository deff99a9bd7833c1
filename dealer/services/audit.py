"""Writing the append-only audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dealer.models import (
    DEFAULT_DEALER_ID,
    Appointment,
    AuditLog,
    Customer,
    DraftWorkOrder,
    FollowupTask,
    StaffUser,
    TrainingSession,
    Vehicle,
)

# Issue 14: an audit row belongs to the dealer of the row it is about.
_ENTITIES = {
    "draft_work_order": DraftWorkOrder, "appointment": Appointment, "followup_task": FollowupTask,
    "customer": Customer, "vehicle": Vehicle, "staff_user": StaffUser, "training_session": TrainingSession,
}


def record(
    session: Session,
    actor: str,
    entity: str,
    entity_id: int,
    action: str,
    field: str | None = None,
    old_value: object = None,
    new_value: object = None,
    at: datetime | None = None,
    dealer_id: int | None = None,
) -> None:
    """``at``: when it happened, if the caller has it from the clock already (else now).
    ``dealer_id``: the dealer the row belongs to; by default the entity's (else the default
    dealer's)."""
    if dealer_id is None:
        model = _ENTITIES.get(entity)
        dealer_id = (
            func.coalesce(select(model.dealer_id).where(model.id == entity_id).scalar_subquery(), DEFAULT_DEALER_ID)
            if model is not None else DEFAULT_DEALER_ID
        )
    row = AuditLog(
        dealer_id=dealer_id,
        actor=actor,
        entity=entity,
        entity_id=entity_id,
        action=action,
        field=field,
        old_value=None if old_value is None else str(old_value),
        new_value=None if new_value is None else str(new_value),
    )
    if at is not None:
        row.at = at
    session.add(row)


def history(session: Session, entity: str, entity_id: int) -> list[AuditLog]:
    return list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.entity == entity, AuditLog.entity_id == entity_id)
            .order_by(AuditLog.at, AuditLog.id)
        )
    )
