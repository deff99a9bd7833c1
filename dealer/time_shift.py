"""A booked time moved by an amount rather than to a time (往后挪一天 / 提前半小时)."""
from __future__ import annotations

import re
from datetime import timedelta

_AMOUNTS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "半": 0.5}
_UNITS = {"天": timedelta(days=1), "日": timedelta(days=1), "周": timedelta(weeks=1), "星期": timedelta(weeks=1),
          "礼拜": timedelta(weeks=1), "小时": timedelta(hours=1), "钟头": timedelta(hours=1)}

SHIFT = re.compile(
    r"(?P<way>往后|向后|推后|推迟|延后|顺延|挪后|往前|向前|提前|提早|晚|早)"
    r"(?:挪|推|移|调|改|延)?(?:个|上)?"
    r"(?P<amount>[一两二三四五六七1-7]|半)(?:个)?(?P<unit>天|日|周|星期|礼拜|小时|钟头)"
    # 提前一天打电话提醒我: when to be called, not the booking moved.
    r"(?![^,，。!！?？]{0,3}(?:打电话|打个电话|来电|电话|提醒|通知|联系|告诉|说一声|发消息|发个消息|发短信))"
)
EARLIER = ("往前", "向前", "提前", "提早", "早")


def time_shift(text: str) -> timedelta | None:
    """往后挪一天 → +1 day, 提前半小时 → −30 minutes; None when the words move by no amount."""
    said = SHIFT.search(text.replace("半个小时", "半小时").replace("半个钟头", "半钟头"))
    if not said:
        return None
    amount = said["amount"]
    count = _AMOUNTS[amount] if amount in _AMOUNTS else int(amount)
    shift = _UNITS[said["unit"]] * count
    return -shift if said["way"] in EARLIER else shift
