"""`python -m dealer.worker`: sends the due reminders and runs the periodic jobs (issue 12).

The due work lives in the dealer database (``followup_task``, dealer/services/followups.py),
so it survives restarts. A worker loop, every ``WORKER_INTERVAL_SECONDS``:

1. **claims** the due rows (``state='pending' AND run_at <= now``): on PostgreSQL with
   ``SELECT … FOR UPDATE SKIP LOCKED`` (two workers take disjoint rows), on SQLite with one
   atomic ``UPDATE … WHERE state='pending' … RETURNING`` inside ``BEGIN IMMEDIATE`` (one
   claimer at a time). A claimed row is ``sending``, stamped with the worker's id; the
   claim is committed before anything is sent;
2. **sends** each claimed WeChat reminder (outside any transaction: SQLite's write lock is
   not held across the network) and records the outcome only on its own claim;
3. never sends in the dealer's **quiet hours** (21:00–08:00): a due reminder waits for their end;
   issue 14: each task is its dealer's: its quiet hours, time zone, texts, no-show grace
   (the dealer's file, ``catalog_for``) and its Official Account (``WECHAT_<CODE>_APP_ID`` /
   ``_APP_SECRET``; the default dealer's ``WECHAT_APP_ID`` / ``WECHAT_APP_SECRET``);
4. retries a **channel error** with backoff (``retry_after_seconds`` doubled per attempt);
   after ``max_attempts``, when WeChat cannot take the reminder at all (no window and no
   template id, no app credentials, the customer unfollowed), or when a worker died mid-send
   (a claim older than ``WORKER_LEASE_SECONDS``: perhaps sent, perhaps not), the reminder
   goes to the advisors' call list instead: a call, never a second automatic message;
5. skips customers who **opted out** (退订) and bookings no longer coming;
   a WeChat customer's **回访** (due three days after delivery) is started as a survey
   conversation through the Rasa server (``trigger_intent`` with ``output_channel=wechat``,
   dealer/rasa_trigger.py; RASA_URL), inside WeChat's 48-hour window only: else, or
   without a Rasa server, it is a 回访 call on the advisors' list;
6. runs the periodic jobs, which are rows of the same table (``job:no_shows`` every
   minute, ``job:retention`` daily), so two workers never run one at the same time.

Time is the dealer clock (dealer/clock.py; tests inject their own). ``GET /health`` on
``WORKER_HOST:WORKER_PORT`` (127.0.0.1:5056) answers 200 while the loop goes round.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pydantic import Field, SecretStr
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from dealer import clock as dealer_clock
from dealer import customer_data, retention
from bot.channels.wechat_settings import dealer_env_prefix, split_sender_id
from dealer.catalog import Catalog, catalog_for, load_catalog, load_dealers
from dealer.db import unit_of_work
from dealer.models import Appointment, Dealer, DraftWorkOrder, FollowupTask
from dealer.reminder_script import load_reminder_script
from dealer.services import appointments, followups
from dealer.settings import DealerSettings
from dealer.shared_secrets import SecretRefused, shared_secret
from dealer.status import AppointmentStatus, DraftStatus
from dealer.tasks import JOB_INTERVALS, TaskChannel, TaskKind, TaskState
from dealer.timefmt import format_slot
from dealer.rasa_trigger import RasaSurvey
from dealer.wechat_push import DEFAULT_API_BASE_URL, ChannelError, Unreachable, WeChatPush, WindowClosed

logger = logging.getLogger("dealer.worker")
ACTOR = "system:worker"


class WorkerSettings(DealerSettings):
    worker_host: str = "127.0.0.1"
    worker_port: int = 5056
    worker_interval_seconds: float = Field(default=5.0, gt=0)
    worker_batch: int = Field(default=20, ge=1)
    worker_lease_seconds: int = Field(default=300, ge=30)
    # The Official Account (the same variables as the Rasa process's WeChat channel).
    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_api_base_url: str = DEFAULT_API_BASE_URL
    # The Rasa server, to start the WeChat 回访 survey (its HTTP API, RASA_AUTH_TOKEN).
    rasa_url: str | None = None


@dataclass(frozen=True)
class DealerAccount:
    """One dealer's side of the reminders: its catalogue (quiet hours, time zone, texts, the
    template id, the no-show grace) and its Official Account (None: no app credentials, its
    WeChat reminders go to the call list)."""

    catalog: Catalog
    push: WeChatPush | None = None


@dataclass(frozen=True)
class Message:
    """A reminder ready to go: to whom, the text, and the template's fields."""

    openid: str
    text: str
    template: dict[str, dict[str, str]]
    window_open: bool


