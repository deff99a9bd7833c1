"""The service manager's CSI figures (issue 12): per advisor and per ISO week of the 回访's
due day (dealer's zone), how many 回访 were due, how many were answered (the response
rate), the average satisfaction score and the complaints not yet closed.

- **Due**: the bookings' 回访 (``followup`` tasks, a call or the WeChat survey) due in the
  week; not those cancelled with their booking or skipped (an opted-out customer).
- **Answered**: logged with the result ``answered``.
- **Score** (1–5, the issue's scale): from the answer to the satisfaction question of the
  回访 script (``reminders.calls.followup.questions``, key ``satisfied``). Its answers are
  listed best first and spread evenly over 5..1 (满意 5, 一般 3, 不满意 1); an answer that is
  already a number 1–5 (the WeChat survey's) is taken as it is. Answers without a score are
  left out of the average.
- **Open complaints**: flagged (``complaint``) and not resolved by the manager.

``aggregate`` is pure (hand-built rows in tests); ``report`` reads the rows.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.services.dealers import dealer_id
from dealer.models import Advisor, DraftWorkOrder, FollowupTask
from dealer.reminder_script import Question, load_reminder_script
from dealer.services.followups import _day_bounds
from dealer.tasks import TaskKind, TaskState

SATISFACTION_KEY = "satisfied"
SCALE = (1, 5)
NOT_DUE = (TaskState.cancelled, TaskState.skipped)
ANSWERED = "answered"


class IsoWeek(NamedTuple):
    year: int
    week: int

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``2026-W49`` (an HTML week field's value); ValueError otherwise."""
        year, sep, week = text.strip().partition("-W")
        if not sep or len(year) != 4 or not year.isdigit() or len(week) != 2 or not week.isdigit():
            raise ValueError(text)
        monday = date.fromisocalendar(int(year), int(week), 1)  # ValueError for week 53 of a 52-week year
        return cls.of(monday)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def shift(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


@dataclass(frozen=True)
class FollowupRow:
    """One 回访 as the CSI reads it."""

    task_id: int
    draft_id: int
    advisor: str | None  # the booking's advisor; None: nobody assigned
    channel: str
    due_at: datetime
    state: str
    result: str | None
    answers: dict[str, Any] | None
    complaint: bool
    resolved_at: datetime | None


@dataclass
class CsiLine:
    """One advisor's week (``advisor`` None: the booking had no advisor)."""

    week: IsoWeek
    advisor: str | None
    due: int = 0
    answered: int = 0
    scores: list[int] = field(default_factory=list)
    open_complaints: list[FollowupRow] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.due if self.due else None

    @property
    def average_score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None


def satisfaction_question() -> Question:
    return next(q for q in load_reminder_script().calls[TaskKind.followup].questions if q.key == SATISFACTION_KEY)


def score(answer: Any, question: Question) -> int | None:
    """The 1–5 score of a satisfaction answer (see the module's docstring); None: no score."""
    low, high = SCALE
    text = str(answer).strip() if answer is not None else ""
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    if text not in question.answers:
        return None
    if len(question.answers) == 1:
        return high
    rank = question.answers.index(text)
    return round(high - (high - low) * rank / (len(question.answers) - 1))


def aggregate(rows: Iterable[FollowupRow], zone: ZoneInfo, question: Question) -> list[CsiLine]:
    """The lines per (week, advisor), by week then advisor (the unassigned last)."""
    lines: dict[tuple[IsoWeek, str | None], CsiLine] = {}
    for row in rows:
        if row.state in NOT_DUE:
            continue
        week = IsoWeek.of(row.due_at.astimezone(zone).date())
        line = lines.setdefault((week, row.advisor), CsiLine(week, row.advisor))
        line.due += 1
        if row.result == ANSWERED:
            line.answered += 1
            value = score((row.answers or {}).get(question.key), question)
            if value is not None:
                line.scores.append(value)
        if row.complaint and row.resolved_at is None:
            line.open_complaints.append(row)
    return sorted(lines.values(), key=lambda line: (line.week, line.advisor is None, line.advisor or ""))


def total(lines: Iterable[CsiLine], week: IsoWeek) -> CsiLine:
    """Every advisor's line of one week together."""
    whole = CsiLine(week, None)
    for line in lines:
        if line.week == week:
            whole.due += line.due
            whole.answered += line.answered
            whole.scores += line.scores
            whole.open_complaints += line.open_complaints
    return whole


def week_bounds(first: IsoWeek, weeks: int, catalog: Catalog) -> tuple[datetime, datetime]:
    """From the first week's Monday 00:00 to the Monday after the last, dealer's zone, in UTC."""
    begin, _ = _day_bounds(first.monday, catalog)
    end, _ = _day_bounds(first.monday + timedelta(weeks=weeks), catalog)
    return begin, end


def rows(session: Session, first: IsoWeek, weeks: int, catalog: Catalog) -> list[FollowupRow]:
    begin, end = week_bounds(first, weeks, catalog)
    query = (
        select(FollowupTask, Advisor.name)
        .join(DraftWorkOrder, FollowupTask.draft_id == DraftWorkOrder.id)
        .outerjoin(Advisor, DraftWorkOrder.advisor_id == Advisor.id)
        .where(FollowupTask.dealer_id == dealer_id(session, catalog),  # issue 14: the catalogue's dealer's
               FollowupTask.kind == TaskKind.followup, FollowupTask.due_at >= begin, FollowupTask.due_at < end)
        .order_by(FollowupTask.due_at, FollowupTask.id)
    )
    return [
        FollowupRow(task.id, task.draft_id, advisor, task.channel, task.due_at, task.state, task.result,
                    task.answers, task.complaint, task.resolved_at)
        for task, advisor in session.execute(query)
    ]


def report(session: Session, first: IsoWeek, weeks: int, catalog: Catalog) -> list[CsiLine]:
    """The CSI lines of ``weeks`` ISO weeks from ``first`` on."""
    return aggregate(rows(session, first, weeks, catalog), catalog.timezone, satisfaction_question())
