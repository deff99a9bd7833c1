"""`make run-cluster`: the production layout on one machine (issue 14).

PostgreSQL for the dealer database and for Rasa's tracker store, Redis for the lock store
(bot/lock_store.py via bot/endpoints.cluster.yml), N Rasa servers and M action servers,
the API and the worker, all behind one HAProxy (devtools/haproxy.cfg.template):

    127.0.0.1:RASA_PORT (5005)   -> rasa1..N     the channels (REST, web chat, WeChat), Rasa's API
    127.0.0.1:ACTION_PORT (5055) -> actions1..M  every Rasa replica's action calls
    127.0.0.1:API_PORT (8000)    -> api          the pages and the advisor API
    127.0.0.1:CLUSTER_STATS_PORT (8404)          HAProxy's statistics, /health

Each process is started by devtools/stack.py's Stack, exactly as `make run` starts it:
a Rasa replica is a Stack of ("rasa",) whose action server is the balancer; an action
server a Stack of ("actions",); the API and the worker one Stack whose Rasa is the
balancer. Installs what is missing (Debian's haproxy, postgresql, redis-server), creates
the two local databases when they do not exist, migrates and seeds the dealer database,
starts everything, waits until every process and the balancer answer, and stops all on
Ctrl-C or SIGTERM.

Settings (environment): RASA_REPLICAS (2), ACTION_REPLICAS (2), RASA_PORT, ACTION_PORT,
API_PORT, WORKER_PORT, CLUSTER_STATS_PORT, CLUSTER_PORT_OFFSET (100: the replicas listen
on RASA_PORT+100+i, ACTION_PORT+100+i, the API on API_PORT+100), DATABASE_URL,
TRACKER_STORE_URL (default: the local PostgreSQL's databases dealer_cluster and
rasa_tracker_cluster), LOCK_STORE_URL (default: the local Redis of
devtools/ensure_redis.sh).

`python -m devtools.cluster balancer-config` prints the balancer's configuration for
servers on other machines (RASA_SERVERS, ACTION_SERVERS, API_SERVERS: host:port,...;
frontends on BIND_HOST) and starts nothing.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from devtools.stack import APP_BIN, REPO_ROOT, Stack, StackConfig, _answers_ok

TEMPLATE = REPO_ROOT / "devtools" / "haproxy.cfg.template"
CLUSTER_DIR = REPO_ROOT / "var" / "cluster"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEFAULT_DATABASE_URL = f"{LOCAL_POSTGRES}/dealer_cluster"
DEFAULT_TRACKER_STORE_URL = f"{LOCAL_POSTGRES}/rasa_tracker_cluster"


@dataclass(frozen=True)
class ClusterConfig:
    """``base`` is what every process shares (dealer database, tracker store, lock store,
    model, extra_env) and where the balancer listens: its host and its rasa/action/api
    ports are the balancer's frontends. The replicas listen on their own ports."""

    base: StackConfig
    rasa_ports: tuple[int, ...]  # one per Rasa replica
    action_ports: tuple[int, ...]  # one per action server
    api_port: int | None  # the API's own port; None: no API and no worker
    stats_port: int = 8404
    log_dir: Path = CLUSTER_DIR / "logs"
    balancer_config: Path = CLUSTER_DIR / "haproxy.cfg"
    # The worker with the API (it needs only the database and Rasa, through the balancer).
    with_worker: bool = True

    @classmethod
    def from_env(cls) -> ClusterConfig:
        base = StackConfig.from_env()
        base = dataclasses.replace(
            base,
            database_url=base.database_url or DEFAULT_DATABASE_URL,
            tracker_store_url=base.tracker_store_url or DEFAULT_TRACKER_STORE_URL,
        )
        offset = int(os.environ.get("CLUSTER_PORT_OFFSET", 100))
        rasa = int(os.environ.get("RASA_REPLICAS", 2))
        actions = int(os.environ.get("ACTION_REPLICAS", 2))
        return cls(
            base=base,
            rasa_ports=tuple(base.rasa_port + offset + i for i in range(rasa)),
            action_ports=tuple(base.action_port + offset + i for i in range(actions)),
            api_port=base.api_port + offset,
            stats_port=int(os.environ.get("CLUSTER_STATS_PORT", 8404)),
        )

    @property
    def balancer_url(self) -> str:
        return self.base.url(self.base.rasa_port)

    def stats_url(self, path: str = "/") -> str:
        return self.base.url(self.stats_port, path)


