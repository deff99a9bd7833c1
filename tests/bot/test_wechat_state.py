"""The WeChat channel's state (bot/channels/wechat_state.py): in memory and on a real Redis.

devtools/ensure_redis.sh finds or starts Redis (TEST_REDIS_URL, default
redis://127.0.0.1:6379/0); every test keeps its keys under its own prefix and deletes
them. "Two replicas" are two sets of stores with their own Redis connections, as two Rasa
processes have; the bridge-level tests run two WeChatBridges the same way.
"""
from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import redis
import yaml

from bot.channels.wechat_api import WeChatApi
from bot.channels.wechat_bridge import WeChatBridge
from bot.channels.wechat_settings import WeChatSettings
from bot.channels.wechat_state import (
    ChannelState,
    MemoryDeliveries,
    MemoryOptions,
    MemoryReplays,
    MemoryTokens,
    RedisDeliveries,
    RedisOptions,
    RedisReplays,
    RedisState,
    RedisTokens,
    StateUnavailable,
)
from tests.wechat_sim import APP_ID, APP_SECRET, TOKEN, FakeWeChatApi, WeChatServerSim, new_openid

REPO_ROOT = Path(__file__).resolve().parents[2]
OFFER = [{"title": "来过", "payload": "/affirm"}, {"title": "第一次来", "payload": "/deny"}]


@pytest.fixture(scope="module")
def redis_url() -> str:
    done = subprocess.run([str(REPO_ROOT / "devtools" / "ensure_redis.sh")], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"no Redis for the WeChat state tests: {done.stderr.strip()}", pytrace=False)
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def prefix(redis_url: str):
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"wxtest{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def run(coroutine):
    return asyncio.run(coroutine)


def keys(url: str, prefix: str) -> dict[str, int]:
    """Each key of the prefix and its remaining time to live in ms."""
    client = redis.Redis.from_url(url)
    return {key.decode(): client.pttl(key) for key in client.scan_iter(f"{prefix}:*")}


def replicas(url: str, prefix: str, n: int = 2) -> list[RedisState]:
    return [RedisState(url, prefix) for _ in range(n)]


# -- message ids ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_message_is_taken_up_once_and_its_reply_claimed_once(kind, redis_url, prefix):
    if kind == "memory":
        one = two = MemoryDeliveries(ttl=120)
    else:
        one, two = (RedisDeliveries(state, ttl=120) for state in replicas(redis_url, prefix))

    async def scenario():
        firsts = await asyncio.gather(one.first("msg:1"), two.first("msg:1"), one.first("msg:1"))
        claims = await asyncio.gather(two.claim("msg:1"), one.claim("msg:1", pushing=True))
        return firsts, claims, await two.first("msg:2")

    firsts, claims, other = run(scenario())
    assert sorted(firsts) == [False, False, True]
    assert sorted(claims) == [False, True]
    assert other is True
    if kind == "redis":
        ttls = keys(redis_url, prefix)
        assert sorted(ttls) == [f"{prefix}:wechat:msg:msg:1", f"{prefix}:wechat:msg:msg:2"]
        assert all(115_000 < ttl <= 120_000 for ttl in ttls.values())  # WECHAT_DEDUP_TTL


def test_message_ids_are_forgotten_after_the_ttl_in_memory():
    now = [0.0]
    memory = MemoryDeliveries(ttl=120, clock=lambda: now[0])
    assert run(memory.first("k")) is True
    now[0] = 121
    assert run(memory.first("k")) is True and len(memory) == 1


def test_redis_message_ids_expire(redis_url, prefix):
    deliveries = RedisDeliveries(RedisState(redis_url, prefix), ttl=1)

    async def scenario():
        first = await deliveries.first("k")
        again = await deliveries.first("k")
        await asyncio.sleep(1.2)
        return first, again, await deliveries.first("k")

    assert run(scenario()) == (True, False, True)


def test_a_retry_on_another_replica_takes_the_reply_passively_and_the_push_gives_way(redis_url, prefix):
    """Replica A took the message up and timed out (it will push); WeChat's retry lands on
    B, which waits: the reply, ready while B waits, goes out once, from B."""
    a, b = (RedisDeliveries(state, ttl=120) for state in replicas(redis_url, prefix))

    async def scenario():
        assert await a.first("msg:9")
        assert not await b.first("msg:9")
        waiting = asyncio.ensure_future(b.reply_from_elsewhere("msg:9", timeout=2.0))
        await asyncio.sleep(0.2)
        await a.finished("msg:9", "收到")
        pushed = await a.claim("msg:9", pushing=True)
        return await waiting, pushed

    assert run(scenario()) == ("收到", False)


