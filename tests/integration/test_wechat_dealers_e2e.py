"""Issue 14 end to end: a second dealer's WeChat Official Account on the real processes.

A stack of its own (Rasa, action server, API) whose Rasa process has two accounts: the
default dealer's (WECHAT_*, /webhooks/wechat/webhook) and pudong's (WECHAT_PUDONG_*,
/webhooks/wechat/pudong/webhook). The simulated WeChat server signs and encrypts with
pudong's token, AES key and app id; a message there is answered in pudong's name and a
booking made there is pudong's draft, which pudong's advisor sees and the default
dealer's does not.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest

from dealer import clock
from dealer.timefmt import format_slot
from devtools.stack import Stack, fresh_stack, free_port, shared_secrets
from tests.conftest import ARTIFACTS
from tests.integration.test_wechat_channel import Customer, WeChat
from tests.wechat_sim import APP_ID, APP_SECRET, FakeWeChatApi, WeChatServerSim, stack_env

SHANGHAI = ZoneInfo("Asia/Shanghai")
PUDONG_TOKEN = "pudong-e2e-token"
PUDONG_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
PUDONG_APP_ID = "wxpudong0000000001"
PUDONG_SECRET = "pudong-secret-not-real"
PUDONG_GREETING = "您好,瑞通汽车浦东服务中心"


class NetworkWeChatApi(FakeWeChatApi):
    """One fake server API for both accounts (the Rasa process has one WECHAT_API_BASE_URL)."""

    def __init__(self, port: int) -> None:
        super().__init__(port=port)
        self.accounts = {APP_ID: APP_SECRET, PUDONG_APP_ID: PUDONG_SECRET}

    def _token(self, body: dict) -> dict:
        if self.accounts.get(body.get("appid")) == body.get("secret"):
            body = {**body, "appid": self.app_id, "secret": self.secret}
        return super()._token(body)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WeChat, Stack]]:
    env = {"APP_ENV": "test", **stack_env(fake_api_port=free_port()),
           "WECHAT_PUDONG_TOKEN": PUDONG_TOKEN, "WECHAT_PUDONG_ENCODING_AES_KEY": PUDONG_AES_KEY,
           "WECHAT_PUDONG_APP_ID": PUDONG_APP_ID, "WECHAT_PUDONG_APP_SECRET": PUDONG_SECRET,
           "LOGIN_RATE_LIMIT": "1000/minute"}
    stack, _ = fresh_stack(tmp_path_factory.mktemp("dealers"), ARTIFACTS / "wechat-dealers-logs", env)
    stack = Stack(replace(stack.config, services=("rasa", "actions", "api")))
    api = NetworkWeChatApi(port=urlparse(env["WECHAT_API_BASE_URL"]).port).start()
    stack.start()
    try:
        stack.wait_healthy(timeout=300)
        rasa_url = stack.config.url(stack.config.rasa_port)
        yield WeChat(url=f"{rasa_url}/webhooks/wechat/pudong/webhook", rasa_url=rasa_url,
                     rasa_token=shared_secrets(stack.config)["RASA_AUTH_TOKEN"], api=api), stack
    finally:
        stack.stop()
        api.stop()


def pudong_customer(wechat: WeChat) -> Customer:
    customer = Customer(wechat)
    customer.sim = WeChatServerSim(token=PUDONG_TOKEN, aes_key=PUDONG_AES_KEY, app_id=PUDONG_APP_ID, safe_mode=True)
    return customer


def drafts_seen_by(stack: Stack, username: str, phone: str) -> list[dict]:
    with httpx.Client(base_url=stack.config.url(stack.config.api_port), timeout=10) as client:
        token = client.post("/api/auth/token", data={"username": username, "password": username})
        token.raise_for_status()
        listing = client.get("/api/drafts", params={"phone": phone},
                             headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        listing.raise_for_status()
        return listing.json()["items"]


def test_pudongs_account_verifies_with_its_own_token_only(network):
    wechat, _ = network
    pudong = WeChatServerSim(token=PUDONG_TOKEN)
    ok = httpx.get(wechat.url, params=pudong.verification("5150"), timeout=5)
    assert (ok.status_code, ok.text) == (200, "5150")
    signed_by_demo = httpx.get(wechat.url, params=WeChatServerSim().verification("5151"), timeout=5)
    assert signed_by_demo.status_code == 403


def test_a_message_to_pudongs_account_is_answered_in_pudongs_name(network):
    wechat, _ = network
    customer = pudong_customer(wechat)
    welcome = wechat.deliver(customer.sim, customer.sim.event(customer.openid, "subscribe"), customer.openid)
    assert welcome.status_code == 200
    assert customer.sim.read_reply(welcome.text)["Content"].startswith(PUDONG_GREETING)
    assert wechat.latest_input_channel(f"pudong:{customer.openid}") == "wechat"


def test_a_booking_on_pudongs_account_becomes_a_pudong_draft(network):
    wechat, stack = network
    customer = pudong_customer(wechat)
    when = (clock.now(SHANGHAI) + timedelta(days=3)).replace(hour=14, minute=30, second=0, microsecond=0)
    phone = "13955507788"
    assert "请问您同意吗" in customer.says("我想预约大后天下午两点半做保养")
    assert "贵姓" in customer.says("1")
    assert "手机号" in customer.says("钱先生")
    assert "第一次来" in customer.says(phone)
    assert "车牌" in customer.says("2")
    assert "车型" in customer.says("沪D54321")
    assert "公里" in customer.says("途观")
    assert "其他需要" in customer.says("三万")
    read_back = customer.says("没有了")
    assert format_slot(when, SHANGHAI) in read_back
    confirmation = customer.says("1")
    assert "预约成功" in confirmation

    [draft] = drafts_seen_by(stack, "pd.advisor", phone)
    assert (draft["dealer"], draft["channel"]) == ("pudong", "wechat")
    assert draft["conversation_id"] == f"pudong:{customer.openid}"
    assert draft["vehicle"]["plate"] == "沪D54321"
    assert drafts_seen_by(stack, "advisor", phone) == []  # not the default dealer's
