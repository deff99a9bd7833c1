"""One cap on the length of a customer's message, before NLU, for every channel.

``refusing_long_messages(on_new_message)`` wraps the handler Rasa gives each channel's
blueprint: a message longer than ``MAX_MESSAGE_CHARS`` (500) characters never reaches
NLU or the tracker; the customer is asked politely, in the channel's own way of
answering, to say it in fewer words.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 500
TOO_LONG_REPLY = ("抱歉,您的消息有点长(超过{limit}个字),我一次只能看懂{limit}字以内的内容。"
                  "请简短地告诉我您的需求,例如“我想预约明天上午做保养”。感谢您!")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def max_message_chars() -> int:
    """MAX_MESSAGE_CHARS from the environment (the Rasa process's)."""
    return int(os.environ.get("MAX_MESSAGE_CHARS") or DEFAULT_MAX_MESSAGE_CHARS)


def refusing_long_messages(on_new_message: OnNewMessage, limit: int | None = None) -> OnNewMessage:
    limit = max_message_chars() if limit is None else limit

    async def handle(message: UserMessage) -> Any:
        length = len(message.text or "")  # UserMessage strips surrounding whitespace
        if length <= limit:
            return await on_new_message(message)
        logger.info("a %s message of %d characters refused before NLU (cap %d)",
                    message.input_channel, length, limit)
        await message.output_channel.send_text_message(message.sender_id, TOO_LONG_REPLY.format(limit=limit))
        return None

    return handle
