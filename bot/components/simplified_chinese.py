"""Traditional characters read as Simplified (約個保養 → 约个保养) before anything else,
and emoji as what they say: a gesture alone (👌) as its word, any other as a space.

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
from dealer.emoji import only_emoji, without_emoji
from dealer.script import load_script


@lru_cache
def _converter() -> OpenCC:
    return OpenCC("t2s")


def simplified(text: str) -> str:
    """The text in Simplified characters; its length is kept (a longer phrase mapping is not used)."""
    converted = _converter().convert(text)
    return converted if len(converted) == len(text) else text


@lru_cache
def _standard_words():
    return load_script().standardised


def readable(text: str) -> str:
    """What the classifier and extractors read: 👌 alone as 好的; 😫😫车门锁不上了 without its faces
    (as spaces, so that entity positions stay); traditional characters as simplified."""
    if only_emoji(text):
        return without_emoji(_standard_words()(text)).strip()  # 👍🏻: the skin tone goes too
    return simplified(without_emoji(text))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SimplifiedChinese(StatelessComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text and not text.startswith("/"):
                message.set(TEXT, readable(text))
        return messages
