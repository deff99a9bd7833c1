"""Issue 14: every route and page of the app, asked by dealer B's staff for dealer A's
objects, answers 404 (or a list without them), never A's data; and a group manager sees
both dealers and can narrow to one.

``CASES`` names, for each (method, path) the app serves, how dealer B asks: the first test
walks the app's routes, so a route added without a case fails. Dealer A is the default
demo dealer (``demo``), dealer B the second demo dealer (``pudong``, dealer/dealers/pudong.yml),
both seeded by the fixtures like ``make run`` seeds them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.config import ApiSettings
from api.main import create_app
from api.security import token_for
from dealer.catalog import load_dealers
from dealer.models import Advisor, Appointment, AuditLog, DraftWorkOrder, FollowupTask
from dealer.services import accounts, appointments, followups, review
from dealer.services.booking import BookingRequest, book
from dealer.services.staff import get_staff_user
from dealer.status import AppointmentStatus
from tests.api.conftest import NOW, future_slots
from training import sessions as training_sessions

DEALERS = load_dealers()
A, B = DEALERS["demo"], DEALERS["pudong"]
A_PHONE, A_PLATE, A_NAME = "13912340000", "沪A40000", "甲先生"
B_PHONE, B_PLATE = "13712340000", "沪B40000"
# What of dealer A's may never reach dealer B's staff: the customer (full and as the lists
# mask it), the car, and A's advisors' names.
A_MARKERS = (A_PHONE, "139****0000", A_PLATE, "沪A·***00", "李明", "张华", "王芳")
TOMORROW = (NOW.date() + timedelta(days=1)).isoformat()

# Dealer B's accounts, by the role a route needs.
B_USERS = {"desk": "pd.advisor", "manager": "pd.manager", "trainer": "pd.trainer", "admin": "pd.admin",
           "trainee": "pd.trainee", "anonymous": None}


@dataclass(frozen=True)
class Case:
    as_: str  # which of B's accounts asks (B_USERS)
    expect: str  # "404": A's object is not found | "list": 200 without A's data | "public": no dealer data
    json: Any = None
    data: dict[str, str] | None = None
    query: str = ""
    ok: int = 200  # the status of a "list" or "public" answer


def nf(as_: str, **kw) -> Case:
    return Case(as_, "404", **kw)


def listed(as_: str, **kw) -> Case:
    return Case(as_, "list", **kw)


def public(**kw) -> Case:
    return Case("anonymous", "public", **kw)


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/openapi.json"): public(),
    ("GET", "/api/docs"): public(),
    ("GET", "/api/docs/oauth2-redirect"): public(),
    ("GET", "/api/health"): public(),
    ("POST", "/api/auth/token"): public(data={"username": "pd.advisor", "password": "pd.advisor"}),
    ("POST", "/api/auth/logout"): listed("desk", ok=204),
    ("GET", "/api/drafts"): listed("desk"),
    ("GET", "/api/drafts/{draft_id}"): nf("desk"),
    ("PATCH", "/api/drafts/{draft_id}"): nf("manager", json={"vehicle": {"mileage_km": 12345}}),
    ("POST", "/api/drafts/{draft_id}/approve"): nf("manager", json={}),
    ("POST", "/api/drafts/{draft_id}/reject"): nf("manager", json={"reason": "客户重复预约"}),
    ("GET", "/api/drafts/{draft_id}/audit"): nf("desk"),
    ("GET", "/api/appointments"): listed("desk", query=f"?date={TOMORROW}"),
    ("POST", "/api/appointments/{appointment_id}/status"): nf("desk", json={"status": "arrived"}),
    ("GET", "/api/capacity"): listed("desk", query=f"?date={TOMORROW}"),
    ("GET", "/api/followups"): listed("desk"),
    ("GET", "/api/drafts/{draft_id}/followups"): nf("desk"),
    ("GET", "/api/training/scenarios"): listed("trainee"),
    ("POST", "/api/training/sessions"): listed("trainee", ok=201, json={"scenario": "maint-first"}),
    ("POST", "/api/training/sessions/{session_id}/messages"): nf("trainer", json={"text": "您好"}),
    ("POST", "/api/training/sessions/{session_id}/finish"): nf("trainer"),
    ("POST", "/api/training/score"): listed("trainee", json={"lines": [{"speaker": "advisor", "text": "您好"}]}),
    ("GET", "/api/training/history"): nf("trainer", query="?user=trainee"),
    ("GET", "/api/staff"): listed("admin"),
    ("POST", "/api/staff/{username}/unlock"): nf("admin"),
    ("GET", "/chat"): public(),
    ("GET", "/chat/assets/{name}"): public(),
    ("GET", "/chat/{dealer}"): public(),
    ("POST", "/chat/messages"): public(ok=503, json={"conversation_id": "web-" + "b" * 32, "text": "你好"}),
    ("GET", "/chat/history/{conversation_id}"): public(ok=503),
    ("GET", "/"): public(),
    ("GET", "/privacy"): public(),
    ("GET", "/advisor/login"): public(),
    ("POST", "/advisor/login"): public(ok=303, data={"username": "pd.advisor", "password": "pd.advisor"}),
    ("POST", "/advisor/logout"): listed("desk", ok=303),
    ("GET", "/advisor"): listed("desk", query="?status="),
    ("GET", "/advisor/drafts/{draft_id}"): nf("desk"),
    ("POST", "/advisor/drafts/{draft_id}"): nf("manager", data={"mileage_km": "12345"}),
    ("POST", "/advisor/drafts/{draft_id}/approve"): nf("manager", data={}),
    ("POST", "/advisor/drafts/{draft_id}/reject"): nf("manager", data={"reason": "客户重复预约"}),
    ("GET", "/advisor/arrivals"): listed("desk", query=f"?date={TOMORROW}"),
    ("POST", "/advisor/arrivals/{appointment_id}/status"): nf("desk", data={"status": "arrived"}),
    ("GET", "/advisor/capacity"): listed("desk", query=f"?date={TOMORROW}"),
    ("GET", "/advisor/calls"): listed("manager", query="?date={due_day}"),
    ("GET", "/advisor/calls/{task_id}"): nf("desk"),
    ("POST", "/advisor/calls/{task_id}"): nf("desk", data={"result": "confirmed"}),
    ("POST", "/advisor/calls/{complaint_id}/resolve"): nf("manager", data={"note": "已回电,约好返修"}),
    ("GET", "/advisor/csi"): listed("manager", query="?week={week}"),
    ("GET", "/advisor/csi.csv"): listed("manager", query="?week={week}"),
    ("GET", "/advisor/training"): listed("trainee"),
    ("POST", "/advisor/training/sessions"): listed("trainee", ok=303, data={"scenario": "maint-first"}),
    ("GET", "/advisor/training/sessions/{session_id}"): nf("trainer"),
    ("POST", "/advisor/training/sessions/{session_id}/messages"): nf("trainer", data={"text": "您好"}),
    ("POST", "/advisor/training/sessions/{session_id}/finish"): nf("trainer"),
    ("GET", "/advisor/training/history"): nf("trainer", query="?user=trainee"),
    ("GET", "/advisor/training/team"): listed("trainer"),
    ("GET", "/advisor/training/script"): listed("trainee"),
    ("GET", "/advisor/training/score"): listed("trainee"),
    ("POST", "/advisor/training/score"): listed("trainee", data={"transcript": "顾问:您好"}),
    ("GET", "/advisor/static"): public(),
}
# Beyond one request per route: a B account naming dealer A in the filter gets nothing.
VARIANTS: dict[str, tuple[str, str, Case]] = {
    "drafts ?dealer=demo (API)": ("GET", "/api/drafts", nf("manager", query="?dealer=demo")),
    "capacity ?dealer=demo (API)": ("GET", "/api/capacity", nf("manager", query=f"?date={TOMORROW}&dealer=demo")),
    "inbox ?dealer=demo (page)": ("GET", "/advisor", nf("manager", query="?dealer=demo")),
    "calls ?dealer=demo (page)": ("GET", "/advisor/calls", nf("manager", query="?dealer=demo")),
}
CONCRETE = {"{username}": "advisor", "{name}": "chat.js", "{dealer}": "pudong", "{conversation_id}": "web-" + "a" * 32}


def _served_routes() -> set[tuple[str, str]]:
    app = create_app(ApiSettings(app_env="test", database_url="sqlite://"))
    served = set()
    for route in iter_route_contexts(app.routes):
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                served.add((method, route.path))
    return served


@pytest.fixture(autouse=True)
def _no_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chat routes answer 503 (no Rasa behind the test app), even when a Rasa server of
    someone's `make run` listens on the default port."""
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")