def test_a_push_goes_out_when_the_retry_elsewhere_gave_up(redis_url, prefix):
    a, b = (RedisDeliveries(state, ttl=120) for state in replicas(redis_url, prefix))

    async def scenario():
        await a.first("m")
        started = time.perf_counter()
        waited = await b.reply_from_elsewhere("m", timeout=0.3)  # nothing yet: success
        seconds = time.perf_counter() - started
        await a.finished("m", "收到")
        return waited, seconds, await a.claim("m", pushing=True)

    waited, seconds, pushed = run(scenario())
    assert waited is None and 0.25 < seconds < 0.6
    assert pushed is True


def test_a_retry_after_the_reply_went_out_elsewhere_is_answered_at_once(redis_url, prefix):
    a, b = (RedisDeliveries(state, ttl=120) for state in replicas(redis_url, prefix))

    async def scenario():
        await a.first("m")
        assert await a.claim("m")  # A answered passively
        started = time.perf_counter()
        return await b.reply_from_elsewhere("m", timeout=4.5), time.perf_counter() - started

    waited, seconds = run(scenario())
    assert waited is None and seconds < 0.2


# -- replay pairs -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_pair_seen_with_another_body_is_a_replay_on_any_replica(kind, redis_url, prefix):
    now = time.time()
    if kind == "memory":
        one = two = MemoryReplays(window=300)
    else:
        one, two = (RedisReplays(state, window=300) for state in replicas(redis_url, prefix))
    stamp = str(int(now))

    async def scenario():
        return [await one.is_replay(stamp, "42", b"<xml>a</xml>"),
                await two.is_replay(stamp, "42", b"<xml>a</xml>"),  # WeChat's retry: same body
                await two.is_replay(stamp, "42", b"<xml>b</xml>"),  # another body: refused
                await one.is_replay(stamp, "43", b"<xml>b</xml>")]

    assert run(scenario()) == [False, False, True, False]
    if kind == "redis":
        ttls = keys(redis_url, prefix)
        assert len(ttls) == 2 and all(295_000 < ttl <= 301_000 for ttl in ttls.values())


# -- numbered options -------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_digit_picks_the_latest_offer_on_any_replica(kind, redis_url, prefix):
    if kind == "memory":
        one = two = MemoryOptions(ttl=43_200)
    else:
        one, two = (RedisOptions(state, ttl=43_200) for state in replicas(redis_url, prefix))

    async def scenario():
        await one.save("o1", OFFER)
        picked = [await two.pick("o1", text) for text in ("2", "１", "3", "第一次来")]
        other = await two.pick("o2", "1")
        await two.save("o1", [])  # a reply without buttons forgets the offer
        return picked, other, await one.pick("o1", "1")

    picked, other, forgotten = run(scenario())
    assert picked == ["/deny", "/affirm", "3", "第一次来"]
    assert (other, forgotten) == ("1", "1")


def test_redis_options_expire_with_the_session_and_words_cost_no_round_trip(redis_url, prefix):
    state = RedisState(redis_url, prefix)
    options = RedisOptions(state, ttl=43_200)

    async def scenario():
        await options.save("o1", OFFER)
        before = state.round_trips
        assert await options.pick("o1", "我想预约明天上午") == "我想预约明天上午"
        return state.round_trips - before

    assert run(scenario()) == 0
    [(key, ttl)] = keys(redis_url, prefix).items()
    assert key == f"{prefix}:wechat:options:o1" and 43_190_000 < ttl <= 43_200_000

    short = RedisOptions(state, ttl=1)

    async def expired():
        await short.save("o2", OFFER)
        await asyncio.sleep(1.2)
        return await short.pick("o2", "1")

    assert run(expired()) == "1"


def test_the_options_last_as_long_as_the_conversations_session():
    domain = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))
    minutes = domain["session_config"]["session_expiration_time"]
    assert WeChatSettings().options_ttl == minutes * 60
    assert WeChatSettings.from_env({"WECHAT_OPTIONS_TTL": "60"}).options_ttl == 60


# -- the access token -------------------------------------------------------------------

