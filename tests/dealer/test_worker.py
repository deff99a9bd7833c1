"""Issue 12: the worker (dealer/worker.py) on SQLite and PostgreSQL, with an injected clock:
a due WeChat reminder goes out once, two workers claiming at once send each once, quiet
hours, retry with backoff, opt-out, a dead worker's claim, the periodic jobs."""
from __future__ import annotations

import dataclasses
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from dealer.clock import Clock
from dealer.db import unit_of_work
from dealer.models import Appointment, FollowupTask
from dealer.services import followups
from dealer.tasks import TaskChannel, TaskKind, TaskState
from dealer.wechat_push import ChannelError, WindowClosed
from dealer.worker import Worker
from tests.dealer.bookings import approved, day_at


class RecordingPush:
    """Stands in for WeChat: records what is sent; ``failures`` raise first, in order."""

    def __init__(self, failures: list[Exception] | None = None, delay: float = 0.0) -> None:
        self.sent: list[tuple[str, str, str]] = []  # (openid, via, text or template id)
        self.failures = list(failures or [])
        self.delay = delay
        self._lock = threading.Lock()

    def _record(self, openid: str, via: str, what: str) -> None:
        time.sleep(self.delay)
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append((openid, via, what))

    def send_text(self, openid: str, text: str) -> None:
        self._record(openid, "custom", text)

    def send_template(self, openid: str, template_id: str, data) -> None:
        self._record(openid, "template", template_id)


@dataclasses.dataclass(frozen=True)
class StoppedClock(Clock):
    """The dealer clock stopped at one moment (its offset from real time kept for what
    ages on the real clock)."""

    moment: datetime | None = None

    def now(self, tz=timezone.utc) -> datetime:
        return self.moment.astimezone(tz)


def at(moment: datetime) -> Clock:
    return StoppedClock(offset=Clock.reading(moment).offset, moment=moment)


def worker(database_url, catalog, moment: datetime, push=None, wrote_before: timedelta | None = timedelta(hours=1),
           **kwargs) -> Worker:
    """A worker whose clock reads ``moment``; every customer last wrote ``wrote_before`` it."""
    clock = at(moment)
    last = (lambda _c: (clock.now() - wrote_before - clock.offset).timestamp()) if wrote_before else (lambda _c: None)
    return Worker(database_url, catalog, clock=clock, push=push if push is not None else RecordingPush(),
                  last_message=last, **kwargs)


def reminder(database_url, draft_id) -> FollowupTask:
    with unit_of_work(database_url) as session:
        task = session.scalar(select(FollowupTask).where(FollowupTask.key == f"reminder:{draft_id}"))
        session.expunge(task)
        return task