@dataclass
class Cluster:
    config: ClusterConfig
    rasa: list[Stack] = field(default_factory=list)
    actions: list[Stack] = field(default_factory=list)
    app: Stack | None = None
    balancer: subprocess.Popen | None = None
    _balancer_log: object = None

    def __post_init__(self) -> None:
        base, logs = self.config.base, self.config.log_dir
        for i, port in enumerate(self.config.rasa_ports, 1):
            # Its action server is the balancer's action frontend.
            self.rasa.append(Stack(dataclasses.replace(
                base, rasa_port=port, services=("rasa",), log_dir=logs / f"rasa{i}")))
        for i, port in enumerate(self.config.action_ports, 1):
            self.actions.append(Stack(dataclasses.replace(
                base, action_host="127.0.0.1", action_port=port, services=("actions",),
                log_dir=logs / f"actions{i}")))
        if self.config.api_port is not None:
            # RASA_URL (the web chat's proxy, the worker's trigger_intent) is the balancer.
            services = ("api", "worker") if self.config.with_worker else ("api",)
            self.app = Stack(dataclasses.replace(
                base, api_port=self.config.api_port, services=services, log_dir=logs / "app"))

    @property
    def stacks(self) -> list[Stack]:
        return [*self.rasa, *self.actions, *([self.app] if self.app else [])]

    # -- the balancer -----------------------------------------------------------------

    def render_balancer_config(self) -> str:
        api = [self.config.api_port] if self.config.api_port else []
        return render_balancer_config(
            self.config.base, self.config.stats_port,
            rasa=[f"127.0.0.1:{port}" for port in self.config.rasa_ports],
            actions=[f"127.0.0.1:{port}" for port in self.config.action_ports],
            api=[f"127.0.0.1:{port}" for port in api],
        )

    def start_balancer(self) -> None:
        path = self.config.balancer_config
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.render_balancer_config())
        haproxy = ensure_haproxy()
        checked = subprocess.run([haproxy, "-c", "-q", "-f", str(path)], capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"haproxy refused {path}: {checked.stderr.strip() or checked.stdout.strip()}")
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        self._balancer_log = open(self.config.log_dir / "haproxy.log", "ab")
        # -W: master-worker, -db: stay in the foreground (stopped with the cluster).
        self.balancer = subprocess.Popen(
            [haproxy, "-W", "-db", "-f", str(path)], cwd=REPO_ROOT,
            stdout=self._balancer_log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    # -- the whole ----------------------------------------------------------------------

    def start(self) -> Cluster:
        try:
            for stack in self.stacks:
                stack.start()
            self.start_balancer()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_healthy(self, timeout: float = 300.0) -> float:
        """Seconds until every process and, through the balancer, every backend answers."""
        started = time.monotonic()
        for stack in self.stacks:
            stack.wait_healthy(timeout=max(1.0, timeout - (time.monotonic() - started)))
        checks = [self.config.stats_url("/health"), self.config.base.url(self.config.base.rasa_port, "/status"),
                  self.config.base.action_url("/health") if self.actions else None]
        if self.app is not None:
            checks.append(self.config.base.url(self.config.base.api_port, "/api/health"))
        for url in filter(None, checks):
            while not _answers_ok(url):
                if self.balancer is not None and self.balancer.poll() is not None:
                    raise RuntimeError(f"haproxy exited with code {self.balancer.returncode} "
                                       f"(see {self.config.log_dir / 'haproxy.log'})")
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"the balancer does not answer at {url}")
                time.sleep(0.3)
        # Every replica marked up by the balancer's own checks (rise 2 at 1 s).
        while not self.all_up():
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"the balancer has not marked every server up: {self.server_states()}")
            time.sleep(0.3)
        return time.monotonic() - started

    def server_states(self) -> dict[str, str]:
        """{server name: UP/DOWN/...} from HAProxy's statistics (CSV)."""
        import urllib.request

        with urllib.request.urlopen(self.config.stats_url("/;csv"), timeout=2) as response:
            lines = response.read().decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(",")))
            if row.get("svname") not in ("FRONTEND", "BACKEND", None):
                states[row["svname"]] = row.get("status", "")
        return states

    def all_up(self) -> bool:
        try:
            return all(state.startswith("UP") for state in self.server_states().values())
        except OSError:
            return False

    def kill_rasa(self, index: int) -> int:
        """kill -9 Rasa replica ``index`` (0-based): its whole process group; returns the pid."""
        process = self.rasa[index].processes["rasa"]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return process.pid

    def restart_rasa(self, index: int, timeout: float = 240.0) -> float:
        """Starts Rasa replica ``index`` again (after ``kill_rasa``); seconds until healthy."""
        stack = self.rasa[index]
        stack.start()
        return stack.wait_healthy(timeout=timeout)

    def all_running(self) -> bool:
        processes = [p for s in self.stacks for p in s.processes.values()]
        return all(p.poll() is None for p in processes) and (self.balancer is None or self.balancer.poll() is None)

    def stop(self, grace: float = 15.0) -> None:
        if self.balancer is not None and self.balancer.poll() is None:
            os.killpg(self.balancer.pid, signal.SIGTERM)
            try:
                self.balancer.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.balancer.pid, signal.SIGKILL)
                self.balancer.wait()
        if self._balancer_log is not None:
            self._balancer_log.close()
            self._balancer_log = None
        for stack in self.stacks:
            stack.stop(grace=grace)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def render_balancer_config(base: StackConfig, stats_port: int, rasa: list[str], actions: list[str],
                           api: list[str]) -> str:
    """HAProxy's configuration from devtools/haproxy.cfg.template: frontends on
    ``base.host`` and its rasa/action/api ports, servers at the given host:port."""

    def servers(prefix: str, addresses: list[str]) -> str:
        return "\n".join(f"    server {prefix}{i} {address}" for i, address in enumerate(addresses, 1))

    return Template(TEMPLATE.read_text()).substitute(
        host=base.host, rasa_port=base.rasa_port, action_port=base.action_port, api_port=base.api_port,
        stats_port=stats_port, rasa_servers=servers("rasa", rasa), action_servers=servers("actions", actions),
        api_servers=servers("api", api),
    )


