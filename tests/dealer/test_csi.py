"""The CSI figures (dealer/services/csi.py) from hand-built 回访 rows; every expected figure
is worked out by hand in the comments."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from dealer.services.csi import FollowupRow, IsoWeek, aggregate, satisfaction_question, score, total

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUESTION = satisfaction_question()
# Monday 2026-11-30 is the first day of ISO week 2026-W49; 2026-12-07 starts W50.
W49, W50 = IsoWeek(2026, 49), IsoWeek(2026, 50)


def row(task_id: int, advisor: str | None, due: datetime, *, state: str = "done", result: str | None = "answered",
        satisfied: str | None = None, complaint: bool = False, resolved: bool = False) -> FollowupRow:
    answers = None if result != "answered" else {"satisfied": satisfied, "fixed": None, "explained": None,
                                                 "comment": None}
    return FollowupRow(task_id, 100 + task_id, advisor, "call", due, state, result, answers, complaint,
                       due + timedelta(days=1) if resolved else None)


def at(day: int, hour: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def test_the_satisfaction_answers_spread_over_one_to_five() -> None:
    assert QUESTION.answers == ("满意", "一般", "不满意")  # best first, as the script lists them
    assert [score(a, QUESTION) for a in QUESTION.answers] == [5, 3, 1]
    assert [score(a, QUESTION) for a in ("4", " 2 ", "5")] == [4, 2, 5]  # the WeChat survey's 1–5
    assert [score(a, QUESTION) for a in (None, "", "0", "6", "很好")] == [None] * 5


def test_per_advisor_and_week() -> None:
    rows = [
        # 张华, W49: four due (the cancelled and the skipped are not due)
        row(1, "张华", at(1, 10), satisfied="满意"),  # answered, 5
        row(2, "张华", at(2, 10), satisfied="不满意", complaint=True),  # answered, 1, open complaint
        row(3, "张华", at(3, 10), satisfied="一般", complaint=True, resolved=True),  # answered, 3, closed
        row(4, "张华", at(4, 10), state="pending", result=None),  # not answered yet
        row(5, "张华", at(4, 11), state="cancelled", result=None),
        row(6, "张华", at(4, 12), state="skipped", result=None),
        # 张华, W50: the Monday's first minute in Shanghai (Sunday 16:01 UTC) is W50, not W49
        row(7, "张华", datetime(2026, 12, 6, 16, 1, tzinfo=timezone.utc), satisfied="一般"),  # 3
        # 李明, W49: two due, one not reached, one answered without a satisfaction answer
        row(8, "李明", at(5, 9), state="pending", result=None),
        row(9, "李明", at(6, 23), satisfied=None),  # answered, no score
        # no advisor, W49: a WeChat survey answered 2 (of 5)
        row(10, None, at(30, 15, month=11), satisfied="2", complaint=True),
        # 张华, W48 (Sunday 2026-11-29 23:59 Shanghai)
        row(11, "张华", datetime(2026, 11, 29, 23, 59, tzinfo=SHANGHAI), satisfied="满意"),
    ]

    lines = aggregate(rows, SHANGHAI, QUESTION)

    assert [(str(l.week), l.advisor) for l in lines] == [
        ("2026-W48", "张华"), ("2026-W49", "张华"), ("2026-W49", "李明"), ("2026-W49", None), ("2026-W50", "张华")]
    w48, zhang, li, nobody, w50 = lines
    assert (w48.due, w48.answered, w48.average_score) == (1, 1, 5)
    # 张华 W49: due 4, answered 3 -> 75 %; scores 5, 1, 3 -> 9 / 3 = 3.0; open complaints: task 2 only
    assert (zhang.due, zhang.answered, zhang.response_rate, zhang.scores, zhang.average_score) == \
        (4, 3, 0.75, [5, 1, 3], 3.0)
    assert [c.task_id for c in zhang.open_complaints] == [2]
    # 李明 W49: due 2, answered 1 -> 50 %; no score -> no average; no complaint
    assert (li.due, li.answered, li.response_rate, li.average_score, li.open_complaints) == (2, 1, 0.5, None, [])
    # nobody W49: 1 due, answered, score 2, its complaint open
    assert (nobody.due, nobody.answered, nobody.average_score, [c.task_id for c in nobody.open_complaints]) == \
        (1, 1, 2, [10])
    assert (w50.due, w50.answered, w50.response_rate, w50.average_score) == (1, 1, 1.0, 3)
    # the week together: due 4 + 2 + 1 = 7, answered 3 + 1 + 1 = 5, scores 5, 1, 3, 2 -> 11 / 4 = 2.75
    whole = total(lines, W49)
    assert (whole.due, whole.answered, whole.average_score) == (7, 5, 2.75)
    assert whole.response_rate == pytest.approx(5 / 7)
    assert sorted(c.task_id for c in whole.open_complaints) == [2, 10]


def test_a_week_without_rows_has_no_rate_and_no_average() -> None:
    empty = total(aggregate([], SHANGHAI, QUESTION), W50)

    assert (empty.due, empty.answered, empty.response_rate, empty.average_score, empty.open_complaints) == \
        (0, 0, None, None, [])


@pytest.mark.parametrize(("text", "week"), [("2026-W49", W49), ("2026-W01", IsoWeek(2026, 1)),
                                            ("2026-W53", IsoWeek(2026, 53)),
                                            ("2025-W53", None), ("2026-49", None), ("2026-W4", None), ("", None)])
def test_a_week_field_value(text: str, week: IsoWeek | None) -> None:
    if week is None:
        with pytest.raises(ValueError):
            IsoWeek.parse(text)
    else:
        assert IsoWeek.parse(text) == week and str(week) == text


def test_weeks_shift_across_the_year() -> None:
    assert IsoWeek(2026, 53).shift(1) == IsoWeek(2027, 1)  # 2026 has 53 ISO weeks (1 January a Thursday)
    assert W49.monday == date(2026, 11, 30) and W50.shift(-1) == W49
