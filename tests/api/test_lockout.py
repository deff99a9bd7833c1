"""A lockout per account after repeated failed sign-ins, held in the database (every
process sees it): even the right password is refused until it runs out or an admin
lifts it. Both sign-ins (API token and page form) count and are refused alike."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import ApiSettings
from dealer.models import AuditLog, StaffUser
from dealer.services import accounts
from dealer.services.staff import get_staff_user

MakeClient = Callable[..., TestClient]
RIGHT = {"username": "advisor", "password": "advisor"}
WRONG = {"username": "advisor", "password": "wrong-guess"}


@pytest.fixture
def lockout_settings(database_url: str) -> ApiSettings:
    return ApiSettings(database_url=database_url, app_env="test", login_lockout_failures=3,
                       login_lockout_window_minutes=10, login_lockout_minutes=15)


@pytest.fixture
def strict(make_client: MakeClient, lockout_settings: ApiSettings) -> TestClient:
    return make_client(lockout_settings)


def _advisor(db_session: Session) -> StaffUser:
    user = get_staff_user(db_session, "advisor")
    db_session.refresh(user)
    return user


def test_the_third_failure_locks_and_the_right_password_is_refused_then(
    strict: TestClient, db_session: Session
) -> None:
    first, second = (strict.post("/api/auth/token", data=WRONG) for _ in range(2))
    third = strict.post("/api/auth/token", data=WRONG)
    right = strict.post("/api/auth/token", data=RIGHT)

    assert (first.status_code, second.status_code) == (401, 401)
    for refused in (third, right):
        assert refused.status_code == 429
        assert "已锁定" in refused.json()["detail"] and "15 分钟" in refused.json()["detail"]
        assert 14 * 60 < int(refused.headers["Retry-After"]) <= 15 * 60
    user = _advisor(db_session)
    assert user.locked_until > datetime.now(timezone.utc) + timedelta(minutes=14)
    assert ("sign-in", "lock") in [(row.actor, row.action) for row in db_session.scalars(
        select(AuditLog).where(AuditLog.entity == "staff_user", AuditLog.entity_id == user.id))]


def test_the_page_sign_in_counts_and_shows_the_lockout(strict: TestClient) -> None:
    for _ in range(2):
        assert strict.post("/advisor/login", data=WRONG).status_code == 401
    assert strict.post("/api/auth/token", data=WRONG).status_code == 429  # one count for both

    page = strict.post("/advisor/login", data=RIGHT, follow_redirects=False)

    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "已锁定" in page.text and "advisor_token" not in page.headers.get("set-cookie", "")


def test_the_lockout_holds_in_another_process(
    strict: TestClient, make_client: MakeClient, lockout_settings: ApiSettings
) -> None:
    for _ in range(3):
        strict.post("/api/auth/token", data=WRONG)

    other_process = make_client(lockout_settings)  # its own memory; the same database

    assert other_process.post("/api/auth/token", data=RIGHT).status_code == 429


def test_a_success_forgets_earlier_failures(strict: TestClient, db_session: Session) -> None:
    for _ in range(2):
        strict.post("/api/auth/token", data=WRONG)
    assert strict.post("/api/auth/token", data=RIGHT).status_code == 200
    assert _advisor(db_session).failed_logins == 0
    for _ in range(2):
        assert strict.post("/api/auth/token", data=WRONG).status_code == 401


def _fail_then_move_back(strict: TestClient, db_session: Session, failures: int, column: str, ago: timedelta) -> None:
    """``failures`` wrong passwords, then the account's ``column`` set to ``ago`` in the past."""
    for _ in range(failures):
        strict.post("/api/auth/token", data=WRONG)
    setattr(_advisor(db_session), column, datetime.now(timezone.utc) - ago)
    db_session.commit()


def test_failures_older_than_the_window_start_counting_again(strict: TestClient, db_session: Session) -> None:
    _fail_then_move_back(strict, db_session, 2, "first_failed_login_at", timedelta(minutes=11))

    assert strict.post("/api/auth/token", data=WRONG).status_code == 401  # one in a new window
    assert _advisor(db_session).failed_logins == 1


def test_the_lockout_runs_out(strict: TestClient, db_session: Session) -> None:
    _fail_then_move_back(strict, db_session, 3, "locked_until", timedelta(seconds=1))

    assert strict.post("/api/auth/token", data=RIGHT).status_code == 200


@pytest.mark.parametrize("lift", ["enable-user", "reset-password", "api unlock"])
def test_an_admin_lifts_a_lockout(
    strict: TestClient, db_session: Session, login: Callable[..., str], lift: str
) -> None:
    for _ in range(3):
        strict.post("/api/auth/token", data=WRONG)
    password = "advisor"
    if lift == "enable-user":
        accounts.enable_staff_user(db_session, "advisor", "cli:test")
    elif lift == "reset-password":
        password = "a-new-password-1"
        accounts.reset_password(db_session, "advisor", password, "cli:test")
    else:
        accounts.create_staff_user(db_session, "it-admin", "admin-password-1", "admin", "cli:test")
        db_session.commit()
        admin = {"Authorization": f"Bearer {login('it-admin', 'admin-password-1')}"}
        assert strict.post("/api/staff/advisor/unlock", headers=admin).status_code == 204
        listed = {row["username"]: row for row in strict.get("/api/staff", headers=admin).json()}
        assert listed["advisor"]["locked_until"] is None and listed["advisor"]["advisor"] == "A01"
    db_session.commit()

    assert strict.post("/api/auth/token", data={"username": "advisor", "password": password}).status_code == 200


def test_unknown_usernames_are_never_locked_nor_told_apart(strict: TestClient) -> None:
    answers = [strict.post("/api/auth/token", data={"username": "nobody", "password": "x"}) for _ in range(4)]
    assert {(a.status_code, a.json()["detail"]) for a in answers} == {(401, "用户名或密码错误")}