def balancer_config_from_env() -> str:
    """`python -m devtools.cluster balancer-config`: the configuration for servers on other
    machines, RASA_SERVERS / ACTION_SERVERS / API_SERVERS = host:port,host:port,... and the
    frontends at BIND_HOST and RASA_PORT / ACTION_PORT / API_PORT / CLUSTER_STATS_PORT."""
    def listed(name: str) -> list[str]:
        return [a.strip() for a in os.environ.get(name, "").split(",") if a.strip()]

    config = ClusterConfig.from_env()
    local = Cluster(config)
    return render_balancer_config(
        config.base, config.stats_port,
        rasa=listed("RASA_SERVERS") or [f"127.0.0.1:{p}" for p in config.rasa_ports],
        actions=listed("ACTION_SERVERS") or [f"127.0.0.1:{p}" for p in config.action_ports],
        api=listed("API_SERVERS") or ([f"127.0.0.1:{config.api_port}"] if local.app else []),
    )


# -- what the layout needs on this machine ---------------------------------------------

def apt_install(*packages: str) -> None:
    """Debian's packages (as root, or with sudo); `apt-get update` once when the first try fails."""
    print(f">> installing {' '.join(packages)} (apt-get)", flush=True)
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = [*prefix, "apt-get", "install", "-y", "-q", *packages]
    if subprocess.run(command, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run([*prefix, "apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=True)
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)


def ensure_haproxy() -> str:
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(p, os.X_OK)), None)
    if found:
        return found
    apt_install("haproxy")
    return shutil.which("haproxy") or "/usr/sbin/haproxy"


def ensure_postgres() -> None:
    """A local PostgreSQL answering on 127.0.0.1:5432 (devtools/ensure_postgres.sh)."""
    if not shutil.which("pg_isready"):
        apt_install("postgresql")
    subprocess.run([str(REPO_ROOT / "devtools" / "ensure_postgres.sh")], check=True)


