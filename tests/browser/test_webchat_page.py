"""The customer's web chat page in headless Chromium against the real processes."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, Route, expect

from dealer.timefmt import format_slot
from dealer import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
GREETING = "您好,瑞通汽车售后服务中心,请问有什么可以帮您?"  # the default dealer's (utter_greet)
PHONE = "13766602468"


def open_chat(page: Page, base: str) -> None:
    page.goto(f"{base}/chat")
    expect(page.locator("body[data-ready=true]")).to_have_count(1)


def send(page: Page, text: str) -> None:
    bots_before = page.locator(".msg--bot .bubble").count()
    page.get_by_placeholder("请输入您的问题").fill(text)
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".msg--user .bubble").last).to_have_text(text)
    wait_for_answer(page, bots_before)


def wait_for_answer(page: Page, bots_before: int) -> None:
    expect(page.locator("#typing")).to_have_count(0)
    assert page.locator(".msg--bot .bubble").count() > bots_before


def last_answer(page: Page) -> str:
    return page.locator(".msg--bot .bubble").last.inner_text()


def test_chat_page_books_with_buttons_and_continues_after_reload(page: Page, running_system):
    base = running_system.config.url(running_system.config.api_port)
    open_chat(page, base)
    expect(page.locator(".msg--bot .bubble").first).to_have_text(GREETING)
    conversation = page.evaluate("localStorage.getItem('ruitong-chat-conversation')")
    assert conversation.startswith("web-")

    # The typing indicator shows while the assistant is answering (held back 1 s here).
    def slow(route: Route) -> None:
        time.sleep(1.0)
        route.continue_()

    page.route("**/chat/messages", slow)
    page.get_by_placeholder("请输入您的问题").fill("我想预约大后天下午三点半做保养")
    page.get_by_role("button", name="发送").click()
    expect(page.locator("#typing")).to_be_visible()
    expect(page.locator("#typing")).to_have_count(0, timeout=30_000)
    page.unroute("**/chat/messages")
    assert "请问您同意吗" in last_answer(page)
    # PIPL: the notice links the dealer's privacy text; a click on 同意 agrees.
    privacy_link = page.locator(".msg--bot .bubble a").last
    expect(privacy_link).to_have_attribute("href", "http://localhost:8000/privacy")
    bots_before = page.locator(".msg--bot .bubble").count()
    page.get_by_role("button", name="同意", exact=True).click()
    wait_for_answer(page, bots_before)
    assert "贵姓" in last_answer(page)

    send(page, "孔女士")
    assert "手机号" in last_answer(page)
    send(page, PHONE)
    assert "之前来我们店" in last_answer(page)

    bots_before = page.locator(".msg--bot .bubble").count()
    page.get_by_role("button", name="第一次来").click()
    expect(page.locator(".msg--user .bubble").last).to_have_text("第一次来")
    wait_for_answer(page, bots_before)
    assert "车牌" in last_answer(page)
    expect(page.get_by_role("button", name="来过")).to_be_disabled()

    # A reload continues the same conversation and shows it again.
    transcript = page.locator(".bubble").all_inner_texts()
    page.reload()
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    assert page.locator(".bubble").all_inner_texts() == transcript
    assert page.evaluate("localStorage.getItem('ruitong-chat-conversation')") == conversation

    send(page, "浙C24680")
    assert "车架号" in last_answer(page)
    send(page, "不记得")
    assert "车型" in last_answer(page)
    send(page, "朗逸")
    send(page, "一万二")
    send(page, "没有了")
    when = (clock.now(SHANGHAI) + timedelta(days=3)).replace(hour=15, minute=30, second=0, microsecond=0)
    assert format_slot(when, SHANGHAI) in last_answer(page)
    bots_before = page.locator(".msg--bot .bubble").count()
    page.get_by_role("button", name="正确,确认预约").click()
    wait_for_answer(page, bots_before)
    assert "预约成功" in " ".join(page.locator(".msg--bot .bubble").all_inner_texts()[bots_before:])

    with running_system.api() as api:
        listing = api.get("/api/drafts", params={"phone": PHONE}).json()
    assert listing["total"] == 1
    [draft] = listing["items"]
    assert draft["channel"] == "webchat"
    assert draft["conversation_id"] == conversation
    assert draft["vehicle"]["plate"] == "浙C24680"


def test_chat_page_fits_a_phone_screen(page: Page, running_system):
    page.set_viewport_size({"width": 375, "height": 740})
    open_chat(page, running_system.config.url(running_system.config.api_port))
    send(page, "你们周末营业吗?")
    last_answer(page)
    answers = "\n".join(page.locator(".msg--bot .bubble").all_inner_texts())
    assert "营业" in answers and "需要我帮您预约" in answers  # answered, then a booking offered
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    composer = page.locator("#composer").bounding_box()
    assert composer["y"] + composer["height"] <= 740  # the input stays on screen
