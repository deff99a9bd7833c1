"""Every route of the app × every role, against the written policy (docs/roles.md).

``POLICY`` names, for each (method, path) the app serves, who may use it. The first
test walks the app's routes, so a route added without a line here fails; the matrix
then sends each route's request as each role, on a fresh draft of the advisor's own
(assigned to A01, the demo ``advisor``) and a fresh appointment, and checks the answer: allowed means the
route's success status, refused means 401 (API) or the sign-in page (pages) for the
anonymous and 403 for a signed-in role that may not.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import ApiSettings
from api.main import create_app
from api.security import token_for
from dealer.catalog import load_catalog
from dealer.models import Advisor, Appointment, DraftWorkOrder, FollowupTask
from dealer.roles import may_assign
from dealer.services import accounts, appointments, followups, review
from dealer.services.staff import get_staff_user
from dealer.status import AppointmentStatus
from tests.api.conftest import NOW
from training import sessions as training_sessions

ROLES = ("anonymous", "advisor", "other_advisor", "manager", "admin")
USERNAMES = {"advisor": "advisor", "other_advisor": "advisor2", "manager": "manager", "admin": "it-admin"}
TOMORROW = (NOW.date() + timedelta(days=1)).isoformat()

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
DESK = frozenset({"advisor", "other_advisor", "manager"})  # handles customers' bookings
OWNER = frozenset({"advisor", "manager"})  # the draft's own advisor, or a manager
MANAGER = frozenset({"manager"})
ADMIN = frozenset({"admin"})
TRAINING = frozenset({"advisor", "other_advisor", "manager"})  # who plays role plays (docs/roles.md)
TRAINEE = frozenset({"advisor"})  # the role play's own trainee (a manager may watch, not speak)


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str]
    ok: int  # the status when allowed
    json: Any = None
    data: dict[str, str] | None = None
    query: str = ""
    page: bool = False  # refused anonymously with the sign-in page, not 401


def api(allowed, ok=200, **kw) -> Case:
    return Case(allowed, ok, **kw)


def page(allowed, ok=200, **kw) -> Case:
    return Case(allowed, ok, page=True, **kw)


# (method, path) -> who may use it. The written policy, route by route.
POLICY: dict[tuple[str, str], Case] = {
    ("GET", "/api/openapi.json"): api(EVERYONE),
    ("GET", "/api/docs"): api(EVERYONE),
    ("GET", "/api/docs/oauth2-redirect"): api(EVERYONE),
    ("GET", "/api/health"): api(EVERYONE),
    ("POST", "/api/auth/token"): api(EVERYONE, data={"username": "advisor", "password": "advisor"}),
    ("POST", "/api/auth/logout"): api(SIGNED_IN, 204),
    ("GET", "/api/drafts"): api(DESK),
    ("GET", "/api/drafts/{draft_id}"): api(DESK),
    ("PATCH", "/api/drafts/{draft_id}"): api(DESK, json={"vehicle": {"mileage_km": 12345}}),
    ("POST", "/api/drafts/{draft_id}/approve"): api(DESK, json={}),
    ("POST", "/api/drafts/{draft_id}/reject"): api(OWNER, json={"reason": "客户重复预约"}),
    ("GET", "/api/drafts/{draft_id}/audit"): api(DESK),
    ("GET", "/api/appointments"): api(DESK, query=f"?date={TOMORROW}"),
    ("POST", "/api/appointments/{appointment_id}/status"): api(DESK, json={"status": "arrived"}),
    ("GET", "/api/capacity"): api(DESK, query=f"?date={TOMORROW}"),
    # Issue 12: the bookings' reminders and 回访, read like the drafts.
    ("GET", "/api/followups"): api(DESK, query=f"?date={TOMORROW}&kind=reminder"),
    ("GET", "/api/drafts/{draft_id}/followups"): api(DESK),
    # Issue 13: phone-script training; the session is the advisor's own role play.
    ("GET", "/api/training/scenarios"): api(TRAINING),
    ("POST", "/api/training/sessions"): api(TRAINING, 201, json={"scenario": "maint-first"}),
    ("POST", "/api/training/sessions/{session_id}/messages"): api(TRAINEE, json={"text": "您好"}),
    ("POST", "/api/training/sessions/{session_id}/finish"): api(TRAINEE),
    ("POST", "/api/training/score"): api(TRAINING, json={"lines": [{"speaker": "advisor", "text": "您好"}]}),
    ("GET", "/api/training/history"): api(TRAINING),
    ("GET", "/api/staff"): api(ADMIN),
    ("POST", "/api/staff/{username}/unlock"): api(ADMIN, 204),
    ("GET", "/chat"): api(EVERYONE),
    ("GET", "/chat/assets/{name}"): api(EVERYONE),
    ("GET", "/chat/{dealer}"): api(EVERYONE),  # issue 14: a dealer's page
    # No Rasa behind the test app: 503 means the request went through.
    ("POST", "/chat/messages"): api(EVERYONE, 503, json={"conversation_id": "web-" + "a" * 32, "text": "你好"}),
    ("GET", "/chat/history/{conversation_id}"): api(EVERYONE, 503),
    ("GET", "/"): api(EVERYONE),
    ("GET", "/privacy"): api(EVERYONE),
    ("GET", "/advisor/login"): api(EVERYONE),
    ("POST", "/advisor/login"): api(EVERYONE, 303, data={"username": "advisor", "password": "advisor"}),
    ("POST", "/advisor/logout"): api(EVERYONE, 303),
    ("GET", "/advisor"): page(DESK),
    ("GET", "/advisor/drafts/{draft_id}"): page(DESK),
    ("POST", "/advisor/drafts/{draft_id}"): page(DESK, 303, data={"mileage_km": "12345"}),
    ("POST", "/advisor/drafts/{draft_id}/approve"): page(DESK, 303, data={}),
    ("POST", "/advisor/drafts/{draft_id}/reject"): page(OWNER, 303, data={"reason": "客户重复预约"}),
    ("GET", "/advisor/arrivals"): page(DESK),
    ("POST", "/advisor/arrivals/{appointment_id}/status"): page(DESK, 303, data={"status": "arrived"}),
    ("GET", "/advisor/capacity"): page(DESK),
    # Issue 12: the call list; logging a call is the desk's, closing a 回访 complaint the manager's.
    ("GET", "/advisor/calls"): page(DESK),
    ("GET", "/advisor/calls/{task_id}"): page(DESK),
    ("POST", "/advisor/calls/{task_id}"): page(DESK, 303, data={"result": "confirmed"}),
    ("POST", "/advisor/calls/{complaint_id}/resolve"): page(MANAGER, 303, data={"note": "已回电,约好返修"}),
    # The CSI figures (回访满意度) and their CSV: the service manager's.
    ("GET", "/advisor/csi"): page(MANAGER),
    ("GET", "/advisor/csi.csv"): page(MANAGER),
    # Issue 13: the training pages; the role play is the advisor's own (a manager reads it).
    ("GET", "/advisor/training"): page(TRAINING),
    ("POST", "/advisor/training/sessions"): page(TRAINING, 303, data={"scenario": "maint-first"}),
    ("GET", "/advisor/training/sessions/{session_id}"): page(OWNER),
    ("POST", "/advisor/training/sessions/{session_id}/messages"): page(TRAINEE, 303, data={"text": "您好"}),
    ("POST", "/advisor/training/sessions/{session_id}/finish"): page(TRAINEE, 303),
    ("GET", "/advisor/training/history"): page(TRAINING),
    ("GET", "/advisor/training/team"): page(MANAGER),
    ("GET", "/advisor/training/script"): page(TRAINING),
    ("GET", "/advisor/training/score"): page(TRAINING),
    ("POST", "/advisor/training/score"): page(TRAINING, data={"transcript": "顾问:您好"}),
    ("GET", "/advisor/static"): api(EVERYONE),  # the pages' style sheet (a mount)
}
# Requests beyond one per route: what a role may do depends on the body too.
VARIANTS: dict[str, tuple[str, str, Case]] = {
    # Moving the advisor's draft to another advisor: the manager's.
    "reassign (API)": ("PATCH", "/api/drafts/{draft_id}", api(MANAGER, json={"booking": {"advisor": "@A02"}})),
    "reassign (page)": ("POST", "/advisor/drafts/{draft_id}", page(MANAGER, 303, data={"advisor": "@A02"})),
}
CONCRETE = {"{draft_id}": None, "{username}": "advisor", "{name}": "chat.js", "{dealer}": "pudong",
            "{conversation_id}": "web-" + "a" * 32, "{appointment_id}": None, "{task_id}": None,
            "{complaint_id}": None, "{session_id}": None}


def _served_routes() -> set[tuple[str, str]]:
    app = create_app(ApiSettings(app_env="test", database_url="sqlite://"))
    served = set()
    for route in iter_route_contexts(app.routes):
        for method in sorted(route.methods or {"GET"}):  # a mount answers GET
            if method != "HEAD":
                served.add((method, route.path))
    return served


@pytest.fixture(autouse=True)
def _no_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chat routes answer 503 (no Rasa behind the test app), even when a Rasa server of
    someone's `make run` listens on the default port."""
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")


