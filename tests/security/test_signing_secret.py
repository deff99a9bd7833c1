"""The API's signing secret against the real process: no default anyone could know (a
token signed with the old one is refused), this install's own key survives a restart,
and production refuses to start without an explicit, long one."""
from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from api.config import ApiSettings
from api.security import create_access_token
from devtools.stack import APP_BIN, REPO_ROOT, Stack, fresh_stack

OLD_LOCAL_DEFAULT = "change-me-local-only"


def _forged(secret: str) -> str:
    """A manager's token, signed by someone who knows (or guesses) ``secret``."""
    return create_access_token(ApiSettings(app_env="test", secret_key=secret),
                               user_id=1, username="advisor", role="manager")


def test_a_token_signed_with_the_old_default_secret_is_refused(running_system):
    api = running_system.config.url(running_system.config.api_port)
    forged = httpx.get(f"{api}/api/drafts", timeout=10,
                       headers={"Authorization": f"Bearer {_forged(OLD_LOCAL_DEFAULT)}"})
    assert forged.status_code == 401
    with running_system.api() as client:  # a real login still opens it
        assert client.get("/api/drafts").status_code == 200


def test_the_generated_key_survives_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    stack, _ = fresh_stack(tmp_path, tmp_path / "logs", {"APP_ENV": "test"})
    config = replace(stack.config, services=("api",))
    api = config.url(config.api_port)

    with Stack(config) as first:
        first.wait_healthy(timeout=60)
        login = httpx.post(f"{api}/api/auth/token", data={"username": "advisor", "password": "advisor"})
        token = login.json()["access_token"]
    with Stack(config) as second:
        second.wait_healthy(timeout=60)
        again = httpx.get(f"{api}/api/drafts", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert again.status_code == 200
    key = REPO_ROOT / "var" / "secrets" / "secret_key"
    assert key.stat().st_mode & 0o077 == 0


def _start_api_in_production(**secrets: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"APP_ENV": "production", "PYTHONPATH": str(REPO_ROOT),
                "RASA_AUTH_TOKEN": "r" * 40, "ACTION_SERVER_TOKEN": "a" * 40, **secrets})
    return subprocess.run([str(APP_BIN / "uvicorn"), "--factory", "api.main:create_app", "--port", "9"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_api_refuses_to_start_in_production_without_a_secret_key():
    done = _start_api_in_production()
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr


def test_the_api_refuses_to_start_in_production_with_a_short_secret_key():
    done = _start_api_in_production(SECRET_KEY=OLD_LOCAL_DEFAULT)
    assert done.returncode != 0
    assert "SECRET_KEY of at least 32 characters" in done.stderr
    assert OLD_LOCAL_DEFAULT not in done.stderr + done.stdout
