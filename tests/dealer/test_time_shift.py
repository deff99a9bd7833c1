"""A booked time moved by an amount (往后挪一天 / 提前半小时)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from dealer.time_shift import time_shift


@pytest.mark.parametrize("text,shift", [
    ("时间能往后挪一天不?还是上午十点", timedelta(days=1)),
    ("推迟两天吧", timedelta(days=2)),
    ("能提前一天吗", timedelta(days=-1)),
    ("晚一个小时行不", timedelta(hours=1)),
    ("往前挪半个小时", timedelta(minutes=-30)),
    ("顺延一周", timedelta(weeks=1)),
    ("往后推2天", timedelta(days=2)),
])
def test_a_move_by_an_amount_is_read(text, shift):
    assert time_shift(text) == shift


@pytest.mark.parametrize("text", ["改到后天上午十点", "晚点到可以吗", "一天到晚都在忙", "提前到了等一会儿",
                                  "到时候让顾问提前一天打电话提醒我一下", "提前半小时通知我"])
def test_words_without_an_amount_move_nothing(text):
    assert time_shift(text) is None
