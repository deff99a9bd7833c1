"""Tests of bot.timeparse and the ChineseTimeExtractor NLU component.

All reference times are fixed (timeparse_cases.yml: Monday 2026-11-23 09:00, Thursday
2026-11-26 15:00, Sunday 2026-11-29 20:00, Asia/Shanghai); nothing here reads the clock.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.timeparse import SHANGHAI, TimeMention, parse_time

ROOT = Path(__file__).resolve().parents[2]
CASES_FILE = Path(__file__).with_name("timeparse_cases.yml")

MON = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
THU = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
SUN = datetime(2026, 11, 29, 20, 0, tzinfo=SHANGHAI)


def sh(s: str) -> datetime:
    """'2026-11-27 15:00' -> an aware Shanghai datetime."""
    return datetime.fromisoformat(s).replace(tzinfo=SHANGHAI)


# --------------------------------------------------------------------------- the case file

def load_cases():
    data = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    refs = {k: datetime.fromisoformat(v) for k, v in data["references"].items()}
    rows = []
    for case in data["cases"]:
        for key in refs:
            expected = case["all"] if "all" in case else case[key]
            rows.append((case, key, expected))
    return refs, rows


def check(expected, grain, m: TimeMention | None) -> str | None:
    """None when ``m`` is what the case expects, else why not."""
    if expected is None:
        return None if m is None else f"expected no time, got {describe(m)}"
    if m is None:
        return "expected a time, got None"
    if grain is not None and m.grain != grain:
        return f"grain {m.grain!r} != {grain!r} ({describe(m)})"
    if isinstance(expected, str):
        want = datetime.fromisoformat(expected)
        if m.value != want:
            return f"expected {want:%a %m-%d %H:%M}, got {describe(m)}"
        if not (m.earliest == m.latest == m.value):
            return f"exact mention with a window {describe(m)}"
        return None
    want = tuple(datetime.fromisoformat(x) for x in expected)
    if m.value is not None or (m.earliest, m.latest) != want:
        return f"expected {want[0]:%a %m-%d %H:%M:%S}..{want[1]:%m-%d %H:%M:%S}, got {describe(m)}"
    return None


def describe(m: TimeMention) -> str:
    if m.value is not None:
        return f"{m.value:%a %m-%d %H:%M} ({m.grain}, {m.text!r})"
    return f"{m.earliest:%a %m-%d %H:%M:%S}..{m.latest:%m-%d %H:%M:%S} ({m.grain}, {m.text!r})"


REFS, ROWS = load_cases()


def test_case_file_is_big_enough():
    phrasings = {case["text"] for case, _, _ in ROWS}
    assert len(phrasings) >= 100
    assert sum(1 for case, _, e in ROWS if e is None) >= 3 * 10  # messages without a time
    assert set(REFS) == {"mon", "thu", "sun"}
    assert [REFS[k] for k in ("mon", "thu", "sun")] == [MON, THU, SUN]


def test_accuracy_on_case_file():
    failures = []
    per_ref = {k: [0, 0] for k in REFS}
    for case, key, expected in ROWS:
        problem = check(expected, case.get("grain"), parse_time(case["text"], REFS[key]))
        per_ref[key][0] += problem is None
        per_ref[key][1] += 1
        if problem:
            failures.append(f"[{key}] {case['text']}: {problem}")
    total = sum(ok for ok, _ in per_ref.values()) / len(ROWS)
    print(f"\naccuracy {total:.1%} over {len(ROWS)} cases; "
          + ", ".join(f"{k} {ok / n:.1%}" for k, (ok, n) in per_ref.items()))
    print("\n".join(failures))
    assert total >= 0.95, f"{len(failures)} failures:\n" + "\n".join(failures)
    for key, (ok, n) in per_ref.items():
        assert ok / n >= 0.95, f"reference {key}: {ok}/{n}"


def test_mention_spans_on_case_file():
    wrong = []
    for case, key, expected in ROWS:
        m = parse_time(case["text"], REFS[key])
        if m is None:
            continue
        assert case["text"][m.start:m.end] == m.text
        if "mention" in case and m.text != case["mention"]:
            wrong.append(f"[{key}] {case['text']}: {m.text!r} != {case['mention']!r}")
    print("\n".join(wrong))
    assert len(wrong) <= 0.05 * len(ROWS), "\n".join(wrong)


def test_dated_on_case_file():
    wrong = []
    for case, key, expected in ROWS:
        if "dated" not in case:
            continue
        m = parse_time(case["text"], REFS[key])
        if m is None or m.dated is not case["dated"]:
            wrong.append(f"[{key}] {case['text']}: dated {m and m.dated!r} != {case['dated']!r}")
    assert sum(1 for case, _, _ in ROWS if "dated" in case) >= 3 * 15
    assert not wrong, "\n".join(wrong)


def test_an_undated_mention_is_today_or_tomorrow():
    # over the whole case file: a mention that named no day is a time of day, placed on
    # today or tomorrow; a whole day is always named
    for case, key, _ in ROWS:
        m = parse_time(case["text"], REFS[key])
        if m is None:
            continue
        assert m.dated or m.grain != "day", case["text"]
        if not m.dated:
            days = (m.earliest.date() - REFS[key].date()).days
            assert days in (0, 1), f"[{key}] {case['text']}: {describe(m)}"


# --------------------------------------------------------------------------- canonical phrasings

def assert_exact(m, value: str, text: str, grain: str):
    assert m is not None
    assert m.value == sh(value) and m.earliest == m.latest == m.value
    assert m.value.tzinfo == SHANGHAI
    assert (m.text, m.grain) == (text, grain)


def assert_window(m, earliest: str, latest: str, text: str, grain: str):
    assert m is not None
    assert m.value is None
    assert (m.earliest, m.latest) == (sh(earliest), sh(latest))
    assert (m.text, m.grain) == (text, grain)


def test_mingtian_xiawu_sandian():
    m = parse_time("我想明天下午三点过来做保养", THU)
    assert_exact(m, "2026-11-27 15:00", "明天下午三点", "hour")
    assert (m.start, m.end) == (2, 8)
    assert parse_time("明天下午三点", SUN).value == sh("2026-11-30 15:00")


@pytest.mark.parametrize("ref", [MON, THU, SUN])
def test_xiazhouer_shangwu_shidian(ref):
    # next calendar week's Tuesday, whatever the weekday of the reference
    assert_exact(parse_time("下周二上午十点", ref), "2026-12-01 10:00", "下周二上午十点", "hour")


def test_houtian_shidianban():
    assert_exact(parse_time("后天10点半", MON), "2026-11-25 10:30", "后天10点半", "minute")
    assert_exact(parse_time("后天10点半", SUN), "2026-12-01 10:30", "后天10点半", "minute")


@pytest.mark.parametrize("ref", [MON, THU, SUN])
def test_zhezhouliu_zaoshang_jiudian(ref):
    # this week's Saturday, even when it is already past (Sunday): the caller rejects it
    assert_exact(parse_time("这周六早上九点", ref), "2026-11-28 09:00", "这周六早上九点", "hour")


def test_shieryue_sanhao_xiawu_liangdian():
    assert_exact(parse_time("12月3号下午2点", THU), "2026-12-03 14:00", "12月3号下午2点", "hour")


@pytest.mark.parametrize("ref", [MON, THU, SUN])
def test_xialibaiyi(ref):
    assert_window(parse_time("下礼拜一", ref), "2026-11-30 00:00", "2026-11-30 23:59:59",
                  "下礼拜一", "day")


def test_dahoutian_shangwu():
    assert_window(parse_time("大后天上午", MON), "2026-11-26 08:30", "2026-11-26 12:00",
                  "大后天上午", "part_of_day")
    assert_window(parse_time("大后天上午", SUN), "2026-12-02 08:30", "2026-12-02 12:00",
                  "大后天上午", "part_of_day")


def test_mingzao_badian():
    # 明早 is tomorrow morning, not today (jionlp and duckling both read today)
    assert_exact(parse_time("明早8点", THU), "2026-11-27 08:00", "明早8点", "hour")
    assert_exact(parse_time("明早8点", SUN), "2026-11-30 08:00", "明早8点", "hour")


def test_zhouwu_xiawu():
    assert_window(parse_time("周五下午", MON), "2026-11-27 13:00", "2026-11-27 17:30",
                  "周五下午", "part_of_day")
    assert_window(parse_time("周五下午", THU), "2026-11-27 13:00", "2026-11-27 17:30",
                  "周五下午", "part_of_day")
    # said on Sunday, this week's Friday is past: next week's
    assert_window(parse_time("周五下午", SUN), "2026-12-04 13:00", "2026-12-04 17:30",
                  "周五下午", "part_of_day")


def test_yuedi_qian():
    assert_window(parse_time("月底前", THU), "2026-11-26 15:00", "2026-11-30 23:59:59",
                  "月底前", "range")


@pytest.mark.parametrize("phrase", ["越快越好", "尽快", "越早越好"])
def test_yuekuai_yuehao(phrase):
    assert_window(parse_time(f"{phrase}吧", SUN), "2026-11-29 20:00", "2026-12-06 20:00",
                  phrase, "range")


# --------------------------------------------------------------------------- conventions

@pytest.mark.parametrize("text, value", [
    ("3点", "2026-11-26 15:00"),      # a bare 1-7 点 is afternoon
    ("三点钟", "2026-11-26 15:00"),
    ("凌晨3点", "2026-11-27 03:00"),  # ... unless 凌晨 says otherwise (and it is past today)
    ("早上7点", "2026-11-27 07:00"),
    ("十点一刻", "2026-11-27 10:15"),  # without a date: tomorrow when today's has passed
    ("十点三刻", "2026-11-27 10:45"),
    ("10:30", "2026-11-27 10:30"),
    ("两点", "2026-11-27 14:00"),
    ("晚上七点半", "2026-11-26 19:30"),
    ("明天下午3点一起过来", "2026-11-27 15:00"),  # 一起 is not a minute
    ("明天早上8点", "2026-11-27 08:00"),
])
def test_clock_conventions(text, value):
    assert parse_time(text, THU).value == sh(value)


@pytest.mark.parametrize("part, start, end", [
    ("上午", "08:30", "12:00"), ("下午", "13:00", "17:30"), ("中午", "11:30", "13:30"),
    ("早上", "08:00", "10:00"), ("晚上", "18:00", "22:00"),
])
def test_day_part_windows(part, start, end):
    m = parse_time(f"下周三{part}", THU)
    assert_window(m, f"2026-12-02 {start}", f"2026-12-02 {end}", f"下周三{part}", "part_of_day")


def test_weekday_rules():
    assert parse_time("周一", THU).earliest == sh("2026-11-30 00:00")   # past -> next week's
    assert parse_time("周四", THU).earliest == sh("2026-11-26 00:00")   # today stays today
    assert parse_time("这周一", THU).earliest == sh("2026-11-23 00:00")  # 这周: may be past
    assert parse_time("下下周三", MON).earliest == sh("2026-12-09 00:00")
    assert parse_time("下周一", SUN).earliest == sh("2026-11-30 00:00")  # weeks start Monday


def test_day_of_month_rolls_forward():
    assert parse_time("3号", THU).earliest == sh("2026-12-03 00:00")
    assert parse_time("28号", THU).earliest == sh("2026-11-28 00:00")
    assert parse_time("1月6号", THU).earliest == sh("2027-01-06 00:00")
    assert parse_time("11月25号", THU).earliest == sh("2027-11-25 00:00")
    assert parse_time("2月30号", THU) is None


# 2026-12-19 is a Saturday; 2026-12-20 a Sunday; 2027-01-19 a Tuesday.
SAT_19 = datetime(2026, 12, 19, 8, 0, tzinfo=SHANGHAI)
SUN_20 = datetime(2026, 12, 20, 11, 0, tzinfo=SHANGHAI)
FRI_18 = datetime(2026, 12, 18, 18, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize("ref, value", [
    (MON, "2026-12-19 09:00"), (THU, "2026-12-19 09:00"), (SUN, "2026-12-19 09:00"),
    (FRI_18, "2026-12-19 09:00"),
    (SAT_19, "2026-12-19 09:00"),   # today, the 19th and a Saturday
    (SUN_20, "2027-01-19 09:00"),   # the 19th is past: next month's, though a Tuesday
])
def test_a_date_beats_its_weekday(ref, value):
    for text in ("19号周六早上9点", "周六19号早上9点", "19号（周六）早上9点", "周六也就是19号早上9点"):
        m = parse_time(text, ref)
        assert m.value == sh(value), (text, ref)
        assert m.text == text and m.dated


@pytest.mark.parametrize("ref", [MON, THU, SUN, FRI_18, SAT_19])
def test_a_date_beats_a_weekday_that_disagrees(ref):
    # customers mistype the weekday more often than the date they read off a calendar
    assert parse_time("20号周六上午十点", ref).value == sh("2026-12-20 10:00")  # a Sunday
    assert parse_time("周五19号下午", ref).earliest == sh("2026-12-19 13:00")    # a Saturday
    # the 16th is the next 16th, as 16号 alone: past on 18 December, so January's
    sixteenth = "2026-12-16 00:00" if ref.month == 11 else "2027-01-16 00:00"
    assert parse_time("下周三也就是16号", ref).earliest == sh(sixteenth)


def test_a_date_and_a_weekday_as_two_options_stay_two():
    assert parse_time("周六、19号都可以", THU).text == "周六"
    assert parse_time("19号不行，周六呢", THU).text == "周六"
    assert parse_time("周六还是19号", THU).text == "周六"


@pytest.mark.parametrize("ref, value", [
    (MON, "2027-01-20 10:00"), (SUN, "2027-01-20 10:00"),
    (datetime(2027, 1, 2, 9, 0, tzinfo=SHANGHAI), "2027-01-20 10:00"),   # this January
    (datetime(2027, 1, 21, 9, 0, tzinfo=SHANGHAI), "2028-01-20 10:00"),  # the next one
])
def test_yuanyue_is_january(ref, value):
    for text in ("元月20号上午10点", "一月份20号上午10点", "1月份的20号上午10点", "元月20日上午10点"):
        m = parse_time(text, ref)
        assert (m.text, m.value) == (text, sh(value))


def test_month_names_in_month_phrases():
    assert_window(parse_time("元月中旬", THU), "2027-01-11 00:00", "2027-01-20 23:59:59", "元月中旬", "range")
    assert_window(parse_time("一月份底前", THU), "2026-11-26 15:00", "2027-01-31 23:59:59", "一月份底前", "range")
    assert_window(parse_time("元月1-3号", THU), "2027-01-01 00:00", "2027-01-03 23:59:59", "元月1-3号", "range")
    # the 元 of a price, of 单元: no January
    assert parse_time("首付3000元月供2000", THU) is None
    assert parse_time("3单元月中", THU).earliest == sh("2026-12-11 00:00")


@pytest.mark.parametrize("text", ["腊月二十下午三点", "腊月二十号", "腊月28上午", "农历十月初八", "正月十五下午"])
def test_lunar_months_are_not_guessed(text):
    for ref in (MON, THU, SUN):
        assert parse_time(text, ref) is None


@pytest.mark.parametrize("text, dated", [
    ("9点半", False), ("那8点半吧", False), ("下午", False), ("九点一刻", False),
    ("两点到四点", False), ("晚上七点半", False),
    ("明天", True), ("周六", True), ("19号", True), ("下周", True), ("国庆", True),
    ("明早8点", True), ("今晚", True), ("越快越好", True), ("月中下午三点", True),
    ("后天吧，上午九点", True), ("19号周六早上9点", True), ("明天早一点", True),
])
def test_dated(text, dated):
    for ref in (MON, THU, SUN):
        assert parse_time(text, ref).dated is dated, (text, ref)


def test_zheliangtian():
    assert_window(parse_time("这两天有空吗", MON), "2026-11-23 09:00", "2026-11-25 09:00",
                  "这两天", "range")


@pytest.mark.parametrize("text", [
    "我想做保养", "我的电话13812345678", "车牌是沪A12345", "沪A12345", "能便宜一点吗",
    "快一点好吗", "我坐地铁2号线过去", "我的车开了3万公里了", "有两点问题想问下", "第二点要说明",
    "",
])
def test_no_time(text):
    assert parse_time(text, THU) is None


def test_several_mentions():
    assert parse_time("今天没空，明天下午吧", THU).text == "明天下午"           # refused
    assert parse_time("我上周五来过，这次想约明天下午", THU).text == "明天下午"  # past
    m = parse_time("嗯 那就后天吧 上午九点", THU)                                # merged
    assert (m.text, m.value) == ("后天吧 上午九点", sh("2026-11-28 09:00"))


def test_reference_zones():
    # a UTC reference is converted: 2026-11-29 17:00 UTC is Monday 01:00 in Shanghai
    m = parse_time("明天上午10点", datetime(2026, 11, 29, 17, 0, tzinfo=timezone.utc))
    assert m.value == sh("2026-12-01 10:00")
    # a naive reference is Shanghai wall-clock time
    assert parse_time("明天上午10点", datetime(2026, 11, 29, 20, 0)).value == sh("2026-11-30 10:00")
    # another zone on request
    berlin = ZoneInfo("Europe/Berlin")
    m = parse_time("明天上午10点", datetime(2026, 11, 29, 17, 0, tzinfo=timezone.utc), berlin)
    assert m.value == datetime(2026, 11, 30, 10, 0, tzinfo=berlin)


# --------------------------------------------------------------------------- holidays, unknown days

def test_lunar_holidays_use_the_table_and_stop_at_its_end():
    spring = {2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26"}
    for year, day in spring.items():
        ref = datetime(year, 1, 2, 9, 0, tzinfo=SHANGHAI)
        assert parse_time("春节", ref).earliest == sh(f"{day} 00:00")
        assert parse_time("除夕", ref).earliest == sh(f"{day} 00:00") - timedelta(days=1)
        assert parse_time("大年初三", ref).earliest == sh(f"{day} 00:00") + timedelta(days=2)
    after_table = datetime(2028, 11, 1, 9, 0, tzinfo=SHANGHAI)
    assert parse_time("春节", after_table) is None
    assert parse_time("春节下午三点", after_table) is None      # not today 15:00
    assert parse_time("下午三点，中秋节那天", after_table) is None
    # fixed-date holidays need no table
    assert parse_time("国庆节", after_table).earliest == sh("2029-10-01 00:00")
    assert parse_time("元旦", datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI)).earliest == sh("2027-01-01 00:00")


@pytest.mark.parametrize(("text", "ref", "expected"), [
    ("父亲节那天上午九点", datetime(2055, 6, 9, 11, 20, tzinfo=SHANGHAI), "2055-06-20 09:00"),  # third Sunday of June
    ("母亲节上午十点", datetime(2027, 5, 1, 9, 0, tzinfo=SHANGHAI), "2027-05-09 10:00"),  # second Sunday of May
    ("母亲节上午十点", datetime(2027, 5, 10, 9, 0, tzinfo=SHANGHAI), "2028-05-14 10:00"),  # this year's is past
])
def test_holidays_on_a_sunday_of_the_month(text, ref, expected):
    assert parse_time(text, ref).value == sh(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("下周一上午十点吧……诶不对,下周一要出差,换成下周二同一时间", "2055-06-15 10:00"),
    ("明天下午三点,不对,改后天同一个点", "2055-06-11 15:00"),
])
def test_the_same_time_on_the_new_day_keeps_the_clock_taken_back(text, expected):
    assert parse_time(text, datetime(2055, 6, 9, 11, 20, tzinfo=SHANGHAI)).value == sh(expected)


def test_a_clock_outside_the_day_part_said_is_still_on_that_day():
    """明天中午吃完饭 两点吧: tomorrow at 14:00 (it had been today's 14:00)."""
    assert parse_time("明天中午吃完饭 两点吧", datetime(2054, 4, 9, 10, 20, tzinfo=SHANGHAI)).value == sh("2054-04-10 14:00")


@pytest.mark.parametrize(("text", "day"), [
    ("下周三上午,呃,还是下周四上午吧,周三要开会", "2054-04-16"),  # a pause, then 还是: the time instead
    ("周六还是周日都行", "2054-04-11"),  # 还是 between two: either, the first
])
def test_or_rather_after_a_pause_takes_the_time_back(text, day):
    assert parse_time(text, datetime(2054, 4, 9, 10, 20, tzinfo=SHANGHAI)).earliest.date().isoformat() == day


@pytest.mark.parametrize("text", ["腊八下午三点", "改天上午十点", "国庆后下午两点", "周几下午三点有空"])
def test_a_day_the_rules_cannot_place_gives_no_time(text):
    for ref in (MON, THU, SUN):
        assert parse_time(text, ref) is None


def test_a_known_day_beside_an_unknown_one_still_counts():
    m = parse_time("腊八那天不行，明天下午三点吧", THU)
    assert m.value == sh("2026-11-27 15:00")


@pytest.mark.parametrize("text, earliest, latest", [
    ("月中", "2026-12-11 00:00", "2026-12-20 23:59:59"),      # November's is over
    ("下旬", "2026-11-21 00:00", "2026-11-30 23:59:59"),      # November's is not
    ("上旬", "2026-12-01 00:00", "2026-12-10 23:59:59"),
    ("下个月底", "2026-12-21 00:00", "2026-12-31 23:59:59"),
    ("下个月底前", "2026-11-26 15:00", "2026-12-31 23:59:59"),
    ("11月中旬", "2027-11-11 00:00", "2027-11-20 23:59:59"),
    ("2月下旬", "2027-02-21 00:00", "2027-02-28 23:59:59"),
])
def test_thirds_of_a_month(text, earliest, latest):
    assert_window(parse_time(text, THU), earliest, latest, text, "range")


# --------------------------------------------------------------------------- digits, ranges, decimals

@pytest.mark.parametrize("text", [
    "油耗6.5", "价格是9.9元", "开了3.5万公里", "2.0T", "V1.5", "138-1234-5678", "1-2天",
    "减八点八", "二十点六", "八点五个", "八点八折", "一点五个小时",
])
def test_numbers_that_are_not_times(text):
    assert parse_time(text, THU) is None


@pytest.mark.parametrize("text, earliest, latest", [
    ("9~12点半", "2026-11-27 09:00", "2026-11-27 12:30"),
    ("下午2-4点", "2026-11-27 14:00", "2026-11-27 16:00"),
    ("12:00—14:00", "2026-11-27 12:00", "2026-11-27 14:00"),
    ("明天三四点", "2026-11-27 15:00", "2026-11-27 16:00"),
    ("明天早上七八点", "2026-11-27 07:00", "2026-11-27 08:00"),
    ("明天上午10-12", "2026-11-27 10:00", "2026-11-27 12:00"),
])
def test_ranges_are_windows(text, earliest, latest):
    assert_window(parse_time(text, THU), earliest, latest, text, "range")


def test_quarters():
    assert parse_time("20时1刻", THU).value == sh("2026-11-26 20:15")
    assert parse_time("明天九点三刻", THU).value == sh("2026-11-27 09:45")
    assert parse_time("3点一刻", THU).value == sh("2026-11-26 15:15")
    assert parse_time("二十一点", THU).value == sh("2026-11-26 21:00")  # not a range 20-21


def test_corrections_take_the_second_mention():
    assert parse_time("不是明天，是后天", THU).text == "后天"
    assert parse_time("不是这周，是下周", THU).text == "下周"


def test_traditional_characters_are_returned():
    m = parse_time("下個禮拜三下午三時", THU)
    assert (m.text, m.value) == ("下個禮拜三下午三時", sh("2026-12-02 15:00"))


def test_original_characters_are_returned():
    m = parse_time("下週一１０点", THU)  # traditional 週 and full-width digits
    assert (m.text, m.value) == ("下週一１０点", sh("2026-11-30 10:00"))


def test_fast_enough():
    texts = [case["text"] for case, key, _ in ROWS if key == "thu"]
    samples = []
    for text in texts * 3:
        t0 = time.perf_counter()
        parse_time(text, THU)
        samples.append(time.perf_counter() - t0)
    assert statistics.median(samples) < 0.005
    assert parse_time("明天" * 5000 + "下午三点", THU) is not None  # long input


def test_no_parsing_library_imported():
    code = "import sys, bot.timeparse; print(any(m in sys.modules for m in ('jionlp', 'duckling')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


# --------------------------------------------------------------------------- the NLU component

@pytest.fixture(scope="module")
def rasa_parts():
    pytest.importorskip("rasa")
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message

    from bot.components.time_extractor import ChineseTimeExtractor

    return ChineseTimeExtractor, Message, LocalModelStorage, Resource, ExecutionContext, GraphSchema


@pytest.fixture
def extractor(rasa_parts, tmp_path):
    cls, _, storage, resource, context, schema = rasa_parts
    return cls.create(
        {**cls.get_default_config()}, storage(tmp_path), resource("chinese_time_extractor"),
        context(schema({}), "test"),
    )


def test_component_extracts_time(rasa_parts, extractor):
    Message = rasa_parts[1]
    other = {"entity": "car_model", "start": 0, "end": 1, "value": "x", "extractor": "Other"}
    message = Message(data={"text": "我想明天下午三点过来做保养", "entities": [other]},
                      time=int(THU.timestamp()))
    extractor.process([message])
    entities = message.get("entities")
    assert entities[0] == other
    assert entities[1] == {
        "entity": "time", "start": 2, "end": 8, "value": "2026-11-27T15:00:00+08:00",
        "confidence": 1.0, "extractor": "ChineseTimeExtractor",
        "additional_info": {"grain": "hour", "earliest": "2026-11-27T15:00:00+08:00",
                            "latest": "2026-11-27T15:00:00+08:00", "exact": True,
                            "dated": True},
    }


def test_component_vague_time_and_no_time(rasa_parts, extractor):
    Message = rasa_parts[1]
    vague = Message(data={"text": "周五下午可以吗"}, time=int(SUN.timestamp()))
    none = Message(data={"text": "车牌是沪A12345"}, time=int(SUN.timestamp()))
    extractor.process([vague, none])
    (entity,) = vague.get("entities")
    assert entity["value"] == "2026-12-04T13:00:00+08:00"
    assert entity["additional_info"] == {
        "grain": "part_of_day", "earliest": "2026-12-04T13:00:00+08:00",
        "latest": "2026-12-04T17:30:00+08:00", "exact": False, "dated": True}
    assert not none.get("entities")


@pytest.mark.parametrize("text, dated", [
    ("那8点半吧", False), ("下午可以", False), ("九点一刻", False),
    ("明天上午十点", True), ("19号周六早上9点", True), ("下周", True), ("国庆节上午", True),
])
def test_component_says_whether_the_day_was_named(rasa_parts, extractor, text, dated):
    message = rasa_parts[1](data={"text": text}, time=int(THU.timestamp()))
    extractor.process([message])
    (entity,) = message.get("entities")
    info = entity["additional_info"]
    assert info["dated"] is dated
    assert set(info) == {"grain", "earliest", "latest", "exact", "dated"}


def test_component_undated_time_keeps_todays_or_tomorrows_day(rasa_parts, extractor):
    Message = rasa_parts[1]
    later = Message(data={"text": "那8点半吧"}, time=int(THU.timestamp()))      # 08:30 passed
    sooner = Message(data={"text": "那5点半吧"}, time=int(THU.timestamp()))     # 17:30 not yet
    extractor.process([later, sooner])
    assert later.get("entities")[0]["value"] == "2026-11-27T08:30:00+08:00"
    assert sooner.get("entities")[0]["value"] == "2026-11-26T17:30:00+08:00"
    assert not later.get("entities")[0]["additional_info"]["dated"]


@pytest.fixture
def frozen_now(monkeypatch):
    """The component's "now" (dealer.clock) is Thursday 15:00: no test reads the real clock."""
    from dealer import clock

    monkeypatch.setattr(clock, "_clock", clock.Clock.reading(THU))


def test_component_without_message_time_uses_now(rasa_parts, extractor, frozen_now):
    message = rasa_parts[1](data={"text": "明天上午十点"})
    extractor.process([message])
    assert message.get("entities")[0]["value"] == "2026-11-27T10:00:00+08:00"


def test_component_never_raises(rasa_parts, extractor, frozen_now, monkeypatch):
    Message = rasa_parts[1]
    odd = [Message(data={"text": None}), Message(data={}), Message(data={"text": 12345}),
           Message(data={"text": "明天下午三点"}, time="not a time"),
           Message(data={"text": "明天下午三点"}, time=10**30)]
    extractor.process(odd)
    assert [m.get("entities") for m in odd[:3]] == [None, None, None]
    for message in odd[3:]:  # a bad message time falls back to now
        assert message.get("entities")[0]["value"] == "2026-11-27T15:00:00+08:00"

    import bot.components.time_extractor as module

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "parse_time", boom)
    message = Message(data={"text": "明天下午三点"}, time=int(THU.timestamp()))
    extractor.process([message])
    assert not message.get("entities")


