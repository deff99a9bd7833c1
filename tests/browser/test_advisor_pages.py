"""The advisor pages in headless Chromium against the real processes.

A customer books through the REST channel; an advisor logs in, opens the draft,
corrects a field, approves it and finds it (masked) on tomorrow's arrivals board.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from itertools import count

from playwright.sync_api import Page, expect

from dealer.catalog import load_catalog
from dealer.services.booking import BookingRequest, book_once
from dealer import clock

CATALOG = load_catalog()
_keys = count(1)


def log_in(page: Page, base: str, username: str = "advisor") -> None:
    page.goto(f"{base}/advisor")
    expect(page).to_have_url(re.compile(r"/advisor/login"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(username)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("草稿收件箱"))).to_be_visible()


def direct_draft(system, **fields) -> int:
    """A draft written straight through the booking service (no conversation needed)."""
    now = clock.now(CATALOG.timezone)
    day = now.date() + timedelta(days=3)
    start = datetime.combine(day, CATALOG.opens_at, CATALOG.timezone) + timedelta(
        minutes=CATALOG.slot_minutes * (next(_keys) % 10)
    )
    request = BookingRequest(
        idempotency_key=f"page-{uuid.uuid4().hex}", channel="rest", conversation_id=f"page-{uuid.uuid4().hex[:8]}",
        service_type="repair", start=start,
        symptoms={"when": "最近一周", "where": "踩刹车的时候", "what": "刹车异响", "frequency": None,
                  "driving_impact": None, "tried": None},
        **fields,
    )
    return book_once(system.database_url, request, CATALOG, now).draft_id


def test_review_a_booking_from_login_to_the_arrivals_board(running_system, page: Page) -> None:
    sender = f"page-{uuid.uuid4().hex[:8]}"
    for text in ("我想预约明天下午四点半做保养", "同意", "赵先生", "137 0000 1234", "第一次来", "苏E·12345",
                 "不记得", "速腾", "两万", "没有了", "对的"):
        running_system.say(sender, text)
    with running_system.api() as api:
        [draft] = api.get("/api/drafts", params={"phone": "13700001234"}).json()["items"]
    base = running_system.config.url(running_system.config.api_port)

    log_in(page, base)
    row = page.locator("tr", has=page.get_by_text("苏E·***45"))  # the plate masked in the list
    expect(row).to_contain_text("137****1234")  # masked in the list
    expect(page.locator("table.list")).not_to_contain_text("13700001234")
    row.get_by_role("link").click()

    expect(page).to_have_url(re.compile(rf"/advisor/drafts/{draft['id']}$"))
    expect(page.locator(".transcript")).to_contain_text("我想预约明天下午四点半做保养")
    expect(page.locator(".transcript")).to_contain_text("预约成功")
    expect(page.get_by_test_id("privacy-consent")).to_contain_text("客户已同意隐私告知")
    page.get_by_label("客户姓名").fill("赵建国")
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_role("status")).to_have_text("已保存修改")
    expect(page.get_by_label("客户姓名")).to_have_value("赵建国")

    page.get_by_role("button", name="批准并登记预约").click()
    expect(page.get_by_role("status")).to_have_text("已批准，预约已登记")
    expect(page.get_by_test_id("status")).to_have_text("已批准")

    page.get_by_role("link", name="今日到店").click()
    page.get_by_label("日期").fill(draft["booking"]["start"][:10])
    page.get_by_role("button", name="查看").click()
    arrival = page.locator("table.board tr", has=page.get_by_text("苏E·***45"))
    expect(arrival).to_contain_text("16:30")
    expect(arrival).to_contain_text("赵**")  # a list: masked (the draft's page has it in full)
    expect(arrival).to_contain_text(draft["booking"]["advisor"])
    expect(arrival.get_by_test_id("state")).to_have_text("已预约")

    with running_system.api() as api:
        after = api.get(f"/api/drafts/{draft['id']}").json()
        history = api.get(f"/api/drafts/{draft['id']}/audit").json()
    assert after["status"] == "approved"
    assert after["customer"]["name"] == "赵建国"
    assert ("advisor", "edit", "customer_name", "赵先生", "赵建国") in [
        (h["actor"], h["action"], h["field"], h["old_value"], h["new_value"]) for h in history
    ]


def test_second_save_of_a_stale_page_is_refused_and_keeps_the_typing(running_system, browser, page: Page) -> None:
    draft_id = direct_draft(running_system, customer_name="钱女士", phone="13700005678", plate="浙A54321")
    base = running_system.config.url(running_system.config.api_port)
    other = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN").new_page()
    log_in(page, base)
    log_in(other, base, "advisor2")
    page.goto(f"{base}/advisor/drafts/{draft_id}")
    other.goto(f"{base}/advisor/drafts/{draft_id}")

    page.get_by_label("车型").fill("帕萨特")
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_role("status")).to_have_text("已保存修改")
    other.get_by_label("车型").fill("迈腾")
    other.get_by_role("button", name="保存修改").click()

    expect(other.get_by_role("alert")).to_contain_text("其他顾问")
    expect(other.get_by_label("车型")).to_have_value("迈腾")  # what the advisor typed is still there
    other.context.close()
    with running_system.api() as api:
        assert api.get(f"/api/drafts/{draft_id}").json()["vehicle"]["model"] == "帕萨特"


def test_invalid_phone_is_explained_on_the_page(running_system, page: Page) -> None:
    draft_id = direct_draft(running_system, customer_name="孙先生", phone="13700009999", plate="鲁B11111")
    base = running_system.config.url(running_system.config.api_port)
    log_in(page, base)
    page.goto(f"{base}/advisor/drafts/{draft_id}")
    page.get_by_label("手机号").fill("1370000")
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_role("alert")).to_contain_text("手机号不是有效的大陆手机号")
    with running_system.api() as api:
        assert api.get(f"/api/drafts/{draft_id}").json()["customer"]["phone"] == "13700009999"


def test_inbox_marks_urgent_and_needs_human_and_the_plan_shows_bookings(running_system, page: Page) -> None:
    urgent = direct_draft(running_system, customer_name="周先生", phone="13700007777", plate="川A77777", urgent=True)
    direct_draft(running_system, customer_name="吴女士", phone="13700008888", plate="川A88888", needs_human=True)
    base = running_system.config.url(running_system.config.api_port)
    log_in(page, base)

    expect(page.locator("tr.urgent", has=page.get_by_text("川A·***77"))).to_contain_text("紧急")
    expect(page.locator("tr.needs-human", has=page.get_by_text("川A·***88"))).to_contain_text("需人工")
    page.get_by_label("标记").select_option("urgent")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.list")).to_contain_text("川A·***77")
    expect(page.locator("table.list")).not_to_contain_text("川A·***88")

    with running_system.api() as api:
        start = api.get(f"/api/drafts/{urgent}").json()["booking"]["start"]
    page.goto(f"{base}/advisor/capacity?date={start[:10]}")
    slot_row = page.locator("table.plan tr", has=page.get_by_text(start[11:16], exact=True))
    expect(slot_row.get_by_role("link", name="川A·***77")).to_be_visible()
    expect(page.locator("table.plan")).not_to_contain_text("川A77777")
