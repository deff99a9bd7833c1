"""Rasa's REST channel, ``rest`` (``/webhooks/rest/webhook``), guarded and capped.

Registered in credentials.yml as ``bot.channels.rest.RestChannel`` in place of Rasa's
built-in ``rest:``; the URL and the answers are the same (the outside contract).

- It is for scripts and tests on a developer's machine: open in local/test mode
  (``APP_ENV`` local or test, the default), and outside it (production) only to a caller
  sending ``Authorization: Bearer <RASA_AUTH_TOKEN>``, who may use Rasa's HTTP API anyway.
- The body never says which channel a message came from, nor its metadata: Rasa's
  ``RestInput`` takes both from the body (``input_channel``, ``metadata``), so a REST
  message could pass for a WeChat one. Here the channel is always its own name, and of
  the metadata only ``{"dealer": "<code>"}`` is taken: which dealer of the network the
  conversation is for (issue 14; bot/conversation_dealer.py). An unknown code gets 400.
- A message over the cap never reaches NLU (bot/channels/message_cap.py).
"""
from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.message_cap import refusing_long_messages
from bot.conversation_dealer import METADATA_KEY, requested_code

LOCAL_MODES = frozenset({"local", "test"})


class RestChannel(RestInput):
    # Open without the token in local/test mode (the web chat's channel never is).
    open_in_local_mode = True

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self, token: str | None = None, app_env: str | None = None) -> None:
        self.token = token if token is not None else os.environ.get("RASA_AUTH_TOKEN") or None
        self.app_env = app_env if app_env is not None else os.environ.get("APP_ENV") or "local"

    @property
    def needs_token(self) -> bool:
        return not (self.open_in_local_mode and self.app_env in LOCAL_MODES)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(refusing_long_messages(on_new_message))

        @webhook.on_request
        async def only_with_the_token(request: Request) -> HTTPResponse | None:
            if self.needs_token and not self.authorized(request.headers.get("Authorization", "")):
                return response.json({"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"})
            metadata = _metadata(request) if request.method == "POST" else {}
            if METADATA_KEY in metadata and requested_code(metadata) is None:
                return response.json({"error": "unknown dealer"}, status=400)
            return None

        return webhook

    def authorized(self, authorization: str) -> bool:
        # No token configured: nobody is (fail closed).
        return bool(self.token) and hmac.compare_digest(authorization.encode(), f"Bearer {self.token}".encode())

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        code = requested_code(_metadata(request))
        return {METADATA_KEY: code} if code else None


def _metadata(request: Request) -> dict[str, Any]:
    """The body's ``metadata`` object, or {} (a body that is not JSON: Rasa answers it)."""
    try:
        body = request.json
    except Exception:  # Sanic's InvalidUsage
        return {}
    metadata = body.get("metadata") if isinstance(body, dict) else None
    return metadata if isinstance(metadata, dict) else {}