def test_every_route_has_a_tenancy_case() -> None:
    served = _served_routes()
    assert served - set(CASES) == set(), "a route without a tenancy case in CASES"
    assert set(CASES) - served == set(), "CASES names a route the app no longer serves"


@dataclass(frozen=True)
class DealerA:
    """Dealer A's objects, each of a kind B might ask for."""

    ids: dict[str, int]
    due_day: str
    week: str


def _book(session: Session, catalog, key: str, phone: str, plate: str, start: datetime, **fields) -> int:
    request = BookingRequest(idempotency_key=f"tenancy-{key}", channel="rest", conversation_id=f"tenancy-{key}",
                             service_type="maintenance", start=start, phone=phone, plate=plate,
                             customer_name=A_NAME, **fields)
    return book(session, request, catalog, NOW).draft_id


@pytest.fixture
def dealer_a(db_session: Session) -> DealerA:
    slots = future_slots(A)
    draft = _book(db_session, A, "a-draft", A_PHONE, A_PLATE, next(slots))
    approved = _book(db_session, A, "a-appointment", A_PHONE, A_PLATE, next(slots))
    appointment = review.approve_draft(db_session, approved, "advisor", catalog=A)
    reminder = db_session.scalar(select(FollowupTask.id).where(FollowupTask.key == f"reminder:{approved}"))
    delivered_draft = _book(db_session, A, "a-delivered", "13912340001", "沪A40001", next(slots))
    delivered = review.approve_draft(db_session, delivered_draft, "advisor", catalog=A)
    start = delivered.start_at
    for target, minutes in (("arrived", 0), ("in_service", 10), ("delivered", 120)):
        appointments.move_appointment(db_session, delivered.id, AppointmentStatus(target), "advisor",
                                      start + timedelta(minutes=minutes), A)
    followup = db_session.scalar(select(FollowupTask).where(FollowupTask.key == f"followup:{delivered_draft}"))
    followups.log_call(db_session, followup.id, "answered", "advisor", followup.due_at, A,
                       answers={"satisfied": "不满意"})
    trainee = get_staff_user(db_session, "trainee")
    training = training_sessions.start(db_session, trainee, "maint-first", seed=1)
    accounts.create_staff_user(db_session, "pd.admin", "pd-admin-password-1", "admin", "cli:test", dealer="pudong")
    # Dealer B has a booking of its own, so its lists are not empty by accident.
    _book(db_session, B, "b-draft", B_PHONE, B_PLATE, next(future_slots(B)))
    db_session.commit()
    local_due = followup.due_at.astimezone(A.timezone).date()
    iso = local_due.isocalendar()
    return DealerA(
        ids={"{draft_id}": draft, "{appointment_id}": appointment.id, "{task_id}": reminder,
             "{complaint_id}": followup.id, "{session_id}": training.id},
        due_day=local_due.isoformat(), week=f"{iso.year}-W{iso.week:02d}",
    )


