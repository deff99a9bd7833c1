"""A booking's follow-ups (issue 12): the day-before reminder and the 回访, with their
channel, due time, state and result. The desk's (advisors, managers), like the drafts."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from api.deps import DeskScope, SessionDep, get_desk_user
from api.labels import DRAFT_NOT_FOUND
from api.schemas import EARLIEST_DAY, LATEST_DAY, MAX_ID, MAX_LIMIT, MAX_OFFSET
from dealer.models import DraftWorkOrder
from dealer.services import followup_list
from dealer.services.followup_list import ListKind, TaskRow
from dealer.tasks import TaskState
from dealer.validation import InvalidValue

router = APIRouter(tags=["followups"], dependencies=[Depends(get_desk_user)],
                   responses={403: {"description": "角色无权进行此操作"},
                              404: {"description": "未找到（或不是您的经销商的）"}})

DraftId = Annotated[int, Path(ge=1, le=MAX_ID)]
FILTER_ERRORS = {
    "date": "日期格式不正确，应为 YYYY-MM-DD（例如 2026-12-04）",
    "kind": "任务类型只能是 reminder（预约提醒）、callback（回访电话）或 survey（微信回访）",
    "state": "任务状态只能是 " + "、".join(TaskState),
}


class FollowupPublic(BaseModel):
    """One follow-up of a booking; times in the dealer's zone, null when not (yet) so."""

    id: int
    draft_id: int
    kind: Literal["reminder", "callback", "survey"]
    channel: Literal["wechat", "call"]
    state: TaskState
    due_at: datetime
    run_at: datetime = Field(description="not tried before this (a retry, quiet hours, a call to try again)")
    attempts: int
    sent_at: datetime | None = Field(description="when the WeChat message went out")
    sent_via: Literal["custom", "template"] | None = Field(description="a customer-service or a template message")
    result: str | None = Field(description="a call's result: confirmed, rescheduled, cancelled, no_answer, answered")
    answers: dict[str, Any] | None = Field(description="the 回访's answers, by question key, and the comment")
    note: str | None
    complaint: bool = Field(description="flagged for the service manager")
    resolved_at: datetime | None = Field(description="when the manager closed the complaint")
    done_at: datetime | None
    done_by: str | None = Field(description="the account that logged the call")
    created_at: datetime
    booking_start: datetime = Field(description="the booked time")
    advisor: str | None = Field(description="the booking's service advisor")


class FollowupsPublic(BaseModel):
    items: list[FollowupPublic]
    total: int


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(zone)


def _public(row: TaskRow, zone: ZoneInfo) -> FollowupPublic:
    task, draft = row.task, row.draft
    return FollowupPublic(
        id=task.id, draft_id=draft.id, kind=row.kind, channel=task.channel, state=task.state,
        due_at=_local(task.due_at, zone), run_at=_local(task.run_at, zone), attempts=task.attempts,
        sent_at=_local(task.sent_at, zone), sent_via=task.sent_via, result=task.result, answers=task.answers,
        note=task.note, complaint=task.complaint, resolved_at=_local(task.resolved_at, zone),
        done_at=_local(task.done_at, zone), done_by=task.done_by, created_at=_local(task.created_at, zone),
        booking_start=_local(draft.start_at, zone), advisor=draft.advisor.name if draft.advisor else None,
    )


@router.get("/followups", response_model=FollowupsPublic,
            responses={422: {"description": "日期、类型或状态不正确"}})
def list_followups(
    session: SessionDep, scope: DeskScope,
    date: Annotated[str | None, Query(description="the due day, YYYY-MM-DD in the dealer's time zone")] = None,
    kind: Annotated[str | None, Query(description="reminder | callback | survey")] = None,
    state: Annotated[str | None, Query(description=" | ".join(TaskState))] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> FollowupsPublic:
    """The bookings' reminders and 回访 by due time (an empty filter means all); the
    account's dealers' (a group manager's: ``dealer`` picks one)."""
    catalog = scope.catalog()
    try:
        filters = followup_list.parse_filters(date, kind, state, EARLIEST_DAY, LATEST_DAY)
    except InvalidValue as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=FILTER_ERRORS[error.field]) from None
    rows, total = followup_list.list_tasks(session, filters, catalog, limit, offset, list(scope.selected))
    return FollowupsPublic(items=[_public(row, catalog.timezone) for row in rows], total=total)


@router.get("/drafts/{draft_id}/followups", response_model=list[FollowupPublic],
            responses={404: {"description": DRAFT_NOT_FOUND}})
def draft_followups(draft_id: DraftId, session: SessionDep, scope: DeskScope) -> list[FollowupPublic]:
    """One booking's reminder and 回访, by due time (none before it is approved)."""
    draft = session.get(DraftWorkOrder, draft_id)
    if draft is None or not scope.sees(draft.dealer_id):  # issue 14: another dealer's is none
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=DRAFT_NOT_FOUND)
    rows = followup_list.draft_tasks(session, draft_id) or []
    return [_public(row, scope.catalog(draft.dealer_id).timezone) for row in rows]
