"""Downgrade and replay on the WeChat channel, against the real Rasa server.

The shared running system's account is in safe mode (WECHAT_ENCODING_AES_KEY,
tests/wechat_sim.stack_env): a plaintext message is a downgrade and gets 403; a
signed (timestamp, nonce) seen with another body gets 403, while WeChat's own retry
of the same request still joins the turn.
"""
from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.test_wechat_channel import GREETING, WeChat, wechat  # noqa: F401 (fixture)
from tests.wechat_sim import WeChatServerSim, new_openid


def post(wechat: WeChat, query: dict, body: bytes) -> httpx.Response:
    return httpx.post(wechat.url, params=query, content=body, timeout=8,
                      headers={"Content-Type": "text/xml"})


class RasaLog:
    """What the Rasa process logs from now on."""

    def __init__(self, running_system) -> None:
        self.path: Path = running_system.config.log_dir / "rasa.log"
        self.start = self.path.stat().st_size

    def since(self) -> str:
        with self.path.open("rb") as log:
            log.seek(self.start)
            return log.read().decode("utf-8", "replace")


def test_a_plaintext_message_in_safe_mode_is_refused_unheard(wechat, running_system):
    log = RasaLog(running_system)
    plain, openid = WeChatServerSim(), new_openid()  # the right token, no encryption

    response = wechat.deliver(plain, plain.text(openid, "我想预约明天上午做保养"), openid)

    assert response.status_code == 403
    assert "plaintext message while safe mode" in log.since()
    assert wechat.user_texts(openid) == []
    assert wechat.api.messages_to(openid) == []
    check = httpx.get(wechat.url, params=plain.verification("5550123"), timeout=5)
    assert (check.status_code, check.text) == (200, "5550123")  # the URL check is a GET


def test_a_replayed_timestamp_and_nonce_is_refused_and_a_retry_is_not(wechat, running_system):
    sim, openid = WeChatServerSim(safe_mode=True), new_openid()
    query, body = sim.delivery(sim.text(openid, "你好"), openid)
    first = post(wechat, query, body)
    log = RasaLog(running_system)

    # Validly signed and encrypted, but under the pair the first message came with.
    pair = {"timestamp": int(query["timestamp"]), "nonce": query["nonce"]}
    replayed = post(wechat, *sim.delivery(sim.text(openid, "取消我的预约"), openid, **pair))
    retry = post(wechat, query, body)

    assert replayed.status_code == 403
    assert "already seen with another body" in log.since()
    assert (first.status_code, retry.status_code) == (200, 200)
    passive = [sim.read_reply(r.text) for r in (first, retry)]
    answers = [r["Content"] for r in passive if r]
    if not answers:  # slower than WeChat waits: sent through the customer-service API
        answers = [wechat.api.wait_for_message(openid, timeout=60)["text"]["content"]]
    assert answers == [GREETING]  # one turn, one reply
    assert wechat.user_texts(openid) == ["你好"]
