"""Advisors correcting, approving and rejecting drafts through the API (both engines)."""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from threading import Barrier

import pytest
from fastapi.testclient import TestClient

from api.config import ApiSettings
from api.main import create_app
from dealer.catalog import Catalog, load_catalog
from dealer.services.booking import BookingRequest, book_once

MakeDraft = Callable[..., int]


def get(client: TestClient, headers: dict[str, str], url: str, **params) -> dict:
    response = client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def audit_rows(client: TestClient, headers: dict[str, str], draft_id: int) -> list[dict]:
    return get(client, headers, f"/api/drafts/{draft_id}/audit")


def test_patch_corrects_fields_and_audits_each_change(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft
) -> None:
    draft_id = make_draft(customer_name="王先生", phone="13812345678", plate="京A12345", model="迈腾")
    before = get(client, auth_headers, f"/api/drafts/{draft_id}")

    response = client.patch(
        f"/api/drafts/{draft_id}",
        json={
            "version": before["version"],
            "customer": {"phone": "139 1234 5678"},
            "vehicle": {"plate": "京a·54321", "mileage_km": 35000},
            "extra_requests": "顺便洗车",
        },
        headers=auth_headers,
    )

    assert response.status_code == 200, response.text
    after = response.json()
    assert after["customer"] == {"name": "王先生", "phone": "13912345678"}
    assert after["vehicle"]["plate"] == "京A54321"
    assert after["vehicle"]["mileage_km"] == 35000
    assert after["vehicle"]["model"] == "迈腾"  # untouched
    assert after["extra_requests"] == "顺便洗车"
    assert after["version"] == before["version"] + 1
    assert response.headers["ETag"] == f'"{after["version"]}"'
    edits = {row["field"]: row for row in audit_rows(client, auth_headers, draft_id) if row["action"] == "edit"}
    assert set(edits) == {"phone", "plate", "mileage_km", "extra_requests"}
    assert edits["phone"]["old_value"] == "13812345678"
    assert edits["phone"]["new_value"] == "13912345678"
    assert edits["phone"]["actor"] == "advisor"
    assert edits["plate"]["old_value"] == "京A12345"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"customer": {"phone": "12345"}}, "手机号"),
        ({"vehicle": {"plate": "ABC"}}, "车牌号"),
        ({"vehicle": {"vin": "LFV2A21K8D4012340"}}, "车架号校验位不正确"),
        ({"customer": {"phone": None}}, "手机号不能为空"),
        ({"booking": {"advisor": "不存在的人"}}, "服务顾问"),
    ],
)
def test_an_invalid_value_is_explained_and_nothing_is_written(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, body: dict, message: str
) -> None:
    draft_id = make_draft(phone="13812345678", plate="京A12345")
    before = get(client, auth_headers, f"/api/drafts/{draft_id}")

    response = client.patch(f"/api/drafts/{draft_id}", json=body, headers=auth_headers)

    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert get(client, auth_headers, f"/api/drafts/{draft_id}") == before
    assert [row["action"] for row in audit_rows(client, auth_headers, draft_id)] == ["create"]


def test_unknown_fields_are_refused(client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft) -> None:
    draft_id = make_draft(phone="13812345678")
    response = client.patch(f"/api/drafts/{draft_id}", json={"status": "approved"}, headers=auth_headers)
    assert response.status_code == 422
    assert get(client, auth_headers, f"/api/drafts/{draft_id}")["status"] == "draft"


def test_a_stale_version_gets_409_and_keeps_the_first_save(
    client: TestClient, auth_headers: dict[str, str], login: Callable[..., str], make_draft: MakeDraft
) -> None:
    draft_id = make_draft(customer_name="王先生", phone="13812345678")
    second_advisor = {"Authorization": f"Bearer {login('advisor2', 'advisor2')}"}
    loaded_by_first = get(client, auth_headers, f"/api/drafts/{draft_id}")["version"]
    loaded_by_second = get(client, second_advisor, f"/api/drafts/{draft_id}")["version"]

    first = client.patch(
        f"/api/drafts/{draft_id}", json={"version": loaded_by_first, "customer": {"name": "王建国"}}, headers=auth_headers
    )
    second = client.patch(
        f"/api/drafts/{draft_id}", json={"version": loaded_by_second, "customer": {"name": "王先生"}}, headers=second_advisor
    )
    stale_header = client.patch(
        f"/api/drafts/{draft_id}", json={"customer": {"name": "王女士"}},
        headers={**second_advisor, "If-Match": f'"{loaded_by_second}"'},
    )

    assert first.status_code == 200
    assert second.status_code == 409
    assert "其他顾问" in second.json()["detail"]
    assert stale_header.status_code == 409
    assert get(client, auth_headers, f"/api/drafts/{draft_id}")["customer"]["name"] == "王建国"
    assert [row["actor"] for row in audit_rows(client, auth_headers, draft_id) if row["action"] == "edit"] == ["advisor"]


