"""A request for a person, to cancel or to reschedule a booking, only when the words ask for one.

The intent classifier reads character n-grams, so 没找人看过 (to 您自己有没有处理过?) scores as
request_human for its 找人 and the booking was handed over mid-interview; 好的,确认预约了 scored
as cancel_booking. A message read as request_human that names neither a person-asking word
(dealer/booking_script.yml ``human_request_words``: 人工, 客服, 顾问 …) nor one of the
dealers' advisors, or read as cancel_booking without a cancelling word (``cancel_words``:
取消, 不去了 …), or as reschedule_booking without a word that changes the time
(``time_change_words``; 改装 is work on the car), gets the classifier's next intent instead.
"""
from __future__ import annotations

import re
from functools import lru_cache

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.stateless import StatelessComponent
from dealer.catalog import load_dealers
from dealer.script import load_script

HUMAN = "request_human"
CANCEL = "cancel_booking"
RESCHEDULE = "reschedule_booking"


@lru_cache(maxsize=1)
def _person_words() -> tuple[str, ...]:
    advisors = {advisor.name for dealer in load_dealers().values() for advisor in dealer.advisors}
    return (*load_script().human_request_words, *sorted(advisors))


# 顾问别老给我推销东西 / 不用转人工: a person named in a clause that says "don't" asks for nobody.
_DONT = re.compile(r"别|不要|不用|甭|不需要|用不着")


# 想要个女顾问 / 换个顾问吧 / 安排个耐心点的顾问 / 还找上次那个孙顾问: a wish about who receives
# the customer, no request to talk to a person now.
_ADVISOR_WISHED = re.compile(
    r"(?:换|要|安排|派)(?:个|一个|一位|位)[^,，。!！?？]{0,6}顾问|(?:女|男|耐心|资深|有经验|老)[^,，。!！?？]{0,3}的?顾问"
    # 还找上次那个孙顾问吧 / 就是希望唐顾问接待: who receives the customer at the booked visit
    r"|顾问接待|(?:上次|上回|之前|以前)[^,，。!！?？]{0,6}顾问|希望[^,，。!！?？]{0,8}顾问|还(?:是)?(?:找|要|让)[^,，。!！?？]{0,8}顾问"
)


def asks_for_a_person(text: str) -> bool:
    clauses = re.split(r"[,，。.!！?？;；~～\s]+", text)
    return any(word in clause and not _DONT.search(clause) and not _ADVISOR_WISHED.search(clause)
               for clause in clauses for word in _person_words())


def asks_to_cancel(text: str) -> bool:
    return any(word in text for word in load_script().cancel_words)


# 改装 / 改色 / 加装: work on the car, no change of a booking (想顺便问问改装的事).
_CAR_WORK = re.compile(r"改装|改色|改造|改款|改灯|改排气|加装|换装")


def asks_to_reschedule(text: str) -> bool:
    words = _CAR_WORK.sub(" ", text)
    return any(word in words for word in load_script().time_change_words)


# Each guarded intent and the words it needs.
WORDS_NEEDED = {HUMAN: asks_for_a_person, CANCEL: asks_to_cancel, RESCHEDULE: asks_to_reschedule}


def guarded(message: Message) -> None:
    intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
    text = message.get(TEXT)
    if intent not in WORDS_NEEDED or not isinstance(text, str) or text.startswith("/"):
        return
    if WORDS_NEEDED[intent](text):
        return
    ranking = [entry for entry in message.get(INTENT_RANKING_KEY) or [] if entry.get(INTENT_NAME_KEY) != intent]
    if not ranking:
        return
    message.set(INTENT, dict(ranking[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class IntentGuard(StatelessComponent):
    @classmethod
    def prepare(cls) -> None:
        _person_words()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            guarded(message)
        return messages
