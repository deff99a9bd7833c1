"""The API's settings: the dealer's settings plus what signing tokens needs."""
from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from dealer.settings import REPO_ROOT, DealerSettings
from dealer.shared_secrets import check_production_secret

DEFAULT_SECRET_KEY = "change-me-local-only"
# HS256 wants at least as many key bytes as its 32-byte digest.
MIN_PRODUCTION_SECRET_LENGTH = 32


class ApiSettings(DealerSettings):
    # Merged with DealerSettings' config; keeps a rejected secret out of the error.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Rasa's SQL tracker store, read for the conversation transcripts on the draft pages.
    tracker_store_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'rasa_tracker.db'}"
    # Cookies of the advisor pages: Secure in production (HTTPS only).
    secure_cookies: bool = False

    @model_validator(mode="after")
    def _refuse_weak_secret_in_production(self) -> Self:
        if self.app_env != "production":
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET_KEY:
            raise ValueError(
                "refusing to start: APP_ENV=production but SECRET_KEY is the local default "
                f"{DEFAULT_SECRET_KEY!r}. Set SECRET_KEY to a random value, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
            raise ValueError(
                "refusing to start: APP_ENV=production needs a SECRET_KEY of at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} characters"
            )
        # The web chat page reads its history through Rasa's HTTP API.
        check_production_secret("rasa_auth_token", self.rasa_auth_token)
        return self