def test_moving_a_booking_takes_the_new_slot_and_frees_the_old(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, now: datetime, catalog: Catalog
) -> None:
    day = now.date() + timedelta(days=3)
    old = datetime.combine(day, catalog.opens_at, catalog.timezone)
    new = old + timedelta(hours=2)
    draft_id = make_draft(phone="13812345678", start=old)
    for number in range(catalog.slot_capacity):  # fill the slot after the new one
        make_draft(phone=f"1380000000{number}", start=new + timedelta(minutes=catalog.slot_minutes))

    moved = client.patch(f"/api/drafts/{draft_id}", json={"booking": {"start": new.isoformat()}}, headers=auth_headers)
    full = client.patch(
        f"/api/drafts/{draft_id}",
        json={"booking": {"start": (new + timedelta(minutes=catalog.slot_minutes)).isoformat()}},
        headers=auth_headers,
    )
    closed = client.patch(
        f"/api/drafts/{draft_id}", json={"booking": {"start": f"{day}T22:00:00+08:00"}}, headers=auth_headers
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["booking"]["start"] == new.isoformat()
    assert (full.status_code, full.json()["detail"]) == (409, "该时段已约满")
    assert (closed.status_code, closed.json()["detail"]) == (409, "该时间不在营业时间内")
    plan = get(client, auth_headers, "/api/capacity", date=day.isoformat())
    booked = {slot["start"]: slot["booked"] for slot in plan["slots"]}
    assert booked[old.isoformat()] == 0
    assert booked[new.isoformat()] == 1


def test_approve_makes_an_appointment_on_the_arrivals_board(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, now: datetime, catalog: Catalog
) -> None:
    day = now.date() + timedelta(days=1)
    start = datetime.combine(day, catalog.opens_at, catalog.timezone) + timedelta(hours=1)
    draft_id = make_draft(customer_name="李女士", phone="13812345678", plate="沪B67890", start=start)
    pending = make_draft(phone="13812345679", start=start)

    approved = client.post(f"/api/drafts/{draft_id}/approve", headers=auth_headers)
    again = client.post(f"/api/drafts/{draft_id}/approve", headers=auth_headers)

    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert (again.status_code, again.json()["detail"]) == (409, "该草稿已批准，不能进行此操作")
    board = get(client, auth_headers, "/api/appointments", date=day.isoformat())
    assert [item["draft_id"] for item in board["items"]] == [draft_id]  # the pending draft is not on it
    assert board["items"][0]["start"] == start.isoformat()
    assert board["items"][0]["vehicle"]["plate"] == "沪B67890"
    assert board["items"][0]["advisor"] == approved.json()["booking"]["advisor"]
    assert pending not in [item["draft_id"] for item in board["items"]]
    assert ("approve", "status", "draft", "approved") in [
        (r["action"], r["field"], r["old_value"], r["new_value"]) for r in audit_rows(client, auth_headers, draft_id)
    ]


def test_reject_needs_a_reason_frees_the_slot_and_is_final(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, now: datetime, catalog: Catalog
) -> None:
    day = now.date() + timedelta(days=2)
    start = datetime.combine(day, catalog.opens_at, catalog.timezone)
    draft_id = make_draft(phone="13812345678", start=start)

    no_reason = client.post(f"/api/drafts/{draft_id}/reject", json={"reason": ""}, headers=auth_headers)
    rejected = client.post(f"/api/drafts/{draft_id}/reject", json={"reason": "客户重复预约"}, headers=auth_headers)
    approve_after = client.post(f"/api/drafts/{draft_id}/approve", headers=auth_headers)
    edit_after = client.patch(f"/api/drafts/{draft_id}", json={"extra_requests": "洗车"}, headers=auth_headers)

    assert no_reason.status_code == 422
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert approve_after.status_code == 409 and edit_after.status_code == 409
    plan = get(client, auth_headers, "/api/capacity", date=day.isoformat())
    assert {s["start"]: s["booked"] for s in plan["slots"]}[start.isoformat()] == 0
    reasons = [r["new_value"] for r in audit_rows(client, auth_headers, draft_id) if r["field"] == "rejection_reason"]
    assert reasons == ["客户重复预约"]


def test_symptom_corrections_rescore_completeness(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft
) -> None:
    symptoms = {"when": None, "where": None, "what": "刹车有异响", "frequency": None, "driving_impact": None, "tried": None}
    draft_id = make_draft(phone="13812345678", service_type="repair", symptoms=symptoms)
    before = get(client, auth_headers, f"/api/drafts/{draft_id}")

    response = client.patch(
        f"/api/drafts/{draft_id}", json={"symptoms": {"when": "最近一周", "frequency": "每次踩刹车"}}, headers=auth_headers
    )

    assert response.status_code == 200, response.text
    after = response.json()
    assert after["symptoms"]["when"] == "最近一周"
    assert after["symptoms"]["what"] == "刹车有异响"
    assert after["symptom_completeness"] == before["symptom_completeness"] + 2


def test_list_filters_by_advisor_urgent_and_needs_human(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft
) -> None:
    urgent = make_draft(phone="13812345601", urgent=True)
    human = make_draft(phone="13812345602", needs_human=True)
    plain = make_draft(phone="13812345603")
    advisor = get(client, auth_headers, f"/api/drafts/{plain}")["booking"]["advisor"]

    urgent_ids = [d["id"] for d in get(client, auth_headers, "/api/drafts", urgent="true")["items"]]
    human_ids = [d["id"] for d in get(client, auth_headers, "/api/drafts", needs_human="true")["items"]]
    by_advisor = get(client, auth_headers, "/api/drafts", advisor=advisor, limit=200)["items"]

    assert urgent in urgent_ids and human not in urgent_ids and plain not in urgent_ids
    assert human in human_ids and urgent not in human_ids
    assert by_advisor and all(d["booking"]["advisor"] == advisor for d in by_advisor)
    assert plain in [d["id"] for d in by_advisor]


def test_capacity_plan_lists_each_advisors_bookings(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, now: datetime, catalog: Catalog
) -> None:
    day = now.date() + timedelta(days=4)
    start = datetime.combine(day, catalog.opens_at, catalog.timezone)
    first = make_draft(phone="13812345611", start=start)
    second = make_draft(phone="13812345612", start=start)

    plan = get(client, auth_headers, "/api/capacity", date=day.isoformat())

    assert [a["advisor"] for a in plan["advisors"]] == [a.name for a in catalog.advisors]
    planned = {b["draft_id"]: a["advisor"] for a in plan["advisors"] for b in a["bookings"]}
    assert set(planned) == {first, second}
    assert planned[first] != planned[second]  # two cars at once go to two advisors
    slot = next(s for s in plan["slots"] if s["start"] == start.isoformat())
    assert (slot["capacity"], slot["booked"], slot["free"]) == (catalog.slot_capacity, 2, catalog.slot_capacity - 2)
    assert len(plan["slots"]) == 18  # 08:30 ... 17:00


@pytest.mark.parametrize(
    ("method", "url"),
    [("patch", "/api/drafts/1"), ("post", "/api/drafts/1/approve"), ("post", "/api/drafts/1/reject"),
     ("get", "/api/drafts/1/audit"), ("get", "/api/appointments?date=2026-11-28"), ("get", "/api/capacity?date=2026-11-28")],
)
def test_review_routes_need_a_token(client: TestClient, method: str, url: str) -> None:
    assert client.request(method, url, json={}).status_code == 401


def test_missing_draft_is_404(client: TestClient, auth_headers: dict[str, str]) -> None:
    assert client.patch("/api/drafts/999999", json={"urgent": True}, headers=auth_headers).status_code == 404
    assert client.post("/api/drafts/999999/approve", headers=auth_headers).status_code == 404


def test_concurrent_saves_of_one_version_let_exactly_one_through(fresh_database_url: str, now: datetime) -> None:
    """Real sessions and commits: two advisors press save at the same moment."""
    settings = ApiSettings(database_url=fresh_database_url, app_env="test")
    catalog = load_catalog(settings.catalog_path)
    start = datetime.combine(now.date() + timedelta(days=2), catalog.opens_at, catalog.timezone)
    booked = book_once(
        fresh_database_url,
        BookingRequest(idempotency_key="race", channel="rest", conversation_id="race", service_type="repair",
                       start=start, phone="13812345678"),
        catalog, now,
    )
    with TestClient(create_app(settings)) as client:
        tokens = [
            client.post("/api/auth/token", data={"username": u, "password": u}).json()["access_token"]
            for u in ("advisor", "advisor2")
        ]
        version = get(client, {"Authorization": f"Bearer {tokens[0]}"}, f"/api/drafts/{booked.draft_id}")["version"]
        barrier = Barrier(2)

        def save(token: str, name: str) -> int:
            barrier.wait()
            return client.patch(
                f"/api/drafts/{booked.draft_id}",
                json={"version": version, "customer": {"name": name}},
                headers={"Authorization": f"Bearer {token}"},
            ).status_code

        with ThreadPoolExecutor(2) as pool:
            codes = sorted(pool.map(save, tokens, ["王建国", "王先生"]))
        final = get(client, {"Authorization": f"Bearer {tokens[0]}"}, f"/api/drafts/{booked.draft_id}")

    assert codes == [200, 409]
    assert final["version"] == version + 1
    assert final["customer"]["name"] in ("王建国", "王先生")


def test_symptom_edits_keep_the_further_complaints_tags(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft
) -> None:
    symptoms = {"what": "刹车有异响", "further_interviews": [{"complaint": "空调不制冷", "what": "空调不制冷"}]}
    draft_id = make_draft(phone="13812345678", service_type="repair", symptoms=symptoms)
    before = get(client, auth_headers, f"/api/drafts/{draft_id}")["symptom_tags"]

    after = client.patch(f"/api/drafts/{draft_id}", json={"symptoms": {"where": "高速上"}}, headers=auth_headers).json()

    assert "空调" in before["parts"]
    assert after["symptom_tags"] == before
    assert after["symptoms"]["further_interviews"][0]["complaint"] == "空调不制冷"