def _state(session: Session, a: DealerA) -> tuple:
    """What a refused request must leave as it was: A's draft, appointment, tasks, audit log."""
    session.expire_all()
    draft = session.get(DraftWorkOrder, a.ids["{draft_id}"])
    appointment = session.get(Appointment, a.ids["{appointment_id}"])
    tasks = [(t.id, t.state, t.result, t.resolved_at) for t in session.scalars(select(FollowupTask).order_by(FollowupTask.id))]
    return (draft.status, draft.version, draft.mileage_km, appointment.status, tasks,
            session.scalar(select(func.count(AuditLog.id))), len(training_sessions.get(
                session, get_staff_user(session, "trainee"), a.ids["{session_id}"]).lines))


def _request(client: TestClient, settings: ApiSettings, session: Session, username: str | None, method: str,
             path: str, case: Case, a: DealerA):
    for name, value in {**CONCRETE, **{k: str(v) for k, v in a.ids.items()}}.items():
        path = path.replace(name, value)
    if path == "/advisor/static":
        path = "/advisor/static/advisor.css"
    query = case.query.format(due_day=a.due_day, week=a.week)
    headers: dict[str, str] = {}
    client.cookies.clear()
    if username is not None:
        token = token_for(settings, get_staff_user(session, username))
        headers["Authorization"] = f"Bearer {token}"
        client.cookies.set("advisor_token", token, path="/advisor")
    body = {"json": case.json} if case.json is not None else {}
    if case.data is not None:
        body = {"data": case.data}
    return client.request(method, path + query, headers=headers, follow_redirects=False, **body)


