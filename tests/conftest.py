"""Fixtures shared by the app-runtime tests.

- a real, migrated, seeded database (``sqlite_url``, ``app_database``);
- the real three processes on free ports (``running_system``, one per test session,
  shared by the integration and browser tests);
- headless Chromium (Debian's package) driven by Playwright (``browser``, ``page``):
  every page test leaves a screenshot in test-artifacts/screenshots/<test>.png.
"""
from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from dealer.__main__ import migrate, seed
from dealer.catalog import Catalog, load_catalog
from dealer.db import get_engine
from dealer.settings import get_settings
from devtools.stack import REPO_ROOT, Stack, StackConfig, free_port, fresh_stack
from tests import wechat_sim

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ARTIFACTS = REPO_ROOT / "test-artifacts"

# Every Rasa server the tests start checks each tracker it kept between turns against a
# replay of the stored rows (bot/tracker_cache.py), and each copy it makes of a tracker
# against Rasa's replay (bot/tracker_copy.py); a difference is an error in its log.
os.environ.setdefault("BOT_VERIFY_TRACKERS", "1")
TRACKER_MISMATCH = "differs from Rasa's replay"


def kept_trackers_check(log_dir: Path) -> Callable[[], None]:
    """Call before starting Rasa servers that log into ``log_dir``; the check it returns
    fails if any of them has since logged a tracker unlike Rasa's replay of its events."""
    seen = {log: log.stat().st_size for log in log_dir.rglob("rasa*.log")}

    def check() -> None:
        for log in log_dir.rglob("rasa*.log"):
            with log.open("rb") as text:
                text.seek(seen.get(log, 0))
                found = [line for line in text.read().decode(errors="replace").splitlines()
                         if TRACKER_MISMATCH in line]
            assert not found, f"{log}: {found[:3]}"

    return check


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def seeded_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database seeded with the demo accounts, made once per test session:
    seeding hashes 12 demo passwords with Argon2 (about 1.5 s), which each test paid."""
    path = tmp_path_factory.mktemp("seeded") / "dealer.db"
    url = f"sqlite:///{path}"
    migrate(url)
    seed(url, get_settings().catalog_path, demo=True)
    get_engine(url).dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, seeded_sqlite_file: Path) -> str:
    """A fresh database of the test's own: a copy of the seeded one."""
    path = tmp_path / "dealer.db"
    # SQLite's backup API: a consistent copy whatever is still in the seeded file's WAL.
    with closing(sqlite3.connect(seeded_sqlite_file)) as source, closing(sqlite3.connect(path)) as copy:
        source.backup(copy)
    return f"sqlite:///{path}"


@pytest.fixture
def app_database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points every settings reader (actions, services) at a fresh SQLite database."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


@dataclass
class RunningSystem:
    config: StackConfig
    database_url: str
    stack: Stack | None = None  # the processes, for tests that pause one

    def say(self, sender: str, text: str, dealer: str | None = None) -> list[dict]:
        """A customer's message through the REST channel; ``dealer``: the dealer it names."""
        body: dict = {"sender": sender, "message": text}
        if dealer is not None:
            body["metadata"] = {"dealer": dealer}
        response = httpx.post(self.config.url(self.config.rasa_port, "/webhooks/rest/webhook"), json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    @contextmanager
    def api(self, username: str = "advisor") -> Iterator[httpx.Client]:
        """An API client logged in as a demo account (the default dealer's advisor)."""
        with httpx.Client(base_url=self.config.url(self.config.api_port), timeout=10) as client:
            token = client.post("/api/auth/token", data={"username": username, "password": username})
            token.raise_for_status()
            client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            yield client


@pytest.fixture(scope="session")
def running_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    model = REPO_ROOT / "models" / "dealer.tar.gz"
    assert model.exists(), "no trained model: run `make train` (make test does)"
    workdir: Path = tmp_path_factory.mktemp("system")
    # The WeChat channel on, its server API at a local fake (tests/integration/test_wechat_channel.py).
    env = {"APP_ENV": "test", **wechat_sim.stack_env(fake_api_port=free_port())}
    # The suites share this stack and sign in ~80 times; the limit itself is tested on its own stack.
    env["LOGIN_RATE_LIMIT"] = "1000/minute"
    stack, database_url = fresh_stack(workdir, ARTIFACTS / "integration-logs", env)
    config = stack.config
    verified = kept_trackers_check(config.log_dir)
    stack.start()
    try:
        stack.wait_healthy(timeout=300)
        yield RunningSystem(config=config, database_url=database_url, stack=stack)
    finally:
        stack.stop()
    verified()


CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ARTIFACTS / "screenshots"
# A tablet at the service desk, in portrait.
TABLET = {"width": 820, "height": 1180}


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    from playwright.sync_api import sync_playwright  # only the page tests need it

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is required: run devtools/ensure_chromium.sh", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: "Browser", request: pytest.FixtureRequest) -> Iterator["Page"]:
    context = browser.new_context(viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
