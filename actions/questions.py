"""Answering the customer's questions (hours, address, prices) from the dealer catalogue."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions import backend

QUESTION_KINDS = ("ask_hours", "ask_address", "ask_price")


def answer_question(kind: str, text: str, dispatcher: CollectingDispatcher) -> None:
    dealer = backend.catalog()
    if kind == "ask_hours":
        dispatcher.utter_message(response="utter_answer_hours", opening_hours=dealer.opening_hours_text)
    elif kind == "ask_address":
        dispatcher.utter_message(response="utter_answer_address", address=dealer.address, dealer_phone=dealer.phone)
    elif kind == "ask_price":
        dispatcher.utter_message(response="utter_answer_price", price_list=dealer.price_list_text(text))
    else:
        raise ValueError(kind)
