"""Issue 12: the WeChat 回访 survey (SQLite and PostgreSQL): a WeChat customer's 回访 is the
survey the worker starts (three days after delivery, inside WeChat's window, else a call),
the customer's words read as the 回访 call's answers, stored as the call stores them, and a
low score, 没有解决 or a complaint in the comment flags it for the service manager."""
from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest

from dealer import survey
from dealer.db import unit_of_work
from dealer.services import followups
from dealer.tasks import TaskChannel, TaskKind, TaskState
from dealer.wechat_push import ChannelError
from tests.dealer.bookings import approved, day_at
from tests.dealer.test_followups import deliver, tasks
from tests.dealer.test_worker import worker

_slots = count(0)
DELIVERED = day_at(3, 16, 20)  # tests.dealer.test_followups.deliver
SURVEY_DUE = DELIVERED + timedelta(days=3)


@pytest.mark.parametrize(("key", "said", "answer"), [
    ("satisfied", "2", "2"), ("satisfied", "4分", "4"), ("satisfied", "５", "5"), ("satisfied", "非常满意", "5"),
    ("satisfied", "满意", "4"), ("satisfied", "不满意", "1"), ("satisfied", "不太满意", "2"), ("satisfied", "还行", "3"),
    ("fixed", "解决了", "解决了"), ("fixed", "修好了", "解决了"), ("fixed", "没修好", "没有解决"),
    ("fixed", "还是有异响", "没有解决"), ("explained", "讲得很清楚", "解释了"), ("explained", "不清楚", "没有解释"),
    ("explained", "没有", "没有解释"), ("fixed", "随便吧", None), ("satisfied", "7", None), ("satisfied", "", None),
])
def test_the_customers_words_are_read_as_the_calls_answers(key, said, answer):
    assert survey.read_answer(key, said) == answer


def test_the_questions_and_buttons_are_the_call_scripts():
    call = {q.key: q for q in survey.questions()}
    assert survey.ask_text("fixed") == call["fixed"].ask
    assert survey.ask_text("satisfied").startswith(call["satisfied"].ask) and "1–5" in survey.ask_text("satisfied")
    assert survey.choices("satisfied") == ["1分", "2分", "3分", "4分", "5分"]  # the digit on WeChat is the score
    assert survey.choices("explained") == list(call["explained"].answers)
    assert survey.choices("comment") == []
    assert survey.read_comment("没有") is None and survey.read_comment("前台很热情") == "前台很热情"
    assert survey.comment_complains("收费太乱,我要投诉") and not survey.comment_complains("前台很热情")


def wechat_followup(database_url, catalog, openid: str) -> tuple[int, int]:
    draft_id = approved(database_url, catalog, day_at(3, 10) + timedelta(minutes=30 * next(_slots)),
                        channel="wechat", conversation=openid)
    deliver(database_url, catalog, draft_id)
    return draft_id, tasks(database_url, draft_id)["followup"].id


class RecordingSurvey:
    def __init__(self, failures: int = 0) -> None:
        self.started: list[tuple[str, int]] = []
        self.failures = failures

    def __call__(self, openid: str, task_id: int) -> None:
        if self.failures:
            self.failures -= 1
            raise ChannelError("Rasa answered 500 to trigger_intent")
        self.started.append((openid, task_id))


def test_the_worker_starts_a_wechat_customers_survey_three_days_after_delivery(database_url, catalog):
    _, task_id = wechat_followup(database_url, catalog, "o-survey-1")
    started = RecordingSurvey(failures=1)
    assert tasks(database_url, _)["followup"].channel == TaskChannel.wechat

    early = worker(database_url, catalog, SURVEY_DUE - timedelta(minutes=1), start_survey=started).run_once()
    assert early.sent == 0 and started.started == []
    failed = worker(database_url, catalog, SURVEY_DUE + timedelta(minutes=1), start_survey=started).run_once()
    assert failed.retried == 1  # Rasa did not take it: tried again later, with backoff
    report = worker(database_url, catalog, SURVEY_DUE + timedelta(hours=1), start_survey=started).run_once()
    again = worker(database_url, catalog, SURVEY_DUE + timedelta(hours=2), start_survey=started).run_once()

    assert (report.sent, again.sent) == (1, 0)
    assert started.started == [("o-survey-1", task_id)]
    task = tasks(database_url, _)["followup"]
    assert (task.state, task.sent_via) == (TaskState.sent, "survey")


