"""The API's settings: the dealer's settings plus what signing tokens needs."""
from __future__ import annotations

from typing import Self

from limits import RateLimitItem, parse_many
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from dealer.settings import REPO_ROOT, DealerSettings
from dealer.shared_secrets import check_production_secret, shared_secret


class ApiSettings(DealerSettings):
    # Merged with DealerSettings' config; keeps a rejected secret out of the error.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    # Signs the advisors' tokens (SECRET_KEY). Empty: this install's own, generated once
    # under var/secrets/ (dealer/shared_secrets.py); production refuses to start without
    # one of at least 32 characters. There is no default anyone could know.
    secret_key: SecretStr = SecretStr("")
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Rasa's SQL tracker store, read for the conversation transcripts on the draft pages.
    tracker_store_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'rasa_tracker.db'}"
    # Every request body is capped (api/body_limit.py): the largest is an advisor's form.
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Cookies of the advisor pages: Secure (HTTPS only) when set, and always in production.
    secure_cookies: bool = False

    # Requests per client IP (api/ratelimit.py), in the `limits` notation ("30/minute",
    # several joined by ";"); beyond them: 429 with Retry-After. CHAT_RATE_LIMIT covers
    # POST /chat/messages, LOGIN_RATE_LIMIT both sign-ins (API token and page) together.
    chat_rate_limit: str = "60/minute;600/hour"
    login_rate_limit: str = "30/minute;200/hour"
    # Where the counters live: in-process memory by default (one API process); several
    # replicas need a shared store, e.g. "redis://127.0.0.1:6379" (with the redis package).
    rate_limit_storage_url: str = "memory://"
    # The proxies whose X-Forwarded-For names the client (comma-separated IPs or networks;
    # uvicorn's own FORWARDED_ALLOW_IPS, so the server and the app agree). Anyone else's
    # X-Forwarded-For is ignored: the limits count the connecting address.
    forwarded_allow_ips: str = "127.0.0.1"

    # Failed sign-ins per account: LOGIN_LOCKOUT_FAILURES within LOGIN_LOCKOUT_WINDOW_MINUTES
    # lock it for LOGIN_LOCKOUT_MINUTES (in the database: every process sees it).
    login_lockout_failures: int = Field(default=5, ge=1)
    login_lockout_window_minutes: int = Field(default=15, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # Argon2 verifications running at once in this process, and how many more may wait
    # for one; beyond that a sign-in is answered 503 at once (the rest of the app stays free).
    password_checks_running: int = Field(default=2, ge=1)
    password_checks_waiting: int = Field(default=8, ge=0)

    @field_validator("chat_rate_limit", "login_rate_limit")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_many(value)  # a ValueError names the bad part
        return value

    @model_validator(mode="after")
    def _resolve_secrets(self) -> Self:
        self.secret_key = SecretStr(shared_secret(self, "secret_key"))
        if self.app_env == "production":
            # The web chat page reads its history through Rasa's HTTP API.
            check_production_secret("rasa_auth_token", self.rasa_auth_token)
        return self

    @property
    def cookies_secure(self) -> bool:
        return self.secure_cookies or self.app_env == "production"

    def rate_limits(self, name: str) -> list[RateLimitItem]:
        return parse_many(getattr(self, f"{name}_rate_limit"))
