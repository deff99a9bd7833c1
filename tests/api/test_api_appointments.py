"""Issue 12: moving an appointment on through the API and the arrivals board's buttons;
issue 11: the board and the capacity page show names, phones and plates masked (both engines)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import get_args

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.routers.plan import DeskMove
from dealer import clock
from dealer.catalog import Catalog
from dealer.models import Appointment, AuditLog
from dealer.services import accounts
from dealer.services.appointments import DESK_MOVES

MakeDraft = Callable[..., int]
PHONE, PLATE, NAME = "13812345678", "京A12345", "王建国"


@pytest.fixture
def start(now: datetime, catalog: Catalog) -> datetime:
    """Tomorrow 09:30: after the booking rules' "now" whatever the day and hour."""
    return datetime.combine(now.date() + timedelta(days=1), catalog.opens_at, catalog.timezone) + timedelta(hours=1)


@pytest.fixture
def appointment(client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, start: datetime) -> int:
    """An approved booking's appointment id."""
    draft_id = make_draft(customer_name=NAME, phone=PHONE, plate=PLATE, start=start)
    assert client.post(f"/api/drafts/{draft_id}/approve", headers=auth_headers).status_code == 200
    [item] = client.get("/api/appointments", params={"date": start.date().isoformat()}, headers=auth_headers).json()["items"]
    return item["id"]


@pytest.fixture
def clock_at() -> Iterator[Callable[[datetime], None]]:
    """Moves the process's clock (dealer/clock.py) for one test."""
    before = clock.get_clock()
    yield lambda when: clock.set_clock(clock.Clock.reading(when))
    clock.set_clock(before)


def move(client: TestClient, headers: dict[str, str], appointment_id: int, status: str):
    return client.post(f"/api/appointments/{appointment_id}/status", json={"status": status}, headers=headers)


def test_the_api_moves_an_appointment_through_its_day(
    client: TestClient, auth_headers: dict[str, str], appointment: int, start: datetime, db_session: Session
) -> None:
    steps = [move(client, auth_headers, appointment, status) for status in ("arrived", "in_service", "delivered")]

    assert [r.status_code for r in steps] == [200, 200, 200], steps[-1].text
    done = steps[-1].json()
    assert done["status"] == "delivered" and done["id"] == appointment
    assert done["arrived_at"] and done["service_started_at"] and done["delivered_at"] and done["no_show_at"] is None
    assert done["customer"] == {"name": NAME, "phone": PHONE}  # the API is the advisors' full view
    board = client.get("/api/appointments", params={"date": start.date().isoformat()}, headers=auth_headers).json()
    assert [item["status"] for item in board["items"]] == ["delivered"]
    rows = db_session.scalars(select(AuditLog).where(AuditLog.entity == "appointment", AuditLog.entity_id == appointment,
                                                     AuditLog.field == "status").order_by(AuditLog.id))
    assert [(r.actor, r.old_value, r.new_value) for r in rows] == [
        ("advisor", "confirmed", "arrived"), ("advisor", "arrived", "in_service"), ("advisor", "in_service", "delivered"),
    ]


def test_a_refused_move_is_409_in_chinese(client: TestClient, auth_headers: dict[str, str], appointment: int) -> None:
    skipped = move(client, auth_headers, appointment, "delivered")
    early = move(client, auth_headers, appointment, "no_show")  # tomorrow's: the start has not come
    move(client, auth_headers, appointment, "arrived")
    twice = move(client, auth_headers, appointment, "arrived")

    assert (skipped.status_code, skipped.json()["detail"]) == (409, "该预约已预约，不能改为已交车")
    assert (early.status_code, early.json()["detail"]) == (409, "预约时间还没到，还不能标记为未到店")
    assert (twice.status_code, twice.json()["detail"]) == (409, "该预约已到店，不能改为已到店")


def test_no_show_after_the_start_on_the_dealer_clock(
    client: TestClient, auth_headers: dict[str, str], appointment: int, start: datetime,
    clock_at: Callable[[datetime], None],
) -> None:
    clock_at(start + timedelta(minutes=40))

    response = move(client, auth_headers, appointment, "no_show")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "no_show"
    assert datetime.fromisoformat(response.json()["no_show_at"]) >= start + timedelta(minutes=40)


