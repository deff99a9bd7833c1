"""The WeChat channel's behaviour without HTTP: a fake assistant, a fake server API.

WeChatServerSim signs (and in safe mode encrypts) every delivery as WeChat does.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.wechat_bridge import NOT_TEXT_REPLY, OTHER_EVENT_REPLY, WeChatBridge
from bot.channels.wechat_settings import WeChatSettings
from tests.wechat_sim import AES_KEY, APP_ID, APP_SECRET, BILLION_LAUGHS, TOKEN, WeChatServerSim, new_openid

PLAIN = WeChatSettings(token=TOKEN, app_id=APP_ID, app_secret=APP_SECRET, reply_timeout=0.5)
SAFE = replace(PLAIN, encoding_aes_key=AES_KEY)  # safe mode: plaintext messages are refused


class FakeAssistant:
    """Answers every message after ``delay`` seconds, recording what it was told."""

    def __init__(self, delay: float = 0.0, buttons: list[dict] | None = None) -> None:
        self.delay = delay
        self.buttons = buttons
        self.heard: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.heard.append(message)
        await asyncio.sleep(self.delay)
        answer = {"text": f"收到:{message.text}"}
        if self.buttons:
            answer["buttons"] = self.buttons
        await message.output_channel.send_response(message.sender_id, answer)


class FakeApi:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_text(self, openid: str, text: str) -> None:
        self.sent.append((openid, text))

    async def close(self) -> None:
        pass


def make(assistant: FakeAssistant, settings: WeChatSettings = PLAIN) -> tuple[WeChatBridge, FakeApi]:
    api = FakeApi()
    return WeChatBridge(settings, assistant, api=api), api


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.mark.parametrize("safe_mode", [False, True], ids=["plain", "safe"])
def test_a_text_message_gets_a_passive_reply_from_the_assistant(safe_mode):
    sim = WeChatServerSim(safe_mode=safe_mode)
    assistant = FakeAssistant()
    bridge, api = make(assistant, SAFE if safe_mode else PLAIN)
    openid = new_openid()

    async def scenario():
        return await bridge.receive(*sim.delivery(sim.text(openid, "我想预约明天上午做保养"), openid))

    response = run(scenario())
    assert response.status == 200
    reply = sim.read_reply(response.body)
    assert reply["Content"] == "收到:我想预约明天上午做保养"
    assert reply["ToUserName"] == openid
    assert reply["MsgType"] == "text"
    [heard] = assistant.heard
    assert (heard.sender_id, heard.input_channel) == (openid, "wechat")
    assert api.sent == []
    if safe_mode:
        assert "<Encrypt>" in response.body and "收到" not in response.body


def test_the_url_check_echoes_echostr_only_when_signed():
    bridge, _ = make(FakeAssistant())
    sim = WeChatServerSim()
    assert bridge.verify_url(sim.verification("hello-42")).body == "hello-42"
    assert bridge.verify_url(WeChatServerSim(token="wrong").verification("x")).status == 403


@pytest.mark.parametrize("safe_mode", [False, True], ids=["plain", "safe"])
def test_a_bad_signature_gets_403_and_never_reaches_the_assistant(safe_mode):
    assistant = FakeAssistant()
    bridge, _ = make(assistant, SAFE if safe_mode else PLAIN)
    forger = WeChatServerSim(token="guessed-token", safe_mode=safe_mode)
    openid = new_openid()
    query, body = forger.delivery(forger.text(openid, "你好"), openid)
    assert run(bridge.receive(query, body)).status == 403
    assert assistant.heard == []


def test_safe_mode_with_a_bad_msg_signature_gets_403():
    assistant = FakeAssistant()
    bridge, _ = make(assistant, SAFE)
    sim = WeChatServerSim(safe_mode=True)
    query, body = sim.delivery(sim.text("o1", "你好"), "o1")
    query["msg_signature"] = "0" * 40
    assert run(bridge.receive(query, body)).status == 403
    assert assistant.heard == []


def test_safe_mode_refuses_a_plaintext_message_but_answers_the_url_check(caplog):
    assistant = FakeAssistant()
    bridge, _ = make(assistant, SAFE)
    sim = WeChatServerSim()  # signed with the right token, but not encrypted
    delivery = sim.delivery(sim.text("o1", "你好"), "o1")

    with caplog.at_level(logging.WARNING, logger="bot.channels.wechat_bridge"):
        assert run(bridge.receive(*delivery)).status == 403
    assert assistant.heard == []
    assert "plaintext" in caplog.text
    assert bridge.verify_url(sim.verification("hello-43")).body == "hello-43"
    assert run(make(assistant, PLAIN)[0].receive(*delivery)).status == 200  # no AES key: as before


@pytest.mark.parametrize("safe_mode", [False, True], ids=["plain", "safe"])
def test_a_seen_timestamp_and_nonce_with_another_body_is_refused(safe_mode, caplog):
    sim = WeChatServerSim(safe_mode=safe_mode)
    assistant = FakeAssistant()
    bridge, _ = make(assistant, SAFE if safe_mode else PLAIN)
    query, body = sim.delivery(sim.text("o1", "明天上午九点"), "o1")
    pair = {"timestamp": int(query["timestamp"]), "nonce": query["nonce"]}
    replayed = sim.delivery(sim.text("o1", "取消预约"), "o1", **pair)  # validly signed

    async def scenario():
        first = await bridge.receive(query, body)
        with caplog.at_level(logging.WARNING, logger="bot.channels.wechat_bridge"):
            refused = await bridge.receive(*replayed)
        retry = await bridge.receive(query, body)  # WeChat's own retry: the same body
        return first, refused, retry

    first, refused, retry = run(scenario())
    assert sim.read_reply(first.body)["Content"] == "收到:明天上午九点"
    assert refused.status == 403 and "another body" in caplog.text
    assert (retry.status, retry.body) == (200, "success")  # joined the turn; its reply went out
    assert [m.text for m in assistant.heard] == ["明天上午九点"]


def test_a_retry_with_the_same_timestamp_and_nonce_joins_the_turn_in_flight():
    sim = WeChatServerSim(safe_mode=True)
    assistant = FakeAssistant(delay=0.1)
    bridge, api = make(assistant, SAFE)
    delivery = sim.delivery(sim.text("o1", "几点开门"), "o1")

    async def scenario():
        first = asyncio.ensure_future(bridge.receive(*delivery))
        await asyncio.sleep(0.02)
        return await asyncio.gather(first, bridge.receive(*delivery))

    responses = run(scenario())
    assert [r.status for r in responses] == [200, 200]
    assert [sim.read_reply(r.body)["Content"] for r in responses if r.body != "success"] == ["收到:几点开门"]
    assert len(assistant.heard) == 1 and api.sent == []


def test_a_stale_timestamp_is_refused():
    assistant = FakeAssistant()
    bridge, _ = make(assistant)
    sim = WeChatServerSim()
    query, body = sim.delivery(sim.text("o1", "你好"), "o1", timestamp=int(time.time()) - 3600)
    assert run(bridge.receive(query, body)).status == 403
    assert assistant.heard == []


def test_an_unconfigured_channel_refuses_every_request():
    assistant = FakeAssistant()
    bridge, _ = make(assistant, WeChatSettings())
    sim = WeChatServerSim()
    assert bridge.verify_url(sim.verification()).status == 403
    assert run(bridge.receive(*sim.delivery(sim.text("o1", "你好"), "o1"))).status == 403
    assert assistant.heard == []


def test_a_signed_billion_laughs_is_refused_fast_and_unheard():
    assistant = FakeAssistant()
    bridge, _ = make(assistant)
    query = WeChatServerSim().query()
    started = time.perf_counter()
    response = run(bridge.receive(query, BILLION_LAUGHS.encode()))
    assert time.perf_counter() - started < 1.0
    assert response.status == 400
    assert assistant.heard == []


def test_three_deliveries_of_one_msg_id_make_one_turn_and_one_reply():
    sim = WeChatServerSim()
    assistant = FakeAssistant(delay=0.1)
    bridge, api = make(assistant)
    openid = new_openid()
    xml = sim.text(openid, "明天上午九点", msg_id=777)

    async def scenario():
        first = asyncio.ensure_future(bridge.receive(*sim.delivery(xml, openid)))
        await asyncio.sleep(0.02)  # the retries come while the first is being answered
        retries = [bridge.receive(*sim.delivery(xml, openid)) for _ in range(2)]
        return await asyncio.gather(first, *retries)

    responses = run(scenario())
    replies = [sim.read_reply(r.body) for r in responses]
    assert len(assistant.heard) == 1
    assert [r["Content"] for r in replies if r] == ["收到:明天上午九点"]
    assert api.sent == []


def test_a_retry_after_the_reply_went_out_is_success_and_no_new_turn():
    sim = WeChatServerSim()
    assistant = FakeAssistant()
    bridge, _ = make(assistant)
    xml = sim.text("o1", "你好", msg_id=778)

    async def scenario():
        first = await bridge.receive(*sim.delivery(xml, "o1"))
        again = await bridge.receive(*sim.delivery(xml, "o1"))
        return first, again

    first, again = run(scenario())
    assert sim.read_reply(first.body)["Content"] == "收到:你好"
    assert again.body == "success"
    assert len(assistant.heard) == 1


def test_a_slow_answer_is_success_at_once_then_one_customer_service_message():
    sim = WeChatServerSim()
    assistant = FakeAssistant(delay=1.5)  # longer than the 0.5 s reply timeout
    bridge, api = make(assistant)
    openid = new_openid()
    xml = sim.text(openid, "我的车刹车有异响", msg_id=900)

    async def scenario():
        started = time.perf_counter()
        first = await bridge.receive(*sim.delivery(xml, openid))
        waited = time.perf_counter() - started
        retry = await bridge.receive(*sim.delivery(xml, openid))  # WeChat may still retry
        await asyncio.sleep(1.5)
        return first, waited, retry

    first, waited, retry = run(scenario())
    assert first.body == "success" and retry.body == "success"
    assert 0.45 <= waited < 1.2  # the event loop's timer may fire a hair early
    assert len(assistant.heard) == 1
    assert api.sent == [(openid, "收到:我的车刹车有异响")]


def test_a_retry_still_waiting_when_the_slow_answer_is_ready_gets_it_passively():
    sim = WeChatServerSim()
    assistant = FakeAssistant(delay=0.75)
    bridge, api = make(assistant)
    xml = sim.text("o1", "几点开门", msg_id=901)

    async def scenario():
        first = await bridge.receive(*sim.delivery(xml, "o1"))  # times out after 0.5 s
        retry = await bridge.receive(*sim.delivery(xml, "o1"))  # the answer comes 0.25 s in
        await asyncio.sleep(0.3)
        return first, retry

    first, retry = run(scenario())
    assert first.body == "success"
    assert sim.read_reply(retry.body)["Content"] == "收到:几点开门"
    assert api.sent == []  # delivered once: passively, not twice
    assert len(assistant.heard) == 1


def test_subscribe_gets_the_greeting_from_the_assistant_and_is_deduplicated():
    sim = WeChatServerSim()
    assistant = FakeAssistant()
    bridge, _ = make(assistant)
    xml = sim.event("o1", "subscribe", create_time=1_790_000_000)

    async def scenario():
        return [await bridge.receive(*sim.delivery(xml, "o1")) for _ in range(2)]

    first, again = run(scenario())
    assert sim.read_reply(first.body)["Content"] == "收到:/greet"
    assert again.body == "success"
    assert [m.text for m in assistant.heard] == ["/greet"]


def test_images_and_other_events_get_a_polite_text_without_a_turn():
    sim = WeChatServerSim()
    assistant = FakeAssistant()
    bridge, _ = make(assistant)

    async def scenario():
        image = await bridge.receive(*sim.delivery(sim.image("o1"), "o1"))
        click = await bridge.receive(*sim.delivery(sim.event("o1", "CLICK", key="MENU_1"), "o1"))
        leave = await bridge.receive(*sim.delivery(sim.event("o1", "unsubscribe"), "o1"))
        return image, click, leave

    image, click, leave = run(scenario())
    assert sim.read_reply(image.body)["Content"] == NOT_TEXT_REPLY
    assert sim.read_reply(click.body)["Content"] == OTHER_EVENT_REPLY
    assert leave.body == "success"
    assert assistant.heard == []


def test_buttons_are_numbered_and_the_digit_answer_sends_the_payload():
    sim = WeChatServerSim()
    assistant = FakeAssistant(buttons=[{"title": "来过", "payload": "/affirm"},
                                       {"title": "第一次来", "payload": "/deny"}])
    bridge, _ = make(assistant)

    async def scenario():
        offer = await bridge.receive(*sim.delivery(sim.text("o1", "王先生"), "o1"))
        await bridge.receive(*sim.delivery(sim.text("o1", "2"), "o1"))
        return offer

    offer = run(scenario())
    assert "1. 来过\n2. 第一次来" in sim.read_reply(offer.body)["Content"]
    assert [m.text for m in assistant.heard] == ["王先生", "/deny"]


def test_messages_of_one_customer_are_answered_in_order():
    sim = WeChatServerSim()
    assistant = FakeAssistant(delay=0.05)
    bridge, _ = make(assistant)

    async def scenario():
        return await asyncio.gather(*(bridge.receive(*sim.delivery(sim.text("o1", str(i) + "号")))
                                      for i in range(5)))

    run(scenario())
    assert [m.text for m in assistant.heard] == [f"{i}号" for i in range(5)]


def test_messages_rasa_starts_itself_go_through_the_customer_service_api():
    from bot.channels.wechat import WeChatInput

    channel = WeChatInput(PLAIN)
    assistant = FakeAssistant()
    channel.blueprint(assistant)
    api = FakeApi()
    channel._bridge.api = api
    output = channel.get_output_channel()
    sim = WeChatServerSim()

    async def scenario():
        await output.send_response("o1", {"text": "明天上午十点的保养还来吗?",
                                          "buttons": [{"title": "来", "payload": "/affirm"}]})
        await channel._bridge.receive(*sim.delivery(sim.text("o1", "1"), "o1"))  # the answer

    run(scenario())
    assert output.name() == "wechat"
    assert api.sent == [("o1", "明天上午十点的保养还来吗?\n\n请回复数字选择:\n1. 来")]
    assert [m.text for m in assistant.heard] == ["/affirm"]
    assert WeChatInput(WeChatSettings(token="t")).get_output_channel() is None  # no app id/secret
