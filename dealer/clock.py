"""The one clock for business time: slot rules, "today", created_at, message times.

Every process (Rasa's time extractor, the action server, the API) and the tests read
time through this module, so the whole system can be moved to another day at once:

    DEALER_CLOCK=2026-12-06T23:50:00+08:00     what the clock reads ...
    DEALER_CLOCK_AT=1796000000                 ... at this real Unix time (optional)

The clock then runs on from there in real time. Without ``DEALER_CLOCK_AT`` each
process anchors at its first read; setting it (``devtools/clock.sh`` does) gives all
processes one and the same offset. Unset, the clock is the real clock.

Protocol timestamps (token expiry, WeChat signature windows) stay on the real clock:
they are checked against peers that know nothing of this offset.

Standard library only: the bot runtime (Rasa's pinned dependencies) imports it too.
"""
from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

CLOCK_ENV = "DEALER_CLOCK"
ANCHOR_ENV = "DEALER_CLOCK_AT"


@dataclass(frozen=True)
class Clock:
    """Real time shifted by a fixed offset (zero: the real clock)."""

    offset: timedelta = timedelta(0)

    @classmethod
    def reading(cls, fake_now: datetime, at_real: float | None = None) -> Clock:
        """A clock that reads ``fake_now`` at real Unix time ``at_real`` (default: now)."""
        if fake_now.tzinfo is None:
            raise ValueError("the fake time needs a UTC offset, e.g. 2026-12-06T23:50:00+08:00")
        real = datetime.fromtimestamp(time.time() if at_real is None else at_real, timezone.utc)
        return cls(offset=fake_now - real)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Clock:
        value = environ.get(CLOCK_ENV, "").strip()
        if not value:
            return cls()
        anchor = environ.get(ANCHOR_ENV, "").strip()
        return cls.reading(datetime.fromisoformat(value), float(anchor) if anchor else None)

    def now(self, tz: tzinfo = timezone.utc) -> datetime:
        return datetime.now(timezone.utc).astimezone(tz) + self.offset

    def shift(self, real: datetime) -> datetime:
        """A real instant (e.g. when Rasa received a message) as this clock read it."""
        return real + self.offset

    def from_timestamp(self, seconds: float, tz: tzinfo = timezone.utc) -> datetime:
        return self.shift(datetime.fromtimestamp(seconds, tz))


_clock: Clock | None = None


def get_clock() -> Clock:
    global _clock
    if _clock is None:
        _clock = Clock.from_env()
    return _clock


def set_clock(clock: Clock | None) -> None:
    """Replace the process's clock (None: read the environment again on next use)."""
    global _clock
    _clock = clock


def now(tz: tzinfo = timezone.utc) -> datetime:
    return get_clock().now(tz)
