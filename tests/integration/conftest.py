"""The real three processes on free ports, with their own database and tracker store."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from dealer.__main__ import migrate, seed
from dealer.settings import get_settings
from devtools.stack import REPO_ROOT, Stack, StackConfig, free_port

ARTIFACTS = REPO_ROOT / "test-artifacts"


@dataclass
class RunningSystem:
    config: StackConfig
    database_url: str

    def say(self, sender: str, text: str) -> list[dict]:
        response = httpx.post(
            self.config.url(self.config.rasa_port, "/webhooks/rest/webhook"),
            json={"sender": sender, "message": text},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    @contextmanager
    def api(self) -> Iterator[httpx.Client]:
        """An API client logged in as the demo advisor."""
        with httpx.Client(base_url=self.config.url(self.config.api_port), timeout=10) as client:
            token = client.post("/api/auth/token", data={"username": "advisor", "password": "advisor"})
            token.raise_for_status()
            client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            yield client


@pytest.fixture(scope="session")
def running_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    model = REPO_ROOT / "models" / "dealer.tar.gz"
    assert model.exists(), "no trained model: run `make train` (make test does)"
    workdir: Path = tmp_path_factory.mktemp("system")
    database_url = f"sqlite:///{workdir / 'dealer.db'}"
    migrate(database_url)
    seed(database_url, get_settings().catalog_path, demo=True)
    config = StackConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        api_port=free_port(),
        model=model,
        database_url=database_url,
        tracker_db=workdir / "tracker.db",
        log_dir=ARTIFACTS / "integration-logs",
        extra_env={"APP_ENV": "test"},
    )
    stack = Stack(config).start()
    try:
        stack.wait_healthy(timeout=300)
        yield RunningSystem(config=config, database_url=database_url)
    finally:
        stack.stop()
