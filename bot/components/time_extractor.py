"""Rasa 3.6 NLU component: Chinese booking times as a ``time`` entity.

Pipeline entry (config.yml), after the tokenizer::

    - name: bot.components.time_extractor.ChineseTimeExtractor
      timezone: Asia/Shanghai      # the default

Each message gets at most one entity, the booking time found by
``bot.timeparse.parse_time``, resolved against the message's own time
(``Message.time``, seconds since the epoch) or, when it has none, the current time::

    {"entity": "time", "start": 2, "end": 8,
     "value": "2026-11-27T15:00:00+08:00",            # the exact start, or `earliest`
     "confidence": 1.0, "extractor": "ChineseTimeExtractor",
     "additional_info": {"grain": "hour", "earliest": "...", "latest": "...",
                         "exact": True, "dated": True}}

``dated`` is False when the message named no day, only a time of day or a day part
(那8点半吧, 下午, 九点一刻): its day is the parser's default, today's or tomorrow's
when today's has passed, and a caller that already knows the customer's day may
keep that day and take only the time.

Note: Rasa 3.6's NLUMessageConverter does not set ``Message.time`` for incoming user
messages, so while serving the reference is always "now".  The component never raises
on a message: an error is logged and the message gets no time entity.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, List, Optional, Text
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.timeparse import TimeMention, parse_time
from dealer import clock

logger = logging.getLogger(__name__)

ENTITY_NAME = "time"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class ChineseTimeExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts a Chinese booking date/time (明天下午三点, 下周二上午, 越快越好 ...)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            # the zone the customer's words are meant in (IANA name)
            "timezone": "Asia/Shanghai",
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}
        name = self.component_config["timezone"]
        try:
            self.timezone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as e:
            raise InvalidConfigException(
                f"{self.__class__.__name__}: unknown timezone {name!r}."
            ) from e

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseTimeExtractor:
        """Creates component (see parent class for full docstring)."""
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds a `time` entity to each message that mentions a booking time."""
        for message in messages:
            entity = self._extract(message)
            if entity is None:
                continue
            entities = self.add_extractor_name([entity])
            message.set(
                ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True
            )
        return messages

    def _extract(self, message: Message) -> Optional[Dict[Text, Any]]:
        try:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                return None
            mention = parse_time(text, self._reference_time(message), self.timezone)
            return None if mention is None else self._to_entity(mention)
        except Exception:  # never break the NLU pipeline over a time expression
            logger.exception("ChineseTimeExtractor failed on a message; no time entity.")
            return None

    def _reference_time(self, message: Message) -> datetime:
        """The message's own time (epoch seconds, as DucklingEntityExtractor reads it;
        a datetime or an ISO string are accepted too), else now, in the zone."""
        stamp = getattr(message, "time", None)
        if stamp is not None:
            try:
                return self._parse_stamp(stamp)
            except (TypeError, ValueError, OverflowError, OSError) as e:
                logger.warning(
                    f"Could not read the message time {stamp!r} ({e}); using now."
                )
        return clock.now(self.timezone)

    def _parse_stamp(self, stamp: Any) -> datetime:
        if isinstance(stamp, datetime):
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=self.timezone)
        if isinstance(stamp, str):
            try:
                stamp = float(stamp)
            except ValueError:
                return self._parse_stamp(datetime.fromisoformat(stamp))
        seconds = float(stamp)
        if seconds > 1e11:  # milliseconds, as Duckling wants them
            seconds /= 1000
        return clock.get_clock().from_timestamp(seconds, self.timezone)

    @staticmethod
    def _to_entity(mention: TimeMention) -> Dict[Text, Any]:
        exact = mention.value is not None
        return {
            ENTITY_ATTRIBUTE_TYPE: ENTITY_NAME,
            ENTITY_ATTRIBUTE_START: mention.start,
            ENTITY_ATTRIBUTE_END: mention.end,
            ENTITY_ATTRIBUTE_VALUE: (mention.value if exact else mention.earliest).isoformat(),
            ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
            "additional_info": {
                "grain": mention.grain,
                "earliest": mention.earliest.isoformat(),
                "latest": mention.latest.isoformat(),
                "exact": exact,
                # False when the customer named no day (那8点半吧, 下午): the day is
                # only the default (today, or tomorrow when today's time has passed)
                "dated": mention.dated,
            },
        }
