"""Buttons as numbered options; a digit answer picks the option's payload."""
from __future__ import annotations

from bot.channels.wechat_render import ButtonMemory, chosen_number, render

OFFER = [
    {"recipient_id": "o1", "text": "请问您之前来过我们店吗?",
     "buttons": [{"title": "来过", "payload": "/affirm"}, {"title": "第一次来", "payload": "/deny"}]},
]


def test_buttons_become_numbered_lines_after_the_text():
    text, buttons = render(OFFER)
    assert text == "请问您之前来过我们店吗?\n\n请回复数字选择:\n1. 来过\n2. 第一次来"
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]


def test_several_messages_are_one_text_and_numbering_runs_on():
    messages = [{"text": "好的"}, *OFFER, {"text": "x", "buttons": [{"title": "转人工", "payload": "/request_human"}]}]
    text, buttons = render(messages)
    assert text.startswith("好的\n\n请问")
    assert "3. 转人工" in text
    assert len(buttons) == 3


def test_chosen_number_reads_ascii_and_full_width_digits_only():
    assert chosen_number("2") == 2
    assert chosen_number(" １ ") == 1
    assert chosen_number("2.") == 2
    assert chosen_number("12") == 12
    assert chosen_number("2点") is None
    assert chosen_number("明天2点") is None
    assert chosen_number("") is None


def test_a_digit_answer_is_the_offered_payload_for_that_customer_only():
    memory = ButtonMemory()
    _, buttons = render(OFFER)
    memory.remember("o1", buttons)
    assert memory.resolve("o1", "2") == "/deny"
    assert memory.resolve("o2", "2") == "2"
    assert memory.resolve("o1", "3") == "3"  # out of range: the customer's own words
    assert memory.resolve("o1", "第一次来") == "第一次来"


def test_an_answer_without_buttons_forgets_the_offer():
    memory = ButtonMemory()
    memory.remember("o1", render(OFFER)[1])
    memory.remember("o1", [])
    assert memory.resolve("o1", "1") == "1"


def test_old_offers_expire():
    now = [0.0]
    memory = ButtonMemory(ttl=60, clock=lambda: now[0])
    memory.remember("o1", render(OFFER)[1])
    now[0] = 61
    assert memory.resolve("o1", "1") == "1"
