"""Traditional characters read as Simplified (約個保養 → 约个保养) before anything else.

Customers type either; the vocabulary, the training data and the dealer's word lists are
Simplified. Character conversion only (OpenCC's t2s table), so entity positions in the
converted text stay where the customer typed them.
"""
from __future__ import annotations

from functools import lru_cache

from opencc import OpenCC
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.stateless import StatelessComponent


@lru_cache
def _converter() -> OpenCC:
    return OpenCC("t2s")


def simplified(text: str) -> str:
    """The text in Simplified characters; its length is kept (a longer phrase mapping is not used)."""
    converted = _converter().convert(text)
    return converted if len(converted) == len(text) else text


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SimplifiedChinese(StatelessComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text and not text.startswith("/"):
                message.set(TEXT, simplified(text))
        return messages
