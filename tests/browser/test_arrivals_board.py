"""Issue 12: the arrivals board in headless Chromium against the real processes. An
advisor moves one appointment through its day with the board's buttons (plain forms, no
JavaScript), and the board shows the customer masked (issue 11)."""
from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from dealer.db import unit_of_work
from dealer.models import AuditLog
from tests.browser.test_advisor_pages import direct_draft, log_in

NAME, PHONE, PLATE = "郑建华", "13700004321", "闽D43210"


def test_an_appointment_is_moved_through_its_day_on_the_board(running_system, page: Page) -> None:
    draft_id = direct_draft(running_system, customer_name=NAME, phone=PHONE, plate=PLATE)
    with running_system.api() as api:
        api.post(f"/api/drafts/{draft_id}/approve").raise_for_status()
        day = api.get(f"/api/drafts/{draft_id}").json()["booking"]["start"][:10]
    base = running_system.config.url(running_system.config.api_port)

    log_in(page, base)
    page.get_by_role("link", name="今日到店").click()
    page.get_by_label("日期").fill(day)
    page.get_by_role("button", name="查看").click()
    row = page.locator("table.board tr", has=page.get_by_text("闽D·***10"))
    expect(row.get_by_test_id("state")).to_have_text("已预约")
    expect(row.get_by_role("button", name="未到店")).to_have_count(0)  # not before the start

    for button, state, notice in (("到店", "已到店", "已登记到店"), ("开始维修", "维修中", "已开始维修"),
                                  ("交车", "已交车", "已交车")):
        row.get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_role("status")).to_have_text(notice)
        expect(row.get_by_test_id("state")).to_have_text(state)

    expect(row.get_by_role("button")).to_have_count(0)  # delivered: nothing more to do
    expect(row).to_contain_text("已到店")  # the times it moved on
    expect(row).to_contain_text("137****4321")
    expect(row).to_contain_text("郑**")
    board = page.locator("table.board")
    for full in (NAME, PHONE, PLATE):
        expect(board).not_to_contain_text(full)
    with running_system.api() as api:
        [item] = [i for i in api.get("/api/appointments", params={"date": day}).json()["items"]
                  if i["draft_id"] == draft_id]
    assert item["status"] == "delivered"
    with unit_of_work(running_system.database_url) as session:
        moves = session.scalars(select(AuditLog).where(AuditLog.entity == "appointment",
                                                       AuditLog.entity_id == item["id"], AuditLog.field == "status")
                                .order_by(AuditLog.id))
        assert [(m.actor, m.new_value) for m in moves] == [
            ("advisor", "arrived"), ("advisor", "in_service"), ("advisor", "delivered"),
        ]