@dataclass(frozen=True)
class SurveyStart:
    """A 回访 ready to start on WeChat: the conversation (Rasa's sender id, ``<code>:<openid>``
    for a non-default dealer: Rasa's WeChat output picks that dealer's account) and the task."""

    conversation_id: str
    task_id: int


@dataclass
class RunReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    to_calls: int = 0
    skipped: int = 0
    deferred: int = 0
    jobs: int = 0
    recovered: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


LastMessage = Callable[[str], float | None]  # conversation id -> Unix time of the customer's last message
StartSurvey = Callable[[str, int], None]  # (openid, task id): the survey conversation is started, or ChannelError


def tracker_last_message(tracker_store_url: str | None) -> LastMessage:
    """The customer's last message, from Rasa's tracker store (None: none known)."""

    def last(conversation_id: str) -> float | None:
        try:
            with customer_data.tracker_store(tracker_store_url) as store:
                return store.last_user_message_time(conversation_id) if store else None
        except customer_data.TrackerStoreUnavailable as error:
            logger.warning("tracker store unavailable (%s): WeChat's window is taken as closed", error)
            return None

    return last


@dataclass
class Worker:
    database_url: str
    catalog: Catalog
    clock: dealer_clock.Clock = field(default_factory=dealer_clock.get_clock)
    push: WeChatPush | None = None  # None: WeChat is not configured, reminders go to the call list
    start_survey: StartSurvey | None = None  # None: no Rasa to start the WeChat 回访, it is a call
    last_message: LastMessage = lambda _conversation: None
    retention_job: Callable[[datetime, datetime], None] | None = None
    batch: int = 20
    lease: timedelta = timedelta(minutes=5)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    stopping: threading.Event = field(default_factory=threading.Event)
    # Issue 14: the other dealers of the network by code; ``catalog`` and ``push`` are the
    # default dealer's (the lowest dealer id). A dealer without an entry works on the default
    # dealer's terms under its own code, without WeChat (its reminders are calls).
    dealers: dict[str, DealerAccount] = field(default_factory=dict)
    _codes: dict[int, str] = field(default_factory=dict, init=False, repr=False)  # dealer id -> code

    # --- the dealers ----------------------------------------------------------------------

    def dealer_ids(self, session: Session) -> list[int]:
        """Every dealer's id, the default dealer's first (read afresh: a dealer may be added)."""
        self._codes = dict(session.execute(select(Dealer.id, Dealer.code).order_by(Dealer.id)).all())
        return list(self._codes)

    def account(self, session: Session, dealer_id: int) -> DealerAccount:
        """The dealer's catalogue and Official Account."""
        if dealer_id not in self._codes:
            self.dealer_ids(session)
        if dealer_id == min(self._codes):
            return DealerAccount(self.catalog, self.push)
        code = self._codes[dealer_id]
        return self.dealers.get(code) or DealerAccount(dataclasses.replace(self.catalog, code=code))

    def awake_dealers(self, now: datetime) -> list[int]:
        """The dealers outside their quiet hours: only their WeChat reminders are claimed."""
        with unit_of_work(self.database_url) as session:
            return [dealer_id for dealer_id in self.dealer_ids(session)
                    if not self.quiet(now, self.account(session, dealer_id).catalog)]

    # --- one round ------------------------------------------------------------------------

    def run_once(self) -> RunReport:
        report = RunReport()
        now = self.clock.now(timezone.utc)
        report.recovered = self.recover_stale(now)
        awake = self.awake_dealers(now)
        channels = [TaskChannel.system, TaskChannel.wechat] if awake else [TaskChannel.system]
        while not self.stopping.is_set():
            claimed = self.claim(self.clock.now(timezone.utc), channels, wechat_dealers=awake)
            report.claimed += len(claimed)
            for task_id in claimed:
                # A claimed task is finished even when a stop is asked for meanwhile.
                report.add(self.process(task_id))
            if len(claimed) < self.batch:
                break
        return report

    def quiet(self, now: datetime, catalog: Catalog | None = None) -> bool:
        """Whether it is the quiet hours of ``catalog``'s dealer (default: the default dealer)."""
        catalog = catalog or self.catalog
        return catalog.reminders.is_quiet(now.astimezone(catalog.timezone).time())

    def quiet_end(self, now: datetime, catalog: Catalog | None = None) -> datetime:
        catalog = catalog or self.catalog
        local = now.astimezone(catalog.timezone)
        end = datetime.combine(local.date(), catalog.reminders.quiet_end, catalog.timezone)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(timezone.utc)

    # --- claiming -------------------------------------------------------------------------

    def claim(self, now: datetime, channels: list[TaskChannel], wechat_dealers: list[int] | None = None) -> list[int]:
        """Due rows, marked ``sending`` by this worker and committed; no other worker gets them.
        ``wechat_dealers``: WeChat rows of these dealers only (None: of every dealer)."""
        due = (
            select(FollowupTask.id)
            .where(FollowupTask.state == TaskState.pending, _of_channels(channels, wechat_dealers),
                   FollowupTask.run_at <= now)
            .order_by(FollowupTask.run_at, FollowupTask.id)
            .limit(self.batch)
        )
        claim = dict(state=TaskState.sending, claimed_by=self.worker_id, claimed_at=now,
                     attempts=FollowupTask.attempts + 1)
        with unit_of_work(self.database_url) as session:
            if session.get_bind().dialect.name == "postgresql":
                # Rows another worker has locked are skipped, not waited for.
                ids = list(session.scalars(due.with_for_update(skip_locked=True)))
                if ids:
                    session.execute(update(FollowupTask).where(FollowupTask.id.in_(ids)).values(**claim),
                                    execution_options={"synchronize_session": False})
                return ids
            # SQLite: BEGIN IMMEDIATE (dealer/db.py) makes this the only writer; the UPDATE
            # takes only rows still pending, so a row is claimed once.
            return list(session.scalars(
                update(FollowupTask)
                .where(FollowupTask.id.in_(due.scalar_subquery()), FollowupTask.state == TaskState.pending)
                .values(**claim)
                .returning(FollowupTask.id),
                execution_options={"synchronize_session": False},
            ))

    def recover_stale(self, now: datetime) -> int:
        """Claims older than the lease belong to a worker that died: jobs run again; a
        reminder it may or may not have sent goes to the call list (no second message)."""
        stale = (FollowupTask.state == TaskState.sending) & (FollowupTask.claimed_at < now - self.lease)
        with unit_of_work(self.database_url) as session:
            jobs = session.execute(
                update(FollowupTask).where(stale, FollowupTask.channel == TaskChannel.system)
                .values(state=TaskState.pending, claimed_by=None), execution_options={"synchronize_session": False}
            ).rowcount or 0
            reminders = session.execute(
                update(FollowupTask).where(stale, FollowupTask.channel == TaskChannel.wechat)
                .values(state=TaskState.pending, channel=TaskChannel.call, claimed_by=None,
                        last_error="interrupted: the worker stopped while sending; perhaps not sent"),
                execution_options={"synchronize_session": False},
            ).rowcount or 0
        if reminders:
            logger.warning("%d reminder(s) interrupted mid-send moved to the call list", reminders)
        return jobs + reminders

    # --- one task -------------------------------------------------------------------------

    def process(self, task_id: int) -> str:
        now = self.clock.now(timezone.utc)
        with unit_of_work(self.database_url) as session:
            task = session.get(FollowupTask, task_id)
            if task is None or task.state != TaskState.sending or task.claimed_by != self.worker_id:
                return "skipped"  # no longer ours
            if task.channel == TaskChannel.system:
                kind = TaskKind(task.kind)
            else:
                dealer = self.account(session, task.dealer_id)
                kind, decided = None, self._prepare(session, task, now, dealer)
        if kind is not None:
            return self._run_job(task_id, kind, now)
        if isinstance(decided, str):
            return decided
        return self._send(task_id, decided, dealer)

    def _mine(self, session: Session, task_id: int) -> FollowupTask | None:
        task = session.get(FollowupTask, task_id, with_for_update=True)
        if task is None or task.state != TaskState.sending or task.claimed_by != self.worker_id:
            return None
        return task

    def _finish(self, task: FollowupTask, state: TaskState, now: datetime, via: str | None = None,
                error: str | None = None) -> None:
        task.state = state
        task.claimed_by = None
        if state == TaskState.sent:
            task.sent_at, task.sent_via = now, via
        task.last_error = error

    def _to_calls(self, task: FollowupTask, reason: str) -> str:
        logger.warning("reminder task %s goes to the call list: %s", task.id, reason)
        task.channel = TaskChannel.call
        task.state = TaskState.pending
        task.claimed_by = None
        task.last_error = reason
        return "to_calls"

    def _prepare(self, session: Session, task: FollowupTask, now: datetime,
                 dealer: DealerAccount) -> Message | SurveyStart | str:
        draft = session.get(DraftWorkOrder, task.draft_id) if task.draft_id else None
        appointment = session.scalar(select(Appointment).where(Appointment.draft_id == task.draft_id)) \
            if draft else None
        survey = task.kind == TaskKind.followup
        if survey:
            gone = appointment is None or appointment.status != AppointmentStatus.delivered
        else:
            gone = (draft is None or appointment is None or draft.status != DraftStatus.approved
                    or appointment.status != AppointmentStatus.confirmed or appointment.start_at <= now)
        if draft is None or gone:
            self._finish(task, TaskState.skipped, now, error="not delivered" if survey else "booking no longer coming")
            return "skipped"
        if followups.opted_out(session, draft):
            logger.info("%s task %s skipped: the customer opted out", task.kind, task.id)
            self._finish(task, TaskState.skipped, now, error="opted_out")
            return "skipped"
        catalog = dealer.catalog
        if self.quiet(now, catalog):
            task.state, task.claimed_by = TaskState.pending, None
            task.run_at = self.quiet_end(now, catalog)
            task.attempts -= 1
            return "deferred"
        if dealer.push is None:
            return self._to_calls(task, f"WeChat is not configured for dealer {catalog.code} "
                                        f"({push_variables(catalog.code, self.catalog.code)})")
        last = self.last_message(draft.conversation_id)
        window = timedelta(hours=catalog.reminders.wechat_window_hours)
        window_open = last is not None and now - self.clock.from_timestamp(last) < window
        if survey:
            # A conversation goes out as customer-service messages only: inside the window.
            if self.start_survey is None:
                return self._to_calls(task, "no Rasa server to start the survey (RASA_URL)")
            if not window_open:
                return self._to_calls(task, "WeChat's 48-hour window is closed: the 回访 is a call")
            return SurveyStart(draft.conversation_id, task.id)
        if not window_open and not catalog.reminders.wechat_template_id:
            return self._to_calls(task, "WeChat's 48-hour window is closed and no template id is configured "
                                        "(reminders.wechat_template_id in the dealer file)")
        return self._message(draft, window_open, catalog)

    def _message(self, draft: DraftWorkOrder, window_open: bool, catalog: Catalog) -> Message:
        lines = load_reminder_script()
        appointment = format_slot(draft.start_at, catalog.timezone)
        try:
            service = catalog.service_type(draft.service_type).name
        except KeyError:
            service = draft.service_type
        advisor = draft.advisor.name if draft.advisor else "我们的服务顾问"
        text = lines.wechat_text.format(dealer=catalog.short_name, appointment=appointment, service=service,
                                        advisor=advisor)
        template = {
            "first": {"value": lines.wechat_template["first"]},
            "keyword1": {"value": appointment},
            "keyword2": {"value": service},
            "keyword3": {"value": f"{catalog.name}({catalog.address})"},
            "remark": {"value": lines.wechat_template["remark"]},
        }
        # The WeChat API knows the account's openid; a non-default dealer's conversation is
        # "<code>:<openid>" (bot/channels/wechat_settings.py).
        return Message(split_sender_id(draft.conversation_id)[1], text, template, window_open)

    def _send(self, task_id: int, message: Message | SurveyStart, dealer: DealerAccount) -> str:
        policy, push = dealer.catalog.reminders, dealer.push
        via, error = None, None
        try:
            if isinstance(message, SurveyStart):
                self.start_survey(message.conversation_id, message.task_id)
                via = "survey"
            elif message.window_open:
                try:
                    push.send_text(message.openid, message.text)
                    via = "custom"
                except WindowClosed:
                    if not policy.wechat_template_id:
                        raise
            if via is None:
                push.send_template(message.openid, policy.wechat_template_id, message.template)
                via = "template"
        except ChannelError as failure:
            error = failure
        now = self.clock.now(timezone.utc)
        with unit_of_work(self.database_url) as session:
            task = self._mine(session, task_id)
            if task is None:
                logger.error("reminder task %s: the claim was lost while sending", task_id)
                return "skipped"
            if error is None:
                self._finish(task, TaskState.sent, now, via=via)
                logger.info("%s task %s sent on WeChat (%s)", task.kind, task_id, via)
                return "sent"
            if isinstance(error, (WindowClosed, Unreachable)):
                return self._to_calls(task, str(error))
            if task.attempts >= policy.max_attempts:
                return self._to_calls(task, f"{task.attempts} attempts failed, the last: {error}")
            task.state, task.claimed_by, task.last_error = TaskState.pending, None, str(error)
            task.run_at = now + timedelta(seconds=policy.retry_after_seconds * 2 ** (task.attempts - 1))
            logger.warning("reminder task %s: %s; trying again at %s", task_id, error, task.run_at.isoformat())
            return "retried"

    def _run_job(self, task_id: int, kind: TaskKind, now: datetime) -> str:
        """A periodic job, in its own transactions (never inside the claim's: on SQLite a
        second writer would wait for it), then moved on to its next run."""
        error = None
        try:
            if kind == TaskKind.no_shows:
                marked = self.mark_no_shows(now)
                if marked:
                    logger.info("marked %d appointment(s) no-show", len(marked))
            elif kind == TaskKind.retention and self.retention_job is not None:
                self.retention_job(now, now - self.clock.offset)  # conversations age on the real clock
        except Exception as failure:  # a job's failure must not stop the worker; it runs again later
            logger.exception("job %s failed", kind)
            error = type(failure).__name__
        with unit_of_work(self.database_url) as session:
            task = self._mine(session, task_id)
            if task is not None:
                task.state, task.claimed_by, task.last_error = TaskState.pending, None, error
                task.due_at = task.run_at = now + timedelta(seconds=JOB_INTERVALS[kind])
        return "jobs"

    def mark_no_shows(self, now: datetime) -> list[int]:
        """Each dealer's appointments past their start plus that dealer's grace: 未到店."""
        with unit_of_work(self.database_url) as session:
            return [appointment for dealer_id in self.dealer_ids(session)
                    for appointment in appointments.mark_no_shows(
                        session, now, self.account(session, dealer_id).catalog, dealer=dealer_id)]

    # --- the loop -------------------------------------------------------------------------

    def run_forever(self, interval: float, on_round: Callable[[RunReport], None] = lambda _r: None) -> None:
        while not self.stopping.is_set():
            try:
                on_round(self.run_once())
            except Exception:  # the database went away, say: log and go on next round
                logger.exception("worker round failed")
            self.stopping.wait(interval)


