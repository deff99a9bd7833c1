"""Due work of a booking (issue 12): the day-before reminder, made when an advisor approves
the draft, and the 回访 (follow-up call), made when the car is delivered; cancelled or
moved with the booking. The worker (dealer/worker.py) sends the WeChat ones; the ``call``
ones are the advisors' call list (/advisor/calls), logged here.

One row per booking and kind (``key`` is unique), so approving or delivering twice, or two
processes at once, never make two reminders.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from dealer.catalog import Catalog, catalog_for
from dealer.models import Appointment, Customer, DraftWorkOrder, FollowupTask
from dealer.reminder_script import load_reminder_script
from dealer.services import audit
from dealer.services.dealers import code_of, dealer_id
from dealer.status import AppointmentStatus
from dealer.tasks import TaskChannel, TaskKind, TaskState

ENTITY = "followup_task"
MAX_NOTE = 1000


class TaskNotFound(LookupError):
    pass


class TaskClosed(Exception):
    """The task is no longer open for this (logged already, cancelled, not a complaint)."""


class BadResult(ValueError):
    """A result or answer the call's script does not have."""


def dealer_catalog(catalog: Catalog | None) -> Catalog:
    """The catalogue given, else the dealer's own (the settings' file)."""
    if catalog is not None:
        return catalog
    from dealer.catalog import load_catalog
    from dealer.settings import get_settings

    return load_catalog(get_settings().catalog_path)


def draft_catalog(session: Session, draft: DraftWorkOrder, catalog: Catalog | None = None) -> Catalog:
    """The catalogue of the draft's dealer (issue 14): ``catalog`` when it is that dealer's,
    else that dealer's file (a dealer row without a file: the default file under its code)."""
    if catalog is not None and dealer_id(session, catalog) == draft.dealer_id:
        return catalog
    from dealer.settings import get_settings

    code, settings = code_of(session, draft.dealer_id), get_settings()
    try:
        return catalog_for(code, settings.catalog_path, settings.dealers_dir)
    except KeyError:
        return replace(dealer_catalog(None), code=code)


def task_key(kind: TaskKind, draft_id: int) -> str:
    return f"{kind}:{draft_id}"


def reminder_channel(draft_channel: str) -> TaskChannel:
    """WeChat customers are reminded on WeChat; web chat and REST ones by a call."""
    return TaskChannel.wechat if draft_channel == "wechat" else TaskChannel.call


def reminder_due(start: datetime, catalog: Catalog) -> datetime:
    """The day before the appointment at the dealer's reminder hour."""
    day_before = start.astimezone(catalog.timezone).date() - timedelta(days=1)
    return datetime.combine(day_before, catalog.reminders.day_before_at, catalog.timezone).astimezone(timezone.utc)


def promised_channel(draft_channel: str, start: datetime, now: datetime, catalog: Catalog) -> TaskChannel:
    """How the customer will be reminded, as the booking reply promises it: on WeChat when
    a message can go out then (a template message, or a customer-service message while the
    window since this message is still open), else an advisor's call."""
    if reminder_channel(draft_channel) is TaskChannel.call:
        return TaskChannel.call
    policy = catalog.reminders
    due = max(reminder_due(start, catalog), now)
    if policy.wechat_template_id or due - now < timedelta(hours=policy.wechat_window_hours):
        return TaskChannel.wechat
    return TaskChannel.call


def reminder_promise(draft_channel: str, start: datetime | None, now: datetime, catalog: Catalog,
                     opted_out: bool = False) -> str:
    """What the booking (or reschedule) reply promises: 通过微信提醒 or 致电确认 (the script's
    words); to a customer who opted out (退订), that no reminder will come."""
    promise = load_reminder_script().promise
    if opted_out:
        return promise["opted_out"]
    if start is None:
        return promise[TaskChannel.call]
    return promise[promised_channel(draft_channel, start, now, catalog)]


def _task(session: Session, key: str) -> FollowupTask | None:
    return session.scalar(select(FollowupTask).where(FollowupTask.key == key).with_for_update())


def plan_reminder(session: Session, draft: DraftWorkOrder, catalog: Catalog, now: datetime) -> FollowupTask | None:
    """The approved booking's day-before reminder (due at once when that time has passed;
    none for an appointment already begun), at the reminder hour of the draft's dealer."""
    if draft.start_at <= now:
        return None
    key = task_key(TaskKind.reminder, draft.id)
    due = max(reminder_due(draft.start_at, draft_catalog(session, draft, catalog)), now)
    task = _task(session, key)
    if task is None:
        task = FollowupTask(dealer_id=draft.dealer_id, key=key, kind=TaskKind.reminder,
                            channel=reminder_channel(draft.channel),
                            state=TaskState.pending, draft_id=draft.id, due_at=due, run_at=due, created_at=now)
        session.add(task)
        session.flush()
    return task


