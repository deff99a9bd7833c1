"""The WeChat channel in the real Rasa server, driven by a simulated WeChat server.

The account is in safe mode (the running system has an AES key), so messages come
encrypted: a plaintext one is refused (tests/security/test_wechat_attacks.py).
WeChatServerSim signs (and in safe mode encrypts) each POST exactly as WeChat does;
FakeWeChatApi stands in for api.weixin.qq.com (the Rasa process's
WECHAT_API_BASE_URL points at it) and records customer-service messages.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest

from dealer.catalog import load_catalog
from dealer.timefmt import format_slot
from dealer import clock
from devtools.stack import shared_secrets
from tests.wechat_sim import BILLION_LAUGHS, FakeWeChatApi, WeChatServerSim, new_openid

SHANGHAI = ZoneInfo("Asia/Shanghai")
GREETING = "您好,瑞通汽车售后服务中心,请问有什么可以帮您?"


@dataclass
class WeChat:
    """WeChat's side of the channel: deliveries to the webhook, the fake server API."""

    url: str
    rasa_url: str
    rasa_token: str  # Rasa's HTTP API needs it (RASA_AUTH_TOKEN)
    api: FakeWeChatApi

    def deliver(self, sim: WeChatServerSim, xml: str, openid: str, **query_args) -> httpx.Response:
        query, body = sim.delivery(xml, openid, **query_args)
        # WeChat waits 5 s for an answer; give the client a little more to see what happens.
        return httpx.post(self.url, params=query, content=body, timeout=8,
                          headers={"Content-Type": "text/xml"})

    def tracker(self, openid: str) -> dict:
        response = httpx.get(f"{self.rasa_url}/conversations/{openid}/tracker",
                             params={"token": self.rasa_token}, timeout=10)
        response.raise_for_status()
        return response.json()

    def user_texts(self, openid: str) -> list[str]:
        return [e["text"] for e in self.tracker(openid)["events"] if e["event"] == "user"]

    def latest_input_channel(self, openid: str) -> str | None:
        return self.tracker(openid).get("latest_input_channel")


@pytest.fixture(scope="module")
def wechat(running_system) -> Iterator[WeChat]:
    base = running_system.config.extra_env["WECHAT_API_BASE_URL"]
    api = FakeWeChatApi(port=urlparse(base).port).start()
    rasa_url = running_system.config.url(running_system.config.rasa_port)
    try:
        yield WeChat(url=f"{rasa_url}/webhooks/wechat/webhook", rasa_url=rasa_url,
                     rasa_token=shared_secrets(running_system.config)["RASA_AUTH_TOKEN"], api=api)
    finally:
        api.stop()


class Customer:
    """One WeChat user talking to the Official Account; answers come passively or pushed."""

    def __init__(self, wechat: WeChat, safe_mode: bool = True) -> None:
        self.wechat = wechat
        self.sim = WeChatServerSim(safe_mode=safe_mode)
        self.openid = new_openid()
        self.passive_seconds: list[float] = []

    def says(self, text: str) -> str:
        started = time.perf_counter()
        response = self.wechat.deliver(self.sim, self.sim.text(self.openid, text), self.openid)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        assert elapsed < 5.0, f"WeChat gives up after 5 s; the channel took {elapsed:.2f} s"
        reply = self.sim.read_reply(response.text)
        if reply is not None:
            self.passive_seconds.append(elapsed)
            assert (reply["ToUserName"], reply["MsgType"]) == (self.openid, "text")
            return reply["Content"]
        # Too slow for a passive reply: it comes through the customer-service API.
        already = len(self.wechat.api.messages_to(self.openid))
        deadline = time.monotonic() + 60
        while len(self.wechat.api.messages_to(self.openid)) == already and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.wechat.api.messages_to(self.openid)[-1]["text"]["content"]


