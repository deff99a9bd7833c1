"""The Official Account's settings: environment variables, never the repository."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"


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