MATRIX = [(m, p, CASES[(m, p)]) for m, p in CASES] + list(VARIANTS.values())


@pytest.mark.parametrize(("method", "path", "case"), MATRIX, ids=[f"{m} {p}" for m, p in CASES] + list(VARIANTS))
def test_dealer_b_never_gets_dealer_a_data(
    make_client: Callable[..., TestClient], settings: ApiSettings, db_session: Session, dealer_a: DealerA,
    method: str, path: str, case: Case,
) -> None:
    client = make_client(settings)
    before = _state(db_session, dealer_a)

    response = _request(client, settings, db_session, B_USERS[case.as_], method, path, case, dealer_a)

    if case.expect == "404":
        assert response.status_code == 404, response.text[:300]
    else:
        assert response.status_code == case.ok, response.text[:300]
    if case.expect != "public":
        leaked = [marker for marker in A_MARKERS if marker in response.text]
        assert leaked == [], f"dealer A's data in dealer B's answer: {leaked}"
    assert _state(db_session, dealer_a) == before, "dealer B changed dealer A's data"


def _get(client: TestClient, settings: ApiSettings, session: Session, username: str, path: str) -> Any:
    token = token_for(settings, get_staff_user(session, username))
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text[:300]
    return response.json()


def test_each_dealer_lists_its_own_drafts_and_the_group_manager_both(
    make_client: Callable[..., TestClient], settings: ApiSettings, db_session: Session, dealer_a: DealerA,
) -> None:
    client = make_client(settings)

    def dealers(username: str, query: str = "") -> set[str]:
        return {item["dealer"] for item in _get(client, settings, db_session, username, f"/api/drafts{query}")["items"]}

    assert dealers("advisor") == {"demo"}
    assert dealers("pd.advisor") == {"pudong"}
    assert dealers("group") == {"demo", "pudong"}
    assert dealers("group", "?dealer=pudong") == {"pudong"}
    assert dealers("group", "?dealer=demo") == {"demo"}
    # ... and reads, corrects and approves either dealer's draft, like each dealer's manager.
    draft = _get(client, settings, db_session, "group", f"/api/drafts/{dealer_a.ids['{draft_id}']}")
    assert draft["dealer"] == "demo" and draft["customer"]["phone"] == A_PHONE


def test_a_dealers_plan_has_its_own_hours_capacity_and_advisors(
    make_client: Callable[..., TestClient], settings: ApiSettings, db_session: Session, dealer_a: DealerA,
) -> None:
    client = make_client(settings)
    a = _get(client, settings, db_session, "advisor", f"/api/capacity?date={TOMORROW}")
    b = _get(client, settings, db_session, "pd.advisor", f"/api/capacity?date={TOMORROW}")
    group_b = _get(client, settings, db_session, "group", f"/api/capacity?date={TOMORROW}&dealer=pudong")

    assert a["slots"][0]["start"].endswith("08:30:00+08:00") and a["slots"][0]["capacity"] == A.slot_capacity
    assert b["slots"][0]["start"].endswith("09:00:00+08:00") and b["slots"][0]["capacity"] == B.slot_capacity
    assert {p["advisor"] for p in b["advisors"]} == {a.name for a in B.advisors}
    assert group_b == b


