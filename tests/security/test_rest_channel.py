"""Rasa's REST channels against the real server: a body's ``input_channel`` or metadata
never makes a REST message pass for WeChat; the web chat's channel answers only to the
app (with RASA_AUTH_TOKEN), in every mode; in production the REST channel needs the
token too, while the web chat page keeps working through the app."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dealer.__main__ import migrate, seed
from dealer.settings import get_settings
from devtools.stack import Stack, StackConfig, free_port, shared_secrets

PRODUCTION = {"APP_ENV": "production", "SECRET_KEY": "s" * 48, "RASA_AUTH_TOKEN": "r" * 48,
              "ACTION_SERVER_TOKEN": "a" * 48}


def post(base: str, path: str, sender: str, token: str | None = None, **extra) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{base}{path}", json={"sender": sender, "message": "您好", **extra},
                      headers=headers, timeout=30)


def tracker(base: str, sender: str, token: str) -> dict:
    response = httpx.get(f"{base}/conversations/{sender}/tracker", params={"token": token}, timeout=10)
    response.raise_for_status()
    return response.json()


def user_events(base: str, sender: str, token: str) -> list[dict]:
    return [event for event in tracker(base, sender, token)["events"] if event["event"] == "user"]


# ------------------------------------------------------------------ local/test mode


def test_a_rest_body_cannot_pass_for_wechat(running_system):
    rasa = running_system.config.url(running_system.config.rasa_port)
    sender = f"spoof-{uuid.uuid4().hex[:8]}"

    spoofed = post(rasa, "/webhooks/rest/webhook", sender, input_channel="wechat",
                   metadata={"wechat": {"msg_type": "text", "msg_id": "1"}})

    assert spoofed.status_code == 200 and spoofed.json()  # answered, as a REST message
    token = shared_secrets(running_system.config)["RASA_AUTH_TOKEN"]
    # What the actions read as the draft's channel (actions/conversation.py).
    assert tracker(rasa, sender, token)["latest_input_channel"] == "rest"
    user = user_events(rasa, sender, token)
    assert [e["input_channel"] for e in user] == ["rest"]
    assert "wechat" not in (user[0].get("metadata") or {})


def test_the_web_chat_channel_answers_only_to_the_app(running_system):
    rasa = running_system.config.url(running_system.config.rasa_port)
    token = shared_secrets(running_system.config)["RASA_AUTH_TOKEN"]
    sender = f"web-{uuid.uuid4().hex}"

    assert post(rasa, "/webhooks/webchat/webhook", sender).status_code == 401
    assert post(rasa, "/webhooks/webchat/webhook", sender, "guessed").status_code == 401
    assert user_events(rasa, sender, token) == []
    allowed = post(rasa, "/webhooks/webchat/webhook", sender, token, input_channel="wechat")
    assert allowed.status_code == 200
    assert tracker(rasa, sender, token)["latest_input_channel"] == "webchat"


def test_the_rest_channel_stays_open_in_test_mode(running_system):
    # The contract's webhook, as the tests and benchmarks/customer_sim.py use it.
    assert running_system.say(f"open-{uuid.uuid4().hex[:8]}", "您好")


# ------------------------------------------------------------------ production


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    workdir: Path = tmp_path_factory.mktemp("production")
    database_url = f"sqlite:///{workdir / 'dealer.db'}"
    migrate(database_url)
    seed(database_url, get_settings().catalog_path, demo=False)
    config = StackConfig(rasa_port=free_port(), action_port=free_port(), api_port=free_port(),
                         database_url=database_url, tracker_db=workdir / "tracker.db",
                         log_dir=workdir / "logs", extra_env=PRODUCTION)
    with Stack(config) as stack:
        stack.wait_healthy(timeout=300)
        yield config


def test_in_production_the_rest_channel_needs_the_token(production):
    rasa = production.url(production.rasa_port)
    sender = f"prod-{uuid.uuid4().hex[:8]}"

    for token in (None, "guessed", PRODUCTION["ACTION_SERVER_TOKEN"]):
        refused = post(rasa, "/webhooks/rest/webhook", sender, token)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert httpx.get(f"{rasa}/webhooks/rest/", timeout=10).status_code == 401
    assert user_events(rasa, sender, PRODUCTION["RASA_AUTH_TOKEN"]) == []

    allowed = post(rasa, "/webhooks/rest/webhook", sender, PRODUCTION["RASA_AUTH_TOKEN"])
    assert allowed.status_code == 200
    assert allowed.json()[0]["recipient_id"] == sender


def test_in_production_the_web_chat_page_still_talks_through_the_app(production):
    api = production.url(production.api_port)
    conversation = f"web-{uuid.uuid4().hex}"

    lines = httpx.post(f"{api}/chat/messages", json={"conversation_id": conversation, "text": "您好"},
                       timeout=30)

    assert lines.status_code == 200
    assert [line["sender"] for line in lines.json()][:1] == ["bot"]
    assert httpx.get(f"{api}/chat/history/{conversation}", timeout=10).status_code == 200