def test_every_route_has_a_policy() -> None:
    served = _served_routes()
    assert served - set(POLICY) == set(), "a route without a line in POLICY (and docs/roles.md)"
    assert set(POLICY) - served == set(), "POLICY names a route the app no longer serves"


@pytest.fixture
def admin(db_session: Session) -> None:
    accounts.create_staff_user(db_session, USERNAMES["admin"], "admin-password-1", "admin", "cli:test")
    db_session.commit()


@pytest.fixture
def own_draft(make_draft: Callable[..., int], db_session: Session) -> int:
    """A draft assigned to A01, the demo ``advisor``'s own."""
    draft = db_session.get(DraftWorkOrder, make_draft(phone="13800009999", plate="沪A99999"))
    draft.advisor_id = db_session.scalar(select(Advisor.id).where(Advisor.code == "A01"))
    db_session.commit()
    return draft.id


@pytest.fixture
def own_appointment(make_draft: Callable[..., int], db_session: Session) -> int:
    """The appointment of another of the advisor's drafts, approved."""
    draft_id = make_draft(phone="13800008888", plate="沪A88888")
    appointment = review.approve_draft(db_session, draft_id, "advisor")
    db_session.commit()
    return appointment.id


@pytest.fixture
def own_calls(make_draft: Callable[..., int], db_session: Session, own_appointment: int) -> dict[str, int]:
    """The approved appointment's reminder call, and a 回访 answered unhappy (a complaint)."""
    reminder = db_session.scalar(select(FollowupTask.id).join(Appointment, Appointment.draft_id == FollowupTask.draft_id)
                                 .where(Appointment.id == own_appointment, FollowupTask.kind == "reminder"))
    draft_id = make_draft(phone="13800007777", plate="沪A77777")
    appointment = review.approve_draft(db_session, draft_id, "advisor")
    start = appointment.start_at
    for target, minutes in (("arrived", 0), ("in_service", 10), ("delivered", 120)):
        appointments.move_appointment(db_session, appointment.id, AppointmentStatus(target), "advisor",
                                      start + timedelta(minutes=minutes))
    followup = db_session.scalar(select(FollowupTask).where(FollowupTask.key == f"followup:{draft_id}"))
    followups.log_call(db_session, followup.id, "answered", "advisor", followup.due_at, load_catalog(),
                       answers={"satisfied": "不满意"})
    db_session.commit()
    return {"{task_id}": reminder, "{complaint_id}": followup.id}


