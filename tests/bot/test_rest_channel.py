"""The REST channel (bot/channels/rest.py) and its web chat subclass: who may post, and
what the body may not decide (the channel, the metadata)."""
from __future__ import annotations

import pytest
from rasa.core.run import create_http_input_channels

from bot.channels.rest import RestChannel
from bot.channels.webchat import WebChatInput

TOKEN = "t" * 40


class Body:
    """What Rasa's RestInput reads a request's JSON from."""

    json = {"sender": "s", "message": "您好", "input_channel": "wechat",
            "metadata": {"wechat": {"msg_type": "text", "msg_id": "1"}}}


@pytest.mark.parametrize("channel", [RestChannel(TOKEN), WebChatInput(TOKEN)])
def test_the_body_never_names_the_channel_nor_sets_metadata(channel):
    assert channel._extract_input_channel(Body()) == channel.name()
    assert channel.get_metadata(Body()) is None


@pytest.mark.parametrize(("app_env", "rest_needs", "webchat_needs"), [
    ("local", False, True), ("test", False, True), ("production", True, True),
])
def test_rest_is_open_in_local_mode_only_and_web_chat_never(app_env, rest_needs, webchat_needs):
    assert RestChannel(TOKEN, app_env=app_env).needs_token is rest_needs
    assert WebChatInput(TOKEN, app_env=app_env).needs_token is webchat_needs


@pytest.mark.parametrize(("authorization", "allowed"), [
    (f"Bearer {TOKEN}", True), (TOKEN, False), (f"Bearer {TOKEN[:-1]}x", False), ("", False),
    (f"Basic {TOKEN}", False),
])
def test_only_the_bearer_token_is_authorized(authorization, allowed):
    assert RestChannel(TOKEN, app_env="production").authorized(authorization) is allowed


def test_without_a_configured_token_nobody_is_authorized(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    channel = RestChannel(app_env="production")

    assert not channel.authorized("Bearer ") and not channel.authorized("Bearer None")


def test_the_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RASA_AUTH_TOKEN", TOKEN)
    monkeypatch.delenv("APP_ENV", raising=False)
    loaded = {c.name(): c for c in create_http_input_channels(None, "bot/credentials.yml")}

    assert type(loaded["rest"]) is RestChannel and type(loaded["webchat"]) is WebChatInput
    assert loaded["rest"].url_prefix() == "rest"  # the contract's /webhooks/rest/webhook
    assert not loaded["rest"].needs_token  # APP_ENV unset is local
    assert loaded["rest"].authorized(f"Bearer {TOKEN}")
    monkeypatch.setenv("APP_ENV", "production")
    assert RestChannel.from_credentials(None).needs_token


class DealerBody:
    def __init__(self, metadata) -> None:
        self.json = {"sender": "s", "message": "您好", "metadata": metadata}


@pytest.mark.parametrize("channel", [RestChannel(TOKEN), WebChatInput(TOKEN)])
def test_of_the_metadata_only_a_known_dealer_is_taken(channel):
    assert channel.get_metadata(DealerBody({"dealer": "pudong", "is_external": True})) == {"dealer": "pudong"}
    assert channel.get_metadata(DealerBody({"dealer": "demo"})) == {"dealer": "demo"}
    assert channel.get_metadata(DealerBody({"dealer": "nowhere"})) is None
    assert channel.get_metadata(DealerBody({"dealer": ["pudong"]})) is None
    assert channel.get_metadata(DealerBody("pudong")) is None
