"""Answering the customer's questions (hours, address, prices, how long) from the dealer catalogue."""
from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend
from actions.conversation import user_texts
from dealer.catalog import ADVISOR_GENDERS
from dealer.symptoms import is_dangerous

# Intents of the classifier, and ask_duration / ask_can_drive / ask_if_cannot_come / ask_staff,
# read from the words only (dealer/booking_script.yml).
QUESTION_KINDS = (
    "ask_hours", "ask_address", "ask_price", "ask_duration", "ask_can_drive", "ask_documents", "ask_advisor",
    "ask_warranty", "ask_vin_location", "ask_reminder", "ask_shop_fact", "ask_if_cannot_come",
    "ask_staff",
)
# Kinds the bot names itself, never an intent: ask_other (only the technician can tell) and
# ask_beyond_bot (a question the bot has no answer for, asked at a fact step).


def _customer_words(tracker: Tracker | None) -> str:
    if tracker is None:
        return ""
    return " ".join(user_texts(tracker))


def answer_question(kind: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker | None = None) -> None:
    dealer = backend.catalog()
    if kind == "ask_can_drive":
        # Whether to drive depends on everything told so far (水温飙到头,冒白烟 … 还能开吗?).
        dangerous = is_dangerous(f"{_customer_words(tracker)} {text}")
        response = "utter_danger_do_not_drive" if dangerous else "utter_answer_can_drive"
        dispatcher.utter_message(response=response, rescue_phone=dealer.rescue_phone)
        return
    if kind == "ask_hours":
        dispatcher.utter_message(response="utter_answer_hours", opening_hours=dealer.opening_hours_text)
    elif kind == "ask_address":
        dispatcher.utter_message(response="utter_answer_address", address=dealer.address, dealer_phone=dealer.phone)
    elif kind == "ask_price":
        named = [dealer.service_type(code) for code in dealer.services_named(text)]
        if named and all(service.quote == "none" for service in named):
            # 换四条轮胎多少钱: no price list for it; not the maintenance prices either.
            dispatcher.utter_message(response="utter_answer_price_by_advisor", dealer_phone=dealer.phone)
        elif named and all(service.quote == "after_inspection" for service in named):
            # 到店检测要收费吗 / 查故障要钱不: quoted after the check, not the maintenance list.
            dispatcher.utter_message(response="utter_answer_price_after_inspection", dealer_phone=dealer.phone)
        else:
            dispatcher.utter_message(response="utter_answer_price", price_list=dealer.price_list_text(text))
    elif kind == "ask_duration":
        dispatcher.utter_message(response="utter_answer_duration", durations=dealer.duration_text(text))
    elif kind == "ask_documents":
        documents = backend.script().documents(tracker.get_slot("first_visit") if tracker else None)
        dispatcher.utter_message(response="utter_answer_documents", documents="、".join(documents))
    elif kind == "ask_advisor":
        advisor = tracker.get_slot("advisor_name") if tracker else None
        wished, said = dealer.advisor_named(text)
        if said and advisor:
            # Booked already: the advisor it has; another is arranged by phone.
            response = "utter_advisor_is_booked" if wished and wished.name == advisor else "utter_advisor_change_by_phone"
            dispatcher.utter_message(response=response, advisor_name=advisor, dealer_phone=dealer.phone)
        elif wished:
            # 上回是张顾问接待的,这次还能找他吗: asked for when the booking is made (if free then).
            by_gender = said in ADVISOR_GENDERS  # 有女的服务顾问吗: who that is, and the wish noted
            dispatcher.utter_message(response="utter_advisor_of_gender" if by_gender else "utter_advisor_wish_noted",
                                     advisor_name=wished.name)
        elif said:
            dispatcher.utter_message(response="utter_advisor_not_here", said=said,
                                     advisor_names="、".join(a.name for a in dealer.advisors))
        elif advisor:
            dispatcher.utter_message(response="utter_answer_advisor", advisor_name=advisor)
        else:
            dispatcher.utter_message(response="utter_answer_advisor_at_desk")
    elif kind == "ask_vin_location":
        dispatcher.utter_message(response="utter_answer_vin_location")
    elif kind == "ask_staff":
        dispatcher.utter_message(response="utter_answer_staff")
    elif kind == "ask_if_cannot_come":
        dispatcher.utter_message(response="utter_answer_if_cannot_come", dealer_phone=dealer.phone)
    elif kind == "ask_reminder":
        dispatcher.utter_message(response="utter_answer_reminder")
    elif kind == "ask_warranty":
        dispatcher.utter_message(response="utter_answer_warranty")
    elif kind == "ask_shop_fact" and (fact := dealer.shop_fact(backend.script().shop_fact_topic(text))):
        dispatcher.utter_message(response="utter_answer_shop_fact", shop_fact=fact)  # from the dealer's file
    elif kind in ("ask_beyond_bot", "ask_shop_fact"):
        dispatcher.utter_message(response="utter_answer_by_advisor", dealer_phone=dealer.phone)
    elif kind == "ask_other":
        dispatcher.utter_message(response="utter_answer_after_check")
    else:
        raise ValueError(kind)


# A question about the cause or its cost (会不会是轴承坏了? / 是变速箱的问题吗? / 严重不?):
# it names a part, yet asks the advisor instead of answering.
CAUSE_QUESTION = re.compile(
    r"会不会|是不是|可能是.{0,10}[吗么吧]|的问题(?:吗|么|吧|啊|呀)|坏了(?:吗|么|吧)|(?:严重|要紧|危险|麻烦)(?:吗|么|嘛|不|吧)"
    r"|有没有(?:事|问题|危险)|有事(?:吗|么|没)|贵不贵|贵吗|多少钱|好修(?:吗|么|不)"
    r"|(?:^|[,，])(?:这|那)?个?(?:是|该不会是|难道是)[^,，。?？]{1,12}(?:吗|么|吧)"
)


def asks_about_the_cause(text: str) -> bool:
    tagged = text.strip().rstrip("。.!！ ~～").endswith(("不", "没"))  # 严重不 / 有事没
    return (asks_directly(text) or tagged) and bool(CAUSE_QUESTION.search(text))


def asks_directly(text: str) -> bool:
    """A question by its form: a question mark, or a question particle at the end (能全免吗)."""
    stripped = text.strip().rstrip("。.!！ ~～")
    return any(mark in text for mark in "?？") or stripped.endswith(("吗", "么", "嘛", "呢"))


# "Do you have …?" (你们那有休息室吗 / 店里有没有WiFi): what the shop has, in any clause.
# Not a wish asked that way (有空帮我洗个车吗): no work or help words in the clause.
HAVE_QUESTION = re.compile(
    r"(?:^|[,，。;；!！\s])(?:你们|店里|那边|这边|那里|那)*(?:有没有|有)"
    r"(?![^,，。;；!！?？]*(?:帮|给我|顺便|顺带|洗|换|检查|查|加|做|修|补|装|送|免费))[^,，。;；!！?？]{1,10}(?:吗|么|嘛|[?？])"
)


QUESTION_WORDS = ("几点", "多少", "哪里", "哪儿", "怎么", "什么时候", "是否", "能不能", "可不可以")


def sounds_like_question(text: str) -> bool:
    """A question mark, a question particle at the end, or a question word."""
    stripped = text.strip().rstrip("。.!！ ")
    return (
        backend.script().question_kind(text) is not None
        or any(mark in text for mark in "?？")
        or stripped.endswith(("吗", "呢", "么", "没有", "不"))
        or any(word in text for word in QUESTION_WORDS)
    )
