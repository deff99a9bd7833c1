"""Brute force against the real API process (uvicorn, as `make run` starts it): requests
per client IP on the sign-ins and /chat/messages get 429 with Retry-After; an account is
locked after repeated failures, still locked after a restart (the database holds it)
until it runs out or `python -m dealer enable-user`; signing out revokes the token.
The test connects from 127.0.0.1, the trusted proxy by default, so X-Forwarded-For
plays the customers' addresses as nginx would send them."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from devtools.stack import APP_BIN, REPO_ROOT, Stack, fresh_stack

LIMITS = {"APP_ENV": "test", "LOGIN_RATE_LIMIT": "5/minute", "CHAT_RATE_LIMIT": "3/minute",
          "LOGIN_LOCKOUT_FAILURES": "3", "LOGIN_LOCKOUT_MINUTES": "15"}
RIGHT = {"username": "advisor", "password": "advisor"}


def from_ip(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


@pytest.fixture
def api_stack(tmp_path: Path) -> Iterator[tuple[Stack, str]]:
    stack, database_url = fresh_stack(tmp_path, tmp_path / "logs", LIMITS)
    only_api = Stack(replace(stack.config, services=("api",)))
    with only_api:
        only_api.wait_healthy(timeout=60)
        yield only_api, database_url


def _url(stack: Stack) -> str:
    return stack.config.url(stack.config.api_port)


def test_guessing_from_one_address_gets_429_and_others_are_not_blocked(api_stack) -> None:
    stack, _ = api_stack
    with httpx.Client(base_url=_url(stack), timeout=30) as api:
        guesses = [api.post("/api/auth/token", data={"username": f"guess-{i}", "password": "123456"},
                            headers=from_ip("198.51.100.66")) for i in range(7)]
        right_but_limited = api.post("/api/auth/token", data=RIGHT, headers=from_ip("198.51.100.66"))
        page_too = api.post("/advisor/login", data=RIGHT, headers=from_ip("198.51.100.66"))
        someone_else = api.post("/api/auth/token", data=RIGHT, headers=from_ip("198.51.100.77"))

    assert [g.status_code for g in guesses] == [401] * 5 + [429] * 2
    for refused in (guesses[-1], right_but_limited, page_too):
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "请求过于频繁" in refused.text
    assert someone_else.status_code == 200


def test_chat_messages_are_limited_per_address(api_stack) -> None:
    stack, _ = api_stack
    message = {"conversation_id": "web-" + "b" * 32, "text": "你好"}
    with httpx.Client(base_url=_url(stack), timeout=30) as api:
        # No Rasa in this stack: 503 shows a message went through to the proxy.
        codes = [api.post("/chat/messages", json=message, headers=from_ip("203.0.113.5")).status_code
                 for _ in range(4)]
        other = api.post("/chat/messages", json=message, headers=from_ip("203.0.113.6"))
    assert codes == [503, 503, 503, 429]
    assert other.status_code == 503


def _dealer(database_url: str, *args: str) -> None:
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([str(APP_BIN / "python"), "-m", "dealer", *args], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_locked_account_stays_locked_across_a_restart_until_enabled(api_stack) -> None:
    stack, database_url = api_stack
    with httpx.Client(base_url=_url(stack), timeout=30) as api:
        # From a new address each time: the per-account lockout, not the per-IP limit.
        wrong = [api.post("/api/auth/token", data={"username": "advisor", "password": f"guess-{i}"},
                          headers=from_ip(f"198.51.100.{i + 1}")).status_code for i in range(3)]
        locked = api.post("/api/auth/token", data=RIGHT, headers=from_ip("198.51.100.50"))
    stack.stop()
    stack.start()
    stack.wait_healthy(timeout=60)
    with httpx.Client(base_url=_url(stack), timeout=30) as api:
        after_restart = api.post("/api/auth/token", data=RIGHT, headers=from_ip("198.51.100.51"))
        _dealer(database_url, "enable-user", "--username", "advisor")
        enabled = api.post("/api/auth/token", data=RIGHT, headers=from_ip("198.51.100.52"))

    assert wrong == [401, 401, 429]
    assert locked.status_code == 429 and "已锁定" in locked.json()["detail"]
    assert after_restart.status_code == 429
    assert enabled.status_code == 200


def test_a_signed_out_token_is_refused(api_stack) -> None:
    stack, _ = api_stack
    with httpx.Client(base_url=_url(stack), timeout=30) as api:
        token = api.post("/api/auth/token", data=RIGHT).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        before = api.get("/api/drafts", headers=bearer)
        out = api.post("/api/auth/logout", headers=bearer)
        after = api.get("/api/drafts", headers=bearer)

    assert (before.status_code, out.status_code, after.status_code) == (200, 204, 401)
