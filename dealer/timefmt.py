"""Dates as customers read them: 11月28日(周六) 15:00."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def format_slot(start: datetime, zone: ZoneInfo) -> str:
    local = start.astimezone(zone)
    return f"{local.month}月{local.day}日({WEEKDAYS[local.weekday()]}) {local:%H:%M}"
