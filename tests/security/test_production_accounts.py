"""Production needs no demo account: a database prepared in production mode has none, an
account made with ``python -m dealer create-user`` signs in to the real API and pages
(Secure cookie), and ``disable-user`` shuts it out at once, its live token included."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from devtools.stack import APP_BIN, REPO_ROOT, Stack, StackConfig, free_port

PASSWORD = "zhe-shi-yi-ge-mi-ma"
PRODUCTION = {"APP_ENV": "production", "SECRET_KEY": "s" * 48, "RASA_AUTH_TOKEN": "r" * 48,
              "ACTION_SERVER_TOKEN": "a" * 48}


def dealer(database_url: str, *args: str, stdin: str = "") -> None:
    env = {**os.environ, **PRODUCTION, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([str(APP_BIN / "python"), "-m", "dealer", *args], input=stdin, env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_production_runs_on_accounts_made_by_hand(tmp_path: Path):
    database_url = f"sqlite:///{tmp_path / 'dealer.db'}"
    dealer(database_url, "prepare")
    dealer(database_url, "create-user", "--username", "张华", "--role", "advisor", "--advisor", "A01",
           stdin=PASSWORD + "\n")
    config = StackConfig(api_port=free_port(), database_url=database_url, services=("api",),
                         tracker_db=tmp_path / "tracker.db", log_dir=tmp_path / "logs", extra_env=PRODUCTION)

    with Stack(config) as stack, httpx.Client(base_url=config.url(config.api_port), timeout=10) as api:
        stack.wait_healthy(timeout=60)
        demo = api.post("/api/auth/token", data={"username": "advisor", "password": "advisor"})
        login = api.post("/api/auth/token", data={"username": "张华", "password": PASSWORD})
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        drafts = api.get("/api/drafts", headers=bearer)
        page = api.post("/advisor/login", data={"username": "张华", "password": PASSWORD})

        dealer(database_url, "disable-user", "--username", "张华")
        after = api.get("/api/drafts", headers=bearer)
        again = api.post("/api/auth/token", data={"username": "张华", "password": PASSWORD})

    assert demo.status_code == 401  # no demo account in a production database
    assert (login.status_code, drafts.status_code) == (200, 200)
    assert page.status_code == 303 and "; Secure" in page.headers["set-cookie"]
    assert (after.status_code, again.status_code) == (401, 401)
