"""Issue 13: one role play in headless Chromium against the real processes: a trainee signs
in, lands on the training, picks a scenario, says each line through the chat form, hears
the simulated customer, and finishes on the scorecard."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.training.trainees import perfect_lines
from training.scenarios import scenario


def test_a_trainee_plays_one_role_play_to_its_scorecard(running_system, page: Page) -> None:
    base = running_system.config.url(running_system.config.api_port)
    page.goto(f"{base}/advisor/training")
    expect(page).to_have_url(re.compile(r"/advisor/login"))
    page.get_by_label("用户名").fill("trainee")
    page.get_by_label("密码").fill("trainee")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="话术练习")).to_be_visible()
    expect(page.get_by_role("link", name="草稿收件箱")).to_have_count(0)

    card = scenario("maint-first")
    page.locator(f"button[data-scenario='{card.id}']").click()
    expect(page.get_by_role("heading", name=card.title)).to_be_visible()
    lines = perfect_lines(card)
    for line in lines:
        page.get_by_label("您说:").fill(line)
        page.get_by_role("button", name="发送").click()
        expect(page.get_by_label("通话记录")).to_contain_text(line)
    chat = page.get_by_label("通话记录")
    expect(chat).to_contain_text(card.opening)  # the customer volunteered why they called
    expect(chat).to_contain_text(card.facts["phone"])  # and answered the phone question
    expect(page.get_by_text("客户已挂断电话")).to_be_visible()

    page.get_by_role("button", name="结束并评分").click()
    scorecard = page.get_by_label("评分")
    expect(scorecard.locator(".score")).to_have_text("100")
    expect(scorecard).to_contain_text("通过")
    expect(scorecard).to_contain_text("符合话术顺序")
    expect(scorecard.locator("tr.missed")).to_have_count(0)
    page.get_by_role("link", name="我的练习记录").click()
    expect(page.locator("table").first).to_contain_text(card.title)
