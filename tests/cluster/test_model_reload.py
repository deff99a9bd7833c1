"""Issue 14: a model reloaded while serving — no request fails, no conversation loses an event.

A Rasa server and an action server of this test's own (a SQLite dealer database of its
own). Four customers book at once, each in their own conversation, a message after
another, then keep asking while the model is replaced through Rasa's HTTP API
(``PUT /model?token=…`` with ``{"model_file": models/dealer.tar.gz}``) three times in a
row. Every message must get 200 and a normal reply (no action-server apology, no
fallback), each booking step the answer it expects, every conversation's tracker each
message once in the order sent, and each booking one draft (bot/model_reload.py).
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
import sqlalchemy as sa

from devtools.stack import REPO_ROOT, shared_secrets

MODEL = REPO_ROOT / "models" / "dealer.tar.gz"
RELOADS = 3
# Not normal answers: the action server's apology (bot/action_fault.py), the fallback.
FAILED_TURN = ("系统暂时繁忙", "我没太明白")
QUESTIONS = ("你们几点开门", "周六营业吗")
# GET /status during each reload, as a share of that reload, on average over the reloads:
# Rasa's own PUT /model blocks the event loop for about all of it (1.8-3.1 s of 1.9-3.1 s
# loads, share ~1); loaded beside it in a thread, the loop answers, slowed only while the
# load holds the GIL (0.1-0.7 measured: 0.67 once on the CI rehearsal of 65d43e8, where a
# bound of half the shortest load failed). The mean of the shares separates the two.
STALL_SHARE = 0.85


def booking(time_words: str, name: str, phone: str, plate: str) -> list[tuple[str, str]]:
    return [(f"我想预约{time_words}做保养", "请问您同意吗"), ("同意", "贵姓"), (name, "手机号"),
            (phone, "之前来我们店"), ("第一次来", "车牌"), (plate, "车架号"), ("不记得", "车型"), ("帕萨特", "公里"),
            ("两万", "其他需要"), ("没有了", "信息是否正确"), ("对的", "预约成功")]


CUSTOMERS = (
    booking("大大后天上午十点", "孙先生", "13600008801", "苏E1R001"),
    booking("大大后天上午十一点", "钱女士", "13600008802", "苏E1R002"),
    booking("大大后天下午三点", "李先生", "13600008803", "苏E1R003"),
    booking("大大后天下午四点", "周女士", "13600008804", "苏E1R004"),
)


@dataclass
class Conversation:
    sender: str
    script: list[tuple[str, str]]
    sent: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (started, seconds)


def converse(rasa_url: str, conversation: Conversation, reloads_done: threading.Event) -> None:
    """The booking, then questions until the reloads are over; every failure noted."""
    with httpx.Client(timeout=60) as client:

        def say(text: str, expected: str | None) -> None:
            started = time.perf_counter()
            conversation.sent.append(text)
            try:
                response = client.post(f"{rasa_url}/webhooks/rest/webhook",
                                       json={"sender": conversation.sender, "message": text})
            except httpx.HTTPError as error:
                conversation.failures.append(f"{text}: {type(error).__name__}: {error}")
                return
            conversation.latencies.append((started, time.perf_counter() - started))
            if response.status_code != 200:
                conversation.failures.append(f"{text}: HTTP {response.status_code} {response.text[:200]}")
                return
            reply = "\n".join(r.get("text") or "" for r in response.json())
            if not reply or any(words in reply for words in FAILED_TURN) or (expected and expected not in reply):
                conversation.failures.append(f"{text}: {reply!r} (expected {expected!r})")

        for text, expected in conversation.script:
            say(text, expected)
            time.sleep(0.3)  # a customer types
        asked = 0
        while not reloads_done.is_set() or asked < 2:
            say(QUESTIONS[asked % len(QUESTIONS)], None)
            asked += 1
            time.sleep(0.3)


def probe_status(rasa_url: str, stop: threading.Event, seconds: list[tuple[float, float]]) -> None:
    """``GET /status`` every 50 ms: how long the server's event loop stops answering."""
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get(f"{rasa_url}/status").raise_for_status()
            seconds.append((started, time.perf_counter() - started))
            time.sleep(0.05)


def test_replacing_the_model_while_customers_book_fails_no_request(sqlite_url, own_stack):
    stack = own_stack("model-reload", sqlite_url)
    rasa_url = stack.config.url(stack.config.rasa_port)
    token = shared_secrets(stack.config)["RASA_AUTH_TOKEN"]
    run = uuid.uuid4().hex[:6]
    conversations = [Conversation(f"reload-{run}-{i}", script) for i, script in enumerate(CUSTOMERS)]
    reloads_done = threading.Event()
    threads = [threading.Thread(target=converse, args=(rasa_url, c, reloads_done)) for c in conversations]
    status_seconds: list[tuple[float, float]] = []
    threads.append(threading.Thread(target=probe_status, args=(rasa_url, reloads_done, status_seconds)))
    for thread in threads:
        thread.start()

    windows: list[tuple[float, float]] = []
    try:
        with httpx.Client(timeout=120) as client:
            time.sleep(1.0)  # the bookings under way
            for _ in range(RELOADS):
                started = time.perf_counter()
                loaded = client.put(f"{rasa_url}/model", params={"token": token}, json={"model_file": str(MODEL)})
                windows.append((started, time.perf_counter()))
                assert loaded.status_code == 204, loaded.text
                time.sleep(0.5)
    finally:
        reloads_done.set()
        for thread in threads:
            thread.join(timeout=120)

    during = [seconds for c in conversations for started, seconds in c.latencies
              if any(begin <= started <= end for begin, end in windows)]
    slowest = max(seconds for c in conversations for _, seconds in c.latencies)
    print(f"\n{RELOADS} reloads of {', '.join(f'{end - begin:.1f}' for begin, end in windows)} s; "
          f"{sum(len(c.sent) for c in conversations)} messages, {len(during)} sent during a reload "
          f"(slowest {max(during, default=0):.2f} s), slowest of all {slowest:.2f} s")
    shares = [max((seconds for started, seconds in status_seconds if begin <= started <= end), default=0.0)
              / (end - begin) for begin, end in windows]
    print(f"GET /status during a reload: at most {', '.join(f'{share:.2f}' for share in shares)} of each reload")
    # Rasa's own PUT /model loads on the event loop: nothing answered for the whole load.
    assert sum(shares) / len(shares) < STALL_SHARE, f"the server stopped answering during the reloads: {shares}"
    assert len(during) >= RELOADS, "the messages did not overlap the reloads"
    assert [f for c in conversations for f in c.failures] == []

    with httpx.Client(timeout=30) as client:
        for conversation in conversations:
            events = client.get(f"{rasa_url}/conversations/{conversation.sender}/tracker",
                                params={"token": token}).json()["events"]
            said = [e["text"] for e in events if e["event"] == "user"]
            assert said == conversation.sent, conversation.sender
            # Each message followed by its own answer before the next one.
            kinds = [e["event"] for e in events if e["event"] in ("user", "bot")]
            assert all(b == "bot" for a, b in zip(kinds, kinds[1:]) if a == "user"), conversation.sender
            assert kinds[-1] == "bot"
    engine = sa.create_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            for conversation in conversations:
                drafts = connection.execute(sa.text("SELECT count(*) FROM draft_work_order WHERE conversation_id = :c"),
                                            {"c": conversation.sender}).scalar_one()
                assert drafts == 1, conversation.sender
    finally:
        engine.dispose()
