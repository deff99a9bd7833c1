"""Chinese date/time extraction for booking service appointments.

``parse_time(text, reference)`` finds the first booking time in a customer message
and resolves it in Asia/Shanghai against ``reference``:

    >>> ref = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)        # a Thursday
    >>> parse_time("我想明天下午三点过来做保养", ref).value
    datetime.datetime(2026, 11, 27, 15, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Shanghai'))

Why hand-written rules and no library
-------------------------------------
``benchmarks/timeparse_libs.py`` runs jionlp 1.5.31 (``jionlp.ner.extract_time``) and
Duckling (pyduckling-native-phihos 0.3.0) raw on the 221 phrasings of
``tests/bot/timeparse_cases.yml`` at three reference times.  Exact-match accuracy
(663 resolutions; per reference Mon 09:00 / Thu 15:00 / Sun 20:00):

    raw jionlp      54.1 %   (62.4 / 53.4 / 46.6)   date alone right: 72.5 %
    raw duckling    48.6 %   (52.9 / 47.1 / 45.7)   date alone right: 72.7 %
    this module    100.0 %   (100 / 100 / 100)      0.02 ms a call (median)
    held-out set    98.5 %   (67 phrasings written after this module, scored once)

The libraries fail on the dealer's conventions (3点 = 15:00, a past weekday or 3号 = the
next one, 明早 = tomorrow, dealer day-part windows), split or mis-read compound phrases
(下周二上午十点, 下下周), and do not parse 越快越好/月底前/这两天.  Fixing that up needed a
second reading of the text anyway, so the rules below do the whole job; a jionlp
fallback for what they miss fixed nothing and added 18 false times on 87 messages
without one.  Neither library is imported; see ``benchmarks/timeparse.md``.

Conventions (a dealer's, see the brief in the project notes)
-----------------------------------------------------------
* A bare hour 1-7 点 (no 凌晨/早上/上午 before it) is afternoon: 3点 -> 15:00.
* 明早/明儿/明天早上 are tomorrow; 今早/今晚/明晚 likewise.
* A bare weekday (周一, 星期三, 礼拜天) is the next such day, today included: said on a
  Thursday, 周一 is next Monday and 周四 is today.
* 这周X/本周X is this calendar week's X, even if past (the caller rejects past times).
* 下周X/下礼拜X/下星期X is next calendar week's X (weeks start on Monday), 下下周X
  the week after.
* 3号 / 12月3号 already past is the next such date (next month / next year).
* Day-part windows: 上午 08:30-12:00, 下午 13:00-17:30, 中午 11:30-13:30,
  早上 08:00-10:00, 晚上 18:00-22:00 (value None, grain "part_of_day").
* A time of day without a date (两点半, 下午) is today's, or tomorrow's when today's
  has already passed.
* 越快越好/尽快/最早: now .. now + 7 days; 这两天: now .. now + 2 days;
  月底前: now .. end of month; 这周内: now .. Sunday; 下周: next Monday .. Sunday.
* Whole days end at 23:59:59.  An exact time has earliest == latest == value.
* When a message has several mentions, a day followed shortly by a bare time of day is
  merged (后天吧，上午九点); then the first mention that is neither refused
  (今天没空，明天下午吧) nor wholly past (上周五来过，想约明天) wins, else the first one.
* Not a time: 便宜一点/早一点 (a lone 一点), 有两点问题, 第二点, 2号线/3号楼, long digit runs
  (phone numbers, plates, order numbers), 晚上12点 (midnight, no booking).
* ``parse_time(text, reference, tz)`` resolves in another zone when asked; a naive
  reference is wall-clock time in that zone.  Full-width digits and the traditional
  號/週/點/後/兩/鐘/禮 are read as their simplified forms.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Callable, Optional
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "TimeMention", "parse_time"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class TimeMention:
    text: str  # the substring of the message that was recognised
    start: int  # char offsets in the message
    end: int
    value: Optional[datetime]  # exact start when a date AND a time of day are known
    earliest: datetime  # the window the customer means
    latest: datetime
    grain: str  # "minute" | "hour" | "part_of_day" | "day" | "range"


# --------------------------------------------------------------------------- tables

# Relative day words: word -> (days from today, implied day part or None).
RELATIVE_DAYS = {
    "前天": (-2, None), "昨天": (-1, None), "昨晚": (-1, "晚上"),  # past: the caller rejects
    "今天": (0, None), "今儿个": (0, None), "今儿": (0, None), "今日": (0, None),
    "今早": (0, "早上"), "今早上": (0, "早上"), "今晚": (0, "晚上"),
    "明天": (1, None), "明儿个": (1, None), "明儿": (1, None), "明日": (1, None),
    "明早": (1, "早上"), "明早上": (1, "早上"), "明晚": (1, "晚上"),
    "后天": (2, None), "后儿个": (2, None), "后儿": (2, None), "后日": (2, None),
    "大后天": (3, None),
}

# Day parts: word -> (window start, window end, how a bare hour is read).
#   "am": hour as said; "pm": hour < 12 gets +12; "noon": 1-5 get +12.
PARTS = {
    "凌晨": (time(0, 0), time(6, 0), "am"),
    "早上": (time(8, 0), time(10, 0), "am"),
    "早晨": (time(8, 0), time(10, 0), "am"),
    "清早": (time(8, 0), time(10, 0), "am"),
    "一早": (time(8, 0), time(10, 0), "am"),
    "早": (time(8, 0), time(10, 0), "am"),  # only before a clock time (早8点)
    "上午": (time(8, 30), time(12, 0), "am"),
    "中午": (time(11, 30), time(13, 30), "noon"),
    "下午": (time(13, 0), time(17, 30), "pm"),
    "午后": (time(13, 0), time(17, 30), "pm"),
    "傍晚": (time(17, 0), time(19, 0), "pm"),
    "晚上": (time(18, 0), time(22, 0), "pm"),
    "晚": (time(18, 0), time(22, 0), "pm"),  # only before a clock time (晚7点)
}

WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

# A mention followed by one of these is a refusal (今天没空) when another mention exists.
REFUSALS = ("不行", "没空", "没时间", "不方便", "不可以", "来不了", "不太行", "不太方便", "排满")

# "两点" followed by these is a count ("有两点问题"), not a clock time.
NOT_A_CLOCK_AFTER = ("问题", "要求", "建议", "意见", "疑问", "需要", "注意", "事情", "原因", "不同")


# Full-width digits and traditional characters, mapped one to one (offsets stay valid).
NORMALISE = str.maketrans("０１２３４５６７８９：號週點後兩鐘禮",
                          "0123456789:号周点后两钟礼")


def _alternation(words) -> str:
    """A regex alternation, longest words first so that 大后天 wins over 后天."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# --------------------------------------------------------------------------- patterns

