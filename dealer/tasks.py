"""Due work's kinds, channels and states (the followup_task table): one enum for the
services, the worker and the pages."""
from __future__ import annotations

from enum import StrEnum


class TaskKind(StrEnum):
    reminder = "reminder"  # the day-before reminder (提醒)
    followup = "followup"  # the 回访 after delivery
    no_shows = "no_shows"  # the worker's job: appointments not arrived become 未到店
    retention = "retention"  # the worker's job: dealer/retention.py


class TaskChannel(StrEnum):
    wechat = "wechat"  # sent by the worker through the Official Account
    call = "call"  # on the advisors' call list (提醒电话 / 回访电话)
    system = "system"  # the worker's own periodic jobs


class TaskState(StrEnum):
    pending = "pending"  # waiting for its run_at (or, a call, on the list)
    sending = "sending"  # claimed by a worker
    sent = "sent"  # the message went out
    done = "done"  # the call was made and its result logged
    skipped = "skipped"  # not sent on purpose (the customer opted out, the booking is over)
    cancelled = "cancelled"  # the booking was cancelled


# The worker's periodic jobs and how often each runs (seconds).
JOB_INTERVALS = {TaskKind.no_shows: 60, TaskKind.retention: 24 * 3600}
OPEN_STATES = (TaskState.pending, TaskState.sending)
