"""The landing page at / (was 404): in Chinese, no login, leading to the web chat and to
the advisors' sign-in, both of which answer."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient

from dealer.catalog import Catalog


def test_the_root_url_is_a_chinese_landing_page(client: TestClient, catalog: Catalog) -> None:
    page = client.get("/", follow_redirects=False)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text
    assert catalog.name in page.text and catalog.phone in page.text and catalog.address in page.text
    assert "每天 08:30–17:30" in page.text
    assert "保养、维修、钣金喷漆、保修索赔、检测：" in page.text
    assert "顾问工作台" not in page.text  # a page for customers, not the workspace's header


def test_it_links_the_web_chat_and_the_advisor_sign_in(client: TestClient) -> None:
    page = client.get("/").text
    links = dict((text.strip(), href) for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', page))

    assert links["在线预约 / 咨询"] == "/chat/demo"
    assert links["服务顾问登录"] == "/advisor/login"
    chat, login = client.get(links["在线预约 / 咨询"]), client.get("/advisor/login")
    assert chat.status_code == login.status_code == 200
    assert "顾问登录" in login.text


def test_it_is_not_part_of_the_api_schema(client: TestClient) -> None:
    assert "/" not in client.get("/api/openapi.json").json()["paths"]


def test_the_privacy_text_the_notice_links_is_served_without_login(client: TestClient, catalog: Catalog) -> None:
    links = dict((text.strip(), href) for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', client.get("/").text))
    assert links["个人信息保护说明"] == "/privacy"
    assert catalog.privacy.url.endswith(links["个人信息保护说明"])  # the address in the assistant's notice

    page = client.get("/privacy", follow_redirects=False)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "个人信息保护说明" in page.text and catalog.privacy.version in page.text
    assert all(paragraph in page.text for paragraph in catalog.privacy.paragraphs)
    assert len(catalog.privacy.paragraphs) >= 5 and "保存期限" in page.text and "撤回同意" in page.text
