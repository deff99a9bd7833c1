"""A booking through the REST channel against the real processes, read back through the API."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dealer.timefmt import format_slot

SHANGHAI = ZoneInfo("Asia/Shanghai")


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_thin_slice_booking_lands_one_draft(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    tomorrow_3pm = (datetime.now(SHANGHAI) + timedelta(days=1)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )

    assert say("您好") == "您好,瑞通汽车售后服务中心,请问有什么可以帮您?"
    assert "贵姓" in say("我想预约明天下午三点做保养")
    assert "手机号" in say("王先生")
    assert "手机号好像不对" in say("12345")
    assert "车牌" in say("138 1234 5678")
    read_back = say("沪A·12345")
    assert format_slot(tomorrow_3pm, SHANGHAI) in read_back
    for fact in ("保养", "王先生", "13812345678", "沪A12345"):
        assert fact in read_back
    done = say("对的")
    assert "预约成功" in done

    with running_system.api() as api:
        listing = api.get("/api/drafts", params={"phone": "13812345678"}).json()
    assert listing["total"] == 1
    [draft] = listing["items"]
    assert draft["conversation_id"] == sender
    assert draft["channel"] == "rest"
    assert draft["status"] == "draft"
    assert draft["customer"] == {"name": "王先生", "phone": "13812345678"}
    assert draft["vehicle"]["plate"] == "沪A12345"
    assert draft["booking"]["service_type"] == "maintenance"
    assert draft["booking"]["start"] == tomorrow_3pm.isoformat()
    assert draft["booking"]["advisor"] in done
    assert draft["symptoms"] is None


def test_confirming_twice_leaves_one_draft(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for text in ("我想预约后天上午十点做保养", "李女士", "13900001111", "京A88888", "确认", "确认"):
        running_system.say(sender, text)
    with running_system.api() as api:
        listing = api.get("/api/drafts", params={"plate": "京A88888"}).json()
    assert listing["total"] == 1


def test_server_survives_garbage(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for text in ("", "🚗" * 500, "/inform{\"time\": \"not-a-time\"}", "' OR 1=1 --", "a" * 5000):
        running_system.say(sender, text)
    assert "您好" in texts(running_system.say(sender, "你好"))
