"""A booking through the REST channel against the real processes, read back through the API."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dealer.timefmt import format_slot
from dealer import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_thin_slice_booking_lands_one_draft(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    tomorrow_3pm = (clock.now(SHANGHAI) + timedelta(days=1)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )

    assert say("您好") == "您好,瑞通汽车售后服务中心,请问有什么可以帮您?"
    notice = say("我想预约明天下午三点做保养")
    # PIPL: what is collected and why, with the dealer's privacy text, before the name.
    assert "请问您同意吗" in notice and "http://localhost:8000/privacy" in notice
    assert "贵姓" in say("同意")
    assert "手机号" in say("王先生")
    assert "手机号好像不对" in say("12345")
    assert "之前来我们店" in say("138 1234 5678")
    assert "车牌" in say("第一次来")
    assert "车架号" in say("沪A·12345")  # optional: the vehicle record is made from it
    assert "车型" in say("不记得了")
    assert "公里" in say("迈腾")
    assert "其他需要" in say("三万五")
    read_back = say("没有了")
    assert format_slot(tomorrow_3pm, SHANGHAI) in read_back
    for fact in ("保养", "王先生", "13812345678", "沪A12345", "迈腾", "35000公里"):
        assert fact in read_back
    done = say("对的")
    assert "预约成功" in done
    assert "小保养480元" in done  # step e: the maintenance price list
    assert "产品合格证" in done  # step f: a first visit brings the full set of documents

    with running_system.api() as api:
        listing = api.get("/api/drafts", params={"phone": "13812345678"}).json()
    assert listing["total"] == 1
    [draft] = listing["items"]
    assert draft["conversation_id"] == sender
    assert draft["channel"] == "rest"
    assert draft["status"] == "draft"
    assert draft["customer"] == {"name": "王先生", "phone": "13812345678"}
    assert draft["vehicle"] == {"plate": "沪A12345", "vin": None, "model": "迈腾", "mileage_km": 35000}
    assert draft["booking"]["first_visit"] is True
    assert draft["extra_requests"] is None
    assert draft["booking"]["service_type"] == "maintenance"
    assert draft["booking"]["start"] == tomorrow_3pm.isoformat()
    assert draft["booking"]["advisor"] in done
    assert draft["symptoms"] is None
    assert draft["privacy_consent"]["agreed_at"] and draft["privacy_consent"]["notice_version"]


def test_confirming_twice_leaves_one_draft(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for text in (
        "我想预约后天上午十点做保养", "同意", "李女士", "13900001111", "来过", "京A88888", "不记得", "朗逸", "不清楚",
        "上个月做的小保养", "没有", "确认", "确认",
    ):
        running_system.say(sender, text)
    with running_system.api() as api:
        listing = api.get("/api/drafts", params={"plate": "京A88888"}).json()
    assert listing["total"] == 1


def test_server_survives_garbage(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for text in ("", "🚗" * 500, "/inform{\"time\": \"not-a-time\"}", "' OR 1=1 --", "a" * 5000):
        running_system.say(sender, text)
    assert "您好" in texts(running_system.say(sender, "你好"))


def test_facts_up_front_are_not_asked_again_and_questions_are_answered(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    assert "请问您同意吗" in say("你好,我是赵先生,苏E·12345的迈腾,想后天下午五点做个保养")
    assert "手机号码是多少" in say("同意")
    interrupted = say("你们几点关门?")
    assert "08:30–17:30" in interrupted and "手机号" in interrupted  # answered, then resumed
    assert "之前来我们店" in say("13700001111")
    replies = say("第一次来")
    assert "车牌号是多少" not in replies and "车型" not in replies  # given up front, never asked
    assert "车架号" in replies
    assert "公里" in say("不记得")


def test_abandoning_writes_no_draft(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for text in ("我想预约明天上午十点做保养", "同意", "孙女士", "13600001111"):
        running_system.say(sender, text)
    assert "取消" in texts(running_system.say(sender, "算了不约了"))
    with running_system.api() as api:
        assert api.get("/api/drafts", params={"phone": "13600001111"}).json()["total"] == 0


def test_putting_off_an_optional_answer_keeps_the_booking(running_system):
    """回头再说 to the optional VIN question of a warranty booking puts off the VIN, not the
    booking; 算了不约了 later still ends it."""
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    say("中控屏有坏点,想约大后天上午十点保修")
    for text in ("同意", "孔女士", "13600003333", "第一次来"):
        say(text)
    assert "车架号" in say("沪A5X2D9")
    later = say("行驶证不在身上 回头再说")
    assert "到店时再提供" in later and "取消" not in later
    assert "车型" in later  # the next question
    assert "取消" in say("算了不约了")
    with running_system.api() as api:
        assert api.get("/api/drafts", params={"phone": "13600003333"}).json()["total"] == 0


def test_body_work_keeps_the_damage_in_the_customers_words_without_a_fault_interview(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    say("前天倒车蹭到柱子了 右后叶子板凹进去一块 想约大大后天下午三点弄一下")
    asked = [say(text) for text in ("同意", "钱先生", "13600004444", "第一次来", "沪B7K2M9", "卡罗拉", "三万")]
    assert not any("什么时候开始" in a or "多久出现一次" in a or "之前在我们店修过" in a for a in asked)
    assert "哪个部位" not in "".join(asked)  # told in the opening: not asked again
    assert "信息是否正确" in say("没有了")
    assert "预约成功" in say("对的")
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13600004444"}).json()["items"]
    assert draft["booking"]["service_type"] == "body_paint"
    assert draft["symptoms"] is None and draft["repeat_repair"] is None
    assert draft["job_description"] == "前天倒车蹭到柱子了,右后叶子板凹进去一块"


def test_body_work_named_without_the_damage_asks_where_and_what(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    say("想约大大后天下午四点做个钣金喷漆")
    for text in ("同意", "孙女士", "13600005555", "第一次来", "沪B8K3M1", "朗逸"):
        say(text)
    assert "哪个部位" in say("五万")
    assert "其他需要" in say("左前门划了一道")
    assert "信息是否正确" in say("没有")
    assert "预约成功" in say("对的")
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13600005555"}).json()["items"]
    assert draft["job_description"] == "左前门划了一道" and draft["symptoms"] is None


def test_handing_over_mid_booking_leaves_a_draft_for_the_advisor(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    say("刹车有异响,想约大后天下午五点修一下")
    say("同意")
    say("冯先生")
    say("13600002222")
    handed = say("转人工")
    assert "已为您转接人工服务顾问" in handed and "联系您" in handed and "13600002222" in handed
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13600002222"}).json()["items"]
    assert draft["needs_human"] is True and draft["status"] == "draft"
    assert draft["customer"]["name"] == "冯先生"
    assert draft["booking"]["service_type"] == "repair" and draft["booking"]["start"]
    assert draft["symptoms"]["what"] == "刹车有异响"
    # Handed over: the booking is the advisor's now; the same 转人工 again writes nothing more.
    say("转人工")
    with running_system.api() as api:
        assert api.get("/api/drafts", params={"phone": "13600002222"}).json()["total"] == 1


def test_handing_over_without_a_phone_asks_for_one_first(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    say("我想预约大后天下午四点半做保养")
    asked = say("转人工")
    assert "手机号码" in asked
    assert "手机号好像不对" in say("138")  # checked like any phone number
    handed = say("13600003333")
    assert "联系您" in handed
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13600003333"}).json()["items"]
    assert draft["needs_human"] is True and draft["booking"]["service_type"] == "maintenance"
    assert draft["symptoms"] is None and draft["customer"]["name"] is None
    assert draft["privacy_consent"] is None  # handed over before the notice: the draft says so


def book(running_system, sender: str, when: str, phone: str, plate: str) -> None:
    for text in (f"我想预约{when}做保养", "同意", "周先生", phone, "来过", plate, "不记得", "朗逸", "不清楚", "记不清了", "没有", "对的"):
        replies = texts(running_system.say(sender, text))
    assert "预约成功" in replies


def test_reschedule_then_cancel_an_existing_booking(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    book(running_system, sender, "明天上午十点", "13500001111", "浙A54321")
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    day_after = (clock.now(SHANGHAI) + timedelta(days=2)).replace(hour=11, minute=0, second=0, microsecond=0)

    assert "手机号" in say("我想改一下预约时间")
    say("13500001111")
    found = say("浙A54321")
    assert "找到您的预约" in found
    confirm = say("后天上午11点")
    assert format_slot(day_after, SHANGHAI) in confirm
    assert "已为您改到" in say("确认")
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13500001111"}).json()["items"]
    assert draft["booking"]["start"] == day_after.isoformat()

    say("我要取消预约")
    say("13500001111")
    assert format_slot(day_after, SHANGHAI) in say("浙A54321")
    assert "已为您取消" in say("确认取消")
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13500001111"}).json()["items"]
    assert draft["status"] == "cancelled"


def test_after_the_booking_the_customer_is_told_whom_to_ask_for(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    book(running_system, sender, "大大后天上午十一点", "13500006666", "浙A65432")
    answer = texts(running_system.say(sender, "到了找谁"))
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13500006666"}).json()["items"]
    assert draft["booking"]["advisor"] and f"服务顾问{draft['booking']['advisor']}" in answer


def test_changing_a_booking_that_does_not_exist(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for text in ("我要取消预约", "13400001111"):
        running_system.say(sender, text)
    assert "没有找到" in texts(running_system.say(sender, "沪C99999"))


def test_closed_hours_offer_free_slots_as_buttons_and_a_correction_moves_the_time(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    replies = running_system.say(sender, "我想预约明天晚上十点做保养")
    assert "营业时间" in texts(replies)
    offer = next(r for r in replies if r.get("buttons"))
    button = offer["buttons"][0]
    assert button["payload"].startswith("/inform")
    assert "请问您同意吗" in texts(running_system.say(sender, button["payload"]))
    for text in ("同意", "钱女士", "13300001111", "第一次来", "川A12345", "速腾", "两万公里"):
        running_system.say(sender, text)
    assert button["title"] in texts(running_system.say(sender, "没有了"))  # the read-back

    day_after = (clock.now(SHANGHAI) + timedelta(days=2)).date()
    corrected = running_system.say(sender, "改成后天上午")
    offered = [b for r in corrected for b in r.get("buttons", [])]
    assert offered, texts(corrected)
    assert all(b["title"].startswith(f"{day_after.month}月{day_after.day}日") for b in offered)
    read_back = texts(running_system.say(sender, offered[0]["payload"]))
    assert offered[0]["title"] in read_back and "川A12345" in read_back


def test_a_repair_interview_lands_the_symptom_sheet(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    # A repair of a told fault: still under warranty? (asked once the time is settled)
    assert "质保期内吗" in say("我的车刹车的时候有异响,最近一周都这样,想约明天上午十点修一下")
    assert "按维修为您登记" in say("早就过保了")
    for text in ("同意", "吴先生", "13200001111", "第一次来", "鲁B12345", "朗逸", "五万公里"):
        last = say(text)
    assert "其他需要" in last
    # Chery step 6: the phenomenon of the complaint told is asked first; the sound told joins it.
    assert "当时是什么现象" in say("没有了")
    asked = say("吱吱的")
    # What and when came with the opening; 刹车的时候 says when, not where on the car.
    assert "在什么情况下出现" in asked
    assert "多久出现一次" in say("左前轮那边")
    assert "影响" in say("每次踩刹车都响")
    assert "处理过" in say("还能开")
    restated = say("不清楚")
    assert "这样对吗" in restated and "“刹车的时候有异响,吱吱的”" in restated  # restated for confirmation
    assert "还有其他的问题" in say("对的")
    # A further complaint gets its own interview: what it says is not asked again (a part
    # alone is no situation: "where" is asked).
    assert "从什么时候开始" in say("空调也不太凉")
    assert "在什么情况下出现" in say("入夏以后")
    assert "多久出现一次" in say("开空调的时候")
    assert "影响" in say("一直不凉")
    assert "处理过" in say("不影响")
    assert "“空调也不太凉”" in say("加过冷媒")  # its own restatement
    assert "还有其他的问题" in say("是的")
    assert "修过" in say("没有了")
    assert "确认" in say("没修过")
    assert "维修费用需要技师到店检查后报价" in say("对的")
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13200001111"}).json()["items"]
    assert draft["booking"]["service_type"] == "repair"
    # Each field holds only the words that answer it (not the opening sentence three times).
    assert draft["symptoms"] == {
        "complaint": "刹车的时候有异响",  # as told (客户陈述); what is its phenomenon (现象)
        "what": "刹车的时候有异响,吱吱的", "when": "最近一周", "where": "左前轮那边",
        "frequency": "每次踩刹车都响", "driving_impact": "还能开", "tried": None,  # 不清楚: not given
        "further_complaints": ["空调也不太凉"],
        "further_interviews": [{
            "complaint": "空调也不太凉", "what": "空调也不太凉", "when": "入夏以后", "where": "开空调的时候",
            "frequency": "一直不凉", "driving_impact": "不影响", "tried": "加过冷媒", "completeness": 6,
        }],
    }
    assert draft["symptom_completeness"] == 5
    assert draft["repeat_repair"] is False
    assert {"刹车", "空调"} <= set(draft["symptom_tags"]["parts"])  # tags over every complaint


def test_traditional_characters_are_understood(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    asked = texts(running_system.say(sender, "你好,我想約明天上午十一點做個保養"))
    assert "请问您同意吗" in asked  # the service and the time were read: the notice comes next


def test_danger_signs_mark_the_booking_urgent(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    reply = texts(running_system.say(sender, "刹车很软踩不住,想约明天上午十点维修"))
    assert "不要继续驾驶" in reply and "400-820-6699" in reply


def test_a_problem_told_alone_is_heard_and_yes_books_it(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    heard = say("倒车影像黑屏了 挂倒挡啥也看不到")
    assert "倒车影像黑屏了" in heard and "需要我帮您预约" in heard  # restated, then offered
    assert "哪天、几点" in say("好的")  # the service and the complaint are known already
    assert "质保期内吗" in say("大大后天上午九点")
    assert "请问您同意吗" in say("不清楚")  # the repair stays; the advisor checks the warranty
    for text in ("同意", "孙女士", "13300002222", "第一次来", "浙A22222", "途观L", "四万二"):
        last = say(text)
    assert "其他需要" in last
    assert "当时是什么现象" in say("没有了")  # the interview: the phenomenon of what was told
    assert "从什么时候开始" in say("就是刚才说的")  # nothing added: the complaint stands
    for text in ("上周开始的", "挂倒挡的时候", "每次都黑", "倒车得自己看", "重启过车机"):
        last = say(text)
    assert "倒车影像黑屏了" in last and "这样对吗" in last
    assert "还有其他的问题" in say("对")
    assert "修过" in say("没有了")
    assert "确认" in say("以前没出过这毛病")
    assert "预约成功" in say("对的")
    assert "已经登记好了" in say("确认")  # a second confirmation: the booking stands
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13300002222"}).json()["items"]
    assert draft["booking"]["service_type"] == "repair"
    assert draft["symptoms"]["what"].startswith("倒车影像黑屏了")
    assert draft["symptoms"]["where"] == "挂倒挡的时候"
    assert draft["repeat_repair"] is False
    assert draft["vehicle"]["mileage_km"] == 42000


def test_a_price_question_first_then_yes_books_the_maintenance(running_system):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    say = lambda text: texts(running_system.say(sender, text))  # noqa: E731
    answered = say("小保养多少钱啊?宝来的")
    assert "480" in answered and "需要我帮您预约" in answered
    assert "哪天、几点" in say("行")
    assert "请问您同意吗" in say("大大后天上午九点半")
    for text in ("同意", "周先生", "13300003333", "第一次来", "浙A33333", "不记得"):
        last = say(text)
    assert "行驶了多少公里" in last  # the model (宝来) came with the question
    mid = say("保养大概多少钱?")  # a question instead of the answer: answered, then asked again
    assert "480" in mid and "行驶了多少公里" in mid
    assert "其他需要" in say("3万5")
    read_back = say("没有了")
    assert "宝来" in read_back and "35000公里" in read_back and "保养" in read_back
    assert "预约成功" in say("对的")
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13300003333"}).json()["items"]
    assert draft["booking"]["service_type"] == "maintenance"
    assert draft["vehicle"]["model"] == "宝来" and draft["vehicle"]["mileage_km"] == 35000
    assert draft["symptoms"] is None
