"""Every public HTTP entry caps what it takes, against the real processes: a 20 MB body
gets 413 within a second from the API and from the Rasa server (declared or streamed),
and a customer's message over MAX_MESSAGE_CHARS (500) is refused politely in Chinese
before NLU, on REST, web chat and WeChat, leaving nothing in the conversation."""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.stack import shared_secrets
from tests.wechat_sim import WeChatServerSim, new_openid

BIG = 20 * 1024 * 1024
TOO_LONG = "消息有点长"
API_PATHS = ["/chat/messages", "/api/auth/token", "/advisor/login", "/api/drafts/1"]
RASA_PATHS = ["/webhooks/rest/webhook", "/webhooks/webchat/webhook", "/webhooks/wechat/webhook",
              "/conversations/x/messages"]


def streamed(total: int = BIG, size: int = 64 * 1024) -> Iterator[bytes]:
    """No Content-Length: sent chunked, so only counting the bytes can stop it."""
    for _ in range(total // size):
        yield b" " * size


def _peak_memory_kb(pid: int) -> int:
    return int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1))


@pytest.fixture(scope="module")
def api(running_system) -> str:
    return running_system.config.url(running_system.config.api_port)


# ------------------------------------------------------------------ bodies


@pytest.mark.parametrize(("port", "path"), [("api_port", path) for path in API_PATHS]
                         + [("rasa_port", path) for path in RASA_PATHS])
def test_a_declared_20_mb_body_gets_413_at_once(running_system, port, path):
    base = running_system.config.url(getattr(running_system.config, port))

    started = time.monotonic()
    response = httpx.post(f"{base}{path}", content=b" " * BIG, timeout=10,
                          headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert time.monotonic() - started < 1.0
    if port == "api_port":
        assert response.json() == {"detail": "请求内容过大"}


@pytest.mark.parametrize(("process", "port", "path", "health"), [
    ("api", "api_port", "/chat/messages", "/api/health"),
    ("rasa", "rasa_port", "/webhooks/rest/webhook", "/status"),
])
def test_a_streamed_20_mb_body_is_stopped_with_flat_memory(running_system, process, port, path, health):
    base = running_system.config.url(getattr(running_system.config, port))
    pid = running_system.stack.processes[process].pid
    before = _peak_memory_kb(pid)

    started = time.monotonic()
    response = httpx.post(f"{base}{path}", content=streamed(), timeout=10,
                          headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert time.monotonic() - started < 1.0
    assert _peak_memory_kb(pid) - before < 8 * 1024
    assert httpx.get(f"{base}{health}", timeout=10).status_code == 200


# ------------------------------------------------------------------ messages


def user_texts(running_system, sender: str) -> list[str]:
    token = shared_secrets(running_system.config)["RASA_AUTH_TOKEN"]
    rasa = running_system.config.url(running_system.config.rasa_port)
    tracker = httpx.get(f"{rasa}/conversations/{sender}/tracker", params={"token": token}, timeout=10).json()
    return [event["text"] for event in tracker["events"] if event["event"] == "user"]


def test_a_long_rest_message_is_refused_politely_before_nlu(running_system):
    sender = f"cap-{uuid.uuid4().hex[:8]}"
    running_system.say(sender, "您好")

    answers = running_system.say(sender, "我想预约明天做保养," + "发动机有异响" * 100)

    assert len(answers) == 1 and TOO_LONG in answers[0]["text"] and "500" in answers[0]["text"]
    assert answers[0]["recipient_id"] == sender
    assert user_texts(running_system, sender) == ["您好"]  # never parsed, never stored


def test_a_message_of_500_characters_still_reaches_the_assistant(running_system):
    sender = f"cap-{uuid.uuid4().hex[:8]}"
    message = ("我想预约明天下午三点做保养。" * 40)[:500]

    answers = running_system.say(sender, message)

    assert answers and all(TOO_LONG not in answer.get("text", "") for answer in answers)
    assert user_texts(running_system, sender) == [message]


def test_a_long_web_chat_message_is_refused_politely(running_system, api):
    conversation = f"web-{uuid.uuid4().hex}"

    lines = httpx.post(f"{api}/chat/messages", timeout=30,
                       json={"conversation_id": conversation, "text": "我的车" * 200}).json()

    assert [line["sender"] for line in lines] == ["bot"]
    assert TOO_LONG in lines[0]["text"]
    assert user_texts(running_system, conversation) == []


def test_a_long_wechat_message_is_refused_politely(running_system):
    rasa = running_system.config.url(running_system.config.rasa_port)
    sim, openid = WeChatServerSim(safe_mode=True), new_openid()  # the account is in safe mode
    query, body = sim.delivery(sim.text(openid, "您好" * 300), openid)

    response = httpx.post(f"{rasa}/webhooks/wechat/webhook", params=query, content=body, timeout=8,
                          headers={"Content-Type": "text/xml"})

    assert response.status_code == 200
    assert TOO_LONG in sim.read_reply(response.text)["Content"]
    assert user_texts(running_system, openid) == []
