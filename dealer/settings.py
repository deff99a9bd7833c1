"""Settings shared by every process that touches the dealer database."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "dealer.db"


class DealerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # local: demo accounts are seeded and default secrets are tolerated.
    app_env: Literal["local", "test", "production"] = "local"
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    catalog_path: Path = Path(__file__).resolve().parent / "demo_dealer.yml"

    @property
    def is_demo(self) -> bool:
        return self.app_env in ("local", "test")


@lru_cache
def get_settings() -> DealerSettings:
    return DealerSettings()
