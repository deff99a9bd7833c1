"""Writing the append-only audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.models import AuditLog


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
) -> None:
    """``at``: when it happened, if the caller has it from the clock already (else now)."""
    row = AuditLog(
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
