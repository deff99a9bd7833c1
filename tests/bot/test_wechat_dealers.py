"""Issue 14: one WeChat Official Account per dealer (bot/channels/wechat.py).

The channel runs in a real Sanic server registered the way Rasa registers channels; the
assistant is a stand-in recording the UserMessages it gets. The default dealer (`demo`)
keeps /webhooks/wechat/webhook and WECHAT_*; `pudong` answers at
/webhooks/wechat/pudong/webhook with WECHAT_PUDONG_*. Pushes go to FakeWeChatApi servers,
one per account; the Redis cases use a real Redis (devtools/ensure_redis.sh).
"""
from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

import aiohttp
import pytest
import redis
from rasa.core.channels.channel import UserMessage, register
from rasa.core.run import create_http_input_channels
from sanic import Sanic

from bot.channels.wechat import WeChatInput
from bot.channels.wechat_settings import WeChatSettings, split_sender_id
from tests.bot.test_wechat_state import prefix, redis_url  # noqa: F401  (fixtures)
from tests.wechat_sim import AES_KEY, APP_ID, APP_SECRET, TOKEN, FakeWeChatApi, WeChatServerSim, new_openid

PUDONG_TOKEN = "pudong-test-token"
PUDONG_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
PUDONG_APP_ID = "wxpudong0000000001"
PUDONG_SECRET = "pudong-secret-not-real"
OFFER = [{"title": "来过", "payload": "/affirm"}, {"title": "第一次来", "payload": "/deny"}]

DEFAULT_ROUTE = "/webhooks/wechat/webhook"
PUDONG_ROUTE = "/webhooks/wechat/pudong/webhook"


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch):
    """Several Sanic apps in one process, as sanic-testing runs them: each app's start-up
    touch-up starts from the original methods."""
    monkeypatch.setattr(Sanic, "test_mode", True)


def network_env(pudong: bool = True) -> dict[str, str]:
    env = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET,
           "WECHAT_REPLY_TIMEOUT": "2"}
    if pudong:
        env.update({"WECHAT_PUDONG_TOKEN": PUDONG_TOKEN, "WECHAT_PUDONG_APP_ID": PUDONG_APP_ID,
                    "WECHAT_PUDONG_APP_SECRET": PUDONG_SECRET})
    return env


