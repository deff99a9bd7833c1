"""The Official Accounts' settings: environment variables, never the repository.

Issue 14: one Official Account per dealer. The default dealer's account is read from
``WECHAT_TOKEN``, ``WECHAT_ENCODING_AES_KEY``, ``WECHAT_APP_ID`` and ``WECHAT_APP_SECRET``;
another dealer's from the same names with its code upper-cased after ``WECHAT_``
(``WECHAT_PUDONG_TOKEN`` …). What is not the account's (the API base, timeouts, the state's
Redis) is one setting for all accounts. A non-default dealer's customers are Rasa senders
``<code>:<openid>``, so a message Rasa starts itself knows which account sends it.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"
ENV_PREFIX = "WECHAT_"
# What each dealer's own account is made of (the rest is shared by every account).
ACCOUNT_FIELDS = ("token", "encoding_aes_key", "app_id", "app_secret")
SENDER_SEPARATOR = ":"  # never in an openid (letters, digits, - and _)


def dealer_env_prefix(code: str) -> str:
    """``WECHAT_<CODE>_``: where a non-default dealer's account is read from."""
    return f"{ENV_PREFIX}{re.sub(r'[^A-Z0-9]', '_', code.upper())}_"


def split_sender_id(sender_id: str) -> tuple[str | None, str]:
    """(dealer code, openid) of a WeChat sender id; the code is None for the default dealer's
    bare openids."""
    code, separator, openid = sender_id.partition(SENDER_SEPARATOR)
    return (code, openid) if separator else (None, sender_id)


@dataclass(frozen=True)
class WeChatSettings:
    token: str | None = None  # WECHAT_TOKEN: the server token set in the admin console
    encoding_aes_key: str | None = None  # WECHAT_ENCODING_AES_KEY: 43 characters, safe mode
    app_id: str | None = None  # WECHAT_APP_ID
    app_secret: str | None = None  # WECHAT_APP_SECRET: for the customer-service API
    api_base_url: str = DEFAULT_API_BASE_URL  # WECHAT_API_BASE_URL: tests point it at a fake
    reply_timeout: float = 4.5  # seconds to wait for a passive reply (WeChat gives up at 5)
    timestamp_window: float = 300.0  # seconds a request's timestamp may differ from ours
    dedup_ttl: float = 120.0  # seconds a MsgId is remembered (WeChat retries within 15 s)
    # WECHAT_OPTIONS_TTL: seconds a reply's numbered options can be answered by digit; the
    # conversation's session timeout (domain.yml session_expiration_time, 720 minutes).
    options_ttl: float = 720 * 60.0
    max_body_bytes: int = 64 * 1024
    # WECHAT_STATE_REDIS_URL: set, the MsgIds, replay pairs, options and access token live
    # in that Redis, shared by every Rasa replica (bot/channels/wechat_state.py); unset,
    # in this process's memory. WECHAT_STATE_KEY_PREFIX: its keys start <prefix>:wechat:.
    state_redis_url: str | None = None
    state_key_prefix: str = "rasa"
    # Issue 14: the dealer whose account this is (its code goes with every message as
    # metadata["dealer"]); None: not known (the default dealer's). Only a non-default
    # dealer's account has senders "<code>:<openid>" and its state under keys of its own.
    dealer: str | None = None
    default_dealer: bool = True

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> WeChatSettings:
        """Reads WECHAT_* variables; keys in ``overrides`` (credentials.yml) win."""
        environ = os.environ if environ is None else environ
        overrides = overrides or {}

        def value(name: str) -> Any:
            if overrides.get(name) not in (None, ""):
                return overrides[name]
            found = environ.get(f"WECHAT_{name.upper()}", "").strip()
            return found or None

        defaults = cls()
        return cls(
            token=value("token"),
            encoding_aes_key=value("encoding_aes_key"),
            app_id=value("app_id"),
            app_secret=value("app_secret"),
            api_base_url=str(value("api_base_url") or defaults.api_base_url).rstrip("/"),
            reply_timeout=float(value("reply_timeout") or defaults.reply_timeout),
            timestamp_window=float(value("timestamp_window") or defaults.timestamp_window),
            dedup_ttl=float(value("dedup_ttl") or defaults.dedup_ttl),
            options_ttl=float(value("options_ttl") or defaults.options_ttl),
            max_body_bytes=int(value("max_body_bytes") or defaults.max_body_bytes),
            state_redis_url=value("state_redis_url"),
            state_key_prefix=str(value("state_key_prefix") or defaults.state_key_prefix),
        )

    def for_dealer(self, code: str, environ: Mapping[str, str] | None = None) -> WeChatSettings:
        """Another dealer's account: its own ``WECHAT_<CODE>_*`` token, AES key, app id and
        secret, everything else as this (the default) account's."""
        environ = os.environ if environ is None else environ
        prefix = dealer_env_prefix(code)
        own = {name: environ.get(prefix + name.upper(), "").strip() or None for name in ACCOUNT_FIELDS}
        return replace(self, dealer=code, default_dealer=False, **own)

    def sender_id(self, openid: str) -> str:
        """Rasa's sender id of this account's customer: ``<code>:<openid>`` for a
        non-default dealer, the bare openid for the default one."""
        return openid if self.default_dealer else f"{self.dealer}{SENDER_SEPARATOR}{openid}"

    @property
    def token_variable(self) -> str:
        """The variable that configures this account (for the log)."""
        return (ENV_PREFIX if self.default_dealer else dealer_env_prefix(self.dealer)) + "TOKEN"

    @property
    def state_scope(self) -> str | None:
        """The part of the state's keys that keeps this account's apart (None: the default
        dealer's keys, as before there were several accounts)."""
        return None if self.default_dealer else f"dealer:{self.dealer}"

    @property
    def configured(self) -> bool:
        """Without the token no request can be verified, so none is accepted."""
        return bool(self.token)

    @property
    def safe_mode(self) -> bool:
        """With an AES key every message must come encrypted: plaintext is a downgrade."""
        return bool(self.encoding_aes_key)

    @property
    def can_push(self) -> bool:
        """The customer-service message API needs the app id and secret."""
        return bool(self.app_id and self.app_secret)