# A number 0-99 in digits or Chinese (not the 二 of 第二点).
NUM = r"(?:(?<![0-9.])[0-9]{1,2}(?![0-9])|(?<![第几])[零〇一二两三四五六七八九十]{1,3})"
# Minutes after 点: 15, 二十, 零五, 四十五分, 五分 -- but not the 一 of 3点一起.
MINUTES = r"(?:[0-9]{1,2}(?![0-9])分?|[零〇一二三四五六七八九十]{2,3}分?|[一二三四五六七八九十]分)"
RELATIVE_DAY = rf"(?P<rel>{_alternation(RELATIVE_DAYS)})"
WEEKDAY = r"(?P<wprefix>下下个?|下个?|上上个?|上个?|这个?|本)?(?:周|星期|礼拜)(?P<wday>[一二三四五六日天1-7])"
DATE = (
    rf"(?:(?P<mprefix>下个?月|上个?月|这个?月|本月)|(?P<month>{NUM})月)?"
    rf"(?P<dom>{NUM})(?:号|日)(?!线|楼|门|位|车|口|店|机|库|房|柜|窗|桩|码|台|厅|技师|工位)"
)
PART = (
    rf"(?P<part>{_alternation(w for w in PARTS if len(w) > 1)}"
    rf"|[早晚](?={NUM}(?:点|时|[:：])))"
)


