"""Answering the customer's questions (hours, address, prices, how long) from the dealer catalogue."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions import backend

# Intents of the classifier, and ask_duration, read from the words only (dealer/booking_script.yml).
QUESTION_KINDS = ("ask_hours", "ask_address", "ask_price", "ask_duration")


def answer_question(kind: str, text: str, dispatcher: CollectingDispatcher) -> None:
    dealer = backend.catalog()
    if kind == "ask_hours":
        dispatcher.utter_message(response="utter_answer_hours", opening_hours=dealer.opening_hours_text)
    elif kind == "ask_address":
        dispatcher.utter_message(response="utter_answer_address", address=dealer.address, dealer_phone=dealer.phone)
    elif kind == "ask_price":
        dispatcher.utter_message(response="utter_answer_price", price_list=dealer.price_list_text(text))
    elif kind == "ask_duration":
        dispatcher.utter_message(response="utter_answer_duration", durations=dealer.duration_text(text))
    else:
        raise ValueError(kind)


QUESTION_WORDS = ("几点", "多少", "哪里", "哪儿", "怎么", "什么时候", "是否", "能不能", "可不可以")


def sounds_like_question(text: str) -> bool:
    """A question mark, a question particle at the end, or a question word."""
    stripped = text.strip().rstrip("。.!! ")
    return (
        backend.script().question_kind(text) is not None
        or any(mark in text for mark in "??")
        or stripped.endswith(("吗", "呢", "么", "没有", "不"))
        or any(word in text for word in QUESTION_WORDS)
    )
