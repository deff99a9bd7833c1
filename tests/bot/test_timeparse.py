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
                            "latest": "2026-11-27T15:00:00+08:00", "exact": True},
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
        "latest": "2026-12-04T17:30:00+08:00", "exact": False}
    assert not none.get("entities")


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
