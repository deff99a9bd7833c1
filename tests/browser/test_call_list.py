"""Issue 12: the call list (提醒电话 / 回访电话) in headless Chromium against the real processes.
A web-chat/REST customer's approved booking is a reminder call on the day before: masked in
the list, the full number and the script line on the call's page, 确认 logged with its next
action. A delivered car's 回访 three days later: answered 不满意, a complaint that only the
service manager closes."""
from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect

from dealer import clock
from dealer.catalog import load_catalog
from tests.browser.test_advisor_pages import direct_draft, log_in

CATALOG = load_catalog()
NAME, PHONE, PLATE = "冯志强", "13700005566", "湘A55660"


def calls_of(page: Page, base: str, day: date) -> None:
    page.goto(f"{base}/advisor/calls?date={day.isoformat()}")
    expect(page.get_by_role("heading", name="电话任务")).to_be_visible()


def test_a_reminder_call_and_a_followup_complaint(running_system, page: Page, browser) -> None:
    draft_id = direct_draft(running_system, customer_name=NAME, phone=PHONE, plate=PLATE)
    with running_system.api() as api:
        api.post(f"/api/drafts/{draft_id}/approve").raise_for_status()
        start = api.get(f"/api/drafts/{draft_id}").json()["booking"]["start"]
    day_before = date.fromisoformat(start[:10]) - timedelta(days=1)
    base = running_system.config.url(running_system.config.api_port)

    log_in(page, base)
    page.get_by_role("link", name="电话任务").click()
    page.get_by_label("日期").fill(day_before.isoformat())
    page.get_by_role("button", name="查看").click()
    row = page.locator("[data-testid=open-calls] tr", has=page.get_by_text("湘A·***60"))
    expect(row).to_contain_text("提醒电话")
    expect(row).to_contain_text("137****5566")
    expect(page.locator("[data-testid=open-calls]")).not_to_contain_text(PHONE)  # masked in the list

    row.get_by_role("link", name="拨打").click()
    expect(page.get_by_test_id("phone")).to_have_text(PHONE)  # in full on the call's page
    expect(page.get_by_test_id("phone")).to_have_attribute("href", f"tel:{PHONE}")
    expect(page.get_by_test_id("script")).to_contain_text(f"请问是{NAME}吗")
    expect(page.get_by_test_id("script")).to_contain_text("跟您确认一下时间是否方便")
    page.get_by_label("确认").check()
    page.get_by_role("button", name="记录结果").click()
    expect(page.get_by_role("status")).to_have_text("已记录:确认。下一步:无需操作,按时接待")
    logged = page.locator("[data-testid=logged-calls] tr", has=page.get_by_text("冯**"))
    expect(logged.get_by_test_id("result")).to_have_text("确认")

    # The car is received and delivered today; its 回访 is due three days later.
    with running_system.api() as api:
        appointment = next(a for a in api.get("/api/appointments", params={"date": start[:10]}).json()["items"]
                           if a["draft_id"] == draft_id)
        for status in ("arrived", "in_service", "delivered"):
            api.post(f"/api/appointments/{appointment['id']}/status", json={"status": status}).raise_for_status()
    followup_day = clock.now(CATALOG.timezone).date() + timedelta(days=3)
    calls_of(page, base, followup_day)
    row = page.locator("[data-testid=open-calls] tr", has=page.get_by_text("湘A·***60"))
    expect(row).to_contain_text("回访电话")
    row.get_by_role("link", name="拨打").click()
    expect(page.get_by_test_id("script")).to_contain_text("耽误您两分钟做个回访")
    for question, answer in (("您对这次的服务满意吗?", "不满意"), ("车辆的问题解决了吗?", "没有解决"),
                             ("服务顾问有没有向您解释所做的项目和费用?", "解释了")):
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    page.get_by_label("您还有什么意见或建议吗?").fill("刹车还是有异响,等了很久")
    page.get_by_label("已回访").check()
    page.get_by_role("button", name="记录结果").click()
    expect(page.get_by_role("status")).to_contain_text("客户有投诉,已转服务经理跟进")
    complaint = page.locator("[data-testid=complaints] tr", has=page.get_by_text("刹车还是有异响"))
    expect(complaint).to_contain_text("待服务经理回电")  # an advisor cannot close it

    manager = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN").new_page()
    log_in(manager, base, "manager")
    calls_of(manager, base, followup_day)
    complaint = manager.locator("[data-testid=complaints] tr", has=manager.get_by_text("刹车还是有异响"))
    complaint.get_by_label("回电处理结果").fill("经理已回电致歉,约好明天免费返修")
    complaint.get_by_role("button", name="记录回电并关闭").click()
    expect(manager.locator("[data-testid=complaints]", has=manager.get_by_text("刹车还是有异响"))).to_have_count(0)
    manager.context.close()
