from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.models import DraftWorkOrder

SHANGHAI = ZoneInfo("Asia/Shanghai")
SYMPTOMS = {
    "when": "早上冷车启动",
    "where": "发动机舱",
    "what": "咔咔异响",
    "frequency": "每天都有",
    "driving_impact": "不影响行驶",
    "tried": "没处理过",
}
MakeDraft = Callable[..., int]


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), SHANGHAI)


def get_drafts(client: TestClient, headers: dict[str, str], **params) -> dict:
    response = client.get("/api/drafts", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page: dict) -> list[int]:
    return [item["id"] for item in page["items"]]


def assert_offset_time(value: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", value), value
    return datetime.fromisoformat(value)


def test_list_returns_the_contract_draft_json(
    client: TestClient,
    auth_headers: dict[str, str],
    make_draft: MakeDraft,
    catalog: Catalog,
    now: datetime,
) -> None:
    start = at(now.date() + timedelta(days=1), "15:00")
    draft_id = make_draft(
        channel="webchat",
        conversation_id="sender-42",
        service_type="repair",
        start=start,
        customer_name="王先生",
        phone="13812345678",
        plate="京A12345",
        vin="LFV2A21K3D4012345",  # a valid check digit (the contract example has none)
        model="迈腾",
        mileage_km=35000,
        first_visit=False,
        symptoms=SYMPTOMS,
        repeat_repair=True,
        extra_requests="顺便洗车",
    )

    page = get_drafts(client, auth_headers)

    assert page["total"] == 1
    assert set(page) == {"items", "total"}
    draft = page["items"][0]
    assert set(draft) == {
        "id", "status", "created_at", "updated_at", "channel", "conversation_id", "customer",
        "vehicle", "booking", "symptoms", "repeat_repair", "extra_requests",
        "urgent", "needs_human", "version", "last_service", "job_description", "symptom_completeness", "symptom_tags", "conflicts", "privacy_consent",
        "dealer",  # issue 14
    }
    assert draft["id"] == draft_id
    assert draft["status"] == "draft"
    assert_offset_time(draft["created_at"])
    assert_offset_time(draft["updated_at"])
    assert draft["channel"] == "webchat"
    assert draft["conversation_id"] == "sender-42"
    assert draft["customer"] == {"name": "王先生", "phone": "13812345678"}
    assert re.fullmatch(r"\d{11}", draft["customer"]["phone"])
    assert draft["vehicle"] == {"plate": "京A12345", "vin": "LFV2A21K3D4012345", "model": "迈腾", "mileage_km": 35000}
    assert isinstance(draft["vehicle"]["mileage_km"], int)
    assert set(draft["booking"]) == {"service_type", "start", "advisor", "first_visit"}
    assert draft["booking"]["service_type"] == "repair"
    assert draft["booking"]["start"] == start.isoformat()
    assert assert_offset_time(draft["booking"]["start"]) == start
    assert draft["booking"]["advisor"] in {advisor.name for advisor in catalog.advisors}
    assert draft["booking"]["first_visit"] is False
    assert draft["symptoms"] == {**SYMPTOMS, "complaint": None, "further_complaints": [], "further_interviews": []}
    assert draft["repeat_repair"] is True
    assert draft["extra_requests"] == "顺便洗车"
    assert draft["urgent"] is False
    assert draft["needs_human"] is False
    assert isinstance(draft["version"], int)


def test_unknown_facts_are_null(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft
) -> None:
    make_draft(service_type="maintenance", phone="13812345678")

    draft = get_drafts(client, auth_headers)["items"][0]

    assert draft["customer"] == {"name": None, "phone": "13812345678"}
    assert draft["vehicle"] == {"plate": None, "vin": None, "model": None, "mileage_km": None}
    assert draft["booking"]["first_visit"] is None
    assert draft["symptoms"] is None
    assert draft["repeat_repair"] is None
    assert draft["extra_requests"] is None


def test_newest_first_with_the_total_and_paging(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft
) -> None:
    first, second, third = make_draft(), make_draft(), make_draft()

    assert ids(get_drafts(client, auth_headers)) == [third, second, first]
    page = get_drafts(client, auth_headers, limit=1, offset=1)
    assert ids(page) == [second]
    assert page["total"] == 3
    assert get_drafts(client, auth_headers, offset=3) == {"items": [], "total": 3}


def test_filter_by_status(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, db_session: Session
) -> None:
    waiting, approved = make_draft(), make_draft()
    db_session.get(DraftWorkOrder, approved).status = "approved"
    db_session.commit()

    assert ids(get_drafts(client, auth_headers, status="approved")) == [approved]
    assert ids(get_drafts(client, auth_headers, status="draft")) == [waiting]
    assert get_drafts(client, auth_headers, status="cancelled") == {"items": [], "total": 0}


@pytest.mark.parametrize("phone", ["13812345678", "138 1234 5678", "+86 13812345678", "138-1234-5678"])
def test_filter_by_phone_after_normalisation(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, phone: str
) -> None:
    wanted = make_draft(phone="13812345678")
    make_draft(phone="13912345678")
    make_draft()

    page = get_drafts(client, auth_headers, phone=phone)

    assert ids(page) == [wanted]
    assert page["total"] == 1


@pytest.mark.parametrize("plate", ["沪A12345", "沪a·12345", "沪A-12345", " 沪a 12345 "])
def test_filter_by_plate_after_normalisation(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, plate: str
) -> None:
    wanted = make_draft(plate="沪A12345")
    make_draft(plate="沪A12346")
    make_draft()

    assert ids(get_drafts(client, auth_headers, plate=plate)) == [wanted]


def test_an_unparseable_phone_or_plate_matches_nothing(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft
) -> None:
    make_draft(phone="13812345678", plate="沪A12345")

    assert get_drafts(client, auth_headers, phone="12345") == {"items": [], "total": 0}
    assert get_drafts(client, auth_headers, plate="ABC") == {"items": [], "total": 0}


def test_filter_by_booked_day_in_the_dealers_time_zone(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, now: datetime
) -> None:
    day = now.date() + timedelta(days=10)
    # 08:30 in Shanghai is 00:30 UTC, 17:00 the day before is 09:00 UTC that day.
    opening = make_draft(start=at(day, "08:30"))
    closing = make_draft(start=at(day, "17:00"))
    make_draft(start=at(day - timedelta(days=1), "17:00"))
    make_draft(start=at(day + timedelta(days=1), "08:30"))

    page = get_drafts(client, auth_headers, date=day.isoformat())

    assert ids(page) == [closing, opening]
    assert page["total"] == 2


def test_filters_combine(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, now: datetime
) -> None:
    day = now.date() + timedelta(days=3)
    wanted = make_draft(phone="13812345678", plate="沪A12345", start=at(day, "10:00"))
    make_draft(phone="13812345678", plate="沪A12345", start=at(day + timedelta(days=1), "10:00"))

    page = get_drafts(
        client, auth_headers, status="draft", phone="138 1234 5678", plate="沪a·12345", date=day.isoformat()
    )

    assert ids(page) == [wanted]


def test_empty_filter_values_mean_no_filter(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft
) -> None:
    first, second = make_draft(), make_draft()

    response = client.get("/api/drafts?status=&phone=&plate=&date=", headers=auth_headers)

    assert response.status_code == 200
    assert ids(response.json()) == [second, first]


def test_get_one_draft(client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft) -> None:
    draft_id = make_draft(phone="13812345678")
    make_draft()

    response = client.get(f"/api/drafts/{draft_id}", headers=auth_headers)

    assert response.status_code == 200
    listed = next(item for item in get_drafts(client, auth_headers)["items"] if item["id"] == draft_id)
    assert response.json() == listed


def test_an_unknown_draft_is_404_in_chinese(client: TestClient, auth_headers: dict[str, str]) -> None:
    response = client.get("/api/drafts/424242", headers=auth_headers)

    assert response.status_code == 404
    assert response.json() == {"detail": "未找到该工单草稿"}


@pytest.mark.parametrize(
    "query",
    [
        "date=xyz",
        "date=2026-13-01",
        "date=2026-11-31",
        "date=0001-01-01",
        "date=9999-12-31",
        "limit=-1",
        "limit=0",
        "limit=abc",
        "limit=100000",
        "offset=-1",
        "offset=1.5",
        "offset=100000000000000000000",
        "status=pending",
        "status=DRAFT",
        "phone=" + "1" * 100,
        "plate=%00",
        "phone=138%0012345678",
    ],
)
def test_bad_list_queries_are_422(client: TestClient, auth_headers: dict[str, str], query: str) -> None:
    response = client.get(f"/api/drafts?{query}", headers=auth_headers)

    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)


@pytest.mark.parametrize("draft_id", ["abc", "0", "-1", "1.5", "99999999999999999999"])
def test_bad_draft_ids_are_422(client: TestClient, auth_headers: dict[str, str], draft_id: str) -> None:
    response = client.get(f"/api/drafts/{draft_id}", headers=auth_headers)

    assert response.status_code == 422, response.text


def test_a_draft_shows_its_conflicts_with_the_records(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft
) -> None:
    """A second booking that names the known phone's customer otherwise is flagged, not applied."""
    make_draft(phone="13812349876", customer_name="王先生")
    clean = client.get(f"/api/drafts/{make_draft(phone='13812340000')}", headers=auth_headers).json()
    flagged = client.get(f"/api/drafts/{make_draft(phone='13812349876', customer_name='李女士')}", headers=auth_headers).json()

    assert clean["conflicts"] == []
    assert flagged["conflicts"] and flagged["needs_human"] is True
    assert flagged["customer"]["name"] == "李女士"  # what the customer said, on the draft