@pytest.fixture
def fake():
    server = FakeWeChatApi().start()
    yield server
    server.stop()


def api_for(fake: FakeWeChatApi, tokens=None) -> WeChatApi:
    settings = WeChatSettings(token="t", app_id=APP_ID, app_secret=APP_SECRET, api_base_url=fake.base_url)
    return WeChatApi(settings, tokens=tokens)


def test_replicas_share_one_token_and_one_fetch(fake, redis_url, prefix):
    apis = [api_for(fake, RedisTokens(state, APP_ID)) for state in replicas(redis_url, prefix, 3)]

    async def scenario():
        try:
            await asyncio.gather(*(api.send_text(f"o{i}", "您好") for i, api in enumerate(apis * 4)))
        finally:
            for api in apis:
                await api.close()

    run(scenario())
    assert len(fake.token_requests) == 1
    assert len(fake.sent) == 12
    ttls = keys(redis_url, prefix)
    assert list(ttls) == [f"{prefix}:wechat:token:{APP_ID}"]  # the refresh lock is gone
    assert 6_890_000 < ttls[f"{prefix}:wechat:token:{APP_ID}"] <= 6_900_000  # 7200 s - 300


def test_a_token_refused_on_one_replica_is_fetched_again_once_for_all(fake, redis_url, prefix):
    one, two = (api_for(fake, RedisTokens(state, APP_ID)) for state in replicas(redis_url, prefix))

    async def scenario():
        try:
            await one.send_text("o1", "a")
            await two.send_text("o2", "b")
            fake.expire_token()  # WeChat no longer accepts it
            await one.send_text("o1", "c")  # refused: discarded, fetched again, sent
            await two.send_text("o2", "d")  # takes the new one from Redis
        finally:
            await one.close()
            await two.close()

    run(scenario())
    assert len(fake.token_requests) == 2
    assert [m["text"]["content"] for m in fake.sent] == ["a", "b", "c", "d"]


def test_only_one_replica_refreshes_at_a_time(redis_url, prefix):
    states = replicas(redis_url, prefix, 4)
    stores = [RedisTokens(state, APP_ID) for state in states]
    inside: list[int] = []
    most = [0]

    async def refresh(store: RedisTokens) -> None:
        async with store.refreshing():
            if await store.get():
                return
            inside.append(1)
            most[0] = max(most[0], len(inside))
            await asyncio.sleep(0.1)  # the token request
            await store.put("TOKEN_1", 7200)
            inside.pop()

    async def scenario():
        await asyncio.wait_for(asyncio.gather(*(refresh(s) for s in stores for _ in range(3))), 10)

    run(scenario())
    assert most[0] == 1
    assert run(stores[3].get()) == "TOKEN_1"


def test_the_in_memory_token_expires_by_its_clock():
    now = [0.0]
    tokens = MemoryTokens(clock=lambda: now[0])

    async def scenario():
        await tokens.put("T", 100)
        fresh = await tokens.get()
        now[0] = 100.5
        return fresh, await tokens.get()

    assert run(scenario()) == ("T", None)


# -- configuration and a Redis gone away ------------------------------------------------

def test_the_state_is_in_memory_unless_a_redis_url_is_set(redis_url, prefix):
    memory = ChannelState.from_settings(WeChatSettings(token="t"))
    assert not memory.shared and memory.make_tokens is None
    assert isinstance(memory.deliveries, MemoryDeliveries)
    env = {"WECHAT_STATE_REDIS_URL": redis_url, "WECHAT_STATE_KEY_PREFIX": prefix}
    settings = WeChatSettings.from_env(env)
    shared = ChannelState.from_settings(settings)
    assert shared.shared and shared.redis.prefix == f"{prefix}:wechat:"
    shared.redis.ping()
    with pytest.raises(ValueError, match="key prefix"):
        ChannelState.from_settings(replace(settings, state_key_prefix="a b*"))