def wechat_booking(database_url, catalog, minutes: int = 0, openid: str | None = None) -> int:
    start = day_at(3, 9) + timedelta(minutes=30 * (minutes // 2))
    return approved(database_url, catalog, start, channel="wechat",
                    conversation=openid or f"o-worker-{minutes}-{time.monotonic_ns()}")


def test_a_due_reminder_goes_out_once_inside_the_window(database_url, catalog):
    draft_id = wechat_booking(database_url, catalog, openid="o-window-open")
    push = RecordingPush()
    before = worker(database_url, catalog, day_at(2, 9, 59), push)
    assert before.run_once().sent == 0  # due at 10:00 the day before

    report = worker(database_url, catalog, day_at(2, 10, 1), push).run_once()
    again = worker(database_url, catalog, day_at(2, 10, 2), push).run_once()

    assert (report.sent, again.sent) == (1, 0)
    [(openid, via, text)] = push.sent
    assert (openid, via) == ("o-window-open", "custom")
    assert "预约提醒" in text and "回复“改期”" in text and "退订" in text
    task = reminder(database_url, draft_id)
    assert (task.state, task.sent_via, task.sent_at.date()) == (TaskState.sent, "custom", day_at(2, 10, 1).date())


def test_outside_the_window_a_template_message_or_else_a_call(database_url, catalog):
    with_template = dataclasses.replace(catalog, reminders=dataclasses.replace(catalog.reminders,
                                                                               wechat_template_id="TPL-REMIND"))
    first, second = wechat_booking(database_url, catalog, 0), wechat_booking(database_url, catalog, 2)
    push = RecordingPush()
    # One worker with a template id sends a template message ...
    templated = worker(database_url, with_template, day_at(2, 10, 1), push, wrote_before=timedelta(hours=49),
                       batch=1)
    [task_id] = templated.claim(day_at(2, 10, 1), [TaskChannel.wechat])
    assert templated.process(task_id) == "sent"
    assert push.sent[0][1:] == ("template", "TPL-REMIND")
    # ... the same without one puts the reminder on the call list, nothing sent.
    plain = worker(database_url, catalog, day_at(2, 10, 2), push, wrote_before=timedelta(hours=49))
    assert plain.run_once().to_calls == 1
    states = {reminder(database_url, d).channel for d in (first, second)}
    assert states == {TaskChannel.wechat, TaskChannel.call}
    assert len(push.sent) == 1


def test_wechat_saying_the_window_closed_falls_back_to_the_template(database_url, catalog):
    with_template = dataclasses.replace(catalog, reminders=dataclasses.replace(catalog.reminders,
                                                                               wechat_template_id="TPL-REMIND"))
    draft_id = wechat_booking(database_url, catalog)
    push = RecordingPush(failures=[WindowClosed("WeChat 45015")])
    assert worker(database_url, with_template, day_at(2, 10, 1), push).run_once().sent == 1
    assert push.sent[0][1] == "template"
    assert reminder(database_url, draft_id).sent_via == "template"


@pytest.mark.parametrize("quiet", [(1, 21, 0), (1, 23, 30), (2, 7, 59)])
def test_nothing_is_sent_in_quiet_hours(database_url, catalog, quiet):
    draft_id = approved(database_url, catalog, day_at(2, 8, 30), channel="wechat", conversation="o-quiet")
    # Approved the evening before: the day-before hour (10:00) has passed, so it is due at once.
    push = RecordingPush()
    report = worker(database_url, catalog, day_at(*quiet), push).run_once()
    assert (report.claimed - report.jobs, push.sent) == (0, [])  # only the periodic jobs ran
    assert reminder(database_url, draft_id).state == TaskState.pending

    worker(database_url, catalog, day_at(2, 8, 0), push).run_once()
    assert [openid for openid, *_ in push.sent] == ["o-quiet"]


def test_a_claim_made_just_before_quiet_hours_waits_for_their_end(database_url, catalog):
    draft_id = wechat_booking(database_url, catalog)
    late = worker(database_url, catalog, day_at(2, 20, 59))
    [task_id] = late.claim(day_at(2, 20, 59), [TaskChannel.wechat])
    late.clock = at(day_at(2, 21, 0))
    assert late.process(task_id) == "deferred"
    task = reminder(database_url, draft_id)
    assert (task.state, task.run_at, task.attempts) == (TaskState.pending, day_at(3, 8, 0), 0)
    assert late.push.sent == []


def test_a_channel_error_is_retried_with_backoff_then_the_reminder_is_called(database_url, catalog):
    draft_id = wechat_booking(database_url, catalog)
    retry = catalog.reminders.retry_after_seconds
    push = RecordingPush(failures=[ChannelError("WeChat -1: system busy")] * 2)
    first = day_at(2, 10, 1)

    assert worker(database_url, catalog, first, push).run_once().retried == 1
    task = reminder(database_url, draft_id)
    assert (task.state, task.attempts, task.run_at) == (TaskState.pending, 1, first + timedelta(seconds=retry))
    assert "system busy" in task.last_error
    assert worker(database_url, catalog, first + timedelta(seconds=retry - 5), push).run_once().claimed == 0

    second = first + timedelta(seconds=retry + 1)
    assert worker(database_url, catalog, second, push).run_once().retried == 1
    assert reminder(database_url, draft_id).run_at == second + timedelta(seconds=2 * retry)  # doubled
    assert worker(database_url, catalog, second + timedelta(seconds=2 * retry + 1), push).run_once().sent == 1
    assert len(push.sent) == 1

    hopeless = wechat_booking(database_url, catalog, 2)
    never = RecordingPush(failures=[ChannelError("down")] * 99)
    moment = day_at(2, 10, 1)
    for _ in range(catalog.reminders.max_attempts):
        moment += timedelta(hours=2)
        worker(database_url, catalog, moment, never).run_once()
    task = reminder(database_url, hopeless)
    assert (task.channel, task.state, never.sent) == (TaskChannel.call, TaskState.pending, [])
    assert "attempts failed" in task.last_error


def test_an_opted_out_customer_gets_nothing(database_url, catalog):
    draft_id = wechat_booking(database_url, catalog, openid="o-optout-worker")
    with unit_of_work(database_url) as session:
        followups.record_opt_out(session, "o-optout-worker", day_at(1, 12))
    push = RecordingPush()
    assert worker(database_url, catalog, day_at(2, 10, 1), push).run_once().skipped == 1
    assert push.sent == []
    task = reminder(database_url, draft_id)
    assert (task.state, task.last_error) == (TaskState.skipped, "opted_out")


def test_without_wechat_credentials_the_reminder_is_called(database_url, catalog):
    draft_id = wechat_booking(database_url, catalog)
    unconfigured = Worker(database_url, catalog, clock=at(day_at(2, 10, 1)), push=None)
    assert unconfigured.run_once().to_calls == 1
    assert reminder(database_url, draft_id).channel == TaskChannel.call


def test_a_dead_workers_claim_is_never_sent_twice(database_url, catalog):
    draft_id = wechat_booking(database_url, catalog)
    dead = worker(database_url, catalog, day_at(2, 10, 1))
    assert len(dead.claim(day_at(2, 10, 1), [TaskChannel.wechat])) == 1  # and then it was killed
    push = RecordingPush()
    still_leased = worker(database_url, catalog, day_at(2, 10, 3), push).run_once()
    assert still_leased.claimed - still_leased.jobs == 0
    report = worker(database_url, catalog, day_at(2, 10, 7), push).run_once()
    assert (report.recovered, push.sent) == (1, [])
    task = reminder(database_url, draft_id)
    assert (task.channel, task.state) == (TaskChannel.call, TaskState.pending)
    assert "interrupted" in task.last_error


def test_two_workers_claiming_at_once_send_each_reminder_once(database_url, catalog):
    openids = [f"o-twin-{n:02d}" for n in range(24)]
    for n, openid in enumerate(openids):
        wechat_booking(database_url, catalog, n, openid)
    push = RecordingPush(delay=0.005)
    moment = day_at(2, 10, 1)
    twins = [worker(database_url, catalog, moment, push, batch=3) for _ in range(2)]
    start = threading.Barrier(2)
    reports = {}

    def run(w: Worker) -> None:
        start.wait()
        reports[w.worker_id] = w.run_once()

    threads = [threading.Thread(target=run, args=(w,)) for w in twins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(openid for openid, *_ in push.sent) == openids  # each exactly once
    assert sum(r.sent for r in reports.values()) == len(openids)
    if database_url.startswith("postgresql"):  # SKIP LOCKED: both took rows at the same time
        assert all(r.sent > 0 for r in reports.values()), reports
    with unit_of_work(database_url) as session:
        states = session.scalars(select(FollowupTask.state).where(FollowupTask.kind == TaskKind.reminder))
        assert set(states) == {TaskState.sent}


def test_the_no_show_job_runs_once_a_minute_whoever_runs_it(database_url, catalog):
    draft_id = approved(database_url, catalog, day_at(1, 9))
    late = day_at(1, 9, 31)
    first = worker(database_url, catalog, late).run_once()
    second = worker(database_url, catalog, late + timedelta(seconds=10)).run_once()
    assert (first.jobs, second.jobs) == (2, 0)  # no-shows and retention; not again within the minute
    with unit_of_work(database_url) as session:
        assert session.scalar(select(Appointment.status).where(Appointment.draft_id == draft_id)) == "no_show"
        job = session.scalar(select(FollowupTask).where(FollowupTask.key == "job:no_shows"))
        assert (job.state, job.run_at) == (TaskState.pending, late + timedelta(seconds=60))
    assert worker(database_url, catalog, late + timedelta(seconds=61)).run_once().jobs == 1


def test_retention_runs_daily_with_business_and_real_time(database_url, catalog):
    calls = []
    moment = day_at(1, 3)
    w = worker(database_url, catalog, moment, retention_job=lambda now, real: calls.append((now, real)))
    w.run_once()
    worker(database_url, catalog, moment + timedelta(hours=23), retention_job=lambda *a: calls.append(a)).run_once()
    assert len(calls) == 1
    now, real = calls[0]
    assert abs(now - moment) < timedelta(seconds=5)
    assert abs(real - datetime.fromtimestamp(time.time(), timezone.utc)) < timedelta(seconds=5)  # conversations age on the real clock