def plan_followup(session: Session, draft: DraftWorkOrder, delivered_at: datetime, catalog: Catalog) -> FollowupTask:
    """The 回访, due ``followup_after_days`` after delivery: a WeChat customer's is the survey
    the worker starts on WeChat (a call when it cannot), the others' a call."""
    key = task_key(TaskKind.followup, draft.id)
    task = _task(session, key)
    if task is None:
        due = delivered_at + timedelta(days=draft_catalog(session, draft, catalog).reminders.followup_after_days)
        task = FollowupTask(dealer_id=draft.dealer_id, key=key, kind=TaskKind.followup,
                            channel=reminder_channel(draft.channel),
                            state=TaskState.pending,
                            draft_id=draft.id, due_at=due, run_at=due, created_at=delivered_at)
        session.add(task)
        session.flush()
    return task


def cancel_tasks(session: Session, draft_id: int, kinds: tuple[TaskKind, ...] = (TaskKind.reminder, TaskKind.followup)) -> int:
    """The booking was cancelled (or the customer arrived): its pending tasks are cancelled."""
    result = session.execute(
        update(FollowupTask)
        .where(FollowupTask.draft_id == draft_id, FollowupTask.kind.in_(list(kinds)),
               FollowupTask.state == TaskState.pending)
        .values(state=TaskState.cancelled)
    )
    return result.rowcount or 0


def move_reminder(session: Session, draft: DraftWorkOrder, catalog: Catalog, now: datetime) -> FollowupTask | None:
    """The booking moved: its reminder is due the day before the new time, again if it had
    already gone out or been called (the customer is reminded of the new time). One a worker
    is sending right now is left alone."""
    task = _task(session, task_key(TaskKind.reminder, draft.id))
    if task is None or task.state in (TaskState.sending, TaskState.cancelled):
        return task
    if draft.start_at <= now:
        task.state = TaskState.skipped
        return task
    due = max(reminder_due(draft.start_at, draft_catalog(session, draft, catalog)), now)
    task.due_at = task.run_at = due
    task.state = TaskState.pending
    task.attempts = 0
    task.result = task.last_error = task.claimed_by = task.done_by = None
    task.claimed_at = task.sent_at = task.done_at = None
    return task


def tasks_of(session: Session, draft_id: int) -> list[FollowupTask]:
    return list(session.scalars(select(FollowupTask).where(FollowupTask.draft_id == draft_id)
                                .order_by(FollowupTask.due_at, FollowupTask.id)))


# --- opting out ---------------------------------------------------------------------------

def record_opt_out(session: Session, conversation_id: str, now: datetime) -> int:
    """退订: the customers who booked from this conversation get no automatic message any
    more (the worker skips them); returns how many were recorded."""
    customer_ids = set(session.scalars(
        select(DraftWorkOrder.customer_id)
        .where(DraftWorkOrder.conversation_id == conversation_id, DraftWorkOrder.customer_id.is_not(None))
    ))
    customers = session.scalars(select(Customer).where(Customer.id.in_(customer_ids)).with_for_update()) \
        if customer_ids else []
    recorded = 0
    for customer in customers:
        if customer.opted_out_at is None:
            customer.opted_out_at = now
            audit.record(session, "customer", "customer", customer.id, "opt_out", "opted_out_at", None,
                         now.isoformat(), at=now)
            recorded += 1
    session.flush()
    return recorded


def opted_out(session: Session, draft: DraftWorkOrder) -> bool:
    if draft.customer_id is None:
        return False
    return session.scalar(select(Customer.opted_out_at).where(Customer.id == draft.customer_id)) is not None


def draft_opted_out(session: Session, draft_id: int) -> bool:
    """Whether the customer of this booking opted out: then nothing reminds them of it."""
    draft = session.get(DraftWorkOrder, draft_id)
    return draft is not None and opted_out(session, draft)


# --- the call list ------------------------------------------------------------------------

@dataclass(frozen=True)
class CallRow:
    task: FollowupTask
    draft: DraftWorkOrder
    appointment: Appointment | None
    overdue: bool


@dataclass(frozen=True)
class CallList:
    open: list[CallRow]  # to call (due by the end of the day)
    logged: list[CallRow]  # called that day, or due that day and called
    complaints: list[CallRow]  # 回访 complaints the manager has not closed
    opted_out: int  # calls left out: the customer opted out


