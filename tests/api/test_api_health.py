from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.config import ApiSettings
from api.main import create_app
from api.security import create_access_token


def test_health_is_ok_without_a_token(client: TestClient) -> None:
    response = client.get("/api/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def _unreachable_database(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}"  # a directory: SQLite cannot open it
    return "postgresql+psycopg://postgres@127.0.0.1:1/dealer_unreachable"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_health_is_503_when_the_database_is_down(kind: str, tmp_path: Path) -> None:
    app = create_app(ApiSettings(database_url=_unreachable_database(kind, tmp_path), app_env="test"))

    with TestClient(app) as client:
        response = client.get("/api/health")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "component": "database", "detail": "数据库暂时无法连接"}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_protected_route_is_503_not_500_when_the_database_is_down(kind: str, tmp_path: Path) -> None:
    settings = ApiSettings(database_url=_unreachable_database(kind, tmp_path), app_env="test")
    token = create_access_token(settings, user_id=1, username="advisor", role="advisor")

    with TestClient(create_app(settings)) as client:
        response = client.get("/api/drafts", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 503
    assert "数据库" in response.json()["detail"]
