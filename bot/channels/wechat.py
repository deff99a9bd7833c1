"""The WeChat Official Account channel: ``/webhooks/wechat/webhook``.

Register it in credentials.yml as ``bot.channels.wechat.WeChatInput``. The account's
token, AES key, app id and secret come from WECHAT_* environment variables (see
``wechat_settings``); without WECHAT_TOKEN the channel loads but refuses every request with 403
(no signature can verify without a token). With WECHAT_STATE_REDIS_URL what the channel
remembers between requests is shared by every Rasa replica (``wechat_state``).
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from bot.channels.message_cap import refusing_long_messages
from bot.channels.wechat_bridge import CHANNEL_NAME, Response, WeChatBridge
from bot.channels.wechat_render import render
from bot.channels.wechat_settings import WeChatSettings
from bot.channels.wechat_state import ChannelState

logger = logging.getLogger(__name__)


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WeChatInput:
        return cls(WeChatSettings.from_env(overrides=credentials))

    def __init__(self, settings: WeChatSettings | None = None) -> None:
        self.settings = settings if settings is not None else WeChatSettings.from_env()
        self._bridge: WeChatBridge | None = None
        if not self.settings.configured:
            logger.warning("wechat channel: WECHAT_TOKEN is not set, every request gets 403")
        # MsgIds, replay pairs, options and the token: in memory, or shared in Redis.
        self.state = ChannelState.from_settings(self.settings)
        if self.state.redis is not None:
            self.state.redis.ping()  # like the lock store: a replica without it refuses to start
            logger.info("wechat channel: state shared in Redis under %s*", self.state.redis.prefix)

    def get_output_channel(self) -> OutputChannel | None:
        """Messages Rasa starts itself (``trigger_intent`` with ``output_channel=wechat``)."""
        if self._bridge is None or not self.settings.can_push:
            return None
        return WeChatOutput(self._bridge)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bridge = self._bridge = WeChatBridge(self.settings, refusing_long_messages(on_new_message),
                                             state=self.state)
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok", "configured": bridge.settings.configured})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request):
            return _to_sanic(bridge.verify_url(_args(request)))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            return _to_sanic(await bridge.receive(_args(request), request.body or b""))

        @webhook.listener("after_server_stop")
        async def close(_app, _loop):
            await bridge.close()

        return webhook


def _args(request: Request) -> dict[str, str | None]:
    return {name: request.args.get(name) for name in request.args}


def _to_sanic(result: Response):
    return response.text(result.body, status=result.status, content_type=result.content_type)


class WeChatOutput(OutputChannel):
    """Sends through the customer-service API, buttons numbered as in passive replies."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(self, bridge: WeChatBridge) -> None:
        self._bridge = bridge

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        text, buttons = render([message])
        if text:
            await self._bridge.options.save(recipient_id, buttons)
            await self._bridge.api.send_text(recipient_id, text)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})