def test_url_verification_echoes_only_for_a_signed_request(wechat):
    sim = WeChatServerSim()
    ok = httpx.get(wechat.url, params=sim.verification("7431958302"), timeout=5)
    assert (ok.status_code, ok.text) == (200, "7431958302")
    forged = httpx.get(wechat.url, params=WeChatServerSim(token="guess").verification("1"), timeout=5)
    assert forged.status_code == 403
    assert httpx.get(wechat.url, timeout=5).status_code == 403


def test_a_booking_over_wechat_spans_many_messages_and_records_channel_wechat(wechat, running_system):
    customer = Customer(wechat)
    welcome = wechat.deliver(customer.sim, customer.sim.event(customer.openid, "subscribe"), customer.openid)
    assert customer.sim.read_reply(welcome.text)["Content"] == GREETING

    when = (clock.now(SHANGHAI) + timedelta(days=3)).replace(hour=14, minute=30, second=0, microsecond=0)
    notice = customer.says("我想预约大后天下午两点半做保养")
    assert "请问您同意吗" in notice and "请回复数字选择:\n1. 同意\n2. 不同意" in notice  # PIPL, in WeChat too
    assert "贵姓" in customer.says("1")
    assert "手机号" in customer.says("赵先生")
    first_visit = customer.says("13955501234")
    assert "请回复数字选择:\n1. 来过\n2. 第一次来" in first_visit
    assert "车牌" in customer.says("2")  # the digit picks 第一次来
    assert "车架号" in customer.says("苏E12345")
    assert "车型" in customer.says("不记得")
    assert "公里" in customer.says("帕萨特")
    assert "其他需要" in customer.says("两万")
    read_back = customer.says("没有了")
    assert format_slot(when, SHANGHAI) in read_back
    assert "1. 正确,确认预约" in read_back
    assert "预约成功" in customer.says("1")

    with running_system.api() as api:
        listing = api.get("/api/drafts", params={"phone": "13955501234"}).json()
    assert listing["total"] == 1
    [draft] = listing["items"]
    assert draft["channel"] == "wechat"
    assert draft["conversation_id"] == customer.openid
    assert draft["booking"]["first_visit"] is True
    assert draft["vehicle"]["plate"] == "苏E12345"
    assert draft["privacy_consent"]["agreed_at"]
    assert max(customer.passive_seconds) < 4.6


def test_safe_mode_messages_are_decrypted_and_replies_encrypted(wechat):
    customer = Customer(wechat, safe_mode=True)
    query, body = customer.sim.delivery(customer.sim.text(customer.openid, "你好"), customer.openid)
    assert b"<Encrypt>" in body and "你好".encode() not in body
    response = httpx.post(wechat.url, params=query, content=body, timeout=8)
    assert response.status_code == 200
    assert "<Encrypt>" in response.text and "<MsgSignature>" in response.text
    assert customer.sim.read_reply(response.text)["Content"] == GREETING  # signature checked too
    assert wechat.latest_input_channel(customer.openid) == "wechat"


@pytest.mark.parametrize("safe_mode", [False, True], ids=["plain", "safe"])
def test_a_bad_signature_gets_403_and_never_reaches_the_assistant(wechat, safe_mode):
    forger = WeChatServerSim(token="not-the-token", safe_mode=safe_mode)
    openid = new_openid()
    response = wechat.deliver(forger, forger.text(openid, "我想预约明天上午做保养"), openid)
    assert response.status_code == 403
    assert wechat.user_texts(openid) == []


def test_a_stale_timestamp_is_refused(wechat):
    sim = WeChatServerSim(safe_mode=True)
    openid = new_openid()
    response = wechat.deliver(sim, sim.text(openid, "你好"), openid, timestamp=int(time.time()) - 600)
    assert response.status_code == 403
    assert wechat.user_texts(openid) == []


def test_the_same_msg_id_three_times_is_one_turn_and_one_reply(wechat):
    sim = WeChatServerSim(safe_mode=True)
    openid = new_openid()
    xml = sim.text(openid, "请问你们几点开门?", msg_id=sim.msg_id())
    responses: list[httpx.Response] = []

    def deliver() -> None:
        responses.append(wechat.deliver(sim, xml, openid))

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    time.sleep(1.0)  # a reply through the customer-service API would have come by now

    assert [r.status_code for r in responses] == [200, 200, 200]
    replies = [sim.read_reply(r.text) for r in responses]
    answers = [r["Content"] for r in replies if r] + [m["text"]["content"] for m in wechat.api.messages_to(openid)]
    assert len(answers) == 1
    assert "营业" in answers[0]
    assert wechat.user_texts(openid) == ["请问你们几点开门?"]


