"""Issue 14: one conversation hammered through two Rasa replicas at once, real processes.

Two Rasa servers (the same model), one action server, the tracker store on PostgreSQL
(a database of this test's own at TEST_POSTGRES_URL's server) and the lock store of
bot/lock_store.py on Redis (devtools/ensure_redis.sh; a key prefix of this test's own):
what `devtools/stack.py` starts when ``lock_store_url`` is set. Thirty messages of one
conversation go out at the same moment, alternating between the replicas; the tracker
must then hold every message exactly once, each followed by its own bot turn (the
replies its sender got) before the next message, and no event twice. The shared
``running_system`` is not used: this test needs its own stores.
"""
from __future__ import annotations

import dataclasses
import json
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from devtools.stack import REPO_ROOT, Stack, free_port, fresh_stack

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LOGS = REPO_ROOT / "test-artifacts" / "lock-contention-logs"
MESSAGES = 30
# A conversation of greetings, questions and a booking attempt; the numbers make every
# message's text its own, so each can be found exactly once in the tracker.
OPENERS = ("你好", "你们几点开门", "我想预约保养", "在吗", "谢谢")


class Redis:
    """Enough of RESP for this test (the app venv has no redis package, Rasa's has)."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url.replace("redis://", "redis+x://", 1))
        self.sock = socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 6379), timeout=5)
        self.reader = self.sock.makefile("rb")
        if parsed.password:
            self(*([parsed.username] if parsed.username else []), parsed.password, command="AUTH")
        self("SELECT", parsed.database or "0")

    def __call__(self, *args, command: str | None = None):
        parts = [command, *args] if command else list(args)
        payload = b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in (str(a).encode() for a in parts))
        self.sock.sendall(b"*%d\r\n" % len(parts) + payload)
        return self._reply()

    def _reply(self):
        line = self.reader.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b"+":
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if int(rest) < 0 else self.reader.read(int(rest) + 2)[:-2].decode()
        return [self._reply() for _ in range(int(rest))]  # "*"

    def keys(self, pattern: str) -> list[str]:
        return self("KEYS", pattern)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


@pytest.fixture(scope="module")
def tracker_database() -> Iterator[tuple[str, str]]:
    """A new PostgreSQL database for Rasa's tracker store: (this test's URL, Rasa's URL)."""
    name = f"tracker_lock_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name)
    # Rasa's venv has psycopg2, SQLAlchemy's default PostgreSQL driver.
    rasa_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        yield url.render_as_string(hide_password=False), rasa_url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclasses.dataclass
class Replicas:
    urls: list[str]
    tracker_url: str
    redis_url: str
    key_prefix: str


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, redis_url, tracker_database) -> Iterator[Replicas]:
    tracker_url, rasa_tracker_url = tracker_database
    key_prefix = f"locktest{uuid.uuid4().hex[:10]}"
    env = {"APP_ENV": "test", "TRACKER_STORE_URL": rasa_tracker_url, "LOCK_STORE_KEY_PREFIX": key_prefix}
    stack, _ = fresh_stack(tmp_path_factory.mktemp("replicas"), LOGS / "first", env)
    first = Stack(dataclasses.replace(stack.config, lock_store_url=redis_url, services=("rasa", "actions")))
    second = Stack(dataclasses.replace(first.config, rasa_port=free_port(), services=("rasa",),
                                       log_dir=LOGS / "second"))
    started = time.monotonic()
    try:
        first.start()
        second.start()
        first.wait_healthy(timeout=300)
        second.wait_healthy(timeout=300)
        print(f"\ntwo replicas and the action server healthy in {time.monotonic() - started:.1f} s")
        yield Replicas(
            urls=[s.config.url(s.config.rasa_port) for s in (first, second)],
            tracker_url=tracker_url, redis_url=redis_url, key_prefix=key_prefix,
        )
    finally:
        second.stop()
        first.stop()
        client = Redis(redis_url)
        for key in client.keys(f"{key_prefix}:*"):
            client("DEL", key)
        client.close()


def stored_events(tracker_url: str, sender: str) -> list[dict]:
    engine = sa.create_engine(tracker_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            ).scalars().all()
    finally:
        engine.dispose()
    return [json.loads(row) for row in rows]


class QueueWatch(threading.Thread):
    """The longest queue of tickets the lock store held for the conversation."""

    def __init__(self, redis_url: str, queue_key: str) -> None:
        super().__init__(daemon=True)
        self.client, self.key = Redis(redis_url), queue_key
        self.longest, self.done = 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.longest = max(self.longest, self.client("ZCARD", self.key))
            time.sleep(0.005)
        self.client.close()


def test_one_conversation_hammered_from_two_replicas_stays_in_order(replicas):
    sender = f"hammer-{uuid.uuid4().hex[:8]}"
    texts = [f"{OPENERS[i % len(OPENERS)]} {i + 1}" for i in range(MESSAGES)]
    gate = threading.Barrier(MESSAGES)

    def send(i: int) -> tuple[str, list[str], float]:
        url = replicas.urls[i % 2]  # alternating replicas
        with httpx.Client(timeout=120) as client:
            gate.wait()  # all thirty leave together
            began = time.perf_counter()
            response = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": texts[i]})
            response.raise_for_status()
            return texts[i], [r.get("text", "") for r in response.json()], time.perf_counter() - began

    watch = QueueWatch(replicas.redis_url, f"{replicas.key_prefix}:lock:{{{sender}}}:q")
    watch.start()
    began = time.perf_counter()
    with ThreadPoolExecutor(MESSAGES) as pool:
        answered = list(pool.map(send, range(MESSAGES)))
    seconds = time.perf_counter() - began
    watch.done.set()
    watch.join()
    latencies = sorted(a[2] for a in answered)
    print(f"\n{MESSAGES} messages over 2 replicas in {seconds:.1f} s; per message p50 "
          f"{latencies[len(latencies) // 2]:.2f} s, max {latencies[-1]:.2f} s; longest ticket queue "
          f"{watch.longest}")

    events = stored_events(replicas.tracker_url, sender)
    # No event stored twice (Rasa stamps every event; a repeat would be the same JSON).
    repeated = [e for e, n in Counter(json.dumps(e, sort_keys=True) for e in events).items() if n > 1]
    assert not repeated, repeated[:3]

    # Every message exactly once.
    users = [e for e in events if e["event"] == "user"]
    assert sorted(e["text"] for e in users) == sorted(texts)
    assert len({e.get("message_id") for e in users}) == MESSAGES

    # Each message followed by its own whole turn before the next: its bot utterances (the
    # very replies its sender got) and action_listen, no other message in between.
    replies = {text: said for text, said, _ in answered}
    turns: list[list[dict]] = []
    for event in events:
        if event["event"] == "user":
            turns.append([event])
        elif turns:
            turns[-1].append(event)
    assert len(turns) == MESSAGES
    for turn in turns:
        text = turn[0]["text"]
        actions = [e["name"] for e in turn if e["event"] == "action"]
        assert actions and actions[-1] == "action_listen", (text, actions)
        bot_texts = [e.get("text") or "" for e in turn if e["event"] == "bot"]
        assert bot_texts, f"no bot turn after {text!r}"
        assert bot_texts == replies[text], (text, bot_texts, replies[text])

    # The turns went through the lock store, and it is empty again.
    assert watch.longest > 1
    client = Redis(replicas.redis_url)
    assert client.keys(f"{replicas.key_prefix}:lock:*") == []
    client.close()