def _of_channels(channels: list[TaskChannel], wechat_dealers: list[int] | None):
    """Rows of these channels; WeChat ones only of ``wechat_dealers`` when given."""
    if TaskChannel.wechat not in channels or wechat_dealers is None:
        return FollowupTask.channel.in_(channels)
    others = [channel for channel in channels if channel != TaskChannel.wechat]
    return or_(FollowupTask.channel.in_(others),
               and_(FollowupTask.channel == TaskChannel.wechat, FollowupTask.dealer_id.in_(wechat_dealers)))


def push_variables(code: str, default_code: str) -> str:
    """The variables that give a dealer's Official Account its app id and secret."""
    prefix = "WECHAT_" if code == default_code else dealer_env_prefix(code)
    return f"{prefix}APP_ID / {prefix}APP_SECRET"


def wechat_push(app_id: str | None, secret: str | None, api_base_url: str) -> WeChatPush | None:
    return WeChatPush(app_id, secret, api_base_url) if app_id and secret else None


def dealer_accounts(settings: WorkerSettings, environ=os.environ) -> dict[str, DealerAccount]:
    """The network's other dealers (DEALERS_DIR): each its own catalogue and, with
    ``WECHAT_<CODE>_APP_ID`` and ``_APP_SECRET`` set, its Official Account."""
    default_code, *others = load_dealers(settings.catalog_path, settings.dealers_dir)
    accounts = {}
    for code in others:
        prefix = dealer_env_prefix(code)
        push = wechat_push(environ.get(prefix + "APP_ID"), environ.get(prefix + "APP_SECRET"),
                           settings.wechat_api_base_url)
        if push is None:
            logger.warning("%s not set: dealer %s's WeChat reminders go to the call list",
                           push_variables(code, default_code), code)
        accounts[code] = DealerAccount(catalog_for(code, settings.catalog_path, settings.dealers_dir), push)
    return accounts


