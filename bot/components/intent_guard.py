"""A request for a person only when the words ask for one.

The intent classifier reads character n-grams, so 没找人看过 (to 您自己有没有处理过?) scores as
request_human for its 找人 and the booking was handed over mid-interview. A message read as
request_human that names neither a person-asking word (dealer/booking_script.yml
``human_request_words``: 人工, 客服, 顾问 …) nor one of the dealers' advisors gets the
classifier's next intent instead.
"""
from __future__ import annotations

from functools import lru_cache

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.stateless import StatelessComponent
from dealer.catalog import load_dealers
from dealer.script import load_script

HUMAN = "request_human"


@lru_cache(maxsize=1)
def _person_words() -> tuple[str, ...]:
    advisors = {advisor.name for dealer in load_dealers().values() for advisor in dealer.advisors}
    return (*load_script().human_request_words, *sorted(advisors))


def asks_for_a_person(text: str) -> bool:
    return any(word in text for word in _person_words())


def guarded(message: Message) -> None:
    intent = message.get(INTENT) or {}
    text = message.get(TEXT)
    if intent.get(INTENT_NAME_KEY) != HUMAN or not isinstance(text, str) or text.startswith("/"):
        return
    if asks_for_a_person(text):
        return
    ranking = [entry for entry in message.get(INTENT_RANKING_KEY) or [] if entry.get(INTENT_NAME_KEY) != HUMAN]
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
