from __future__ import annotations

from collections.abc import Callable
import re
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.config import ApiSettings
from api.security import ALGORITHM, create_access_token, decode_access_token, signing_key
from dealer.models import StaffUser
from dealer.passwords import hash_password
from dealer.services.staff import get_staff_user

PUBLIC_PATHS = {"/api/health", "/api/auth/token", "/api/openapi.json", "/api/docs", "/api/docs/oauth2-redirect"}


def add_staff(session: Session, username: str, password: str, role: str, active: bool = True) -> StaffUser:
    user = StaffUser(username=username, password_hash=hash_password(password), role=role, active=active)
    session.add(user)
    session.commit()
    return user


def test_demo_advisor_gets_a_bearer_token(client: TestClient, settings: ApiSettings) -> None:
    response = client.post("/api/auth/token", data={"username": "advisor", "password": "advisor"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type"}
    assert body["token_type"] == "bearer"
    claims = decode_access_token(settings, body["access_token"])
    assert (claims.username, claims.role) == ("advisor", "advisor")
    lifetime = claims.exp - datetime.now(timezone.utc).timestamp()
    assert timedelta(minutes=59) < timedelta(seconds=lifetime) <= timedelta(minutes=60)


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_the_token_carries_the_role(
    login: Callable[[str, str], str], settings: ApiSettings, db_session: Session, role: str
) -> None:
    add_staff(db_session, f"wang-{role}", "s3cret-pass", role)

    claims = decode_access_token(settings, login(f"wang-{role}", "s3cret-pass"))

    assert claims.role == role


@pytest.mark.parametrize(
    ("username", "password"),
    [("advisor", "wrong"), ("advisor", "advisor "), ("nobody", "advisor"), ("ADVISOR", "advisor")],
)
def test_wrong_credentials_are_401_in_chinese(client: TestClient, username: str, password: str) -> None:
    response = client.post("/api/auth/token", data={"username": username, "password": password})

    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_inactive_user_cannot_log_in(client: TestClient, db_session: Session) -> None:
    add_staff(db_session, "left-the-company", "s3cret-pass", "advisor", active=False)

    response = client.post("/api/auth/token", data={"username": "left-the-company", "password": "s3cret-pass"})

    assert response.status_code == 401


def test_a_missing_form_field_is_422(client: TestClient) -> None:
    response = client.post("/api/auth/token", data={"username": "advisor"})

    assert response.status_code == 422


def test_production_refuses_the_demo_password(
    make_client: Callable[[ApiSettings], TestClient], database_url: str
) -> None:
    production = ApiSettings(database_url=database_url, app_env="production", secret_key="p" * 40,
                             rasa_auth_token="r" * 40)
    client = make_client(production)

    response = client.post("/api/auth/token", data={"username": "advisor", "password": "advisor"})

    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误"}


# Every /api route except the public ones needs a token: checked route by route
# from the OpenAPI document, so a router added later without protection fails here.


def protected_requests(client: TestClient) -> list[tuple[str, str]]:
    requests = []
    for template, operations in client.app.openapi()["paths"].items():
        if template in PUBLIC_PATHS:
            continue
        assert template.startswith("/api/")
        path = re.sub(r"\{[^}]+\}", "1", template)
        requests.extend((method.upper(), path) for method in sorted(operations))
    return requests


def test_the_protected_routes_include_the_drafts(client: TestClient) -> None:
    assert {("GET", "/api/drafts"), ("GET", "/api/drafts/1")} <= set(protected_requests(client))


def _bad_tokens(settings: ApiSettings, user_id: int) -> dict[str, str]:
    now = datetime.now(timezone.utc)
    other_key = ApiSettings(database_url=settings.database_url, app_env="test", secret_key="another-secret")
    valid = {"sub": str(user_id), "username": "advisor", "role": "advisor"}
    return {
        "garbage": "not-a-jwt",
        "expired": create_access_token(
            settings, user_id=user_id, username="advisor", role="advisor",
            now=now - timedelta(hours=2), expires_in=timedelta(hours=1),
        ),
        "signed with another key": create_access_token(
            other_key, user_id=user_id, username="advisor", role="advisor"
        ),
        "unsigned (alg none)": jwt.encode({**valid, "exp": now + timedelta(hours=1)}, None, algorithm="none"),
        "without exp": jwt.encode(valid, signing_key(settings), algorithm=ALGORITHM),
        "unknown user": create_access_token(settings, user_id=999_999, username="ghost", role="advisor"),
    }


@pytest.mark.parametrize(
    "case",
    ["no header", "empty bearer", "basic scheme", "garbage", "expired", "signed with another key",
     "unsigned (alg none)", "without exp", "unknown user"],
)
def test_every_protected_route_is_401_without_a_valid_token(
    client: TestClient, settings: ApiSettings, db_session: Session, case: str
) -> None:
    advisor = get_staff_user(db_session, "advisor")
    headers = {
        "no header": {},
        "empty bearer": {"Authorization": "Bearer "},
        "basic scheme": {"Authorization": "Basic YWR2aXNvcjphZHZpc29y"},
        **{name: {"Authorization": f"Bearer {token}"} for name, token in _bad_tokens(settings, advisor.id).items()},
    }[case]

    for method, path in protected_requests(client):
        response = client.request(method, path, headers=headers)

        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["detail"] in ("请先登录", "登录已失效，请重新登录")


def test_a_deactivated_users_token_stops_working(
    client: TestClient, db_session: Session, auth_headers: dict[str, str]
) -> None:
    assert client.get("/api/drafts", headers=auth_headers).status_code == 200
    get_staff_user(db_session, "advisor").active = False
    db_session.commit()

    assert client.get("/api/drafts", headers=auth_headers).status_code == 401