def retention_job(settings: DealerSettings) -> Callable[[datetime, datetime], None]:
    def run(now: datetime, real_now: datetime) -> None:
        try:
            key = shared_secret(settings, "pseudonym_key")  # type: ignore[arg-type]
        except SecretRefused as refused:
            logger.error("retention not run: %s", refused)
            return
        policy = retention.RetentionPolicy(settings.retention_work_order_days,
                                           settings.retention_unbooked_conversation_days)
        report = retention.retain(settings.database_url, settings.tracker_store_url, key, "system:retention",
                                  policy, now, real_now)
        logger.info("retention: %d draft(s) anonymised, %d conversation(s) deleted",
                    report.drafts_anonymised, report.conversations_deleted)

    return run


def worker_from_settings(settings: WorkerSettings) -> Worker:
    secret = settings.wechat_app_secret.get_secret_value() if settings.wechat_app_secret else None
    push = wechat_push(settings.wechat_app_id, secret, settings.wechat_api_base_url)
    if push is None:
        logger.warning("WECHAT_APP_ID / WECHAT_APP_SECRET not set: the default dealer's WeChat reminders "
                       "go to the call list")
    start_survey = None
    if settings.rasa_url:
        start_survey = RasaSurvey(settings.rasa_url, shared_secret(settings, "rasa_auth_token")).start
    else:
        logger.warning("RASA_URL not set: the WeChat 回访 surveys go to the call list")
    return Worker(
        database_url=settings.database_url,
        catalog=load_catalog(settings.catalog_path),
        push=push,
        dealers=dealer_accounts(settings),
        start_survey=start_survey,
        last_message=tracker_last_message(settings.tracker_store_url),
        retention_job=retention_job(settings),
        batch=settings.worker_batch,
        lease=timedelta(seconds=settings.worker_lease_seconds),
    )


