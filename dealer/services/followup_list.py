"""The booking follow-ups as the API lists them (issue 12: ``GET /api/followups`` and
``GET /api/drafts/{id}/followups``): the day-before reminder and the 回访 of each booking,
not the worker's own periodic jobs.

The API names the kinds as the issue does; the table keeps kind and channel apart:
``reminder`` is the reminder (WeChat or a call), ``callback`` the 回访 on the call list,
``survey`` the 回访 sent on WeChat by the worker.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from dealer.catalog import Catalog
from dealer.services.dealers import dealer_id
from dealer.models import DraftWorkOrder, FollowupTask
from dealer.services.followups import _day_bounds
from dealer.tasks import TaskChannel, TaskKind, TaskState
from dealer.validation import InvalidValue


class ListKind(StrEnum):
    reminder = "reminder"  # the day-before reminder, on WeChat or by a call
    callback = "callback"  # the 回访 call
    survey = "survey"  # the 回访 on WeChat


_KIND_CONDITIONS = {
    ListKind.reminder: FollowupTask.kind == TaskKind.reminder,
    ListKind.callback: and_(FollowupTask.kind == TaskKind.followup, FollowupTask.channel == TaskChannel.call),
    ListKind.survey: and_(FollowupTask.kind == TaskKind.followup, FollowupTask.channel == TaskChannel.wechat),
}
BOOKING_KINDS = (TaskKind.reminder, TaskKind.followup)


def list_kind(task: FollowupTask) -> ListKind:
    if task.kind == TaskKind.reminder:
        return ListKind.reminder
    return ListKind.survey if task.channel == TaskChannel.wechat else ListKind.callback


@dataclass(frozen=True)
class TaskFilters:
    day: date | None = None  # of due_at, in the dealer's zone
    kind: ListKind | None = None
    state: TaskState | None = None


def _choice(enum: type[StrEnum], field: str, text: str | None):
    text = (text or "").strip()
    if not text:
        return None
    try:
        return enum(text)
    except ValueError:
        raise InvalidValue(field, "unknown") from None


def parse_filters(day: str | None, kind: str | None, state: str | None,
                  earliest: date, latest: date) -> TaskFilters:
    """The query's text as filters (empty means no filter); InvalidValue names the bad one."""
    parsed_day = None
    if day and day.strip():
        try:
            parsed_day = date.fromisoformat(day.strip())
        except ValueError:
            raise InvalidValue("date", "bad_format") from None
        if len(day.strip()) != 10 or not earliest <= parsed_day <= latest:
            raise InvalidValue("date", "bad_format")
    return TaskFilters(parsed_day, _choice(ListKind, "kind", kind), _choice(TaskState, "state", state))


@dataclass(frozen=True)
class TaskRow:
    task: FollowupTask
    kind: ListKind
    draft: DraftWorkOrder


def _conditions(filters: TaskFilters, catalog: Catalog) -> list:
    conditions = [FollowupTask.kind.in_(list(BOOKING_KINDS)), FollowupTask.draft_id.is_not(None)]
    if filters.day is not None:
        begin, end = _day_bounds(filters.day, catalog)
        conditions += [FollowupTask.due_at >= begin, FollowupTask.due_at < end]
    if filters.kind is not None:
        conditions.append(_KIND_CONDITIONS[filters.kind])
    if filters.state is not None:
        conditions.append(FollowupTask.state == filters.state)
    return conditions


def _rows(session: Session, query) -> list[TaskRow]:
    tasks = session.scalars(
        query.options(joinedload(FollowupTask.draft).joinedload(DraftWorkOrder.advisor))
        .order_by(FollowupTask.due_at, FollowupTask.id)
    )
    return [TaskRow(task, list_kind(task), task.draft) for task in tasks]


def list_tasks(session: Session, filters: TaskFilters, catalog: Catalog,
               limit: int = 100, offset: int = 0, dealer_ids: list[int] | None = None) -> tuple[list[TaskRow], int]:
    """The booking follow-ups matching the filters, by due time, and how many match in all:
    the dealers' of ``dealer_ids`` (issue 14), by default the catalogue's dealer's."""
    conditions = _conditions(filters, catalog)
    conditions.append(FollowupTask.dealer_id.in_(dealer_ids if dealer_ids is not None
                                                 else [dealer_id(session, catalog)]))
    total = session.scalar(select(func.count(FollowupTask.id)).where(*conditions)) or 0
    return _rows(session, select(FollowupTask).where(*conditions).limit(limit).offset(offset)), total


def draft_tasks(session: Session, draft_id: int) -> list[TaskRow] | None:
    """One booking's follow-ups by due time; None when there is no such draft."""
    if session.get(DraftWorkOrder, draft_id) is None:
        return None
    return _rows(session, select(FollowupTask).where(FollowupTask.draft_id == draft_id,
                                                     FollowupTask.kind.in_(list(BOOKING_KINDS))))