@pytest.fixture
def own_training(db_session: Session) -> int:
    """A role play of the demo ``advisor``'s own, not finished."""
    row = training_sessions.start(db_session, get_staff_user(db_session, USERNAMES["advisor"]), "maint-first", seed=1)
    db_session.commit()
    return row.id


def _request(client: TestClient, settings: ApiSettings, session: Session, role: str, method: str,
             path: str, case: Case, ids: dict[str, int]) -> Any:
    for name, value in CONCRETE.items():
        path = path.replace(name, str(ids[name] if value is None else value))
    if path == "/advisor/static":
        path = "/advisor/static/advisor.css"
    headers: dict[str, str] = {}
    client.cookies.clear()
    if role != "anonymous":
        token = token_for(settings, get_staff_user(session, USERNAMES[role]))
        headers["Authorization"] = f"Bearer {token}"
        client.cookies.set("advisor_token", token, path="/advisor")
    body = {"json": case.json} if case.json is not None else {}
    if case.data is not None:
        body = {"data": {k: _advisor_name(session, v) for k, v in case.data.items()}}
    elif isinstance(case.json, dict) and case.json.get("booking"):
        body = {"json": {"booking": {"advisor": _advisor_name(session, case.json["booking"]["advisor"])}}}
    return client.request(method, path + case.query, headers=headers, follow_redirects=False, **body)


