"""Issue 12: the service manager's CSI page (回访满意度) in headless Chromium against the real
processes: a delivered car's 回访 logged through the call list (不满意, 没有解决) moves the
figures of its advisor's week (answered, scores, open complaints with a link to the call),
and the CSV export has them too, with a BOM for Excel."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from dealer import clock
from dealer.catalog import load_catalog
from dealer.services.csi import IsoWeek
from tests.browser.test_advisor_pages import direct_draft, log_in

CATALOG = load_catalog()
NAME, PHONE, PLATE = "韩立新", "13700007788", "湘A77881"
FIGURES = ("due", "answered", "scored", "complaints")


def _week_row(page: Page, base: str, week: IsoWeek, advisor: str):
    page.goto(f"{base}/advisor/csi")
    expect(page.get_by_role("heading", name="回访满意度")).to_be_visible()
    page.get_by_label("周").fill(str(week))
    page.get_by_role("button", name="查看").click()
    return page.locator(f"[data-testid='week-{week}'] tr[data-advisor='{advisor}']")


def _figures(row) -> dict[str, str]:
    values = {name: row.get_by_test_id(name).inner_text().split()[0] for name in FIGURES}
    values["score"] = row.get_by_test_id("score").inner_text()
    return values


def test_a_logged_followup_moves_the_csi_figures_and_the_csv(running_system, page: Page) -> None:
    draft_id = direct_draft(running_system, customer_name=NAME, phone=PHONE, plate=PLATE)
    with running_system.api() as api:
        api.post(f"/api/drafts/{draft_id}/approve").raise_for_status()
        draft = api.get(f"/api/drafts/{draft_id}").json()
        start = draft["booking"]["start"]
        appointment = next(a for a in api.get("/api/appointments", params={"date": start[:10]}).json()["items"]
                           if a["draft_id"] == draft_id)
        for status in ("arrived", "in_service", "delivered"):
            api.post(f"/api/appointments/{appointment['id']}/status", json={"status": status}).raise_for_status()
        [followup] = [t for t in api.get(f"/api/drafts/{draft_id}/followups").json() if t["kind"] == "callback"]
    advisor = draft["booking"]["advisor"]
    followup_day = clock.now(CATALOG.timezone).date() + timedelta(days=3)
    week = IsoWeek.of(followup_day)
    base = running_system.config.url(running_system.config.api_port)

    log_in(page, base, "manager")
    expect(page.get_by_role("link", name="回访满意度")).to_be_visible()  # the manager's navigation
    row = _week_row(page, base, week, advisor)
    before = _figures(row)
    assert int(before["due"]) >= 1  # this car's 回访 is due that week, not yet answered

    # The 回访 call, logged through the call list.
    page.goto(f"{base}/advisor/calls?date={followup_day.isoformat()}")
    call = page.locator("[data-testid=open-calls] tr", has=page.get_by_text("湘A·***81"))
    call.get_by_role("link", name="拨打").click()
    for question, answer in (("您对这次的服务满意吗?", "不满意"), ("车辆的问题解决了吗?", "没有解决"),
                             ("服务顾问有没有向您解释所做的项目和费用?", "解释了")):
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    page.get_by_label("已回访").check()
    page.get_by_role("button", name="记录结果").click()
    expect(page.get_by_role("status")).to_contain_text("客户有投诉")

    row = _week_row(page, base, week, advisor)
    after = _figures(row)
    assert after["due"] == before["due"]
    assert int(after["answered"]) == int(before["answered"]) + 1
    assert int(after["scored"]) == int(before["scored"]) + 1
    assert int(after["complaints"]) == int(before["complaints"]) + 1
    # 不满意 scores 1, the lowest: the average falls (or is 1.0 if it is the first score)
    assert after["score"] == "1.0" if before["score"] == "—" else float(after["score"]) <= float(before["score"])
    link = row.get_by_role("link", name=f"投诉 #{followup['id']}")
    expect(link).to_have_attribute("href", f"/advisor/calls/{followup['id']}")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    assert download.value.suggested_filename == f"csi-{week}.csv"
    content = Path(download.value.path()).read_bytes()
    assert content.startswith("\ufeff".encode())  # Excel opens UTF-8 Chinese with the BOM
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    [line] = [r for r in rows if r[0] == str(week) and r[2] == advisor]
    assert line[3:5] == [after["due"], after["answered"]]
    assert (line[7], line[8]) == (after["scored"], after["complaints"])
    assert str(followup["id"]) in line[9].split()

    link.click()  # the complaint's call
    expect(page.get_by_test_id("phone")).to_have_text(PHONE)