class Health:
    """``GET /health``: 200 while rounds complete, 503 when the last one is too long ago."""

    def __init__(self, worker: Worker, interval: float) -> None:
        self.worker = worker
        self.limit = timedelta(seconds=max(60.0, interval * 6))
        self.last_round: datetime | None = None
        self.last_report: RunReport | None = None

    def saw(self, report: RunReport) -> None:
        self.last_round, self.last_report = self.worker.clock.now(timezone.utc), report

    def healthy(self) -> bool:
        return self.last_round is not None and self.worker.clock.now(timezone.utc) - self.last_round < self.limit

    def server(self, host: str, port: int) -> ThreadingHTTPServer:
        health = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if self.path != "/health":
                    self.send_error(404)
                    return
                ok = health.healthy()
                body = json.dumps({
                    "status": "ok" if ok else "stalled",
                    "worker": health.worker.worker_id,
                    "last_round": health.last_round.isoformat() if health.last_round else None,
                }).encode()
                self.send_response(200 if ok else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return ThreadingHTTPServer((host, port), Handler)


def main() -> int:
    from dealer.privacy import install_log_masking

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_masking("dealer.worker")
    settings = WorkerSettings()
    worker = worker_from_settings(settings)
    health = Health(worker, settings.worker_interval_seconds)
    server = health.server(settings.worker_host, settings.worker_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(signum, _frame) -> None:
        logger.info("signal %s: finishing the task in hand, then stopping", signum)
        worker.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("worker %s: every %.1f s, health on http://%s:%d/health", worker.worker_id,
                settings.worker_interval_seconds, settings.worker_host, settings.worker_port)
    try:
        worker.run_forever(settings.worker_interval_seconds, on_round=health.saw)
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