def _clock(suffix: str = "") -> str:
    """Clock time: 10点, 十点半, 十点一刻, 九点四十五分, 三点钟, 10:30.  Named groups get
    ``suffix`` so the pattern can be used twice (a range 两点到四点)."""
    s = suffix
    return (
        rf"(?:(?P<hh{s}>(?<![0-9])[0-9]{{1,2}})[:：](?P<mm{s}>[0-5][0-9])(?![0-9])"
        rf"|(?P<hour{s}>{NUM})(?:点|时)(?!{_alternation(NOT_A_CLOCK_AFTER)})"
        rf"(?:(?P<half{s}>半)|(?P<quarter{s}>一刻|三刻)|(?P<minute{s}>{MINUTES}))?"
        rf"(?P<zhong{s}>钟)?)"
    )


SEP = r"[的\s]*"
DAY = rf"(?:{RELATIVE_DAY}|{WEEKDAY}|{DATE})"
RANGE_TAIL = rf"(?:{SEP}(?:到|至|~|～|-){SEP}(?:(?P<part2>{_alternation(w for w in PARTS if len(w) > 1)}){SEP})?{_clock('2')})"
MENTION_RE = re.compile(
    rf"(?P<day>{DAY})?(?:{SEP}{PART})?(?:{SEP}(?P<clock>{_clock()}){RANGE_TAIL}?)?"
)


# --------------------------------------------------------------------------- helpers

