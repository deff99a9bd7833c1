"""request_human only when the words ask for a person (bot/components/intent_guard.py)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.intent_guard import IntentGuard


def _read(text: str, ranking: list[tuple[str, float]]) -> Message:
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    message = Message({TEXT: text, INTENT: dict(entries[0]), INTENT_RANKING_KEY: entries})
    IntentGuard().process([message])
    return message


@pytest.mark.parametrize("text", ["没找人看过", "找人帮忙搭了个电", "让师傅看看吧", "吵得跟人讲话都要大声",
                                  "我个人觉得没啥影响", "前杠让人给蹭了", "就一点，顾问别老给我推销东西", "不用转人工",
                                  "想要个女顾问，说话耐心点的", "换个顾问吧，别安排王顾问了", "想找个女顾问,沟通起来方便点",
                                  # who receives the customer at the visit booked
                                  "还是找上回那个周顾问吧", "别的没有,就是希望钱顾问接待"])
def test_a_message_without_a_person_asked_for_gets_the_next_intent(text):
    message = _read(text, [("request_human", 0.55), ("deny", 0.3), ("inform", 0.15)])
    assert message.get(INTENT)["name"] == "deny"
    assert [entry["name"] for entry in message.get(INTENT_RANKING_KEY)] == ["deny", "inform"]


@pytest.mark.parametrize("text", ["帮我转人工", "找个真人", "让顾问给我打电话", "我找张华", "有人吗",
                                  "我要跟人说话", "让人打我电话"])
def test_a_request_for_a_person_or_an_advisor_stays(text):
    message = _read(text, [("request_human", 0.55), ("deny", 0.45)])
    assert message.get(INTENT)["name"] == "request_human"


def test_other_intents_and_button_payloads_are_left_alone():
    assert _read("没找人看过", [("deny", 0.6), ("request_human", 0.4)]).get(INTENT)["name"] == "deny"
    assert _read("/request_human", [("request_human", 1.0)]).get(INTENT)["name"] == "request_human"


@pytest.mark.parametrize("text", ["好的,确认预约了", "预约好了对吧", "我预约的是明天"])
def test_a_message_without_a_cancelling_word_is_no_cancellation(text):
    message = _read(text, [("cancel_booking", 0.9), ("affirm", 0.08), ("inform", 0.02)])
    assert message.get(INTENT)["name"] == "affirm"


@pytest.mark.parametrize("text", ["帮我把预约取消了", "明天不去了", "那个预约撤了吧", "我的保养预约能退吗"])
def test_a_cancellation_in_its_words_stays(text):
    assert _read(text, [("cancel_booking", 0.9), ("affirm", 0.1)]).get(INTENT)["name"] == "cancel_booking"


def test_every_cancellation_the_classifier_learns_holds_a_cancelling_word():
    import yaml

    from pathlib import Path

    from bot.components.intent_guard import asks_to_cancel

    booking = Path(__file__).resolve().parents[2] / "data" / "nlu" / "booking.yml"
    data = yaml.safe_load(booking.read_text(encoding="utf-8"))
    examples = [line[2:] for item in data["nlu"] if item.get("intent") == "cancel_booking"
                for line in item["examples"].splitlines() if line.startswith("- ")]
    assert len(examples) > 50 and [e for e in examples if not asks_to_cancel(e)] == []


@pytest.mark.parametrize(("text", "kept"), [
    ("坦克300要做保养,有没有懂越野车的顾问?想顺便问问改装的事", False),
    ("预约能改到周五吗", True), ("时间要调一下", True), ("明天去不了了", True),
])
def test_a_reschedule_needs_words_that_change_the_time(text, kept):
    message = _read(text, [("reschedule_booking", 0.54), ("book_service", 0.4), ("inform", 0.06)])
    assert (message.get(INTENT)["name"] == "reschedule_booking") is kept
