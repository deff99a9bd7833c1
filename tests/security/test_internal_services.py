"""The internal services against the real processes: the action server and Rasa's HTTP
API answer only to the holder of their secret, the action server listens on 127.0.0.1
only, and oversized or inflating bodies are refused with 413."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import uuid
import zlib
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from dealer import clock
from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.models import DraftWorkOrder
from dealer.services.booking import BookingRequest, SlotUnavailable, book_once
from dealer.shared_secrets import SecretRefused
from devtools.stack import APP_BIN, BOT_BIN, REPO_ROOT, Stack, StackConfig, shared_secrets

BIG = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def tokens(running_system) -> dict[str, str]:
    return shared_secrets(running_system.config)


@pytest.fixture(scope="module")
def action_server(running_system) -> str:
    return running_system.config.action_url()


def rasa_bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['ACTION_SERVER_TOKEN']}"}


def a_booking(database_url: str) -> int:
    """A live draft with its slot held, as a customer's booking leaves it."""
    catalog = load_catalog()
    now = clock.now(catalog.timezone)
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    for days in range(4, 30):
        start = (now + timedelta(days=days)).replace(hour=16, minute=30, second=0, microsecond=0)
        request = BookingRequest(idempotency_key=f"security:{phone}", channel="rest",
                                 conversation_id=f"victim-{phone}", service_type="maintenance",
                                 start=start, customer_name="受害者", phone=phone)
        try:
            return book_once(database_url, request, catalog, now).draft_id
        except SlotUnavailable:
            continue
    raise AssertionError("no free slot to book")


def status_of(database_url: str, draft_id: int) -> str:
    with unit_of_work(database_url) as session:
        return session.get(DraftWorkOrder, draft_id).status


def conversation_of(database_url: str, draft_id: int) -> str:
    with unit_of_work(database_url) as session:
        return session.get(DraftWorkOrder, draft_id).conversation_id


def forged_cancel(draft_id: int, sender: str = "attacker") -> dict:
    """The attack of issue 11: an action call with invented slots cancelling a booking."""
    slots = {"change_found": True, "change_confirmed": True, "change_kind": "cancel",
             "change_draft_id": float(draft_id), "current_display": "11月28日"}
    return {
        "next_action": "action_apply_booking_change", "sender_id": sender, "version": "3.6.21",
        "domain": {},
        "tracker": {"sender_id": sender, "slots": slots, "latest_message": {}, "events": [],
                    "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": None},
    }


# ------------------------------------------------------------------ the action server


def test_a_forged_action_call_is_refused_and_the_booking_stands(running_system, action_server, tokens):
    draft_id = a_booking(running_system.database_url)
    call = forged_cancel(draft_id)

    token = tokens["ACTION_SERVER_TOKEN"]
    one_off = token[:-1] + ("y" if token.endswith("x") else "x")  # the last character changed (a token ending in x had been sent as is)
    for headers in ({}, {"Authorization": "Bearer guessed"}, {"Authorization": f"Bearer {one_off}"},
                    {"Authorization": token}):  # no "Bearer"
        refused = httpx.post(f"{action_server}/webhook", json=call, headers=headers, timeout=10)
        assert refused.status_code == 401, headers
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    # rasa_sdk's other route, and the token as Rasa's `token:` option would send it.
    assert httpx.get(f"{action_server}/actions", timeout=10).status_code == 401
    assert httpx.post(f"{action_server}/webhook", json=call, timeout=10,
                      params={"token": tokens["ACTION_SERVER_TOKEN"]}).status_code == 401
    assert status_of(running_system.database_url, draft_id) == "draft"

    # With the Rasa server's secret but from another conversation: the booking is not
    # the caller's to cancel (dealer/services/booking_guard.py).
    foreign = httpx.post(f"{action_server}/webhook", json=call, headers=rasa_bearer(tokens), timeout=30)
    assert foreign.status_code == 200
    assert status_of(running_system.database_url, draft_id) == "draft"

    # The same call from the conversation that booked does what it says: the refusals
    # above came from the missing secret, not from a malformed call.
    owner = forged_cancel(draft_id, sender=conversation_of(running_system.database_url, draft_id))
    accepted = httpx.post(f"{action_server}/webhook", json=owner, headers=rasa_bearer(tokens), timeout=30)
    assert accepted.status_code == 200
    assert status_of(running_system.database_url, draft_id) == "cancelled"