def channel_from_credentials(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> WeChatInput:
    """The channel as bot/credentials.yml loads it, from this environment only."""
    for name in [*network_env(), "WECHAT_ENCODING_AES_KEY", "WECHAT_PUDONG_ENCODING_AES_KEY",
                 "WECHAT_STATE_REDIS_URL", "WECHAT_API_BASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {c.name(): c for c in create_http_input_channels(None, "bot/credentials.yml")}["wechat"]


class Assistant:
    """Rasa's agent as the channel sees it: records each message, answers 收到 (and ``buttons``)."""

    def __init__(self, buttons: list[dict] | None = None) -> None:
        self.heard: list[UserMessage] = []
        self.buttons = buttons

    async def handle_message(self, message: UserMessage) -> None:
        self.heard.append(message)
        answer = {"text": f"收到:{message.text}", **({"buttons": self.buttons} if self.buttons else {})}
        await message.output_channel.send_response(message.sender_id, answer)

    def texts(self) -> list[str]:
        return [m.text for m in self.heard]


class Server:
    """The channel in a real Sanic server on a free port; ``post``/``get`` as WeChat calls it."""

    def __init__(self, channel: WeChatInput, assistant: Assistant) -> None:
        self.channel, self.assistant = channel, assistant
        self.app = Sanic(f"wechat_dealers_{id(self)}")
        self.app.ctx.agent = assistant
        register([channel], self.app, "/webhooks/")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    async def __aenter__(self) -> Server:
        self.server = await self.app.create_server(host="127.0.0.1", port=self.port, return_asyncio_server=True)
        await self.server.startup()
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.close()
        self.server.close()
        await self.server.wait_closed()
        for code in self.channel.accounts:
            await self.channel.bridge(code).close()

    async def get(self, route: str, params: dict) -> tuple[int, str]:
        async with self.http.get(f"http://127.0.0.1:{self.port}{route}", params=params) as response:
            return response.status, await response.text()

    async def deliver(self, route: str, sim: WeChatServerSim, xml: str, openid: str, **query) -> tuple[int, str]:
        params, body = sim.delivery(xml, openid, **query)
        async with self.http.post(f"http://127.0.0.1:{self.port}{route}", params=params, data=body) as response:
            return response.status, await response.text()


def run(scenario):
    return asyncio.run(scenario)


def default_sim(**kwargs) -> WeChatServerSim:
    return WeChatServerSim(**kwargs)


def pudong_sim(**kwargs) -> WeChatServerSim:
    return WeChatServerSim(token=PUDONG_TOKEN, aes_key=PUDONG_AES_KEY, app_id=PUDONG_APP_ID, **kwargs)


# --- routes and signatures ------------------------------------------------------------------

def test_each_dealer_answers_at_its_own_route_and_only_to_its_own_token(monkeypatch):
    channel = channel_from_credentials(monkeypatch, network_env())
    assert set(channel.accounts) == {"demo", "pudong"}

    async def scenario():
        async with Server(channel, Assistant()) as server:
            return {
                "demo signed by demo": await server.get(DEFAULT_ROUTE, default_sim().verification("101")),
                "demo signed by pudong": await server.get(DEFAULT_ROUTE, pudong_sim().verification("102")),
                "pudong signed by pudong": await server.get(PUDONG_ROUTE, pudong_sim().verification("103")),
                "pudong signed by demo": await server.get(PUDONG_ROUTE, default_sim().verification("104")),
                "demo by its code": await server.get("/webhooks/wechat/demo/webhook",
                                                     default_sim().verification("105")),
                "unknown dealer": await server.get("/webhooks/wechat/nowhere/webhook",
                                                   default_sim().verification("106")),
            }

    answers = run(scenario())
    assert answers == {
        "demo signed by demo": (200, "101"),
        "demo signed by pudong": (403, "forbidden"),
        "pudong signed by pudong": (200, "103"),
        "pudong signed by demo": (403, "forbidden"),
        "demo by its code": (404, "not found"),  # the default dealer keeps /webhook only
        "unknown dealer": (404, "not found"),
    }


def test_a_message_signed_with_the_other_dealers_token_never_reaches_the_assistant(monkeypatch):
    channel = channel_from_credentials(monkeypatch, network_env())
    assistant = Assistant()
    openid = new_openid()

    async def scenario():
        async with Server(channel, assistant) as server:
            forged = pudong_sim()  # pudong's token, sent to the default dealer's route
            return await server.deliver(DEFAULT_ROUTE, forged, forged.text(openid, "你好"), openid)

    assert run(scenario()) == (403, "forbidden")
    assert assistant.heard == []


def test_a_dealer_without_a_token_answers_403_while_the_others_work(monkeypatch):
    channel = channel_from_credentials(monkeypatch, network_env(pudong=False))
    assistant = Assistant()
    openid = new_openid()

    async def scenario():
        async with Server(channel, assistant) as server:
            sim = pudong_sim()
            return (await server.get(PUDONG_ROUTE, sim.verification("7")),
                    await server.deliver(PUDONG_ROUTE, sim, sim.text(openid, "你好"), openid),
                    await server.get(DEFAULT_ROUTE, default_sim().verification("8")))

    unset_get, unset_post, default_get = run(scenario())
    assert (unset_get, unset_post) == ((403, "forbidden"), (403, "forbidden"))
    assert default_get == (200, "8")
    assert not channel.accounts["pudong"].configured and channel.accounts["demo"].configured
    assert assistant.heard == []


def test_each_dealers_account_reads_its_own_variables(monkeypatch):
    env = {**network_env(), "WECHAT_ENCODING_AES_KEY": AES_KEY, "WECHAT_PUDONG_ENCODING_AES_KEY": PUDONG_AES_KEY,
           "WECHAT_API_BASE_URL": "http://127.0.0.1:4321"}
    accounts = channel_from_credentials(monkeypatch, env).accounts
    demo, pudong = accounts["demo"], accounts["pudong"]
    assert (demo.token, demo.encoding_aes_key, demo.app_id, demo.app_secret) == (TOKEN, AES_KEY, APP_ID, APP_SECRET)
    assert (pudong.token, pudong.encoding_aes_key, pudong.app_id, pudong.app_secret) == (
        PUDONG_TOKEN, PUDONG_AES_KEY, PUDONG_APP_ID, PUDONG_SECRET)
    assert pudong.api_base_url == demo.api_base_url == "http://127.0.0.1:4321"  # shared, not the account's
    assert pudong.reply_timeout == 2.0


# --- sender ids and the dealer in the metadata ----------------------------------------------

@pytest.mark.parametrize("safe_mode", [False, True], ids=["plain", "safe"])
def test_messages_carry_their_dealer_and_a_non_default_dealers_sender_id_is_prefixed(monkeypatch, safe_mode):
    env = {**network_env(), **({"WECHAT_ENCODING_AES_KEY": AES_KEY,
                                "WECHAT_PUDONG_ENCODING_AES_KEY": PUDONG_AES_KEY} if safe_mode else {})}
    channel = channel_from_credentials(monkeypatch, env)
    assistant = Assistant()
    openid = new_openid()
    demo, pudong = default_sim(safe_mode=safe_mode), pudong_sim(safe_mode=safe_mode)

    async def scenario():
        async with Server(channel, assistant) as server:
            to_demo = await server.deliver(DEFAULT_ROUTE, demo, demo.text(openid, "去总店"), openid)
            to_pudong = await server.deliver(PUDONG_ROUTE, pudong, pudong.text(openid, "去浦东"), openid)
            return to_demo, to_pudong

    (demo_status, demo_body), (pudong_status, pudong_body) = run(scenario())
    assert (demo_status, pudong_status) == (200, 200)
    # The passive replies go back to the bare openid, each sealed with its own account's key.
    assert demo.read_reply(demo_body)["ToUserName"] == openid
    pudong_reply = pudong.read_reply(pudong_body)
    assert (pudong_reply["ToUserName"], pudong_reply["Content"]) == (openid, "收到:去浦东")
    heard = {m.text: m for m in assistant.heard}
    assert heard["去总店"].sender_id == openid
    assert heard["去浦东"].sender_id == f"pudong:{openid}"
    assert heard["去总店"].metadata["dealer"] == "demo"
    assert heard["去浦东"].metadata["dealer"] == "pudong"
    assert {m.input_channel for m in assistant.heard} == {"wechat"}
    assert heard["去浦东"].metadata["wechat"]["msg_type"] == "text"


def test_a_subscribe_to_a_dealers_account_greets_in_that_dealers_conversation(monkeypatch):
    channel = channel_from_credentials(monkeypatch, network_env())
    assistant = Assistant()
    openid = new_openid()

    async def scenario():
        async with Server(channel, assistant) as server:
            sim = pudong_sim()
            return await server.deliver(PUDONG_ROUTE, sim, sim.event(openid, "subscribe"), openid)

    assert run(scenario())[0] == 200
    [greeting] = assistant.heard
    assert (greeting.text, greeting.sender_id, greeting.metadata["dealer"]) == ("/greet", f"pudong:{openid}", "pudong")


def test_sender_ids_split_into_dealer_and_openid():
    assert split_sender_id("oAbc-_123") == (None, "oAbc-_123")
    assert split_sender_id("pudong:oAbc-_123") == ("pudong", "oAbc-_123")
    pudong = WeChatSettings(token="t").for_dealer("pudong", environ={})
    assert split_sender_id(pudong.sender_id("o1")) == ("pudong", "o1")


# --- pushes: the recipient's dealer's account ------------------------------------------------

def pushing_channel(demo_api: FakeWeChatApi, pudong_api: FakeWeChatApi, pudong_secret: str | None = PUDONG_SECRET,
                    **shared) -> WeChatInput:
    """Both accounts with app credentials (pudong's secret: ``pudong_secret``), each at its
    own fake server API; ``shared``: settings of both (the state's Redis)."""
    default = WeChatSettings(token=TOKEN, app_id=APP_ID, app_secret=APP_SECRET, api_base_url=demo_api.base_url,
                             reply_timeout=2.0, dealer="demo", **shared)
    pudong = replace(default.for_dealer("pudong", environ={
        "WECHAT_PUDONG_TOKEN": PUDONG_TOKEN, "WECHAT_PUDONG_APP_ID": PUDONG_APP_ID,
        "WECHAT_PUDONG_APP_SECRET": pudong_secret or ""}), api_base_url=pudong_api.base_url)
    return WeChatInput(default, accounts={"demo": default, "pudong": pudong})


def push_to_both(channel: WeChatInput, openid: str, to_pudong: str, to_demo: str) -> None:
    """Rasa starts a message in the pudong conversation and one in the default dealer's."""

    async def scenario():
        async with Server(channel, Assistant()):
            output = channel.get_output_channel()
            await output.send_text_message(f"pudong:{openid}", to_pudong)
            await output.send_text_message(openid, to_demo)

    run(scenario())


@pytest.fixture
def fake_apis():
    demo = FakeWeChatApi().start()
    pudong = FakeWeChatApi(app_id=PUDONG_APP_ID, secret=PUDONG_SECRET).start()
    yield demo, pudong
    demo.stop()
    pudong.stop()


def test_messages_rasa_starts_go_out_through_the_recipients_dealer_account(fake_apis):
    demo_api, pudong_api = fake_apis
    channel = pushing_channel(demo_api, pudong_api)
    assistant = Assistant()
    openid = new_openid()

    async def scenario():
        async with Server(channel, assistant) as server:
            output = channel.get_output_channel()
            await output.send_response(f"pudong:{openid}", {"text": "浦东的回访", "buttons": OFFER})
            await output.send_text_message(openid, "总店的提醒")
            sim = pudong_sim()  # the customer answers the pudong offer with a digit
            await server.deliver(PUDONG_ROUTE, sim, sim.text(openid, "2"), openid)

    run(scenario())
    [to_pudong] = pudong_api.messages_to(openid)
    [to_demo] = demo_api.messages_to(openid)
    assert to_pudong["text"]["content"].startswith("浦东的回访") and "2. 第一次来" in to_pudong["text"]["content"]
    assert to_demo["text"]["content"] == "总店的提醒"
    assert [r["appid"] for r in pudong_api.token_requests] == [PUDONG_APP_ID]  # its own token
    assert [r["appid"] for r in demo_api.token_requests] == [APP_ID]
    assert pudong_api.messages_to(f"pudong:{openid}") == []  # the prefix never reaches WeChat
    [answer] = assistant.heard
    assert (answer.text, answer.sender_id) == ("/deny", f"pudong:{openid}")


def test_a_dealer_without_app_credentials_pushes_nothing_for_it(fake_apis, caplog):
    demo_api, pudong_api = fake_apis
    openid = new_openid()
    push_to_both(pushing_channel(demo_api, pudong_api, pudong_secret=None), openid, "浦东的回访", "总店的提醒")
    assert pudong_api.messages_to(openid) == [] and demo_api.messages_to(f"pudong:{openid}") == []
    assert demo_api.messages_to(openid)[0]["text"]["content"] == "总店的提醒"
    assert "no WeChat account can push to pudong:" in caplog.text


# --- state kept apart per account ------------------------------------------------------------

def state_channel(kind: str, redis_url: str, prefix: str, monkeypatch) -> WeChatInput:
    env = network_env()
    if kind == "redis":
        env.update(WECHAT_STATE_REDIS_URL=redis_url, WECHAT_STATE_KEY_PREFIX=prefix)
    return channel_from_credentials(monkeypatch, env)


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_options_message_ids_and_replay_pairs_are_each_accounts_own(kind, redis_url, prefix, monkeypatch):
    channel = state_channel(kind, redis_url, prefix, monkeypatch)
    assistant = Assistant(buttons=OFFER)
    openid = new_openid()
    demo, pudong = default_sim(), pudong_sim()
    msg_id = demo.msg_id()

    async def scenario():
        async with Server(channel, assistant) as server:
            # The same MsgId on both accounts: two messages, not a retry.
            await server.deliver(DEFAULT_ROUTE, demo, demo.text(openid, "总店", msg_id=msg_id), openid)
            await server.deliver(PUDONG_ROUTE, pudong, pudong.text(openid, "浦东", msg_id=msg_id), openid)
            # demo offered options, and so did pudong; each digit picks from its own account's offer.
            assistant.buttons = [{"title": "只在总店", "payload": "/demo_only"}]
            await server.deliver(DEFAULT_ROUTE, demo, demo.text(openid, "再问"), openid)
            await server.deliver(PUDONG_ROUTE, pudong, pudong.text(openid, "2"), openid)
            await server.deliver(DEFAULT_ROUTE, demo, demo.text(openid, "1"), openid)
            # One (timestamp, nonce) with another body on each account: a different token,
            # so not a replay on the other.
            query = {"timestamp": int(demo.query()["timestamp"]), "nonce": "424242"}
            first = await server.deliver(DEFAULT_ROUTE, demo, demo.text(openid, "对"), openid, **query)
            other = await server.deliver(PUDONG_ROUTE, pudong, pudong.text(openid, "好"), openid, **query)
            replay = await server.deliver(DEFAULT_ROUTE, demo, demo.text(openid, "不对"), openid, **query)
            return first[0], other[0], replay[0]

    statuses = run(scenario())
    assert statuses == (200, 200, 403)
    by_sender = {}
    for message in assistant.heard:
        by_sender.setdefault(message.sender_id, []).append(message.text)
    assert by_sender == {openid: ["总店", "再问", "/demo_only", "对"],
                         f"pudong:{openid}": ["浦东", "/deny", "好"]}
    if kind == "redis":
        keys = [key.decode() for key in redis.Redis.from_url(redis_url).scan_iter(f"{prefix}:*")]
        pudong_keys = [key for key in keys if key.startswith(f"{prefix}:wechat:dealer:pudong:")]
        assert {key.split(":")[4] for key in pudong_keys} == {"pair", "msg", "options"}
        assert f"{prefix}:wechat:options:{openid}" in keys  # the default dealer's keys as before
        assert f"{prefix}:wechat:dealer:pudong:options:{openid}" in keys


def test_each_accounts_access_token_is_kept_apart_in_redis(fake_apis, redis_url, prefix):
    demo_api, pudong_api = fake_apis
    channel = pushing_channel(demo_api, pudong_api, state_redis_url=redis_url, state_key_prefix=prefix)
    openid = new_openid()
    push_to_both(channel, openid, "一", "二")
    client = redis.Redis.from_url(redis_url)
    assert client.get(f"{prefix}:wechat:dealer:pudong:token:{PUDONG_APP_ID}") == pudong_api.current_token.encode()
    assert client.get(f"{prefix}:wechat:token:{APP_ID}") == demo_api.current_token.encode()
    assert len(pudong_api.messages_to(openid)) == len(demo_api.messages_to(openid)) == 1
