from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

import api.main
from api.config import ApiSettings
from api.main import create_app
from dealer.catalog import Catalog, load_catalog
from dealer.services.booking import BookingRequest, book_once
from dealer.settings import REPO_ROOT

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/dealer_unreachable"


def test_importing_the_api_opens_no_database() -> None:
    probe = (
        "import api.main, dealer.db, sys; "
        "sys.exit(dealer.db.get_engine.cache_info().currsize + hasattr(api.main, 'app'))"
    )

    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr


def test_openapi_and_docs_are_served_under_api_without_a_database() -> None:
    with TestClient(create_app(ApiSettings(database_url=UNREACHABLE, app_env="test"))) as client:
        schema = client.get("/api/openapi.json")
        docs = client.get("/api/docs")

    assert schema.status_code == 200
    assert {"/api/health", "/api/auth/token", "/api/drafts", "/api/drafts/{draft_id}"} <= set(schema.json()["paths"])
    assert schema.json()["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"][
        "tokenUrl"
    ] == "/api/auth/token"
    assert docs.status_code == 200
    assert "/api/openapi.json" in docs.text
    assert not hasattr(api.main, "app")


def test_end_to_end_through_the_apps_own_sessions(fresh_database_url: str, now: datetime) -> None:
    """No dependency overrides: a booking committed by the action server's path shows up."""
    settings = ApiSettings(database_url=fresh_database_url, app_env="test")
    catalog: Catalog = load_catalog(settings.catalog_path)
    start = datetime.combine(now.date() + timedelta(days=2), catalog.opens_at, catalog.timezone)
    request = BookingRequest(
        idempotency_key="e2e-1", channel="rest", conversation_id="e2e", service_type="maintenance",
        start=start, phone="13812345678", plate="沪A12345",
    )
    booked = book_once(fresh_database_url, request, catalog, now)
    assert book_once(fresh_database_url, request, catalog, now).draft_id == booked.draft_id

    with TestClient(create_app(settings)) as client:
        assert client.get("/api/health").json() == {"status": "ok"}
        token = client.post("/api/auth/token", data={"username": "advisor", "password": "advisor"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        page = client.get("/api/drafts", params={"phone": "+86 138 1234 5678"}, headers=headers).json()
        one = client.get(f"/api/drafts/{booked.draft_id}", headers=headers)

    assert page["total"] == 1
    assert page["items"][0]["booking"]["start"] == start.isoformat()
    assert one.json() == page["items"][0]
