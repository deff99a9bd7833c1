"""Starting and stopping the four processes: Rasa server, action server, API, worker.

Used by `make run` (devtools.run) and by the integration tests, so both run
the system exactly the same way.
"""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BOT_BIN = REPO_ROOT / ".venv" / "bot" / "bin"
APP_BIN = REPO_ROOT / ".venv" / "app" / "bin"


@dataclass(frozen=True)
class StackConfig:
    rasa_port: int = 5005
    action_port: int = 5055
    api_port: int = 8000
    worker_port: int = 5056  # the worker's health check, always on 127.0.0.1 (WORKER_PORT)
    host: str = "127.0.0.1"  # the Rasa server and the API (BIND_HOST)
    action_host: str = "127.0.0.1"  # the action server, internal (ACTION_HOST)
    model: Path = REPO_ROOT / "models" / "dealer.tar.gz"
    database_url: str | None = None  # None: the settings' default (SQLite under var/)
    tracker_db: Path = REPO_ROOT / "var" / "rasa_tracker.db"
    log_dir: Path | None = None  # None: inherit the terminal
    extra_env: dict[str, str] = field(default_factory=dict)
    services: tuple[str, ...] = ("rasa", "actions", "api", "worker")  # a subset for tests that need less
    # Set: Rasa runs with bot/endpoints.cluster.yml, the Redis lock store safe across
    # replicas (bot/lock_store.py) and the tracker store at TRACKER_STORE_URL (LOCK_STORE_URL).
    lock_store_url: str | None = None
    # Rasa's tracker store (TRACKER_STORE_URL), shared by every replica, e.g.
    # postgresql://user:pass@host/rasa; None: SQLite at ``tracker_db``. Any SQLAlchemy
    # URL; each process gets it with its own venv's driver (Rasa: psycopg2, the app:
    # psycopg 3). Other than SQLite it needs ``lock_store_url`` (bot/endpoints.cluster.yml
    # reads the URL; bot/endpoints.yml only a dialect and a file).
    tracker_store_url: str | None = None

    @classmethod
    def from_env(cls) -> StackConfig:
        return cls(
            rasa_port=int(os.environ.get("RASA_PORT", 5005)),
            action_port=int(os.environ.get("ACTION_PORT", 5055)),
            api_port=int(os.environ.get("API_PORT", 8000)),
            worker_port=int(os.environ.get("WORKER_PORT", 5056)),
            host=os.environ.get("BIND_HOST", "127.0.0.1"),
            action_host=os.environ.get("ACTION_HOST", "127.0.0.1"),
            database_url=os.environ.get("DATABASE_URL"),
            lock_store_url=os.environ.get("LOCK_STORE_URL") or None,
            tracker_store_url=os.environ.get("TRACKER_STORE_URL") or None,
        )

    def url(self, port: int, path: str = "") -> str:
        return f"http://{self.host}:{port}{path}"

    def action_url(self, path: str = "") -> str:
        return f"http://{self.action_host}:{self.action_port}{path}"

    def worker_url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.worker_port}{path}"

    @property
    def health_urls(self) -> dict[str, str]:
        urls = {
            "rasa": self.url(self.rasa_port, "/status"),  # open without the API token
            "actions": self.action_url("/health"),
            "api": self.url(self.api_port, "/api/health"),
            "worker": self.worker_url("/health"),
        }
        return {name: url for name, url in urls.items() if name in self.services}


def _commands(config: StackConfig) -> dict[str, list[str]]:
    return {
        "rasa": [  # `rasa run ... --auth-token $RASA_AUTH_TOKEN` (bot/rasa_server.py)
            str(BOT_BIN / "python"), "-m", "bot.rasa_server",
            "--model", str(config.model),
            "--enable-api",
            "--interface", config.host,
            "--port", str(config.rasa_port),
            "--endpoints", "bot/endpoints.cluster.yml" if config.lock_store_url else "bot/endpoints.yml",
            "--credentials", "bot/credentials.yml",
        ],
        "actions": [  # rasa_sdk's app behind ACTION_SERVER_TOKEN (actions/server.py)
            str(APP_BIN / "python"), "-m", "actions.server",
            "--host", config.action_host,
            "--port", str(config.action_port),
        ],
        "api": [
            str(APP_BIN / "uvicorn"), "--factory", "api.main:create_app",
            "--host", config.host, "--port", str(config.api_port),
            "--no-access-log",
        ],
        # Reminders, the 回访 call list's due work, no-shows, retention (dealer/worker.py).
        "worker": [str(APP_BIN / "python"), "-m", "dealer.worker"],
    }


def _environment(config: StackConfig) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONPATH": str(REPO_ROOT),
            "ACTION_SERVER_URL": config.action_url("/webhook"),
            "RASA_URL": config.url(config.rasa_port),  # the web chat page's proxy to Rasa
            "TRACKER_DIALECT": "sqlite",
            "TRACKER_DB": str(_sqlite_tracker_file(config)),
            "TRACKER_STORE_URL": config.tracker_store_url or f"sqlite:///{config.tracker_db}",
            "WORKER_HOST": "127.0.0.1",
            "WORKER_PORT": str(config.worker_port),
        }
    )
    if config.database_url:
        env["DATABASE_URL"] = config.database_url
    if config.lock_store_url:  # bot/endpoints.cluster.yml
        env["LOCK_STORE_URL"] = config.lock_store_url
        env.setdefault("LOCK_STORE_KEY_PREFIX", "dealer")
        env.setdefault("LOCK_STORE_LIFETIME", "15")
    env.update(config.extra_env)
    if config.lock_store_url:  # replicas: the WeChat channel's state on the same Redis
        env.setdefault("WECHAT_STATE_REDIS_URL", config.lock_store_url)  # bot/channels/wechat_state.py
        env.setdefault("WECHAT_STATE_KEY_PREFIX", env["LOCK_STORE_KEY_PREFIX"])
    # As the app runtime reads it (.env included): the Rasa server reads only its
    # environment, and its REST channel is open in local/test mode alone.
    env["APP_ENV"] = _dealer_settings(config).app_env
    env.update(shared_secrets(config))
    return env