def test_a_slow_answer_is_success_at_once_then_a_customer_service_message(wechat, running_system):
    """The action server is paused: each message gets the apology with the dealer's phone
    (bot/action_fault.py) once the action call times out (ACTION_SERVER_TIMEOUT, 4 s).
    The first message's comes as a passive reply when Rasa's own work takes under half a
    second (else it is pushed like the second's). A second message sent meanwhile
    (and WeChat's retry of it) waits for the first's turn, so it needs longer than WeChat
    waits: `success` at once, its apology later through the customer-service API."""
    customer = Customer(wechat)
    sim, openid = customer.sim, customer.openid
    text = "我想预约后天下午三点做保养"
    first_xml, second_xml = sim.text(openid, text), sim.text(openid, text)  # two MsgIds
    actions = running_system.stack.processes["actions"]
    tokens_before = len(wechat.api.token_requests)
    answered: dict[str, tuple[httpx.Response, float]] = {}

    def deliver(name: str, xml: str) -> None:
        started = time.perf_counter()
        answered[name] = (wechat.deliver(sim, xml, openid), time.perf_counter() - started)

    os.killpg(actions.pid, signal.SIGSTOP)
    try:
        threads = [threading.Thread(target=deliver, args=args)
                   for args in (("first", first_xml), ("second", second_xml), ("retry", second_xml))]
        for thread in threads:
            thread.start()
            time.sleep(0.3)
        for thread in threads:
            thread.join()
        pushed = wechat.api.wait_for_message(openid, timeout=15)  # the second turn's apology
    finally:
        os.killpg(actions.pid, signal.SIGCONT)
    time.sleep(0.5)

    first, first_seconds = answered["first"]
    assert first.status_code == 200 and first_seconds < 5.0
    for name in ("second", "retry"):  # WeChat's retry joins the second message's turn
        response, seconds = answered[name]
        assert (response.status_code, response.text) == (200, "success")
        assert 4.0 < seconds < 5.0
    assert pushed is not None
    passive = sim.read_reply(first.text)
    print(f"\nfirst message: {'passive' if passive else 'pushed'} apology, answered in {first_seconds:.2f} s")
    answers = ([passive["Content"]] if passive else []) + [m["text"]["content"] for m in wechat.api.messages_to(openid)]
    assert len(answers) == 2  # one per message, none for the retry
    for answer in answers:
        assert "抱歉" in answer and load_catalog().phone in answer
    assert len(wechat.api.token_requests) <= tokens_before + 1
    assert wechat.user_texts(openid) == [text, text]
    # The action server back: the same request is answered (the slot offered, or, when
    # other tests filled that slot first, which depends on the clock, the nearest free ones).
    assert any(answer in customer.says(text) for answer in ("请问您同意吗", "已经约满了"))


def test_a_billion_laughs_payload_is_refused_within_a_second(wechat):
    sim = WeChatServerSim(safe_mode=True)
    started = time.perf_counter()
    query = {**sim.query(), "encrypt_type": "aes"}  # the outer XML is read before decrypting
    response = httpx.post(wechat.url, params=query, content=BILLION_LAUGHS.encode(), timeout=5)
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 400
    assert wechat.user_texts("o_attacker") == []
    assert Customer(wechat).says("你好") == GREETING  # and the server is still well


def test_images_get_a_polite_text_and_no_turn(wechat):
    sim = WeChatServerSim(safe_mode=True)
    openid = new_openid()
    reply = sim.read_reply(wechat.deliver(sim, sim.image(openid), openid).text)
    assert "文字" in reply["Content"] and "您好" in reply["Content"]
    assert wechat.user_texts(openid) == []
