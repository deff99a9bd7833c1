"""Schemathesis against the running API's OpenAPI schema: no request may cause a server error.

The API runs as a real process on a fresh SQLite database holding a few drafts; the
fuzzer is logged in as the demo advisor so it reaches the handlers behind the token.
Besides server errors it checks that status codes, content types and response
bodies match the schema. The run's figures go to test-artifacts/schemathesis.txt.
"""
from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from dealer.__main__ import migrate, seed
from dealer.catalog import DEFAULT_CATALOG, load_catalog
from dealer.services.booking import BookingRequest, book_once
from dealer import clock
from devtools.stack import APP_BIN, REPO_ROOT, Stack, StackConfig, free_port

REPORT = REPO_ROOT / "test-artifacts" / "schemathesis.txt"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES_PER_OPERATION = 50


def _book_a_few(url: str) -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    now = clock.now(catalog.timezone)
    first = datetime.combine(now.date() + timedelta(days=1), catalog.opens_at, catalog.timezone)
    for number in range(5):
        book_once(
            url,
            BookingRequest(
                idempotency_key=f"fuzz-{number}", channel="rest", conversation_id=f"fuzz-{number}",
                service_type="repair" if number % 2 else "maintenance",
                start=first + timedelta(minutes=catalog.slot_minutes * number),
                customer_name="王先生", phone=f"1381234567{number}", plate=f"京A1234{number}",
                symptoms={"what": "刹车异响"} if number % 2 else None,
            ),
            catalog, now,
        )


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("fuzz")
    database_url = f"sqlite:///{workdir / 'dealer.db'}"
    migrate(database_url)
    seed(database_url, DEFAULT_CATALOG, demo=True)
    _book_a_few(database_url)
    config = StackConfig(
        api_port=free_port(), database_url=database_url, tracker_db=workdir / "tracker.db",
        log_dir=REPO_ROOT / "test-artifacts" / "fuzz-logs", extra_env={"APP_ENV": "test"}, services=("api",),
    )
    stack = Stack(config).start()
    try:
        stack.wait_healthy(timeout=60)
        yield config.url(config.api_port)
    finally:
        stack.stop()


def test_schemathesis_finds_no_server_error(api_url: str) -> None:
    token = httpx.post(f"{api_url}/api/auth/token", data={"username": "advisor", "password": "advisor"}).json()
    run = subprocess.run(
        [
            str(APP_BIN / "schemathesis"), "run", f"{api_url}/api/openapi.json",
            "--header", f"Authorization: Bearer {token['access_token']}",
            "--checks", CHECKS,
            "--max-examples", str(EXAMPLES_PER_OPERATION),
            "--seed", "2026",
            "--no-color",
        ],
        capture_output=True, text=True, timeout=900, cwd=REPO_ROOT,
    )
    output = run.stdout + run.stderr
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(output)
    assert run.returncode == 0, output[-4000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert generated, output[-2000:]
    assert int(generated.group(1)) == int(generated.group(2)) > 500