def _day_bounds(day: date, catalog: Catalog) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), catalog.timezone)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def _rows(session: Session, query, now: datetime) -> list[CallRow]:
    tasks = list(session.scalars(query.options(joinedload(FollowupTask.draft))))
    appointments = {
        a.draft_id: a for a in session.scalars(
            select(Appointment).where(Appointment.draft_id.in_([t.draft_id for t in tasks]))
        )
    } if tasks else {}
    return [CallRow(t, t.draft, appointments.get(t.draft_id), t.due_at < now and t.state == TaskState.pending)
            for t in tasks]


def call_list(session: Session, day: date, catalog: Catalog, now: datetime) -> CallList:
    """The calls of the catalogue's dealer (issue 14: its rows only)."""
    begin, end = _day_bounds(day, catalog)
    dealer = dealer_id(session, catalog)
    calls = select(FollowupTask).join(DraftWorkOrder, FollowupTask.draft_id == DraftWorkOrder.id) \
        .outerjoin(Customer, DraftWorkOrder.customer_id == Customer.id) \
        .where(FollowupTask.dealer_id == dealer, FollowupTask.channel == TaskChannel.call)
    reachable = Customer.opted_out_at.is_(None)
    open_ = _rows(session, calls.where(FollowupTask.state == TaskState.pending, FollowupTask.due_at < end,
                                       reachable).order_by(FollowupTask.run_at, FollowupTask.id), now)
    on_the_day = or_(and_(FollowupTask.done_at >= begin, FollowupTask.done_at < end),
                     and_(FollowupTask.due_at >= begin, FollowupTask.due_at < end))
    logged = _rows(session, calls.where(FollowupTask.state == TaskState.done, on_the_day)
                   .order_by(FollowupTask.done_at, FollowupTask.id), now)
    complaints = _rows(session, select(FollowupTask).where(FollowupTask.dealer_id == dealer,
                                                           FollowupTask.complaint.is_(True),
                                                           FollowupTask.resolved_at.is_(None))
                       .order_by(FollowupTask.done_at, FollowupTask.id), now)
    return CallList(open_, logged, complaints, _count_opted_out(session, end, dealer))


def _count_opted_out(session: Session, end: datetime, dealer: int) -> int:
    return session.scalar(
        select(func.count(FollowupTask.id))
        .join(DraftWorkOrder, FollowupTask.draft_id == DraftWorkOrder.id)
        .join(Customer, DraftWorkOrder.customer_id == Customer.id)
        .where(FollowupTask.dealer_id == dealer, FollowupTask.channel == TaskChannel.call,
               FollowupTask.state == TaskState.pending, FollowupTask.due_at < end,
               Customer.opted_out_at.is_not(None))
    ) or 0


def get_call(session: Session, task_id: int, lock: bool = False) -> FollowupTask:
    """A call of the list, or a complaint to call back (a WeChat survey's too)."""
    task = session.get(FollowupTask, task_id, with_for_update=lock)
    if task is None or task.draft_id is None or not (task.channel == TaskChannel.call or task.complaint):
        raise TaskNotFound(task_id)
    return task


def _note(text: str | None) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_NOTE or any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise BadResult("note")
    return text


@dataclass(frozen=True)
class Logged:
    task: FollowupTask
    next: str  # the next action, from the script
    cancelled_booking: bool = False


def log_call(session: Session, task_id: int, result: str, actor: str, now: datetime, catalog: Catalog,
             answers: dict[str, str] | None = None, note: str | None = None, complaint: bool = False) -> Logged:
    """An advisor logs a call: a reminder's 确认 / 改期 / 取消 (the booking is cancelled) /
    未接通 (back on the list later, up to ``max_call_attempts``), a 回访's answers (a
    complaint answer, or one the advisor marks, flags it for the service manager)."""
    task = get_call(session, task_id, lock=True)
    if task.state != TaskState.pending:
        raise TaskClosed(task.state)
    script = load_reminder_script().calls[task.kind]
    try:
        outcome = script.result(result)
    except KeyError:
        raise BadResult("result") from None
    note_text = _note(note)
    answered = _answers(script, answers or {}) if task.kind == TaskKind.followup and result == "answered" else None
    task.attempts += 1
    audit.record(session, actor, ENTITY, task.id, "call", "result", None, result, at=now)
    if result == "no_answer" and task.attempts < catalog.reminders.max_call_attempts:
        task.run_at = now + timedelta(minutes=catalog.reminders.no_answer_retry_minutes)
        task.note = note_text or task.note
        task.last_error = "no_answer"
        session.flush()
        return Logged(task, outcome.next)
    _close(task, result, actor, now, note_text)
    cancelled = False
    if answered is not None and _record_answers(session, task, script, answered, complaint, actor, now):
        session.flush()
        return Logged(task, script.complaint_next)
    if task.kind == TaskKind.reminder and result == "cancelled":
        from dealer.services.changes import cancel_booking  # changes imports this module

        cancel_booking(session, task.draft_id, actor=actor)
        cancelled = True
    session.flush()
    return Logged(task, outcome.next, cancelled)


