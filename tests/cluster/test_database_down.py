"""Issue 14: the dealer database unavailable while a customer confirms a booking.

Real processes of this test's own (Rasa, the action server, the API) over a PostgreSQL
dealer database of its own; that database, and only it, is made unavailable (ALLOW_CONNECTIONS
false and its connections ended; the shared server keeps serving every other test),
then brought back. The customer confirms while it is down: an apology that says the
booking is not made yet, with the dealer's phone, and the conversation stays at the
read-back; both health checks say 503, naming the database and nothing of its address;
once it is back the same 对的 books exactly one draft (actions/db_fault.py).
"""
from __future__ import annotations

import time
import uuid

import httpx

from tests.cluster.conftest import unavailable
from tests.integration.test_action_server_faults import PHONE, rest_replies, texts

APOLOGY_WITHIN = 5.0
RECOVERY_WITHIN = 10.0
DOWN_FOR = 20.0  # seconds, roughly: long enough for the processes' pools to give up on it


def assert_database_down(response: httpx.Response, secrets: tuple[str, ...]) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["component"] == "database" and body["status"] == "unavailable", body
    for secret in secrets:  # no connection string, host, port, database or user
        assert secret not in response.text, secret


def test_a_confirmation_while_the_database_is_down_is_refused_and_books_once_it_is_back(
    postgres_dealer_database, own_stack
):
    database = postgres_dealer_database
    stack = own_stack("database-down", database.url, services=("rasa", "actions", "api"))
    rasa_url = stack.config.url(stack.config.rasa_port)
    api_health = stack.config.url(stack.config.api_port, "/api/health")
    actions_health = stack.config.action_url("/health")
    sender = f"dbdown-{uuid.uuid4().hex[:8]}"
    secrets = (database.name, "postgresql", "psycopg", ":5432", "postgres@")

    def say(text: str) -> list[dict]:
        return rest_replies(rasa_url, sender, text)[0]

    for text, expected in (("我想预约大大后天下午两点做保养", "请问您同意吗"), ("同意", "贵姓"),
                           ("郑先生", "手机号"), ("13600007711", "之前来我们店"), ("第一次来", "车牌"),
                           ("苏E6F8K1", "车架号"), ("不记得", "车型"), ("帕萨特", "公里"), ("两万", "其他需要")):
        assert expected in texts(say(text)), text
    read_back = say("没有了")
    assert "信息是否正确" in texts(read_back)
    assert httpx.get(api_health, timeout=5).json() == {"status": "ok"}
    assert httpx.get(actions_health, timeout=5).json() == {"status": "ok"}

    newcomer = f"dbdown-{uuid.uuid4().hex[:8]}"
    with unavailable(database):
        cut_at = time.perf_counter()
        # Confirmed at once, again while down, and once more at the end of the outage:
        # refused each time, nothing booked, the read-back's choices offered again (a
        # WeChat digit still answers it).
        for attempt in range(3):
            replies, seconds = rest_replies(rasa_url, sender, "对的")
            apology = texts(replies)
            print(f"\nthe apology with the database down in {seconds:.2f} s: {apology}")
            assert "还没有" in apology and PHONE in apology, apology
            assert "预约成功" not in apology
            assert seconds < APOLOGY_WITHIN
            assert replies[-1].get("buttons") == read_back[-1].get("buttons")
            assert_database_down(httpx.get(api_health, timeout=10), secrets)
            assert_database_down(httpx.get(actions_health, timeout=10), secrets)
            if attempt == 0:
                # A customer who starts meanwhile (the time is checked against the database):
                # the action server's apology (bot/action_fault.py), the message undone.
                opening, seconds = rest_replies(rasa_url, newcomer, "我想预约大大后天下午三点做保养")
                assert "抱歉" in texts(opening) and PHONE in texts(opening), texts(opening)
                assert seconds < APOLOGY_WITHIN
            time.sleep(DOWN_FOR / 2 if attempt < 2 else 0)
        print(f"down for {time.perf_counter() - cut_at:.1f} s")

    back_at = time.perf_counter()
    while httpx.get(api_health, timeout=5).status_code != 200 or httpx.get(actions_health, timeout=5).status_code != 200:
        assert time.perf_counter() - back_at < RECOVERY_WITHIN, "the health checks stay 503"
        time.sleep(0.2)
    print(f"healthy {time.perf_counter() - back_at:.2f} s after the database came back")
    assert database.scalar("SELECT count(*) FROM draft_work_order WHERE conversation_id = :c", c=sender) == 0

    booked, seconds = rest_replies(rasa_url, sender, "对的")
    assert "预约成功" in texts(booked), texts(booked)
    print(f"booked {time.perf_counter() - back_at:.2f} s after the database came back (the turn {seconds:.2f} s)")
    # Once only: the same conversation's 对的 again books nothing more.
    rest_replies(rasa_url, sender, "对的")
    assert database.scalar("SELECT count(*) FROM draft_work_order WHERE conversation_id = :c", c=sender) == 1
    assert database.scalar("SELECT count(*) FROM draft_work_order WHERE phone = '13600007711'") == 1
    # The one who started during the outage goes on from the same message.
    assert "请问您同意吗" in texts(rest_replies(rasa_url, newcomer, "我想预约大大后天下午三点做保养")[0])


def test_a_silent_database_at_the_confirmation_gets_the_apology_in_time_and_books_once(
    silent_proxy, postgres_dealer_database, own_stack
):
    """The database answering nothing (a partition: connections open, no byte back), not
    refusing: the write's own timeout (BOOKING_WRITE_TIMEOUT, 3 s) gives the same apology
    before Rasa's action timeout (4 s) would undo the turn; the write held meanwhile may
    commit once the database speaks again, and the next 对 finds it: one draft."""
    proxy, url = silent_proxy
    stack = own_stack("database-silent", url)
    rasa_url = stack.config.url(stack.config.rasa_port)
    actions_health = stack.config.action_url("/health")
    sender = f"dbsilent-{uuid.uuid4().hex[:8]}"

    def say(text: str) -> list[dict]:
        return rest_replies(rasa_url, sender, text)[0]

    for text, expected in (("我想预约大大后天下午两点做保养", "请问您同意吗"), ("同意", "贵姓"),
                           ("吴先生", "手机号"), ("13600007712", "之前来我们店"), ("第一次来", "车牌"),
                           ("苏E6F8K3", "车架号"), ("不记得", "车型"), ("帕萨特", "公里"), ("两万", "其他需要"),
                           ("没有了", "信息是否正确")):
        assert expected in texts(say(text)), text

    proxy.silence()
    try:
        replies, seconds = rest_replies(rasa_url, sender, "对的")
        apology = texts(replies)
        print(f"\nthe apology with the database silent in {seconds:.2f} s")
        assert "还没有" in apology and PHONE in apology, apology
        assert seconds < APOLOGY_WITHIN
        started = time.perf_counter()
        assert_database_down(httpx.get(actions_health, timeout=10), (url, "postgresql", ":5432"))
        print(f"the action server's health said 503 in {time.perf_counter() - started:.2f} s")
    finally:
        proxy.speak()

    back_at = time.perf_counter()
    while httpx.get(actions_health, timeout=10).status_code != 200:
        assert time.perf_counter() - back_at < RECOVERY_WITHIN, "the action server's health stays 503"
        time.sleep(0.2)
    booked = texts(say("对的"))
    assert "预约成功" in booked, booked
    print(f"booked {time.perf_counter() - back_at:.2f} s after the database spoke again")
    assert postgres_dealer_database.scalar(
        "SELECT count(*) FROM draft_work_order WHERE conversation_id = :c", c=sender) == 1
