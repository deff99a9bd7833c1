"""The role policy (dealer/roles.py) applied to a draft as it is in the database: the
API routes and the pages call these before the review service changes anything."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.models import Advisor, DraftWorkOrder, StaffUser
from dealer.roles import NotPermitted, may_assign, may_reject


def check_edit(session: Session, user: StaffUser, draft_id: int, changes: dict[str, Any]) -> None:
    """A change of the draft's advisor is checked; other corrections are any desk user's."""
    draft = session.get(DraftWorkOrder, draft_id)
    if draft is None or "advisor" not in changes:
        return  # the review service answers a missing draft
    name = changes["advisor"]
    new_id = None if name is None else session.scalar(
        select(Advisor.id).where(Advisor.dealer_id == draft.dealer_id, Advisor.name == name)
    )
    if name is not None and new_id is None:
        return  # not an advisor: the review service explains that
    if not may_assign(user.role, user.advisor_id, draft.advisor_id, new_id):
        raise NotPermitted("assign")


def check_reject(session: Session, user: StaffUser, draft_id: int) -> None:
    draft = session.get(DraftWorkOrder, draft_id)
    if draft is not None and not may_reject(user.role, user.advisor_id, draft.advisor_id):
        raise NotPermitted("reject")