def _advisor_name(session: Session, value: str) -> str:
    if value.startswith("@"):
        return session.scalar(select(Advisor.name).where(Advisor.code == value[1:]))
    return value


def _check(response, role: str, case: Case) -> None:
    if role in case.allowed:
        assert response.status_code == case.ok, response.text[:300]
    elif role == "anonymous" and case.page:
        assert response.status_code == 303 and response.headers["location"].startswith("/advisor/login")
    elif role == "anonymous":
        assert response.status_code == 401, response.text[:300]
    else:
        assert response.status_code == 403, response.text[:300]
        assert ("无权" in response.text) or ("只有" in response.text)


MATRIX = [(method, path, POLICY[(method, path)]) for method, path in POLICY] + list(VARIANTS.values())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "case"), MATRIX,
                         ids=[f"{m} {p}" for m, p in POLICY] + list(VARIANTS))
def test_route_by_role(
    make_client: Callable[..., TestClient], settings: ApiSettings, db_session: Session, admin: None,
    own_draft: int, own_appointment: int, own_calls: dict[str, int], own_training: int, role: str, method: str,
    path: str, case: Case,
) -> None:
    client = make_client(settings)
    ids = {"{draft_id}": own_draft, "{appointment_id}": own_appointment, **own_calls, "{session_id}": own_training}

    response = _request(client, settings, db_session, role, method, path, case, ids)

    _check(response, role, case)


def test_advisors_list_and_read_every_draft_but_act_on_their_own(
    make_client: Callable[..., TestClient], settings: ApiSettings, db_session: Session, own_draft: int
) -> None:
    """The other advisor reads the draft (the desk serves whoever walks in) and may
    correct and approve it, but neither rejects it nor moves it."""
    client = make_client(settings)
    other = token_for(settings, get_staff_user(db_session, "advisor2"))
    headers = {"Authorization": f"Bearer {other}"}

    listed = client.get("/api/drafts", headers=headers).json()["items"]
    refused = client.post(f"/api/drafts/{own_draft}/reject", json={"reason": "重复"}, headers=headers)

    assert own_draft in [item["id"] for item in listed]
    assert refused.status_code == 403 and refused.json() == {"detail": "只有该草稿的服务顾问或服务经理可以拒绝它"}
    assert client.get(f"/api/drafts/{own_draft}", headers=headers).json()["status"] == "draft"


@pytest.mark.parametrize(
    ("role", "own", "current", "new", "allowed"),
    [
        ("advisor", 1, None, 1, True),  # takes an unassigned draft
        ("advisor", 1, None, 2, False),  # ... but gives it to nobody else
        ("advisor", 1, 1, None, True),  # hands back their own
        ("advisor", 1, 2, 1, False),  # takes another advisor's
        ("advisor", None, None, 1, False),  # an account that is no advisor takes none
        ("advisor", 1, 2, 2, True),  # no change
        ("manager", None, 1, 2, True),
        ("admin", None, None, 1, False),
    ],
)
def test_who_may_assign_a_draft(role: str, own, current, new, allowed: bool) -> None:
    assert may_assign(role, own, current, new) is allowed
