"""Fixtures for tests/cluster: whole processes of the test's own, started by devtools/stack.py.

- ``postgres_dealer_database``: a new, migrated, seeded dealer database of the test's own
  on the local PostgreSQL server (TEST_POSTGRES_URL; devtools/ensure_postgres.sh), dropped
  afterwards, with ``cut()`` / ``restore()`` that make it unavailable to everyone (no new
  connections, the open ones ended) and back, without touching the shared server;
- ``silent_proxy``: a TCP proxy to PostgreSQL that can fall silent (connections stay
  open, nothing is passed on either way, as in a network partition) and speak again;
- ``own_stack``: a Stack of the chosen processes on free ports over a given dealer
  database, its logs under test-artifacts/cluster-logs/<name>.

Never the shared ``running_system`` of tests/integration.
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from dealer.__main__ import migrate, seed
from dealer.settings import get_settings
from devtools.stack import REPO_ROOT, Stack, StackConfig
from tests.conftest import kept_trackers_check

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LOGS = REPO_ROOT / "test-artifacts" / "cluster-logs"


@dataclass
class OwnDatabase:
    url: str  # postgresql+psycopg://…/dealer_cluster_…
    name: str
    admin: sa.Engine  # to the server's maintenance database, AUTOCOMMIT

    def cut(self) -> None:
        """Unavailable: new connections refused ("not currently accepting connections"),
        the open ones (the processes' pools) terminated. Only this database."""
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            connection.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"),
                {"name": self.name},
            )

    def restore(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))

    def scalar(self, query: str, **params) -> object:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text(query), params).scalar_one()
        finally:
            engine.dispose()


@pytest.fixture
def postgres_dealer_database() -> Iterator[OwnDatabase]:
    name = f"dealer_cluster_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is required (devtools/ensure_postgres.sh or TEST_POSTGRES_URL): {error}",
                    pytrace=False)
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    database = OwnDatabase(url=url, name=name, admin=admin)
    try:
        migrate(url)
        seed(url, get_settings().catalog_path, demo=True)
        yield database
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    """``own_stack(name, database_url, services)``: started and healthy; stopped afterwards."""
    started: list[Stack] = []
    checks: list[Callable[[], None]] = []

    def start(name: str, database_url: str, services: tuple[str, ...] = ("rasa", "actions"),
              extra_env: dict[str, str] | None = None, timeout: float = 240) -> Stack:
        rasa_port, action_port, api_port, worker_port = distinct_free_ports(4)
        config = StackConfig(
            rasa_port=rasa_port, action_port=action_port, api_port=api_port, worker_port=worker_port,
            database_url=database_url,
            tracker_db=tmp_path / f"{name}-tracker.db",
            log_dir=LOGS / name,
            extra_env={"APP_ENV": "test", **(extra_env or {})},
            services=services,
        )
        stack = Stack(config)
        started.append(stack)
        checks.append(kept_trackers_check(config.log_dir))
        stack.start()
        stack.wait_healthy(timeout=timeout)
        return stack

    try:
        yield start
    finally:
        for stack in started:
            stack.stop()
    for verified in checks:
        verified()


@pytest.fixture(scope="module")
def redis_url() -> str:
    """A Redis for the lock store and the WeChat state (devtools/ensure_redis.sh finds or starts one)."""
    done = subprocess.run([str(REPO_ROOT / "devtools" / "ensure_redis.sh")], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"no Redis for the replicas: {done.stderr.strip()}", pytrace=False)
    return done.stdout.strip().splitlines()[-1]


def distinct_free_ports(count: int) -> list[int]:
    """``count`` different free ports: devtools.stack.free_port closes its probe at once,
    so calls in a row can hand out the same port twice."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


@contextmanager
def unavailable(database: OwnDatabase) -> Iterator[None]:
    database.cut()
    try:
        yield
    finally:
        database.restore()


class SilentProxy:
    """127.0.0.1:<port> → the PostgreSQL server; ``silence()`` holds every byte (both ways,
    old and new connections) until ``speak()``: a database that answers nothing."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.loop = asyncio.new_event_loop()
        self.open = asyncio.Event()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.open.set()
        self.server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _serve(self, client_reader, client_writer) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pump(client_reader, upstream_writer), self._pump(upstream_reader, client_writer),
                             return_exceptions=True)

    async def _pump(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                await self.open.wait()
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    def silence(self) -> None:
        self.loop.call_soon_threadsafe(self.open.clear)

    def speak(self) -> None:
        self.loop.call_soon_threadsafe(self.open.set)

    def close(self) -> None:
        self.speak()
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture
def silent_proxy(postgres_dealer_database: OwnDatabase) -> Iterator[tuple[SilentProxy, str]]:
    """The proxy and the dealer database's URL through it."""
    url = make_url(postgres_dealer_database.url)
    proxy = SilentProxy((url.host or "127.0.0.1", url.port or 5432))
    try:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    finally:
        proxy.close()