def _close(task: FollowupTask, result: str, actor: str, now: datetime, note: str | None) -> None:
    task.state = TaskState.done
    task.result = result
    task.done_at, task.done_by = now, actor
    task.note = note


def _record_answers(session: Session, task: FollowupTask, script, answers: dict[str, Any], complaint: bool,
                    actor: str, now: datetime) -> bool:
    """The 回访's answers (a call's or the WeChat survey's); an answer the script marks as a
    complaint (不满意, a score of 2 or less, 没有解决), or a complaint said or ticked, flags
    it for the service manager. Returns whether it is a complaint."""
    task.answers = answers
    task.complaint = complaint or any(q.complains(answers.get(q.key)) for q in script.questions)
    if task.complaint:
        audit.record(session, actor, ENTITY, task.id, "complaint", "complaint", None, "true", at=now)
    return task.complaint


def _answers(script, given: dict[str, str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in script.questions:
        value = (given.get(question.key) or "").strip()
        if value and not question.accepts(value):
            raise BadResult(question.key)
        answers[question.key] = value or None
    comment = _note(given.get("comment"))
    answers["comment"] = comment
    return answers


# --- the WeChat 回访 survey ------------------------------------------------------------------

SURVEY_ACTOR = "customer:wechat"


@dataclass(frozen=True)
class SurveyStart:
    """What the survey's opening line says."""

    delivered: datetime
    service_type: str


# The worker is starting the survey (its claim is held during the trigger) or has started it.
SURVEY_OPEN = (TaskState.sending, TaskState.sent)


def _is_open_survey(task: FollowupTask) -> bool:
    return task.kind == TaskKind.followup and task.channel == TaskChannel.wechat and task.state in SURVEY_OPEN


def open_survey(session: Session, task_id: int, conversation_id: str) -> SurveyStart | None:
    """The survey the worker starts in this conversation and not answered yet, else None."""
    task = session.get(FollowupTask, task_id)
    if task is None or not _is_open_survey(task) or task.draft is None \
            or task.draft.conversation_id != conversation_id:
        return None
    return SurveyStart(task.created_at, task.draft.service_type)


def record_survey(session: Session, task_id: int, conversation_id: str, answers: dict[str, str | None],
                  complaint: bool, now: datetime) -> Logged:
    """The customer answered the WeChat survey: stored as an answered 回访 call is (the same
    answers, the same complaint rule); ``complaint``: the comment complains."""
    task = session.get(FollowupTask, task_id, with_for_update=True)
    if task is None or task.draft is None or task.draft.conversation_id != conversation_id:
        raise TaskNotFound(task_id)
    if not _is_open_survey(task):
        raise TaskClosed(task.state)
    script = load_reminder_script().calls[TaskKind.followup]
    answered = _answers(script, {key: value or "" for key, value in answers.items()})
    audit.record(session, SURVEY_ACTOR, ENTITY, task.id, "survey", "result", None, "answered", at=now)
    _close(task, "answered", SURVEY_ACTOR, now, None)
    task.claimed_by = None
    flagged = _record_answers(session, task, script, answered, complaint, SURVEY_ACTOR, now)
    session.flush()
    return Logged(task, script.complaint_next if flagged else script.result("answered").next)


def resolve_complaint(session: Session, task_id: int, actor: str, note: str | None, now: datetime) -> FollowupTask:
    """The service manager called the customer back: the complaint is closed with a note."""
    task = get_call(session, task_id, lock=True)
    if not task.complaint or task.resolved_at is not None:
        raise TaskClosed("not_open_complaint")
    note_text = _note(note)
    if note_text is None:
        raise BadResult("note")
    task.resolved_at, task.resolved_by = now, actor
    task.note = "\n".join(filter(None, (task.note, f"经理回电:{note_text}")))
    audit.record(session, actor, ENTITY, task.id, "resolve", "complaint", "true", note_text, at=now)
    session.flush()
    return task

