"""Issue 12: the worker's WeChat reminders reach the simulated WeChat server
(tests/wechat_sim.FakeWeChatApi) through wechatpy's client: a customer-service message
while the 48-hour window since the customer's last message (read from a Rasa tracker
store) is open, a template message after it; the stable access token; WeChat errors."""
from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dealer.wechat_push import ChannelError, WeChatPush
from dealer.worker import Worker, tracker_last_message
from tests.dealer.bookings import day_at
from tests.dealer.test_worker import at, reminder, wechat_booking
from tests.wechat_sim import APP_ID, APP_SECRET, FakeWeChatApi

SEND_AT = day_at(2, 10, 1)  # the day before the appointments, just after the reminder hour


@pytest.fixture
def wechat_api():
    api = FakeWeChatApi().start()
    yield api
    api.stop()


@pytest.fixture
def tracker_url(tmp_path: Path) -> str:
    """A tracker store with Rasa's ``events`` table, empty."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"))
    engine.dispose()
    return url


def customer_wrote(tracker_url: str, openid: str, hours_before_send: float) -> None:
    """The customer's last message, stamped by Rasa on the real clock."""
    clock = at(SEND_AT)
    stamp = (SEND_AT - timedelta(hours=hours_before_send) - clock.offset).timestamp()
    engine = create_engine(tracker_url)
    with engine.begin() as connection:
        for kind, seconds in (("user", stamp), ("bot", stamp + 1)):
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, :t, :ts, '{}')"),
                               {"s": openid, "t": kind, "ts": seconds})
    engine.dispose()


def wechat_worker(database_url, catalog, api: FakeWeChatApi, tracker_url: str, template: str = "") -> Worker:
    catalog = dataclasses.replace(catalog, reminders=dataclasses.replace(catalog.reminders, wechat_template_id=template))
    return Worker(database_url, catalog, clock=at(SEND_AT), push=WeChatPush(APP_ID, APP_SECRET, api.base_url),
                  last_message=tracker_last_message(tracker_url))


def test_inside_the_window_a_customer_service_message_reaches_wechat(database_url, catalog, wechat_api, tracker_url):
    draft_id = wechat_booking(database_url, catalog, openid="o-sim-inside")
    customer_wrote(tracker_url, "o-sim-inside", hours_before_send=47)

    assert wechat_worker(database_url, catalog, wechat_api, tracker_url).run_once().sent == 1

    [message] = wechat_api.messages_to("o-sim-inside")
    assert message["msgtype"] == "text"
    assert message["text"]["content"].startswith("【瑞通汽车】预约提醒")
    assert wechat_api.token_requests[0]["grant_type"] == "client_credential"  # the stable token
    assert reminder(database_url, draft_id).sent_via == "custom"


def test_outside_the_window_a_template_message_reaches_wechat(database_url, catalog, wechat_api, tracker_url):
    wechat_booking(database_url, catalog, openid="o-sim-outside")
    customer_wrote(tracker_url, "o-sim-outside", hours_before_send=49)

    assert wechat_worker(database_url, catalog, wechat_api, tracker_url, template="TPL-1").run_once().sent == 1

    [message] = wechat_api.messages_to("o-sim-outside")
    assert message["template_id"] == "TPL-1" and "msgtype" not in message
    assert message["data"]["keyword1"]["value"].endswith("09:00")  # the appointment
    assert "虹梅南路" in message["data"]["keyword3"]["value"]


def test_outside_the_window_without_a_template_id_nothing_is_sent(database_url, catalog, wechat_api, tracker_url):
    draft_id = wechat_booking(database_url, catalog, openid="o-sim-no-template")  # and never wrote again
    assert wechat_worker(database_url, catalog, wechat_api, tracker_url).run_once().to_calls == 1
    assert wechat_api.messages_to("o-sim-no-template") == []
    assert reminder(database_url, draft_id).channel == "call"


def test_wechat_errors_become_channel_errors_and_a_new_token_is_fetched(wechat_api):
    push = WeChatPush(APP_ID, APP_SECRET, wechat_api.base_url)
    push.send_text("o-token", "你好")
    wechat_api.expire_token()  # refreshed elsewhere: 40001, fetched again, sent
    push.send_text("o-token", "你好")
    assert len(wechat_api.messages_to("o-token")) == 2 and len(wechat_api.token_requests) == 2

    wechat_api.failures.append(-1)
    with pytest.raises(ChannelError, match="-1"):
        push.send_text("o-token", "你好")
    unreachable = WeChatPush(APP_ID, APP_SECRET, "http://127.0.0.1:9")  # nobody listens
    with pytest.raises(ChannelError):
        unreachable.send_text("o-token", "你好")
