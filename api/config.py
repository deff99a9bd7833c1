"""The API's settings: the dealer's settings plus what signing tokens needs."""
from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator
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
