"""Issue 14: the assistant per dealer, against the real processes. A conversation whose
channel names a dealer (``metadata.dealer``; the web chat page at ``/chat/<dealer>`` sends
it) is that dealer's from its first message: its greeting, hours, prices, advisors and
capacity, and the draft is that dealer's, seen by its advisors only."""
from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from dealer import clock
from dealer.catalog import load_dealers
from dealer.timefmt import format_slot

SHANGHAI = ZoneInfo("Asia/Shanghai")
PUDONG = load_dealers()["pudong"]
DEFAULT = next(iter(load_dealers().values()))


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_a_conversation_for_the_second_dealer_books_with_its_hours_prices_and_advisors(running_system):
    sender = f"pd-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text, dealer="pudong"))  # noqa: E731
    # 17:30 is inside pudong's hours (09:00-18:00) and after the default dealer's last slot.
    start = (clock.now(SHANGHAI) + timedelta(days=3)).replace(hour=17, minute=30, second=0, microsecond=0)

    assert say("您好") == f"您好,{PUDONG.name},请问有什么可以帮您?"
    assert PUDONG.opening_hours_text in say("你们营业时间是几点到几点")
    notice = say("我想预约大后天下午五点半做保养")
    assert "请问您同意吗" in notice and PUDONG.privacy.url in notice
    say("同意")
    say("周女士")
    say("13955501234")
    say("第一次来")
    say("沪B55012")
    say("朗逸")
    say("两万公里")
    read_back = say("没有了")
    assert format_slot(start, SHANGHAI) in read_back
    done = say("对的")
    assert "预约成功" in done
    assert "小保养520元" in done  # pudong's price list, not the default dealer's 480
    assert any(advisor.name in done for advisor in PUDONG.advisors)

    with running_system.api("pd.advisor") as api:
        listing = api.get("/api/drafts", params={"phone": "13955501234"}).json()
    [draft] = listing["items"]
    assert (draft["dealer"], draft["conversation_id"]) == ("pudong", sender)
    assert draft["booking"]["start"] == start.isoformat()
    assert draft["booking"]["advisor"] in {advisor.name for advisor in PUDONG.advisors}
    with running_system.api("advisor") as api:  # the default dealer's advisor does not see it
        assert api.get("/api/drafts", params={"phone": "13955501234"}).json()["total"] == 0


def test_a_conversation_stays_with_its_dealer_and_the_default_is_unchanged(running_system):
    sender = f"pd-{uuid.uuid4().hex[:8]}"
    first = texts(running_system.say(sender, "您好", dealer="pudong"))
    later = texts(running_system.say(sender, "你们地址在哪里"))  # a later message naming no dealer

    assert PUDONG.name in first
    assert PUDONG.address in later and DEFAULT.address not in later
    assert texts(running_system.say(f"d-{uuid.uuid4().hex[:8]}", "您好")) == f"您好,{DEFAULT.name},请问有什么可以帮您?"


def test_an_unknown_dealer_is_refused_before_any_turn(running_system):
    response = httpx.post(running_system.config.url(running_system.config.rasa_port, "/webhooks/rest/webhook"),
                          json={"sender": f"x-{uuid.uuid4().hex[:8]}", "message": "您好",
                                "metadata": {"dealer": "nowhere"}}, timeout=30)
    assert response.status_code == 400 and response.json() == {"error": "unknown dealer"}


def test_the_web_chat_page_of_a_dealer_talks_to_that_dealer(running_system):
    conversation = "web-" + uuid.uuid4().hex
    with httpx.Client(base_url=running_system.config.url(running_system.config.api_port), timeout=30) as app:
        page = app.get("/chat/pudong").text
        lines = app.post("/chat/messages", json={"conversation_id": conversation, "text": "你好",
                                                 "dealer": "pudong"}).json()
        own = app.get(f"/chat/history/{conversation}", params={"dealer": "pudong"})
        other = app.get(f"/chat/history/{conversation}")

    assert PUDONG.name in page and PUDONG.opening_hours_text in page
    assert lines[0]["text"] == f"您好,{PUDONG.name},请问有什么可以帮您?"
    assert own.status_code == 200 and [line["text"] for line in own.json()][:2] == ["你好", lines[0]["text"]]
    assert other.status_code == 404  # not read back on the default dealer's page