def test_an_unreachable_redis_refuses_to_start_and_falls_back_while_running():
    state = RedisState("redis://127.0.0.1:1/0", "wxdown")
    with pytest.raises(StateUnavailable, match="not reachable"):
        state.ping()

    async def scenario():
        return (await RedisDeliveries(state, 120).first("m"),
                await RedisDeliveries(state, 120).claim("m"),
                await RedisOptions(state, 60).pick("o1", "1"),
                await RedisReplays(state, 300).is_replay(str(int(time.time())), "1", b"x"),
                await RedisTokens(state, APP_ID).get())

    started = time.perf_counter()
    assert run(scenario()) == (True, True, "1", False, None)  # as one process alone
    assert time.perf_counter() - started < 5.0

    from bot.channels.wechat import WeChatInput

    with pytest.raises(StateUnavailable):  # the channel, like the lock store, refuses to start
        WeChatInput(replace(SETTINGS, state_redis_url="redis://127.0.0.1:1/0"))


# -- two bridges on one Redis: the channel as two replicas ----------------------------------

class Assistant:
    def __init__(self, delay: float = 0.0, buttons=None) -> None:
        self.delay, self.buttons, self.heard = delay, buttons, []

    async def __call__(self, message) -> None:
        self.heard.append(message.text)
        await asyncio.sleep(self.delay)
        answer = {"text": f"收到:{message.text}"}
        if self.buttons:
            answer["buttons"] = self.buttons
        await message.output_channel.send_response(message.sender_id, answer)


class PushRecorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_text(self, openid: str, text: str) -> None:
        self.sent.append((openid, text))

    async def close(self) -> None:
        pass


SETTINGS = WeChatSettings(token=TOKEN, app_id=APP_ID, app_secret=APP_SECRET, reply_timeout=0.5)


def two_bridges(redis_url: str, prefix: str, assistant: Assistant):
    settings = replace(SETTINGS, state_redis_url=redis_url, state_key_prefix=prefix)
    made = []
    for _ in range(2):
        api = PushRecorder()
        made.append((WeChatBridge(settings, assistant, api=api), api))
    return made


def test_a_retry_on_the_other_replica_is_one_turn_and_one_reply(redis_url, prefix):
    sim = WeChatServerSim()
    assistant = Assistant(delay=0.7)  # longer than the 0.5 s reply timeout
    (a, api_a), (b, api_b) = two_bridges(redis_url, prefix, assistant)
    openid = new_openid()
    xml = sim.text(openid, "几点开门", msg_id=sim.msg_id())

    async def scenario():
        first = await a.receive(*sim.delivery(xml, openid))  # success after 0.5 s: A will push
        retry = await b.receive(*sim.delivery(xml, openid))  # the reply is ready 0.2 s in
        third = await b.receive(*sim.delivery(xml, openid))  # delivered already: success at once
        await asyncio.sleep(0.3)
        await a.close(), await b.close()
        return first, retry, third

    first, retry, third = run(scenario())
    assert first.body == "success" and third.body == "success"
    assert sim.read_reply(retry.body)["Content"] == "收到:几点开门"
    assert api_a.sent == [] and api_b.sent == []  # once: passively, from B
    assert assistant.heard == ["几点开门"]


def test_a_digit_on_the_other_replica_picks_the_first_replicas_offer(redis_url, prefix):
    sim = WeChatServerSim()
    assistant = Assistant(buttons=OFFER)
    (a, _), (b, _) = two_bridges(redis_url, prefix, assistant)
    openid = new_openid()

    async def scenario():
        offer = await a.receive(*sim.delivery(sim.text(openid, "王先生"), openid))
        trips = b.state.redis.round_trips
        answer = await b.receive(*sim.delivery(sim.text(openid, "2"), openid))
        trips = b.state.redis.round_trips - trips
        await a.close(), await b.close()
        return offer, answer, trips

    offer, answer, trips = run(scenario())
    assert "1. 来过\n2. 第一次来" in sim.read_reply(offer.body)["Content"]
    assert assistant.heard == ["王先生", "/deny"]
    print(f"\nRedis round trips for one delivery answered passively (a digit): {trips}")
    assert trips == 5  # replay pair, first delivery, the options read, the options saved, the claim


def test_the_bridge_keeps_its_keys_under_the_prefix_with_expiry(redis_url, prefix):
    sim = WeChatServerSim()
    (a, _), _ = two_bridges(redis_url, prefix, Assistant(buttons=OFFER))
    openid = new_openid()

    async def scenario():
        await a.receive(*sim.delivery(sim.text(openid, "你好"), openid))
        await a.close()

    run(scenario())
    found = keys(redis_url, prefix)
    assert {key.split(":")[2] for key in found} == {"pair", "msg", "options"}
    assert all(ttl > 0 for ttl in found.values())  # nothing lives forever