def test_a_survey_that_cannot_start_on_wechat_is_a_call(database_url, catalog):
    closed_draft, closed = wechat_followup(database_url, catalog, "o-survey-window")
    no_rasa_draft, no_rasa = wechat_followup(database_url, catalog, "o-survey-no-rasa")
    started = RecordingSurvey()
    # The customer last wrote 3 days ago: no customer-service message can go out.
    worker(database_url, catalog, SURVEY_DUE + timedelta(minutes=1), start_survey=started,
           wrote_before=timedelta(days=3)).run_once()
    worker(database_url, catalog, SURVEY_DUE + timedelta(minutes=1)).run_once()  # no Rasa configured
    assert started.started == []
    for draft_id in (closed_draft, no_rasa_draft):
        task = tasks(database_url, draft_id)["followup"]
        assert (task.channel, task.state) == (TaskChannel.call, TaskState.pending)  # on the 回访 call list
    with unit_of_work(database_url) as session:
        listed = followups.call_list(session, SURVEY_DUE.date(), catalog, SURVEY_DUE + timedelta(hours=1))
    assert {closed, no_rasa} <= {row.task.id for row in listed.open}


def started_survey(database_url, catalog, openid: str) -> int:
    _, task_id = wechat_followup(database_url, catalog, openid)
    worker(database_url, catalog, SURVEY_DUE + timedelta(minutes=1), start_survey=RecordingSurvey()).run_once()
    return task_id


def test_the_answers_are_stored_as_the_call_stores_them_and_a_low_score_is_a_complaint(database_url, catalog):
    happy = started_survey(database_url, catalog, "o-survey-happy")
    low = started_survey(database_url, catalog, "o-survey-low")
    said = started_survey(database_url, catalog, "o-survey-said")
    now = SURVEY_DUE + timedelta(minutes=5)
    with unit_of_work(database_url) as session:
        assert followups.open_survey(session, happy, "o-survey-happy").delivered == DELIVERED
        assert followups.open_survey(session, happy, "o-someone-else") is None
        with pytest.raises(followups.TaskNotFound):  # another conversation cannot answer it
            followups.record_survey(session, happy, "o-someone-else", {"satisfied": "5"}, False, now)
        fine = followups.record_survey(session, happy, "o-survey-happy", {
            "satisfied": "5", "fixed": "解决了", "explained": "解释了", "comment": None}, False, now)
        unhappy = followups.record_survey(session, low, "o-survey-low", {
            "satisfied": "2", "fixed": "解决了", "explained": "解释了", "comment": None}, False, now)
        complained = followups.record_survey(session, said, "o-survey-said", {
            "satisfied": "4", "fixed": "解决了", "explained": "解释了", "comment": "乱收费"}, True, now)
    assert not fine.task.complaint and fine.task.result == "answered" and fine.task.state == TaskState.done
    assert fine.task.answers == {"satisfied": "5", "fixed": "解决了", "explained": "解释了", "comment": None}
    assert unhappy.task.complaint and unhappy.next.startswith("客户有投诉")
    assert complained.task.complaint and complained.task.answers["comment"] == "乱收费"
    with unit_of_work(database_url) as session:
        assert followups.open_survey(session, happy, "o-survey-happy") is None  # answered: not started again
        with pytest.raises(followups.TaskClosed):  # answered once
            followups.record_survey(session, happy, "o-survey-happy", {"satisfied": "1"}, False, now)
        complaints = followups.call_list(session, now.date(), catalog, now).complaints
        assert {row.task.id for row in complaints} >= {low, said}
        # The manager closes a survey's complaint as a call's: only with the call-back logged.
        followups.resolve_complaint(session, low, "manager", "已回电,客户同意再来检查", now)
    with unit_of_work(database_url) as session:
        assert low not in {row.task.id for row in followups.call_list(session, now.date(), catalog, now).complaints}


def test_a_rest_customers_followup_stays_a_call(database_url, catalog):
    draft_id = approved(database_url, catalog, day_at(3, 10) + timedelta(minutes=30 * next(_slots)))
    deliver(database_url, catalog, draft_id)
    task = tasks(database_url, draft_id)["followup"]
    assert (task.kind, task.channel) == (TaskKind.followup, TaskChannel.call)