def _sqlite_tracker_file(config: StackConfig) -> Path:
    """The SQLite file bot/endpoints.yml's tracker store uses (``dialect``/``db`` only)."""
    url = config.tracker_store_url
    if not url:
        return config.tracker_db
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    if not config.lock_store_url:
        raise ValueError(f"a tracker store other than SQLite ({url.split('://')[0]}) needs the cluster "
                         "endpoints: set LOCK_STORE_URL too (bot/endpoints.cluster.yml)")
    return config.tracker_db  # unused: bot/endpoints.cluster.yml takes the URL


def tracker_url_for(url: str, service: str) -> str:
    """``url`` with the PostgreSQL driver ``service``'s venv has: psycopg2 (SQLAlchemy
    1.4's default) for Rasa, psycopg 3 for the app's processes."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        return url
    return ("postgresql" if service == "rasa" else "postgresql+psycopg") + "://" + rest


def _dealer_settings(config: StackConfig):
    from dealer.settings import DealerSettings  # the app runtime only
    from dealer.shared_secrets import SHARED_SECRETS

    given = {name: config.extra_env[key] for name in ("app_env", *SHARED_SECRETS)
             if (key := name.upper()) in config.extra_env}
    return DealerSettings(**given)


def shared_secrets(config: StackConfig) -> dict[str, str]:
    """ACTION_SERVER_TOKEN and RASA_AUTH_TOKEN for every process started: as set (in the
    environment, .env or ``extra_env``), else this install's generated ones under var/
    (dealer/shared_secrets.py); production without them refuses to start."""
    from dealer.shared_secrets import SHARED_SECRETS, env_name, shared_secret

    settings = _dealer_settings(config)
    return {env_name(name): shared_secret(settings, name) for name in SHARED_SECRETS}


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: list = []

    def start(self) -> Stack:
        self.config.tracker_db.parent.mkdir(parents=True, exist_ok=True)
        env = _environment(self.config)
        for name, command in _commands(self.config).items():
            if name not in self.config.services:
                continue
            output = None
            if self.config.log_dir is not None:
                self.config.log_dir.mkdir(parents=True, exist_ok=True)
                output = open(self.config.log_dir / f"{name}.log", "ab")
                self._logs.append(output)
            own_env = dict(env, TRACKER_STORE_URL=tracker_url_for(env["TRACKER_STORE_URL"], name))
            self.processes[name] = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=own_env,
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
                start_new_session=True,  # its own process group, stopped as one
            )
        return self

    def wait_healthy(self, timeout: float = 180.0) -> float:
        """Seconds until every health check answers 200; raises on timeout or crash."""
        started = time.monotonic()
        pending = dict(self.config.health_urls)
        while pending:
            for name in list(pending):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode}")
                if _answers_ok(pending[name]):
                    del pending[name]
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"not healthy after {timeout:.0f} s: {', '.join(pending)}")
            if pending:
                time.sleep(0.5)
        return time.monotonic() - started

    def stop(self, grace: float = 15.0) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self._logs:
            log.close()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def fresh_stack(workdir: Path, log_dir: Path, extra_env: dict[str, str]) -> tuple[Stack, str]:
    """The four processes on free ports over a new migrated, seeded dealer database in
    ``workdir`` (not started yet), for the integration tests and the benchmarks."""
    from dealer.__main__ import migrate, seed  # the app runtime only
    from dealer.settings import get_settings

    database_url = f"sqlite:///{workdir / 'dealer.db'}"
    migrate(database_url)
    seed(database_url, get_settings().catalog_path, demo=True)
    config = StackConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        api_port=free_port(),
        worker_port=free_port(),
        database_url=database_url,
        tracker_db=workdir / "tracker.db",
        log_dir=log_dir,
        extra_env=extra_env,
    )
    return Stack(config), database_url


def free_port() -> int:
    """A port free now for a process about to be started, and never one this process has
    handed out before. The probe is closed at once, so the kernel could hand the same port
    to the next call (two workers started in a row: the second could not bind it) or to
    any outgoing connection meanwhile; so ports are taken below the kernel's ephemeral
    range, which neither bind(0) nor outgoing connections use, when there is room there."""
    with _handing_out:
        for port in _candidate_ports():
            if port in _handed_out:
                continue
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                port = probe.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port
    raise RuntimeError("no free port")


_handed_out: set[int] = set()
_handing_out = threading.Lock()
FIXED_PORTS_FROM = 20000  # above every service this machine runs (PostgreSQL, Redis, ...)


def _candidate_ports() -> Iterator[int]:
    """Random ports from FIXED_PORTS_FROM up to the ephemeral range, then the kernel's choice."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    if low - FIXED_PORTS_FROM >= 1000:
        pick = random.Random()
        for _ in range(200):
            yield pick.randrange(FIXED_PORTS_FROM, low)
    while True:
        yield 0


def _answers_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False
