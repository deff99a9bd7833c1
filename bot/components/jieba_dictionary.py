"""Adds the dealer's vocabulary to jieba before anything is segmented."""
from __future__ import annotations

from typing import Any

import jieba
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

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
class JiebaUserDictionary(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> JiebaUserDictionary:
        load_vocabulary()
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        return messages
