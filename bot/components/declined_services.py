"""A service named only to decline it is no service_type entity.

The entity ruler marks every service word, so 保养上个月刚做过,不用弄 (answering an offer to
book a repair of a cracked bumper) set the service_type slot to 保养, and the booking that
followed was a maintenance. The catalogue's reading of a declined mention
(dealer.catalog.declined_at: 这次先不保养了, 不是保养, 保养还没到公里数, 保养记录) drops such
entities; a service named in earnest stays.
"""
from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.stateless import StatelessComponent
from dealer.catalog import declined_at

SERVICE = "service_type"


def without_declined_services(message: Message) -> None:
    text = message.get(TEXT)
    entities = message.get(ENTITIES) or []
    if not isinstance(text, str) or text.startswith("/"):
        return
    kept = [
        entity for entity in entities
        if entity.get("entity") != SERVICE
        or not isinstance(entity.get("start"), int) or not isinstance(entity.get("end"), int)
        or not declined_at(text, entity["start"], entity["end"])
    ]
    if len(kept) != len(entities):
        message.set(ENTITIES, kept, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class DeclinedServiceFilter(StatelessComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            without_declined_services(message)
        return messages