def test_the_same_phone_and_slot_at_two_dealers_are_two_customers_and_two_bookings(db_session: Session) -> None:
    """Uniqueness is per dealer: each dealer books its own slot capacity and knows its own customers."""
    start = next(future_slots(B, first_day=3))
    a_id = _book(db_session, A, "same-a", "13612340000", "沪C40000", start)
    b_id = _book(db_session, B, "same-b", "13612340000", "沪C40000", start)
    a_draft, b_draft = db_session.get(DraftWorkOrder, a_id), db_session.get(DraftWorkOrder, b_id)

    assert (a_draft.dealer.code, b_draft.dealer.code) == ("demo", "pudong")
    assert a_draft.customer_id != b_draft.customer_id and a_draft.vehicle_id != b_draft.vehicle_id
    assert db_session.get(Advisor, b_draft.advisor_id).dealer_id == b_draft.dealer_id


def test_each_dealers_privacy_text_is_served_at_its_own_address(
    make_client: Callable[..., TestClient], settings: ApiSettings,
) -> None:
    client = make_client(settings)

    own = client.get("/privacy?dealer=pudong")

    assert B.privacy.url.endswith("/privacy?dealer=pudong")
    assert own.status_code == 200 and B.name in own.text and A.name not in own.text
    assert A.name in client.get("/privacy").text
    assert client.get("/privacy?dealer=nowhere").status_code == 404


def test_the_services_work_for_the_default_dealer_unless_told_another(db_session: Session, dealer_a: DealerA) -> None:
    """The actions call the services as before (no dealer): the default dealer's rows."""
    from dealer.services.customers import customer_history
    from dealer.services.schedule import booked_counts

    late = datetime.combine(NOW.date() + timedelta(days=2), B.closes_at, B.timezone) - timedelta(minutes=30)
    b_draft = db_session.get(DraftWorkOrder, _book(db_session, B, "b-late", B_PHONE, B_PLATE, late))  # 17:30: B's only

    assert customer_history(db_session, A_PHONE) is not None
    assert customer_history(db_session, A_PHONE, "pudong") is None
    assert customer_history(db_session, B_PHONE) is None
    assert customer_history(db_session, B_PHONE, B).vehicles[0].plate == B_PLATE
    assert booked_counts(db_session, [b_draft.start_at]).get(b_draft.start_at, 0) == 0
    assert booked_counts(db_session, [b_draft.start_at], B) == {b_draft.start_at: 1}


def _page(client: TestClient, settings: ApiSettings, session: Session, username: str, path: str) -> str:
    client.cookies.clear()
    client.cookies.set("advisor_token", token_for(settings, get_staff_user(session, username)), path="/advisor")
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 200, response.text[:300]
    return response.text


def test_the_group_manager_pages_show_both_dealers_and_switch_between_them(
    make_client: Callable[..., TestClient], settings: ApiSettings, db_session: Session, dealer_a: DealerA,
) -> None:
    client = make_client(settings)

    inbox = _page(client, settings, db_session, "group", "/advisor?status=")
    own_inbox = _page(client, settings, db_session, "group", "/advisor?status=&dealer=pudong")
    capacity = _page(client, settings, db_session, "group", f"/advisor/capacity?date={TOMORROW}&dealer=pudong")
    advisor_inbox = _page(client, settings, db_session, "pd.advisor", "/advisor?status=")

    assert "139****0000" in inbox and "137****0000" in inbox and B.name in inbox  # both, with a 经销商 column
    assert "139****0000" not in own_inbox and "137****0000" in own_inbox
    assert all(a.name in capacity for a in B.advisors) and "李明" not in capacity
    assert 'name="dealer"' in inbox and 'name="dealer"' not in advisor_inbox  # the switch: a group manager's
