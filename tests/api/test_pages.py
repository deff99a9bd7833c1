"""The advisor pages served by the app (HTML), on both engines; the browser tests drive them for real."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.config import ApiSettings
from dealer.models import StaffUser
from dealer.passwords import hash_password

MakeDraft = Callable[..., int]


@pytest.fixture
def logged_in(client: TestClient) -> TestClient:
    response = client.post(
        "/advisor/login", data={"username": "advisor", "password": "advisor", "next": "/advisor"}, follow_redirects=False
    )
    assert response.status_code == 303
    return client


def test_pages_need_a_login_and_come_back_after_it(client: TestClient) -> None:
    first = client.get("/advisor/capacity?date=2026-12-01", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/advisor/login?next=/advisor/capacity%3Fdate%3D2026-12-01"

    login = client.post(
        "/advisor/login",
        data={"username": "advisor", "password": "advisor", "next": "/advisor/capacity?date=2026-12-01"},
        follow_redirects=False,
    )
    assert login.headers["location"] == "/advisor/capacity?date=2026-12-01"
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/advisor" in cookie
    assert "Secure" not in cookie  # plain http://localhost in local/test mode
    assert "12月1日" in client.get("/advisor/capacity?date=2026-12-01").text


def test_production_sets_secure_cookies_on_login_and_logout(
    make_client: Callable[[ApiSettings], TestClient], database_url: str, db_session: Session
) -> None:
    production = ApiSettings(database_url=database_url, app_env="production", secret_key="p" * 40,
                             rasa_auth_token="r" * 40, secure_cookies=False)
    client = make_client(production)
    db_session.add(StaffUser(username="zhang.hua", password_hash=hash_password("a long passphrase"),
                             role="advisor"))
    db_session.commit()

    login = client.post("/advisor/login", data={"username": "zhang.hua", "password": "a long passphrase"},
                        follow_redirects=False)
    logout = client.post("/advisor/logout", follow_redirects=False)

    assert login.status_code == logout.status_code == 303
    for response in (login, logout):
        cookie = response.headers["set-cookie"]
        assert "advisor_token=" in cookie and "; Secure" in cookie and "HttpOnly" in cookie


def test_wrong_password_is_said_in_chinese(client: TestClient) -> None:
    response = client.post("/advisor/login", data={"username": "advisor", "password": "nope"})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert client.get("/advisor", follow_redirects=False).status_code == 303


def test_login_never_redirects_off_site(client: TestClient) -> None:
    response = client.post(
        "/advisor/login", data={"username": "advisor", "password": "advisor", "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/advisor"


def test_a_form_posted_from_another_site_is_refused(logged_in: TestClient, make_draft: MakeDraft) -> None:
    draft_id = make_draft(phone="13812345678")
    response = logged_in.post(
        f"/advisor/drafts/{draft_id}/approve", headers={"Origin": "https://evil.example"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert logged_in.get(f"/api/drafts/{draft_id}", headers={}).status_code == 401  # cookies never open the API
    page = logged_in.get(f"/advisor/drafts/{draft_id}")
    assert 'data-testid="status">待审核' in page.text


def test_inbox_masks_phones_and_marks_flags(logged_in: TestClient, make_draft: MakeDraft) -> None:
    make_draft(customer_name="王先生", phone="13812345678", plate="京A12345", urgent=True)
    make_draft(customer_name="李女士", phone="13912345678", plate="京B12345", needs_human=True)

    html = logged_in.get("/advisor").text

    assert "138****5678" in html and "139****5678" in html
    assert "13812345678" not in html and "13912345678" not in html
    assert "王**" in html and "京A·***45" in html and "京B·***45" in html  # names and plates too
    assert "王先生" not in html and "京A12345" not in html
    assert '<tr class="urgent">' in html and '<tr class="needs-human">' in html


def test_draft_page_without_tracker_store_says_so(
    make_client: Callable[[ApiSettings], TestClient], database_url: str, make_draft: MakeDraft, tmp_path
) -> None:
    settings = ApiSettings(
        database_url=database_url, app_env="test", tracker_store_url=f"sqlite:///{tmp_path / 'missing' / 'x.db'}"
    )
    client = make_client(settings)
    client.post("/advisor/login", data={"username": "advisor", "password": "advisor"})
    draft_id = make_draft(phone="13812345678", service_type="repair",
                          symptoms={"what": "刹车异响", "when": "最近一周"})

    html = client.get(f"/advisor/drafts/{draft_id}").text

    assert "对话记录暂时无法读取" in html
    assert "刹车异响" in html and "完整度" in html
    assert "13812345678" in html  # the advisor needs the full number to call back


def test_page_edit_with_a_stale_version_keeps_the_typed_values(logged_in: TestClient, make_draft: MakeDraft) -> None:
    draft_id = make_draft(customer_name="王先生", phone="13812345678", plate="京A12345", model="迈腾")
    first = logged_in.post(f"/advisor/drafts/{draft_id}", data={"version": "1", "model": "帕萨特"}, follow_redirects=False)
    second = logged_in.post(f"/advisor/drafts/{draft_id}", data={"version": "1", "model": "途观"})

    assert first.status_code == 303
    assert second.status_code == 409
    assert "其他顾问" in second.text
    assert 'value="途观"' in second.text


def test_an_untouched_filter_form_means_no_filter(logged_in: TestClient, make_draft: MakeDraft) -> None:
    make_draft(phone="13812345678", plate="京A12345")
    inbox = logged_in.get("/advisor?status=&flag=&date=&q=")
    assert inbox.status_code == 200
    assert "京A·***45" in inbox.text  # the plate, masked in the list
    assert logged_in.get("/advisor/arrivals?date=").status_code == 200
    assert logged_in.get("/advisor/capacity?date=").status_code == 200


def test_a_missing_draft_gets_a_page_in_chinese(logged_in: TestClient) -> None:
    response = logged_in.get("/advisor/drafts/999999")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "未找到该工单草稿" in response.text and 'href="/advisor"' in response.text


def test_each_further_complaint_has_its_own_sheet_on_the_page(logged_in: TestClient, make_draft: MakeDraft) -> None:
    draft_id = make_draft(
        phone="13812345678", service_type="repair",
        symptoms={"what": "刹车异响", "when": "最近一周",
                  "further_interviews": [{"complaint": "空调不凉", "what": "空调不凉", "when": "这两天",
                                          "where": None, "frequency": "一直", "driving_impact": None, "tried": None}]},
    )
    html = logged_in.get(f"/advisor/drafts/{draft_id}").text
    assert "其他问题 1：空调不凉" in html
    assert "这两天" in html and "完整度 3/6" in html


def test_the_draft_page_lists_its_conflicts_with_the_records(logged_in: TestClient, make_draft: MakeDraft) -> None:
    make_draft(customer_name="王先生", phone="13812340001")
    flagged = make_draft(customer_name="李女士", phone="13812340001")
    clean = make_draft(customer_name="赵先生", phone="13812340002")

    assert 'data-testid="conflicts"' in logged_in.get(f"/advisor/drafts/{flagged}").text
    assert 'data-testid="conflicts"' not in logged_in.get(f"/advisor/drafts/{clean}").text


def test_the_complaint_as_told_is_shown_beside_its_phenomenon(logged_in: TestClient, make_draft: MakeDraft) -> None:
    told = make_draft(phone="13812345679", service_type="repair",
                      symptoms={"complaint": "刹车有异响", "what": "一踩刹车就吱吱响", "when": "上周"})
    html = logged_in.get(f"/advisor/drafts/{told}").text
    assert "客户原话" in html and "刹车有异响" in html and "一踩刹车就吱吱响" in html
    plain = make_draft(phone="13812345680", service_type="repair", symptoms={"what": "刹车异响", "when": "上周"})
    assert "客户原话" not in logged_in.get(f"/advisor/drafts/{plain}").text
