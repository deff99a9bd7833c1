"""Signing out revokes the token, not only the cookie: the account's token version is
bumped, so the old bearer token and the old cookie get 401 / the sign-in page. A new
password and disabling the account do the same (python -m dealer …)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.security import ALGORITHM, signing_key
from dealer.services import accounts
from dealer.services.staff import get_staff_user

COOKIE = "advisor_token"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def page_token(client: TestClient) -> str:
    response = client.post("/advisor/login", data={"username": "advisor", "password": "advisor"},
                           follow_redirects=False)
    assert response.status_code == 303
    return response.cookies[COOKIE]


def test_api_logout_revokes_the_token(client: TestClient, login: Callable[..., str]) -> None:
    token = login()
    assert client.get("/api/drafts", headers=bearer(token)).status_code == 200

    assert client.post("/api/auth/logout", headers=bearer(token)).status_code == 204

    after = client.get("/api/drafts", headers=bearer(token))
    assert after.status_code == 401 and after.json()["detail"] == "登录已失效，请重新登录"
    assert client.post("/api/auth/logout", headers=bearer(token)).status_code == 401
    assert client.get("/api/drafts", headers=bearer(login())).status_code == 200  # a new sign-in works


def test_page_logout_revokes_the_cookie_and_the_accounts_other_tokens(
    client: TestClient, login: Callable[..., str]
) -> None:
    api_token = login()
    cookie = page_token(client)
    client.cookies.clear()
    assert client.get("/advisor", cookies={COOKIE: cookie}).status_code == 200

    out = client.post("/advisor/logout", cookies={COOKIE: cookie}, follow_redirects=False)

    assert out.status_code == 303 and out.headers["location"] == "/advisor/login"
    replayed = client.get("/advisor", cookies={COOKIE: cookie}, follow_redirects=False)
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/advisor/login")
    assert client.get("/api/drafts", headers=bearer(api_token)).status_code == 401


def test_logout_without_a_valid_cookie_just_clears_it(client: TestClient) -> None:
    out = client.post("/advisor/logout", cookies={COOKIE: "not-a-token"}, follow_redirects=False)
    assert out.status_code == 303


@pytest.mark.parametrize("command", ["reset-password", "disable-user"])
def test_account_commands_revoke_live_tokens(
    client: TestClient, login: Callable[..., str], db_session: Session, command: str
) -> None:
    token = login()
    if command == "reset-password":
        accounts.reset_password(db_session, "advisor", "a-new-password-1", "cli:test")
    else:
        accounts.disable_staff_user(db_session, "advisor", "cli:test")
    db_session.commit()

    assert client.get("/api/drafts", headers=bearer(token)).status_code == 401
    if command == "disable-user":
        accounts.enable_staff_user(db_session, "advisor", "cli:test")
        db_session.commit()
        assert client.get("/api/drafts", headers=bearer(token)).status_code == 401  # still revoked
        assert client.get("/api/drafts", headers=bearer(login())).status_code == 200


def test_a_token_without_a_version_is_refused(client: TestClient, settings, db_session: Session) -> None:
    user = get_staff_user(db_session, "advisor")
    old_style = jwt.encode({"sub": str(user.id), "username": "advisor", "role": "advisor",
                            "exp": datetime.now(timezone.utc) + timedelta(hours=1)},
                           signing_key(settings), algorithm=ALGORITHM)

    assert client.get("/api/drafts", headers=bearer(old_style)).status_code == 401
