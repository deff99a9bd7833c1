"""The Official Account's server API: the access token and customer-service messages.

One ``AccessTokenCache`` per account holds the token, refreshes it before it
expires and lets one caller at a time fetch it (WeChat limits token requests
per day, and a fresh /token call invalidates the previous token). It asks for the
"stable" token, which other holders of the same account can share. With
WECHAT_STATE_REDIS_URL the token and the refresh lock are in Redis, so every Rasa
replica uses one token and only one of them refreshes it at a time.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any

import aiohttp

from bot.channels.wechat_settings import WeChatSettings
from bot.channels.wechat_state import MemoryTokens, Tokens

logger = logging.getLogger(__name__)

TOKEN_PATH = "/cgi-bin/stable_token"
CUSTOM_SEND_PATH = "/cgi-bin/message/custom/send"
# access_token invalid, not the latest, expired: fetch a new one and try once more.
TOKEN_ERRORS = {40001, 40014, 42001}


class WeChatApiError(Exception):
    def __init__(self, errcode: Any, errmsg: Any) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode


class AccessTokenCache:
    """The token's life: fetched when none is fresh, by one caller at a time, kept for its
    ``expires_in`` minus ``refresh_margin``. Where it is kept is ``store`` (``Tokens`` of
    wechat_state): this process's memory by default, Redis for several replicas (one
    token for all of them, and one refresher at a time across them)."""

    def __init__(self, settings: WeChatSettings, refresh_margin: float = 300.0, clock=time.monotonic,
                 store: Tokens | None = None):
        self._settings = settings
        self._margin = refresh_margin
        self._clock = clock
        # The in-memory store reads the clock through this cache (tests move it).
        self.store = store if store is not None else MemoryTokens(clock=lambda: self._clock())
        self.fetches = 0

    async def get(self, session: aiohttp.ClientSession) -> str:
        token = await self.store.get()
        if token:
            return token
        async with self.store.refreshing():
            token = await self.store.get()  # another caller may have fetched it while we waited
            if token:
                return token
            return await self._fetch(session)

    async def invalidate(self, token: str) -> None:
        await self.store.discard(token)

    async def _fetch(self, session: aiohttp.ClientSession) -> str:
        self.fetches += 1
        body = {
            "grant_type": "client_credential",
            "appid": self._settings.app_id,
            "secret": self._settings.app_secret,
            "force_refresh": False,
        }
        async with session.post(self._settings.api_base_url + TOKEN_PATH, json=body) as response:
            data = await response.json(content_type=None)
        if not data.get("access_token"):
            raise WeChatApiError(data.get("errcode"), data.get("errmsg"))
        lifetime = float(data.get("expires_in") or 7200)
        token = data["access_token"]
        await self.store.put(token, max(lifetime - self._margin, lifetime / 2))
        return token


class WeChatApi:
    def __init__(self, settings: WeChatSettings, timeout: float = 10.0, tokens: Tokens | None = None) -> None:
        self._settings = settings
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self.tokens = AccessTokenCache(settings, store=tokens)

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running loop, never at import.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (allowed within 48 h of the customer's message)."""
        if not self._settings.can_push:
            raise WeChatApiError("config", "WECHAT_APP_ID and WECHAT_APP_SECRET are not set")
        payload = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        session = self._client()
        for attempt in (1, 2):
            token = await self.tokens.get(session)
            async with session.post(
                self._settings.api_base_url + CUSTOM_SEND_PATH,
                params={"access_token": token},
                data=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
            ) as response:
                data = await response.json(content_type=None)
            errcode = data.get("errcode", 0)
            if errcode == 0:
                return
            if errcode in TOKEN_ERRORS and attempt == 1:
                logger.warning("WeChat refused the access token (%s); fetching a new one", errcode)
                await self.tokens.invalidate(token)
                continue
            raise WeChatApiError(errcode, data.get("errmsg"))

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