def test_health_stays_open(action_server):
    response = httpx.get(f"{action_server}/health", timeout=10)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_the_rasa_server_calls_the_action_server_with_the_secret(running_system):
    # 您好 runs no custom action; a booking's first turns do (validate_booking_form).
    sender = f"sec-{uuid.uuid4().hex[:8]}"
    assert "请问您同意吗" in " ".join(r.get("text", "") for r in running_system.say(sender, "我想预约明天下午三点做保养"))


def _listening(port: int) -> set[str]:
    """The local addresses with a listening TCP socket on ``port`` (IPv4 and IPv6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                raw = bytes.fromhex(address)
                # /proc prints each 32-bit word in host (little-endian) order.
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                family = socket.AF_INET if width == 8 else socket.AF_INET6
                found.add(socket.inet_ntop(family, words))
    return found


def _other_local_addresses() -> set[str]:
    """127.0.0.2 (another loopback address) and every non-loopback IPv4 address here."""
    trie = Path("/proc/net/fib_trie").read_text()
    local = set(re.findall(r"\|-- (\d+\.\d+\.\d+\.\d+)\n\s+/32 host LOCAL", trie))
    return {"127.0.0.2"} | {address for address in local if not address.startswith("127.")}


def test_the_action_server_listens_on_127_0_0_1_only(running_system):
    port = running_system.config.action_port
    assert _listening(port) == {"127.0.0.1"}
    for address in _other_local_addresses():
        with socket.socket() as probe:
            probe.settimeout(2)
            assert probe.connect_ex((address, port)) != 0, f"reachable on {address}:{port}"


def test_an_oversized_body_gets_413_at_once(action_server, tokens):
    started = time.monotonic()
    response = httpx.post(f"{action_server}/webhook", content=b"{" + b" " * BIG + b"}",
                          headers={**rasa_bearer(tokens), "Content-Type": "application/json"},
                          timeout=10)
    assert response.status_code == 413
    assert time.monotonic() - started < 1.0


def _peak_memory_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


def _deflate_bomb(inflated_bytes: int) -> bytes:
    compressor, chunk = zlib.compressobj(9), bytes(1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(inflated_bytes // len(chunk))]
    return b"".join(parts) + compressor.flush()


def test_a_deflate_bomb_gets_413_and_memory_stays_flat(running_system, action_server, tokens):
    bomb = _deflate_bomb(256 * 1024 * 1024)  # 256 MB of zeros in about 250 KB
    assert len(bomb) < 1024 * 1024
    pid = running_system.stack.processes["actions"].pid
    before = _peak_memory_kb(pid)

    stranger = httpx.post(f"{action_server}/webhook", content=bomb, timeout=10,
                          headers={"Content-Encoding": "deflate"})
    started = time.monotonic()
    response = httpx.post(f"{action_server}/webhook", content=bomb, timeout=10,
                          headers={**rasa_bearer(tokens), "Content-Encoding": "deflate"})

    assert stranger.status_code == 401  # not even inflated for a caller without the secret
    assert response.status_code == 413
    assert time.monotonic() - started < 1.0
    assert _peak_memory_kb(pid) - before < 32 * 1024  # rasa_sdk alone would inflate 256 MB


def test_a_small_deflate_body_still_reaches_the_actions(running_system, action_server, tokens):
    # Rasa compresses action calls with COMPRESS_ACTION_SERVER_REQUEST=true.
    draft_id = a_booking(running_system.database_url)
    owner = conversation_of(running_system.database_url, draft_id)
    body = zlib.compress(httpx.Request("POST", "/", json=forged_cancel(draft_id, sender=owner)).content)
    response = httpx.post(f"{action_server}/webhook", content=body, timeout=30,
                          headers={**rasa_bearer(tokens), "Content-Encoding": "deflate",
                                   "Content-Type": "application/json"})
    assert response.status_code == 200
    assert status_of(running_system.database_url, draft_id) == "cancelled"


# ------------------------------------------------------------------ Rasa's HTTP API


def test_rasas_api_needs_the_token(running_system, tokens):
    rasa = running_system.config.url(running_system.config.rasa_port)
    sender = f"sec-{uuid.uuid4().hex[:8]}"
    running_system.say(sender, "您好")
    tracker = f"{rasa}/conversations/{sender}/tracker"

    assert httpx.get(tracker, timeout=10).status_code == 401
    assert httpx.get(tracker, params={"token": "guessed"}, timeout=10).status_code == 401
    assert httpx.get(tracker, params={"token": tokens["ACTION_SERVER_TOKEN"]}, timeout=10).status_code == 401
    real = tokens["RASA_AUTH_TOKEN"]
    near = real[:-1] + ("x" if real[-1] != "x" else "y")  # all but the last character right
    assert httpx.get(tracker, params={"token": near}, timeout=10).status_code == 401
    assert httpx.get(tracker, params={"token": "密码"}, timeout=10).status_code == 401  # not a 500
    assert httpx.post(f"{rasa}/conversations/{sender}/trigger_intent", json={"name": "greet"},
                      timeout=10).status_code == 401
    assert httpx.post(f"{rasa}/model/parse", json={"text": "你好"}, timeout=10).status_code == 401
    assert httpx.get(f"{rasa}/domain", timeout=10).status_code == 401

    allowed = httpx.get(tracker, params={"token": tokens["RASA_AUTH_TOKEN"]}, timeout=10)
    assert allowed.status_code == 200
    assert "您好" in [e.get("text") for e in allowed.json()["events"] if e["event"] == "user"]


def test_status_stays_open_for_the_contracts_health_check(running_system):
    rasa = running_system.config.url(running_system.config.rasa_port)
    assert httpx.get(f"{rasa}/status", timeout=10).status_code == 200


def test_the_web_chat_page_reads_its_history_with_the_token(running_system):
    conversation = f"web-{uuid.uuid4().hex}"
    with httpx.Client(base_url=running_system.config.url(running_system.config.api_port), timeout=30) as app:
        assert app.post("/chat/messages", json={"conversation_id": conversation, "text": "您好"}).status_code == 200
        history = app.get(f"/chat/history/{conversation}")
    assert history.status_code == 200
    assert ("user", "您好") in [(line["sender"], line["text"]) for line in history.json()]


# ------------------------------------------------------------------ refusing to start


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ACTION_SERVER_TOKEN", "RASA_AUTH_TOKEN")}
    return {**env, "APP_ENV": "production", "PYTHONPATH": str(REPO_ROOT)}


def test_the_action_server_refuses_to_start_in_production_without_its_secret():
    done = subprocess.run([str(APP_BIN / "python"), "-m", "actions.server", "--port", "9"], cwd=REPO_ROOT,
                          env=_production_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "ACTION_SERVER_TOKEN is not set" in done.stderr


def test_the_rasa_server_refuses_to_start_without_its_token():
    env = {**_production_env(), "ACTION_SERVER_TOKEN": "a" * 40}
    done = subprocess.run([str(BOT_BIN / "python"), "-m", "bot.rasa_server", "--port", "9"], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "refusing to start without RASA_AUTH_TOKEN" in done.stderr


def test_the_stack_in_production_without_secrets_starts_nothing(monkeypatch):
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    stack = Stack(StackConfig(api_port=9, services=("api",), extra_env={"APP_ENV": "production"}))
    with pytest.raises(SecretRefused, match="is not set"):
        stack.start()
    assert stack.processes == {}
