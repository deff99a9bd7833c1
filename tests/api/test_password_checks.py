"""Argon2 work is bounded (api/signin.py): 200 bad sign-ins fired at once against a real
server never run more than ``PASSWORD_CHECKS_RUNNING`` password checks at a time, those
beyond the line are answered 503 at once, and the rest of the app keeps answering.
How fast it answers is measured, not asserted: only a generous bound is."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from api.config import ApiSettings
from api.main import create_app
from devtools.stack import free_port

RUNNING, WAITING = 2, 4


@pytest.fixture
def server(fresh_database_url: str) -> Iterator[tuple[str, object]]:
    settings = ApiSettings(database_url=fresh_database_url, app_env="test", login_rate_limit="10000/minute",
                           password_checks_running=RUNNING, password_checks_waiting=WAITING)
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=30)


async def _storm(base: str) -> tuple[list[int], list[float]]:
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 limits=httpx.Limits(max_connections=300)) as client:
        logins = [client.post("/api/auth/token", data={"username": f"nobody-{i}", "password": "guess"})
                  for i in range(200)]

        async def health_while_busy() -> list[float]:
            await asyncio.sleep(0.2)  # the storm is under way
            took = []
            for path in ("/api/health", "/chat", "/api/health"):
                start = time.monotonic()
                response = await client.get(path)
                took.append(time.monotonic() - start)
                assert response.status_code == 200
            return took

        *answers, took = await asyncio.gather(*logins, health_while_busy())
    return [answer.status_code for answer in answers], took


def test_parallel_bad_logins_are_bounded_and_the_app_keeps_answering(server) -> None:
    base, app = server

    codes, took = asyncio.run(_storm(base))

    checks = app.state.password_checks
    print(f"200 bad sign-ins: {codes.count(401)} checked, {codes.count(503)} busy; "
          f"health/chat answered in {', '.join(f'{t:.3f}' for t in took)} s")  # measured (pytest -s)
    assert checks.peak <= RUNNING  # never more Argon2 work at once than allowed
    assert set(codes) <= {401, 503} and codes.count(503) > 0 and codes.count(401) >= RUNNING
    assert max(took) < 10, took  # generous: on a loaded 2-core machine it is well under a second
    busy = httpx.post(f"{base}/api/auth/token", data={"username": "x", "password": "y"})
    assert busy.status_code == 401  # the line is free again afterwards


@pytest.mark.parametrize("path", ["/api/auth/token", "/advisor/login"])
def test_a_sign_in_beyond_the_line_is_503_at_once(make_client, database_url: str, path: str) -> None:
    client = make_client(ApiSettings(database_url=database_url, app_env="test",
                                     password_checks_running=1, password_checks_waiting=0))
    checks = client.app.state.password_checks
    assert checks.enter_line()  # someone else holds the only place
    try:
        busy = client.post(path, data={"username": "advisor", "password": "advisor"})
    finally:
        checks.leave_line()

    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert "登录请求过多" in busy.text
    assert client.post(path, data={"username": "advisor", "password": "advisor"},
                       follow_redirects=False).status_code in (200, 303)
