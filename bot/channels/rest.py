"""Rasa's REST channel, ``rest`` (``/webhooks/rest/webhook``), with the message cap.

Registered in credentials.yml as ``bot.channels.rest.RestChannel`` in place of Rasa's
built-in ``rest:``; the URL and the answers are the same (the outside contract).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from bot.channels.message_cap import refusing_long_messages


class RestChannel(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(refusing_long_messages(on_new_message))