def ensure_redis() -> str:
    """The lock store's Redis URL (devtools/ensure_redis.sh starts a local one if needed)."""
    if not shutil.which("redis-server"):
        apt_install("redis-server")
    done = subprocess.run([str(REPO_ROOT / "devtools" / "ensure_redis.sh")], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"no Redis for the lock store: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1]


def ensure_database(url: str) -> None:
    """CREATE DATABASE for a PostgreSQL URL on this machine when it does not exist yet."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or parsed.host not in ("127.0.0.1", "localhost", None):
        return
    admin = sa.create_engine(parsed.set(drivername="postgresql+psycopg", database="postgres"),
                             isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                        {"n": parsed.database}).first()
            if not exists:
                print(f">> creating the database {parsed.database}", flush=True)
                connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def prepare_dealer_database(database_url: str) -> None:
    """`python -m dealer prepare` (migrate, seed) on the cluster's dealer database."""
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONPATH=str(REPO_ROOT))
    subprocess.run([str(APP_BIN / "python"), "-m", "dealer", "prepare"], cwd=REPO_ROOT, env=env, check=True)


def prepare(config: ClusterConfig) -> ClusterConfig:
    """Everything the layout needs before it starts; the config with the lock store's URL."""
    ensure_haproxy()
    base = config.base
    if any(make_local(url) for url in (base.database_url, base.tracker_store_url)):
        ensure_postgres()
    for url in (base.database_url, base.tracker_store_url):
        ensure_database(url)
    lock_store_url = base.lock_store_url or ensure_redis()
    prepare_dealer_database(base.database_url)
    return dataclasses.replace(config, base=dataclasses.replace(base, lock_store_url=lock_store_url))


def make_local(url: str | None) -> bool:
    return bool(url) and url.startswith("postgresql") and ("@127.0.0.1" in url or "@localhost" in url)


def main() -> int:
    from dealer.shared_secrets import SecretRefused

    if sys.argv[1:] == ["balancer-config"]:
        print(balancer_config_from_env(), end="")
        return 0
    config = prepare(ClusterConfig.from_env())
    cluster = Cluster(config)

    def stop(signum, _frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        cluster.start()
        seconds = cluster.wait_healthy()
        base = config.base
        print(f"\nThe cluster is healthy after {seconds:.1f} s "
              f"({len(cluster.rasa)} Rasa, {len(cluster.actions)} action servers, the API and the worker):", flush=True)
        print(f"  Rasa channels (balancer):   {base.url(base.rasa_port, '/webhooks/rest/webhook')}"
              f"  -> {', '.join(str(p) for p in config.rasa_ports)}")
        print(f"  Action calls (balancer):    {base.action_url('/webhook')}"
              f"  -> {', '.join(str(p) for p in config.action_ports)}")
        print(f"  Landing page / web chat:    {base.url(base.api_port, '/')}  {base.url(base.api_port, '/chat')}"
              f"  -> {config.api_port}")
        print(f"  Advisor pages:              {base.url(base.api_port, '/advisor')}  (demo: advisor / advisor)")
        print(f"  Balancer statistics:        {config.stats_url('/')}")
        print(f"  Dealer database:            {_without_password(base.database_url)}")
        print(f"  Tracker store:              {_without_password(base.tracker_store_url)}")
        print(f"  Lock store:                 {_without_password(base.lock_store_url)}")
        print(f"  Logs:                       {config.log_dir}")
        print("Press Ctrl-C to stop.", flush=True)
        while cluster.all_running():
            time.sleep(1)
        print("stopped: a process of the cluster exited (see the logs)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    except (SecretRefused, TimeoutError, RuntimeError, ValueError) as error:
        print(f"could not start: {error}", file=sys.stderr)
        return 1
    finally:
        cluster.stop()


def _without_password(url: str | None) -> str:
    if not url or "@" not in url:
        return str(url)
    scheme, _, rest = url.partition("://")
    credentials, _, host = rest.rpartition("@")
    return f"{scheme}://{credentials.split(':')[0]}:***@{host}" if ":" in credentials else url


if __name__ == "__main__":
    sys.exit(main())
