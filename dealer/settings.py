"""Settings shared by every process that touches the dealer database."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "dealer.db"


class DealerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # local: demo accounts are seeded and default secrets are tolerated.
    app_env: Literal["local", "test", "production"] = "local"
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    catalog_path: Path = Path(__file__).resolve().parent / "demo_dealer.yml"
    # Issue 14: the network's other dealers, one file each (dealer/catalog.py, load_dealers).
    dealers_dir: Path = Path(__file__).resolve().parent / "dealers"
    # Secrets the processes share (dealer/shared_secrets.py): unset, one per install
    # under var/secrets/ (refused in production). ACTION_SERVER_TOKEN: Rasa -> action
    # server; RASA_AUTH_TOKEN: Rasa's HTTP API (--auth-token).
    action_server_token: SecretStr | None = None
    rasa_auth_token: SecretStr | None = None
    # Rasa's SQL tracker store (the conversations): read by the advisor pages, and by
    # `python -m dealer export|forget|retain` (dealer/customer_data.py, dealer/retention.py).
    tracker_store_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'rasa_tracker.db'}"
    # PSEUDONYM_KEY keys the hash a forgotten customer is known by in the audit log;
    # unset, one per install under var/secrets/ (refused in production, like the tokens).
    pseudonym_key: SecretStr | None = None
    # Retention (`python -m dealer retain`): drafts and work orders are anonymised after
    # this many days (3 years), conversations that booked nothing after 180 days.
    retention_work_order_days: int = Field(default=3 * 365, ge=1)
    retention_unbooked_conversation_days: int = Field(default=180, ge=1)

    @property
    def is_demo(self) -> bool:
        return self.app_env in ("local", "test")


@lru_cache
def get_settings() -> DealerSettings:
    return DealerSettings()
