"""bot/credentials.yml loads every channel, with or without the account's settings."""
from __future__ import annotations

import pytest
from rasa.core.run import create_http_input_channels

from bot.channels.wechat import WeChatInput
from tests.wechat_sim import stack_env

CREDENTIALS = "bot/credentials.yml"


def channels() -> dict:
    return {channel.name(): channel for channel in create_http_input_channels(None, CREDENTIALS)}


def test_all_three_channels_load_without_wechat_settings(monkeypatch: pytest.MonkeyPatch):
    for name in stack_env(1):
        monkeypatch.delenv(name, raising=False)
    loaded = channels()
    assert sorted(loaded) == ["rest", "webchat", "wechat"]
    assert isinstance(loaded["wechat"], WeChatInput)
    assert not loaded["wechat"].settings.configured  # refuses with 403 (tests/bot/test_wechat_bridge.py)
    assert loaded["wechat"].url_prefix() == "wechat"  # → /webhooks/wechat/webhook


def test_the_wechat_channel_reads_its_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    for name, value in stack_env(4321).items():
        monkeypatch.setenv(name, value)
    settings = channels()["wechat"].settings
    assert settings.configured and settings.can_push
    assert settings.api_base_url == "http://127.0.0.1:4321"