def test_component_timezone_option(rasa_parts, tmp_path):
    cls, Message, storage, resource, context, schema = rasa_parts
    args = (storage(tmp_path), resource("t"), context(schema({}), "test"))
    berlin = cls.create({"timezone": "Europe/Berlin"}, *args)
    message = Message(data={"text": "明天上午十点"}, time=int(THU.timestamp()))  # 08:00 Berlin
    berlin.process([message])
    assert message.get("entities")[0]["value"] == "2026-11-27T10:00:00+01:00"

    from rasa.shared.exceptions import InvalidConfigException

    with pytest.raises(InvalidConfigException):
        cls.create({"timezone": "Mars/Olympus"}, *args)


def test_the_booking_time_beats_a_time_in_the_complaint():
    reference = datetime(2026, 11, 26, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    mention = parse_time("车子早上启动不了,约大后天上午十点半来修", reference)
    assert mention.value == datetime(2026, 11, 29, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(("text", "expected"), [
    ("周四上午9点,哦不对,9点半,约个保修", datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)),
    ("明天下午三点,不对,四点吧", datetime(2026, 11, 24, 16, 0, tzinfo=SHANGHAI)),
    ("周四上午9点,改成9点半", datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)),
])
def test_a_clock_taken_back_or_changed_keeps_the_day_it_replaces(text, expected):
    assert parse_time(text, MON).value == expected
