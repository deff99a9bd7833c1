"""The one clock: real time, or real time shifted so the whole system reads another day."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from dealer.clock import Clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_unset_is_the_real_clock() -> None:
    clock = Clock.from_env({})
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=1)


def test_a_faked_clock_reads_the_given_time_at_its_anchor_and_runs_on() -> None:
    anchor = time.time() - 90  # the run started a minute and a half ago
    clock = Clock.from_env({"DEALER_CLOCK": "2027-02-07T23:50:00+08:00", "DEALER_CLOCK_AT": str(anchor)})
    reading = clock.now(SHANGHAI)
    assert datetime(2027, 2, 7, 23, 51, 29, tzinfo=SHANGHAI) <= reading <= datetime(2027, 2, 7, 23, 51, 32, tzinfo=SHANGHAI)
    assert reading.tzinfo == SHANGHAI


def test_two_processes_with_one_anchor_agree() -> None:
    env = {"DEALER_CLOCK": "2028-03-06T08:00:00+08:00", "DEALER_CLOCK_AT": "1800000000"}
    assert Clock.from_env(env).offset == Clock.from_env(env).offset


def test_a_message_received_now_is_shifted_like_the_clock() -> None:
    clock = Clock.reading(datetime(2028, 3, 6, 8, 0, tzinfo=SHANGHAI))
    received = clock.from_timestamp(time.time(), SHANGHAI)
    assert received.date() == datetime(2028, 3, 6).date()
    assert received.hour == 8


def test_a_fake_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        Clock.from_env({"DEALER_CLOCK": "2027-02-07T23:50:00"})
