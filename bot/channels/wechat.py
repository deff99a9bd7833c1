"""The WeChat Official Account channel: one account per dealer (issue 14).

Register it in credentials.yml as ``bot.channels.wechat.WeChatInput``. The default
dealer's account answers at ``/webhooks/wechat/webhook`` and is configured by WECHAT_*
environment variables; every other dealer's (the dealer files, ``load_dealers``) at
``/webhooks/wechat/<code>/webhook``, configured by ``WECHAT_<CODE>_TOKEN``,
``_ENCODING_AES_KEY``, ``_APP_ID`` and ``_APP_SECRET`` (``wechat_settings``). An account
without its token loads but refuses every request with 403 (no signature can verify
without a token). Each account has its own bridge and its own state (dedupe, replay
pairs, numbered options, access token), in memory or, with WECHAT_STATE_REDIS_URL, in
Redis shared by every Rasa replica (``wechat_state``), under keys of its own.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from bot.channels.message_cap import refusing_long_messages
from bot.channels.wechat_bridge import CHANNEL_NAME, Response, WeChatBridge
from bot.channels.wechat_render import render
from bot.channels.wechat_settings import WeChatSettings, split_sender_id
from bot.conversation_dealer import dealers
from bot.channels.wechat_state import ChannelState, RedisState

logger = logging.getLogger(__name__)


def dealer_accounts(default: WeChatSettings, codes: list[str]) -> dict[str, WeChatSettings]:
    """Every dealer's account by code, the default dealer's (``codes[0]``) first."""
    default_code, *others = codes
    accounts = {default_code: replace(default, dealer=default_code)}
    accounts.update({code: default.for_dealer(code) for code in others})
    return accounts


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WeChatInput:
        default = WeChatSettings.from_env(overrides=credentials)
        return cls(default, accounts=dealer_accounts(default, list(dealers())))

    def __init__(self, settings: WeChatSettings | None = None,
                 accounts: Mapping[str, WeChatSettings] | None = None) -> None:
        """``settings``: the default dealer's account; ``accounts``: every dealer's by code,
        the default dealer's first (None: the default account alone)."""
        self.settings = settings if settings is not None else WeChatSettings.from_env()
        self.accounts = dict(accounts) if accounts else {self.settings.dealer or "": self.settings}
        self.default_code = next(iter(self.accounts))
        self._bridges: dict[str, WeChatBridge] = {}
        for code, account in self.accounts.items():
            if not account.configured:
                logger.warning("wechat channel: %s is not set, every request to dealer %s's account gets 403",
                               account.token_variable, code or "(default)")
        # MsgIds, replay pairs, options and the token: in memory, or shared in Redis (one
        # client for all accounts, each account's keys apart).
        self.redis = RedisState(self.settings.state_redis_url, self.settings.state_key_prefix) \
            if self.settings.state_redis_url else None
        self.states = {code: ChannelState.from_settings(account, redis=self.redis)
                       for code, account in self.accounts.items()}
        self.state = self.states[self.default_code]
        if self.redis is not None:
            self.redis.ping()  # like the lock store: a replica without it refuses to start
            logger.info("wechat channel: state shared in Redis under %s*", self.redis.prefix)

    def get_output_channel(self) -> OutputChannel | None:
        """Messages Rasa starts itself (``trigger_intent`` with ``output_channel=wechat``)."""
        pushing = {code: bridge for code, bridge in self._bridges.items() if bridge.settings.can_push}
        if not pushing:
            return None
        return WeChatOutput(pushing, self.default_code)

    def bridge(self, code: str | None = None) -> WeChatBridge | None:
        """The bridge of a dealer's account (None: the default dealer's); made by blueprint()."""
        return self._bridges.get(self.default_code if code is None else code)

    @property
    def _bridge(self) -> WeChatBridge | None:
        return self.bridge()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_message = refusing_long_messages(on_new_message)
        self._bridges = {code: WeChatBridge(account, on_message, state=self.states[code])
                         for code, account in self.accounts.items()}
        default = self.bridge()
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok", "configured": default.settings.configured})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request):
            return _to_sanic(default.verify_url(_args(request)))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            return _to_sanic(await default.receive(_args(request), request.body or b""))

        @webhook.route("/<dealer:str>/webhook", methods=["GET"])
        async def verify_dealer(request: Request, dealer: str):
            bridge = self._other_dealer(dealer)
            return _to_sanic(bridge.verify_url(_args(request)) if bridge else NOT_FOUND)

        @webhook.route("/<dealer:str>/webhook", methods=["POST"])
        async def receive_dealer(request: Request, dealer: str):
            bridge = self._other_dealer(dealer)
            return _to_sanic(await bridge.receive(_args(request), request.body or b"") if bridge else NOT_FOUND)

        @webhook.listener("after_server_stop")
        async def close(_app, _loop):
            for bridge in self._bridges.values():
                await bridge.close()
            if self.redis is not None:
                await self.redis.close()

        return webhook

    def _other_dealer(self, code: str) -> WeChatBridge | None:
        """A non-default dealer's bridge (the default dealer answers at /webhook only)."""
        return None if code == self.default_code else self._bridges.get(code)


NOT_FOUND = Response(404, "not found")


def _args(request: Request) -> dict[str, str | None]:
    return {name: request.args.get(name) for name in request.args}


def _to_sanic(result: Response):
    return response.text(result.body, status=result.status, content_type=result.content_type)


class WeChatOutput(OutputChannel):
    """Sends through the customer-service API of the recipient's dealer's account (the
    sender id's ``<code>:`` prefix, none: the default dealer's), buttons numbered as in
    passive replies."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(self, bridges: Mapping[str, WeChatBridge] | WeChatBridge, default_code: str = "") -> None:
        self._bridges = dict(bridges) if isinstance(bridges, Mapping) else {default_code: bridges}
        self._default_code = default_code

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        code, openid = split_sender_id(recipient_id)
        bridge = self._bridges.get(self._default_code if code is None else code)
        if bridge is None:
            logger.error("no WeChat account can push to %s (dealer %s): nothing sent", recipient_id, code)
            return
        text, buttons = render([message])
        if text:
            await bridge.options.save(openid, buttons)
            await bridge.api.send_text(openid, text)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})
