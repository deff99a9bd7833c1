"""The access token is fetched once, shared, refreshed before expiry and after a refusal."""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from bot.channels.wechat_api import WeChatApi, WeChatApiError
from bot.channels.wechat_settings import WeChatSettings
from tests.wechat_sim import APP_ID, APP_SECRET, FakeWeChatApi


@pytest.fixture
def fake():
    server = FakeWeChatApi().start()
    yield server
    server.stop()


def api_for(fake: FakeWeChatApi, **overrides) -> WeChatApi:
    settings = WeChatSettings(token="t", app_id=APP_ID, app_secret=APP_SECRET, api_base_url=fake.base_url)
    return WeChatApi(replace(settings, **overrides))


def test_concurrent_sends_share_one_token_fetch(fake):
    api = api_for(fake)

    async def scenario():
        try:
            await asyncio.gather(*(api.send_text(f"o{i}", f"您好{i}") for i in range(5)))
        finally:
            await api.close()

    asyncio.run(scenario())
    assert len(fake.token_requests) == 1
    assert fake.token_requests[0] == {
        "grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET, "force_refresh": False
    }
    assert sorted(m["touser"] for m in fake.sent) == [f"o{i}" for i in range(5)]
    assert fake.messages_to("o3")[0]["text"] == {"content": "您好3"}
    # Chinese goes as UTF-8, not as \\u escapes.
    assert "您好3" in fake.messages_to("o3")[0]["_raw"].decode("utf-8")


def test_a_refused_token_is_fetched_again_once(fake):
    api = api_for(fake)

    async def scenario():
        try:
            await api.send_text("o1", "第一条")
            fake.expire_token()  # e.g. refreshed by another holder of the account
            await api.send_text("o1", "第二条")
        finally:
            await api.close()

    asyncio.run(scenario())
    assert len(fake.token_requests) == 2
    assert [m["text"]["content"] for m in fake.messages_to("o1")] == ["第一条", "第二条"]


def test_the_token_is_refreshed_before_it_expires(fake):
    api = api_for(fake)
    now = [1000.0]
    api.tokens._clock = lambda: now[0]

    async def scenario():
        try:
            await api.send_text("o1", "a")
            now[0] += 7200 - 300 - 1  # still inside the lifetime minus the margin
            await api.send_text("o1", "b")
            now[0] += 2
            await api.send_text("o1", "c")
        finally:
            await api.close()

    asyncio.run(scenario())
    assert len(fake.token_requests) == 2
    assert len(fake.messages_to("o1")) == 3


def test_wrong_credentials_raise_a_clear_error(fake):
    api = api_for(fake, app_secret="wrong")

    async def scenario():
        try:
            await api.send_text("o1", "a")
        finally:
            await api.close()

    with pytest.raises(WeChatApiError, match="40013"):
        asyncio.run(scenario())
    assert fake.sent == []


def test_without_app_id_and_secret_nothing_is_sent(fake):
    api = api_for(fake, app_id=None)
    with pytest.raises(WeChatApiError, match="WECHAT_APP_ID"):
        asyncio.run(api.send_text("o1", "a"))
    assert fake.token_requests == []


def test_settings_come_from_the_environment_and_credentials_override():
    env = {"WECHAT_TOKEN": "tok", "WECHAT_ENCODING_AES_KEY": "k" * 43, "WECHAT_APP_ID": "wx1",
           "WECHAT_APP_SECRET": "s", "WECHAT_API_BASE_URL": "http://127.0.0.1:9/", "WECHAT_REPLY_TIMEOUT": "2.5"}
    settings = WeChatSettings.from_env(env, overrides={"app_id": "wx2"})
    assert (settings.token, settings.app_id, settings.reply_timeout) == ("tok", "wx2", 2.5)
    assert settings.api_base_url == "http://127.0.0.1:9"
    assert settings.configured and settings.can_push
    empty = WeChatSettings.from_env({})
    assert not empty.configured and not empty.can_push
    assert empty.api_base_url == "https://api.weixin.qq.com"
    json.dumps(empty.__dict__)  # plain values only
