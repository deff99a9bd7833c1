"""Issue 14: the WeChat channel on two Rasa replicas, real processes.

Two Rasa servers (the same model) behind no balancer (the test picks the replica of each
delivery), one action server, the tracker store on PostgreSQL (a database of this test's
own at TEST_POSTGRES_URL's server), the lock store of bot/lock_store.py and the WeChat
channel's state (bot/channels/wechat_state.py, WECHAT_STATE_REDIS_URL) on Redis under a
key prefix of this test's own. WeChatServerSim signs and encrypts the deliveries;
FakeWeChatApi is api.weixin.qq.com for both replicas and counts the token requests.

- a delivery and WeChat's retry of it, sent to different replicas, make one turn and one
  answer (at once, and when the turn outlasts WeChat's 5 s so the retry waits elsewhere);
- a "1" sent to the other replica picks the first option of the latest reply;
- both replicas use one access token.

The shared ``running_system`` is not used: these processes need their own stores.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from devtools.stack import REPO_ROOT, Stack, fresh_stack, shared_secrets
from tests.cluster.conftest import distinct_free_ports
from tests.wechat_sim import APP_ID, FakeWeChatApi, WeChatServerSim, new_openid, stack_env

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LOGS = REPO_ROOT / "test-artifacts" / "wechat-replicas-logs"



@pytest.fixture(scope="module")
def tracker_url() -> Iterator[str]:
    """A new PostgreSQL database for Rasa's tracker store (Rasa's venv: psycopg2)."""
    name = f"tracker_wechat_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is required (devtools/ensure_postgres.sh): {error}", pytrace=False)
    try:
        url = make_url(POSTGRES_ADMIN_URL).set(database=name, drivername="postgresql")
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclasses.dataclass
class Replicas:
    urls: list[str]  # the two Rasa servers
    api: FakeWeChatApi
    rasa_token: str
    redis_url: str
    key_prefix: str
    actions: Stack  # the stack with the action server (to pause it)

    def deliver(self, replica: int, sim: WeChatServerSim, xml: str, openid: str) -> tuple[httpx.Response, float]:
        query, body = sim.delivery(xml, openid)
        started = time.perf_counter()
        response = httpx.post(f"{self.urls[replica]}/webhooks/wechat/webhook", params=query, content=body,
                              timeout=8, headers={"Content-Type": "text/xml"})
        return response, time.perf_counter() - started

    def user_texts(self, openid: str) -> list[str]:
        response = httpx.get(f"{self.urls[0]}/conversations/{openid}/tracker",
                             params={"token": self.rasa_token}, timeout=10)
        response.raise_for_status()
        return [e["text"] for e in response.json()["events"] if e["event"] == "user"]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, redis_url, tracker_url) -> Iterator[Replicas]:
    rasa_a, rasa_b, actions, api_port, worker_port, wechat_port = distinct_free_ports(6)
    key_prefix = f"wxreplicas{uuid.uuid4().hex[:10]}"
    fake = FakeWeChatApi(port=wechat_port).start()
    env = {
        "APP_ENV": "test",
        "TRACKER_STORE_URL": tracker_url,
        "LOCK_STORE_KEY_PREFIX": key_prefix,
        **stack_env(fake_api_port=wechat_port),
        # What devtools/stack.py sets by itself with a lock store; said here for clarity.
        "WECHAT_STATE_REDIS_URL": redis_url,
        "WECHAT_STATE_KEY_PREFIX": key_prefix,
    }
    stack, _ = fresh_stack(tmp_path_factory.mktemp("wechat-replicas"), LOGS / "first", env)
    first = Stack(dataclasses.replace(stack.config, lock_store_url=redis_url, services=("rasa", "actions"),
                                      rasa_port=rasa_a, action_port=actions, api_port=api_port,
                                      worker_port=worker_port))
    second = Stack(dataclasses.replace(first.config, rasa_port=rasa_b, services=("rasa",),
                                       log_dir=LOGS / "second"))
    started = time.monotonic()
    try:
        first.start()
        second.start()
        first.wait_healthy(timeout=300)
        second.wait_healthy(timeout=300)
        print(f"\ntwo replicas and the action server healthy in {time.monotonic() - started:.1f} s")
        yield Replicas(
            urls=[s.config.url(s.config.rasa_port) for s in (first, second)], api=fake,
            rasa_token=shared_secrets(first.config)["RASA_AUTH_TOKEN"], redis_url=redis_url,
            key_prefix=key_prefix, actions=first,
        )
    finally:
        second.stop()
        first.stop()
        fake.stop()
        keys = redis_command(redis_url, "KEYS", f"{key_prefix}:*")
        if keys:
            redis_command(redis_url, "DEL", *keys)


def redis_command(url: str, *args: str):
    """One Redis command over RESP (the app venv has no redis package): enough for KEYS,
    DEL; replies as str, int or lists of them."""
    parsed = make_url(url.replace("redis://", "redis+x://", 1))
    with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 6379), timeout=5) as sock:
        reader = sock.makefile("rb")
        commands = ([["AUTH", parsed.password]] if parsed.password else []) + [
            ["SELECT", str(parsed.database or 0)], list(args)]
        for command in commands:
            parts = [str(part).encode() for part in command]
            sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))

        def read():
            line = reader.readline().rstrip(b"\r\n")
            kind, rest = line[:1], line[1:]
            if kind == b"-":
                raise RuntimeError(rest.decode())
            if kind in (b"+", b":"):
                return int(rest) if kind == b":" else rest.decode()
            if kind == b"$":
                return None if int(rest) < 0 else reader.read(int(rest) + 2)[:-2].decode()
            return [read() for _ in range(int(rest))]

        return [read() for _ in commands][-1]


def answers(replicas: Replicas, sim: WeChatServerSim, responses: list[httpx.Response], openid: str) -> list[str]:
    """Every answer the customer got: passive replies and customer-service messages."""
    passive = [reply["Content"] for r in responses if (reply := sim.read_reply(r.text))]
    return passive + [m["text"]["content"] for m in replicas.api.messages_to(openid)]


def test_a_delivery_and_its_retry_on_the_other_replica_are_one_turn(replicas):
    sim = WeChatServerSim(safe_mode=True)
    openid = new_openid()
    xml = sim.text(openid, "请问你们几点开门?", msg_id=sim.msg_id())
    responses: list[httpx.Response] = []

    def deliver(replica: int) -> None:
        responses.append(replicas.deliver(replica, sim, xml, openid)[0])

    threads = [threading.Thread(target=deliver, args=(replica,)) for replica in (0, 1)]
    for thread in threads:  # the retry reaches the other replica while the turn runs
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    later, seconds = replicas.deliver(1, sim, xml, openid)  # after the reply went out
    time.sleep(1.0)  # a push would have come by now

    assert [r.status_code for r in responses] == [200, 200]
    said = answers(replicas, sim, responses + [later], openid)
    assert len(said) == 1 and "营业" in said[0]
    assert later.text == "success" and seconds < 1.0
    assert replicas.user_texts(openid) == ["请问你们几点开门?"]


def test_a_retry_waiting_on_the_other_replica_while_the_turn_outlasts_wechat(replicas):
    """The action server paused: the first message's turn takes the action timeout (4 s,
    then the apology); the second, queued behind it by the lock store, needs ~8 s, so its
    delivery to replica A gets ``success`` at 4.5 s. WeChat's retry of it, 5 s after the
    first try, lands on replica B and waits there: the reply goes out once, passively to
    the retry (B) or pushed (A), never both."""
    sim = WeChatServerSim(safe_mode=True)
    openid = new_openid()
    text = "我想预约后天下午三点做保养"  # a form: a custom action each time
    first_xml, second_xml = sim.text(openid, text), sim.text(openid, text)  # two MsgIds
    done: dict[str, tuple[httpx.Response, float]] = {}

    def deliver(name: str, replica: int, xml: str, after: float) -> None:
        time.sleep(after)
        done[name] = replicas.deliver(replica, sim, xml, openid)

    actions = replicas.actions.processes["actions"]
    os.killpg(actions.pid, signal.SIGSTOP)
    try:
        threads = [threading.Thread(target=deliver, args=args) for args in (
            ("first", 0, first_xml, 0.0), ("second", 0, second_xml, 0.3), ("retry", 1, second_xml, 5.3))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        os.killpg(actions.pid, signal.SIGCONT)
    time.sleep(1.5)

    second, retry = done["second"], done["retry"]
    assert (second[0].status_code, second[0].text) == (200, "success") and 4.0 < second[1] < 5.0
    assert retry[0].status_code == 200 and retry[1] < 5.0
    pushed = [m["text"]["content"] for m in replicas.api.messages_to(openid)]
    passive_retry = sim.read_reply(retry[0].text)
    print(f"\nthe second message's answer: {'passive, to the retry on replica B' if passive_retry else 'pushed'} "
          f"(retry answered in {retry[1]:.2f} s); pushed messages: {len(pushed)}")
    said = answers(replicas, sim, [done["first"][0], second[0], retry[0]], openid)
    assert len(said) == 2  # one per message: none for the retry
    assert replicas.user_texts(openid) == [text, text]


def test_a_digit_on_the_other_replica_picks_the_option_offered_by_the_first(replicas):
    sim = WeChatServerSim(safe_mode=True)
    openid = new_openid()
    offer, _ = replicas.deliver(0, sim, sim.text(openid, "我想预约大后天下午两点半做保养"), openid)
    offered = sim.read_reply(offer.text)["Content"]
    assert "请回复数字选择:\n1. 同意\n2. 不同意" in offered  # the PIPL notice
    answer, _ = replicas.deliver(1, sim, sim.text(openid, "1"), openid)  # 1. 同意, on replica B
    assert "贵姓" in sim.read_reply(answer.text)["Content"]
    # Replica B read the "1" as the first button's payload, from the offer A made.
    assert replicas.user_texts(openid) == ["我想预约大后天下午两点半做保养", "同意"]


def test_both_replicas_use_one_access_token(replicas):
    """Messages Rasa starts itself (trigger_intent, output_channel=wechat) go out through
    the customer-service API from each replica: one token request in all (with the pushes
    of the tests before, if any)."""
    openids = [new_openid() for _ in range(4)]
    statuses: list[int] = []

    def trigger(replica: int, openid: str) -> None:  # both replicas at once
        response = httpx.post(f"{replicas.urls[replica]}/conversations/{openid}/trigger_intent",
                              params={"output_channel": "wechat", "token": replicas.rasa_token},
                              json={"name": "greet"}, timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=trigger, args=(i % 2, openid)) for i, openid in enumerate(openids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    for openid in openids:
        assert replicas.api.wait_for_message(openid, timeout=10) is not None
    assert len(replicas.api.token_requests) == 1
    assert redis_command(replicas.redis_url, "KEYS", f"{replicas.key_prefix}:wechat:token:*") == [
        f"{replicas.key_prefix}:wechat:token:{APP_ID}"]