def _cn_number(s: str) -> Optional[int]:
    """'10' -> 10, '十' -> 10, '十一' -> 11, '二十三' -> 23, '两' -> 2, '零五' -> 5."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, units = s.partition("十")
        if "十" in units or len(tens) > 1 or len(units) > 1:
            return None
        t = CN_DIGITS.get(tens, -1) if tens else 1
        u = CN_DIGITS.get(units, -1) if units else 0
        return None if t < 1 or u < 0 else t * 10 + u
    if len(s) == 1:
        return CN_DIGITS.get(s)
    if len(s) == 2 and s[0] in "零〇":
        return CN_DIGITS.get(s[1])
    return None


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


# Resolution works on naive wall-clock times of the target zone; parse_time attaches
# the zone to the result.
def _start_of_day(d: date) -> datetime:
    return datetime.combine(d, time(0, 0))


def _end_of_day(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59))


def _at(d: date, t: time) -> datetime:
    return datetime.combine(d, t)


def _safe_date(year: int, month: int, day: int) -> Optional[date]:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --------------------------------------------------------------------------- window phrases

# Phrases that stand for a window by themselves: (pattern, resolver(ref) -> (earliest, latest)).
def _asap(ref: datetime):
    return ref, ref + timedelta(days=7)


def _next_two_days(ref: datetime):
    return ref, ref + timedelta(days=2)


def _until_month_end(ref: datetime):
    last = calendar.monthrange(ref.year, ref.month)[1]
    return ref, _end_of_day(date(ref.year, ref.month, last))


def _until_week_end(ref: datetime):
    return ref, _end_of_day(_monday(ref.date()) + timedelta(days=6))


def _next_week(ref: datetime):
    monday = _monday(ref.date()) + timedelta(days=7)
    return _start_of_day(monday), _end_of_day(monday + timedelta(days=6))


def _this_weekend(ref: datetime):
    saturday = _monday(ref.date()) + timedelta(days=5)
    return _start_of_day(saturday), _end_of_day(saturday + timedelta(days=1))


def _next_weekend(ref: datetime):
    saturday = _monday(ref.date()) + timedelta(days=12)
    return _start_of_day(saturday), _end_of_day(saturday + timedelta(days=1))


WINDOW_PHRASES: list[tuple[re.Pattern, Callable[[datetime], tuple[datetime, datetime]]]] = [
    (re.compile(r"越快越好|越早越好|尽快|尽早|最早|最快"), _asap),
    (re.compile(r"这两天"), _next_two_days),
    (re.compile(r"(?:这个?|本)?月底(?:之前|以前|前)"), _until_month_end),
    (re.compile(r"(?:这|本)(?:个)?(?:周|星期|礼拜)(?:之内|以内|内)"), _until_week_end),
    (re.compile(r"下个?(?:周|星期|礼拜)(?:末)"), _next_weekend),
    (re.compile(r"(?:这个?|本)?(?:周|星期|礼拜)末"), _this_weekend),
    (re.compile(r"(?<!下)下个?(?:周|星期|礼拜)(?![一二三四五六日天1-7末])"), _next_week),
]


# --------------------------------------------------------------------------- day resolution

def _weekday_date(prefix: Optional[str], wday: str, today: date) -> date:
    target = WEEKDAYS[wday]
    monday = _monday(today)
    if prefix is None:  # bare weekday: the next one, today included
        return today + timedelta(days=(target - today.weekday()) % 7)
    weeks = {"这": 0, "这个": 0, "本": 0, "下": 1, "下个": 1, "下下": 2, "下下个": 2,
             "上": -1, "上个": -1, "上上": -2, "上上个": -2}[prefix]
    return monday + timedelta(days=7 * weeks + target)


def _month_day_date(m: re.Match, today: date) -> Optional[date]:
    dom = _cn_number(m["dom"])
    if dom is None or not 1 <= dom <= 31:
        return None
    if m["month"]:  # 12月3号: this year's, or next year's when already past
        month = _cn_number(m["month"])
        if month is None or not 1 <= month <= 12:
            return None
        d = _safe_date(today.year, month, dom)
        if d is None:
            return None
        return d if d >= today else _safe_date(today.year + 1, month, dom)
    if m["mprefix"]:  # 下个月5号 / 这个月15号 / 上个月5号
        shift = {"下": 1, "上": -1}.get(m["mprefix"][0], 0)
        year, month = divmod(today.month - 1 + shift, 12)
        return _safe_date(today.year + year, month + 1, dom)
    # 3号: this month's, or the next month that has that day
    for shift in range(0, 4):
        year, month = divmod(today.month - 1 + shift, 12)
        d = _safe_date(today.year + year, month + 1, dom)
        if d is not None and d >= today:
            return d
    return None


def _resolve_day(m: re.Match, today: date) -> tuple[Optional[date], Optional[str], bool]:
    """(date or None, implied day part, whether a day expression was present)."""
    if m["rel"]:
        offset, part = RELATIVE_DAYS[m["rel"]]
        return today + timedelta(days=offset), part, True
    if m["wday"]:
        return _weekday_date(m["wprefix"], m["wday"], today), None, True
    if m["dom"]:
        return _month_day_date(m, today), None, True
    return None, None, False


# --------------------------------------------------------------------------- clock resolution

def _clock_time(m: re.Match, part: Optional[str], s: str = "") -> Optional[tuple[time, str]]:
    """The clock time of a match (groups with suffix ``s``) read with the day part."""
    if m["hh" + s]:
        hour, minute, grain = int(m["hh" + s]), int(m["mm" + s]), "minute"
    else:
        hour = _cn_number(m["hour" + s])
        if hour is None:
            return None
        if m["half" + s]:
            minute = 30
        elif m["quarter" + s]:
            minute = 15 if m["quarter" + s] == "一刻" else 45
        elif m["minute" + s]:
            minute = _cn_number(m["minute" + s].rstrip("分"))
        else:
            minute = 0
        grain = "hour" if not (m["half" + s] or m["quarter" + s] or m["minute" + s]) else "minute"
    if minute is None or minute > 59:
        return None
    hour = _with_day_part(hour, part)
    if not 0 <= hour <= 23:
        return None
    return time(hour, minute), grain


def _with_day_part(hour: int, part: Optional[str]) -> int:
    rule = PARTS[part][2] if part else None
    if part in ("晚上", "晚") and hour == 12:
        return 24  # midnight: not a booking time, rejected by the caller
    if rule == "pm" and hour < 12:
        return hour + 12
    if rule == "noon" and 1 <= hour <= 5:
        return hour + 12
    if rule is None and 1 <= hour <= 7:  # the dealer's convention: 3点 is 15:00
        return hour + 12
    return hour


def _is_not_a_clock(m: re.Match, has_day: bool, part: Optional[str]) -> bool:
    """便宜一点 / 早一点 / 明天早一点: a lone 一点 is a quantity, not 01:00 or 13:00."""
    return (
        m["hour"] == "一"
        and not (m["half"] or m["quarter"] or m["minute"] or m["zhong"])
        and ((part is None and not has_day) or (part is not None and len(part) == 1))
    )


# --------------------------------------------------------------------------- mentions

@dataclass
class _Candidate:
    start: int
    end: int
    match: Optional[re.Match] = None  # MENTION_RE match
    window: Optional[Callable] = None  # WINDOW_PHRASES resolver
    has_day: bool = False
    has_part: bool = False
    has_clock: bool = False


def _candidates(text: str) -> list[_Candidate]:
    found = []
    for m in MENTION_RE.finditer(text):
        if m.end() > m.start() and (m["day"] or m["part"] or m["clock"]):
            found.append(_Candidate(m.start(), m.end(), match=m, has_day=bool(m["day"]),
                                    has_part=bool(m["part"]), has_clock=bool(m["clock"])))
    for pattern, resolver in WINDOW_PHRASES:
        for m in pattern.finditer(text):
            found.append(_Candidate(m.start(), m.end(), window=resolver, has_day=True))
    # Overlaps: keep the longer one (the earlier one on a tie).
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[_Candidate] = []
    for c in found:
        if kept and c.start < kept[-1].end:
            if c.end - c.start > kept[-1].end - kept[-1].start:
                kept[-1] = c
            continue
        kept.append(c)
    return kept


def _is_refused(text: str, c: _Candidate) -> bool:
    after = text[c.end:c.end + 6].lstrip("的 ，,")
    return after.startswith(REFUSALS)


GAP_RE = re.compile(r"[\s，,、。!！~～吧啊呀哈呢的]{0,4}")


def _can_merge(text: str, first: _Candidate, nxt: _Candidate) -> bool:
    """A day followed closely by a time of day without a day: 后天吧，上午九点 /
    明天上午吧，9点左右."""
    if first.match is None or nxt.match is None or not first.has_day or first.has_clock:
        return False
    if nxt.has_day or not (nxt.has_clock or not first.has_part):
        return False
    if first.has_part and nxt.has_part:
        return False
    return GAP_RE.fullmatch(text[first.end:nxt.start]) is not None


def _trimmed_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in "的 \t":
        start += 1
    while end > start and text[end - 1] in "的 \t":
        end -= 1
    return start, end


def _resolve(text: str, first: _Candidate, time_part: Optional[_Candidate],
             ref: datetime) -> Optional[TimeMention]:
    """Resolve one candidate (and a merged time-of-day candidate) against ``ref``."""
    start, end = _trimmed_span(text, first.start, (time_part or first).end)
    if first.window is not None:  # 越快越好, 月底前, ...
        earliest, latest = first.window(ref)
        return TimeMention(text[start:end], start, end, None, earliest, latest, "range")

    m = first.match
    day, implied_part, has_day = _resolve_day(m, ref.date())
    if has_day and day is None:  # an impossible date such as 2月30号
        return None
    tm = time_part.match if time_part else m
    part = tm["part"] or m["part"] or implied_part

    if tm["clock"] and _is_not_a_clock(tm, has_day, tm["part"]):
        if not has_day:
            return None
        start, end = m.span("day")  # 明天早一点: the day alone
        return _day_window(text[start:end], start, end, day)
    span = (text[start:end], start, end)
    if tm["clock"]:
        return _clock_mention(span, tm, part, day, ref)
    if part:
        return _part_window(span, part, day, ref)
    return _day_window(*span, day)


def _clock_mention(span, m: re.Match, part: Optional[str], day: Optional[date],
                   ref: datetime) -> Optional[TimeMention]:
    """明天下午三点 -> exact; 两点到四点 -> a window.  Without a day: today, or tomorrow
    when today's has passed."""
    clock = _clock_time(m, part)
    if clock is None:
        return None
    value = _at(day or ref.date(), clock[0])
    if day is None and value < ref:  # 两点半 said at 15:00 -> tomorrow
        value += timedelta(days=1)
    if not (m["hour2"] or m["hh2"]):
        return TimeMention(*span, value, value, value, clock[1])
    until = _clock_time(m, m["part2"] or part, "2")
    if until is None:
        return None
    latest = _at(value.date(), until[0])
    if latest <= value and until[0].hour < 12:  # 十一点到一点
        latest += timedelta(hours=12)
    if latest <= value:
        return None
    return TimeMention(*span, None, value, latest, "range")


