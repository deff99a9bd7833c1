"""Adds the dealer's vocabulary to jieba before anything is segmented."""
from __future__ import annotations

import jieba
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.training_data.message import Message

from bot.components.stateless import StatelessComponent
from bot.vocabulary import all_words

# jieba would otherwise split rare words (e.g. 迈腾 -> 迈 / 腾), and the
# entity_ruler's phrase patterns, tokenised once at build time, would not match.
_HIGH_FREQUENCY = 100_000


def load_vocabulary() -> None:
    for word in all_words():
        jieba.add_word(word, freq=_HIGH_FREQUENCY)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class JiebaUserDictionary(StatelessComponent):
    @classmethod
    def prepare(cls) -> None:
        load_vocabulary()

    def process(self, messages: list[Message]) -> list[Message]:
        return messages