def test_only_desk_moves_are_accepted_and_a_missing_appointment_is_404(
    client: TestClient, auth_headers: dict[str, str], appointment: int
) -> None:
    assert set(get_args(DeskMove)) == set(DESK_MOVES)  # the schema and the service agree
    for status in ("cancelled", "confirmed", "到店"):
        assert move(client, auth_headers, appointment, status).status_code == 422
    missing = move(client, auth_headers, 2**31 - 1, "arrived")
    assert (missing.status_code, missing.json()["detail"]) == (404, "未找到该预约")


def test_the_wrong_role_or_no_sign_in_moves_nothing(
    client: TestClient, login: Callable[..., str], appointment: int, db_session: Session
) -> None:
    accounts.create_staff_user(db_session, "it-admin", "admin-password-1", "admin", "cli:test")
    db_session.commit()
    admin = {"Authorization": f"Bearer {login('it-admin', 'admin-password-1')}"}
    manager = {"Authorization": f"Bearer {login('manager', 'manager')}"}

    anonymous = client.post(f"/api/appointments/{appointment}/status", json={"status": "arrived"})
    refused = move(client, admin, appointment, "arrived")

    assert anonymous.status_code == 401 and refused.status_code == 403
    assert db_session.get(Appointment, appointment).status == "confirmed"
    assert move(client, manager, appointment, "arrived").status_code == 200


# --- the arrivals board (pages) ------------------------------------------------------------


@pytest.fixture
def logged_in(client: TestClient) -> TestClient:
    response = client.post("/advisor/login", data={"username": "advisor", "password": "advisor"},
                           follow_redirects=False)
    assert response.status_code == 303
    return client


def press(client: TestClient, appointment_id: int, status: str, day: datetime, **headers: str):
    return client.post(f"/advisor/arrivals/{appointment_id}/status",
                       data={"status": status, "date": day.date().isoformat()}, headers=headers,
                       follow_redirects=False)


def test_the_board_buttons_move_an_appointment_and_come_back_with_a_notice(
    logged_in: TestClient, appointment: int, start: datetime
) -> None:
    board_url = f"/advisor/arrivals?date={start.date().isoformat()}"
    before = logged_in.get(board_url).text
    arrived = press(logged_in, appointment, "arrived", start)
    after = logged_in.get(arrived.headers["location"]).text

    assert 'value="arrived"' in before and 'value="no_show"' not in before  # 未到店 only after the start
    assert arrived.status_code == 303 and arrived.headers["location"] == board_url + "&notice=arrived"
    assert "已登记到店" in after and 'data-testid="state">已到店' in after
    assert 'value="in_service"' in after and 'value="arrived"' not in after


def test_a_refused_button_shows_the_board_with_the_reason(
    logged_in: TestClient, appointment: int, start: datetime
) -> None:
    response = press(logged_in, appointment, "delivered", start)

    assert response.status_code == 409
    assert "该预约已预约，不能改为已交车" in response.text and "京A·***45" in response.text


def test_a_button_posted_from_another_site_moves_nothing(
    logged_in: TestClient, appointment: int, start: datetime, db_session: Session
) -> None:
    response = press(logged_in, appointment, "arrived", start, Origin="https://evil.example")

    assert response.status_code == 303 and response.headers["location"].startswith("/advisor/login")
    assert db_session.get(Appointment, appointment).status == "confirmed"


def test_the_board_and_the_capacity_page_show_no_full_name_phone_or_plate(
    logged_in: TestClient, appointment: int, start: datetime, make_draft: MakeDraft
) -> None:
    make_draft(customer_name="李女士", phone="13912345678", plate="沪B67890", start=start)  # not approved yet
    day = start.date().isoformat()

    board = logged_in.get(f"/advisor/arrivals?date={day}").text
    capacity = logged_in.get(f"/advisor/capacity?date={day}").text

    assert "王**" in board and "138****5678" in board and "京A·***45" in board
    assert "京A·***45" in capacity and "沪B·***90" in capacity
    for page in (board, capacity):
        for full in (NAME, PHONE, PLATE, "李女士", "13912345678", "沪B67890"):
            assert full not in page
