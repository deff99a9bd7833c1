"""The message cap before NLU (bot/channels/message_cap.py), applied by every channel."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.run import create_http_input_channels

from bot.channels.message_cap import DEFAULT_MAX_MESSAGE_CHARS, refusing_long_messages
from tests.wechat_sim import TOKEN, WeChatServerSim, new_openid


class Assistant:
    def __init__(self) -> None:
        self.heard: list[str] = []

    async def __call__(self, message: UserMessage) -> None:
        self.heard.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "好的")


def say(handler, text: str) -> list[dict]:
    collector = CollectingOutputChannel()
    asyncio.run(handler(UserMessage(text, collector, "c-1", input_channel="rest")))
    return collector.messages


def test_the_default_cap_is_500_characters(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("MAX_MESSAGE_CHARS", raising=False)
    assistant = Assistant()
    handler = refusing_long_messages(assistant)

    assert DEFAULT_MAX_MESSAGE_CHARS == 500
    assert say(handler, "保" * 500) == [{"recipient_id": "c-1", "text": "好的"}]
    refused = say(handler, "保" * 501)
    assert assistant.heard == ["保" * 500]  # the long one never reached NLU
    assert "消息有点长" in refused[0]["text"] and "500" in refused[0]["text"]


def test_the_cap_is_one_setting(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "10")
    assistant = Assistant()

    say(refusing_long_messages(assistant), "一二三四五六七八九十一")

    assert assistant.heard == []


def test_surrounding_whitespace_does_not_count():
    assistant = Assistant()

    say(refusing_long_messages(assistant, limit=4), "  你好呀!  \n")  # UserMessage strips it

    assert assistant.heard == ["你好呀!"]


def test_the_wechat_channel_applies_the_cap(monkeypatch: pytest.MonkeyPatch):
    """The channel of credentials.yml hands its messages to the cap before the assistant;
    REST and web chat: tests/security/test_entry_caps.py, against the real server."""
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "5")
    monkeypatch.setenv("WECHAT_TOKEN", TOKEN)
    assistant = Assistant()
    wechat = {c.name(): c for c in create_http_input_channels(None, "bot/credentials.yml")}["wechat"]
    wechat.blueprint(assistant)
    sim, openid = WeChatServerSim(), new_openid()

    query, body = sim.delivery(sim.text(openid, "太长太长太长"), openid)
    reply = sim.read_reply(asyncio.run(wechat._bridge.receive(query, body)).body)

    assert "消息有点长" in reply["Content"]
    assert assistant.heard == []