def _part_window(span, part: str, day: Optional[date], ref: datetime) -> TimeMention:
    """周五下午 -> Friday 13:00-17:30.  Without a day: today's, or tomorrow's when over."""
    begin, finish, _ = PARTS[part]
    d = day or ref.date()
    if day is None and _at(d, finish) < ref:  # 下午 said at 20:00 -> tomorrow
        d += timedelta(days=1)
    return TimeMention(*span, None, _at(d, begin), _at(d, finish), "part_of_day")


def _day_window(mention: str, start: int, end: int, day: date) -> TimeMention:
    return TimeMention(mention, start, end, None, _start_of_day(day), _end_of_day(day), "day")


def _wall_clock(reference: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall-clock time of ``reference`` in ``tz`` (a naive reference is taken
    as wall-clock time in ``tz`` already), to the second."""
    if reference.tzinfo is not None:
        reference = reference.astimezone(tz).replace(tzinfo=None)
    return reference.replace(microsecond=0)


def _localised(m: TimeMention, tz: ZoneInfo) -> TimeMention:
    def aware(dt: Optional[datetime]) -> Optional[datetime]:
        return None if dt is None else dt.replace(tzinfo=tz)

    return replace(m, value=aware(m.value), earliest=aware(m.earliest), latest=aware(m.latest))


def _mentions(text: str, ref: datetime) -> list[tuple[TimeMention, bool]]:
    """Every mention in order, each with whether the customer refused it (今天没空)."""
    candidates = _candidates(text)
    found = []
    i = 0
    while i < len(candidates):
        first = candidates[i]
        nxt = candidates[i + 1] if i + 1 < len(candidates) else None
        merge = nxt is not None and _can_merge(text, first, nxt)
        mention = _resolve(text, first, nxt if merge else None, ref)
        i += 2 if merge else 1
        if mention is not None:  # e.g. 便宜一点 does not resolve
            found.append((mention, _is_refused(text, nxt if merge else first)))
    return found


def parse_time(text: str, reference: datetime, tz: ZoneInfo | str = SHANGHAI) -> Optional[TimeMention]:
    """The booking time mentioned in ``text``, resolved against ``reference`` in the
    zone ``tz`` (Asia/Shanghai by default), or None.  The datetimes returned carry ``tz``.

    With several mentions, the first exact one (a date and a time of day) that is
    neither refused (今天没空) nor wholly in the past (上周五来过) wins, so the
    booking time beats a time in the complaint (早上启动不了,约大后天上午十点半);
    then the first such mention of any grain; failing that, the first one.
    """
    if not isinstance(text, str) or not text:
        return None
    tz = ZoneInfo(tz) if isinstance(tz, str) else tz
    ref = _wall_clock(reference, tz)
    found = _mentions(text.translate(NORMALISE), ref)
    chosen = (
        next((m for m, refused in found if not refused and m.latest >= ref and m.value is not None), None)
        or next((m for m, refused in found if not refused and m.latest >= ref), None)
        or next((m for m, refused in found if not refused), None)
        or (found[0][0] if found else None)
    )
    if chosen is None:
        return None
    return _localised(replace(chosen, text=text[chosen.start:chosen.end]), tz)  # original chars
