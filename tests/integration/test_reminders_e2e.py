"""Issue 12 end to end, against the real processes: what a booking reply promises a customer
who opted out, a reminder answered with 改期 on WeChat, and the worker killed mid-send."""
from __future__ import annotations

import uuid

from dealer.reminder_script import load_reminder_script
from tests.integration.test_booking_e2e import texts

SCRIPT = load_reminder_script()


def book_on_rest(running_system, sender: str, when: str, phone: str, plate: str, visited: str) -> str:
    """A maintenance booking through the REST channel; returns the last reply (the confirmation)."""
    for text in (f"我想预约{when}做保养", "同意", "郑先生", phone, visited, plate, "朗逸", "不清楚",
                 "记不清了", "没有", "对的"):
        replies = texts(running_system.say(sender, text))
    assert "预约成功" in replies
    return replies


def test_a_customer_who_opted_out_is_not_promised_a_reminder(running_system):
    phone, plate = "13500007711", "浙B77110"
    first = f"e2e-{uuid.uuid4().hex[:8]}"
    replied = book_on_rest(running_system, first, "大后天上午九点", phone, plate, "第一次来")
    assert SCRIPT.promise["call"] in replied  # REST: an advisor's call the day before
    assert texts(running_system.say(first, "退订")) == SCRIPT.opted_out

    # Later, in another conversation, the same customer books again.
    second = f"e2e-{uuid.uuid4().hex[:8]}"
    replied = book_on_rest(running_system, second, "大大后天上午九点", phone, plate, "来过")
    assert SCRIPT.promise["opted_out"] in replied
    assert SCRIPT.promise["call"] not in replied and SCRIPT.promise["wechat"] not in replied
    assert "提醒您" not in replied and "致电" not in replied
    with running_system.api() as api:
        drafts = api.get("/api/drafts", params={"phone": phone}).json()
    assert drafts["total"] == 2  # both booked: opting out stops reminders, not bookings

    # Moving the booking promises nothing either.
    say = lambda text: texts(running_system.say(second, text))  # noqa: E731
    say("我想改一下预约时间")
    say(phone)
    assert "找到您的预约" in say(plate)
    say("大大后天上午十点")
    moved = say("确认")
    assert "已为您改到" in moved and SCRIPT.promise["opted_out"] in moved and "致电" not in moved
