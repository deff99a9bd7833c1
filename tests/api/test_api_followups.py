"""Issue 12: GET /api/followups and GET /api/drafts/{id}/followups (both engines): the
bookings' reminders and 回访 with their channel, due time, state and result; the issue's
kind names (reminder, callback, survey) mapped onto the table; 422 in Chinese for a bad
filter; the desk's only (401 without a token, 403 for the admin)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import ApiSettings
from api.security import token_for
from dealer.catalog import Catalog
from dealer.models import Appointment, FollowupTask
from dealer.services import accounts, appointments, followups, review
from dealer.services.staff import get_staff_user
from dealer.status import AppointmentStatus
from dealer.tasks import TaskChannel, TaskKind, TaskState
from tests.api.conftest import future_slots

MakeDraft = Callable[..., int]


@pytest.fixture
def make_draft(make_draft: MakeDraft) -> MakeDraft:
    """The conftest's drafts with a phone (an approval needs one), a new one each."""
    numbers = iter(range(13900000001, 13900001000))
    return lambda **fields: make_draft(phone=str(next(numbers)), **fields)


@pytest.fixture
def starts(catalog: Catalog) -> list[datetime]:
    """Three slots on one day at least three days ahead: every reminder is due at its hour."""
    slots = future_slots(catalog, first_day=3)
    return [next(slots) for _ in range(3)]


def _approve(session: Session, draft_id: int) -> Appointment:
    appointment = review.approve_draft(session, draft_id, "advisor")
    session.commit()
    return appointment


def _deliver(session: Session, appointment: Appointment) -> FollowupTask:
    for target, minutes in (("arrived", 0), ("in_service", 10), ("delivered", 120)):
        appointments.move_appointment(session, appointment.id, AppointmentStatus(target), "advisor",
                                      appointment.start_at + timedelta(minutes=minutes))
    session.commit()
    return session.scalar(select(FollowupTask).where(FollowupTask.key == f"followup:{appointment.draft_id}"))


def _survey(session: Session, draft_id: int, due: datetime) -> FollowupTask:
    """A 回访 on WeChat, written as the worker's survey path writes it."""
    task = FollowupTask(key=f"survey-test:{draft_id}", kind=TaskKind.followup, channel=TaskChannel.wechat,
                        state=TaskState.sent, draft_id=draft_id, due_at=due, run_at=due, sent_at=due + timedelta(seconds=3),
                        sent_via="custom", created_at=due)
    session.add(task)
    session.commit()
    return task


def _get(client: TestClient, headers: dict[str, str], **params):
    return client.get("/api/followups", params=params, headers=headers)


def test_the_day_before_reminders_by_channel(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, db_session: Session,
    starts: list[datetime], catalog: Catalog,
) -> None:
    web = make_draft(start=starts[0])
    wechat = make_draft(start=starts[1], channel="wechat")
    unapproved = make_draft(start=starts[2])
    _approve(db_session, web)
    _approve(db_session, wechat)
    day_before = (starts[0].date() - timedelta(days=1)).isoformat()

    listed = _get(client, auth_headers, date=day_before, kind="reminder")

    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 2
    by_draft = {item["draft_id"]: item for item in body["items"]}
    assert set(by_draft) == {web, wechat}  # the unapproved booking has none yet
    assert unapproved not in by_draft
    assert (by_draft[web]["channel"], by_draft[wechat]["channel"]) == ("call", "wechat")
    due = datetime.combine(starts[0].date() - timedelta(days=1), catalog.reminders.day_before_at, catalog.timezone)
    assert by_draft[web]["due_at"] == due.isoformat()  # ISO 8601 with the dealer's offset, +08:00
    assert by_draft[web]["due_at"].endswith("+08:00")
    assert by_draft[web]["booking_start"] == starts[0].isoformat()
    assert {item["kind"] for item in body["items"]} == {"reminder"}
    assert {item["state"] for item in body["items"]} == {"pending"}
    assert by_draft[web]["result"] is None and by_draft[web]["sent_at"] is None and by_draft[web]["complaint"] is False
    # another day, or another kind: not listed
    assert _get(client, auth_headers, date=starts[0].date().isoformat(), kind="reminder").json()["total"] == 0
    assert _get(client, auth_headers, date=day_before, kind="callback").json()["items"] == []


def test_callback_and_survey_are_the_two_channels_of_the_followup(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, db_session: Session,
    starts: list[datetime], catalog: Catalog,
) -> None:
    called = _deliver(db_session, _approve(db_session, make_draft(start=starts[0])))
    wechat_draft = make_draft(start=starts[1], channel="wechat")
    _approve(db_session, wechat_draft)
    survey = _survey(db_session, wechat_draft, called.due_at)
    followups.log_call(db_session, called.id, "answered", "advisor2", called.due_at, catalog,
                       answers={"satisfied": "不满意", "fixed": "没有解决", "comment": "还是响"})
    db_session.commit()
    day = called.due_at.astimezone(catalog.timezone).date().isoformat()

    callbacks = _get(client, auth_headers, date=day, kind="callback").json()["items"]
    surveys = _get(client, auth_headers, date=day, kind="survey").json()["items"]
    done = _get(client, auth_headers, date=day, state="done").json()["items"]
    sent = _get(client, auth_headers, date=day, state="sent", kind="survey").json()["items"]

    assert [(c["id"], c["kind"], c["channel"]) for c in callbacks] == [(called.id, "callback", "call")]
    [answered] = callbacks
    assert (answered["state"], answered["result"], answered["complaint"], answered["done_by"]) == \
        ("done", "answered", True, "advisor2")
    assert answered["answers"] == {"satisfied": "不满意", "fixed": "没有解决", "explained": None, "comment": "还是响"}
    assert answered["done_at"].endswith("+08:00") and answered["resolved_at"] is None
    assert [(s["id"], s["kind"], s["channel"], s["sent_via"]) for s in surveys] == \
        [(survey.id, "survey", "wechat", "custom")]
    assert surveys[0]["sent_at"] == (called.due_at + timedelta(seconds=3)).astimezone(catalog.timezone).isoformat()
    assert [item["id"] for item in done] == [called.id]
    assert [item["id"] for item in sent] == [survey.id]


def test_a_drafts_followups_and_404(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, db_session: Session,
    starts: list[datetime],
) -> None:
    draft_id = make_draft(start=starts[0])
    before = client.get(f"/api/drafts/{draft_id}/followups", headers=auth_headers)
    appointment = _approve(db_session, draft_id)
    followup = _deliver(db_session, appointment)

    after = client.get(f"/api/drafts/{draft_id}/followups", headers=auth_headers)
    missing = client.get("/api/drafts/2147483647/followups", headers=auth_headers)

    assert (before.status_code, before.json()) == (200, [])
    assert after.status_code == 200
    # the reminder was cancelled when the customer arrived; the 回访 is due after delivery
    assert [(i["kind"], i["state"], i["draft_id"]) for i in after.json()] == \
        [("reminder", "cancelled", draft_id), ("callback", "pending", draft_id)]
    assert after.json()[1]["id"] == followup.id
    assert (missing.status_code, missing.json()) == (404, {"detail": "未找到该工单草稿"})


@pytest.mark.parametrize(("params", "message"), [
    ({"kind": "sms"}, "任务类型只能是 reminder（预约提醒）、callback（回访电话）或 survey（微信回访）"),
    ({"kind": "followup"}, "任务类型只能是 reminder（预约提醒）、callback（回访电话）或 survey（微信回访）"),
    ({"state": "lost"}, "任务状态只能是 pending、sending、sent、done、skipped、cancelled"),
    ({"date": "2026-13-01"}, "日期格式不正确，应为 YYYY-MM-DD（例如 2026-12-04）"),
    ({"date": "20261204"}, "日期格式不正确，应为 YYYY-MM-DD（例如 2026-12-04）"),
    ({"date": "1999-12-31"}, "日期格式不正确，应为 YYYY-MM-DD（例如 2026-12-04）"),
])
def test_a_bad_filter_is_422_in_chinese(client: TestClient, auth_headers: dict[str, str], params, message) -> None:
    response = _get(client, auth_headers, **params)

    assert (response.status_code, response.json()) == (422, {"detail": message})


def test_empty_filters_mean_all(
    client: TestClient, auth_headers: dict[str, str], make_draft: MakeDraft, db_session: Session,
    starts: list[datetime],
) -> None:
    draft_id = make_draft(start=starts[0])
    _approve(db_session, draft_id)

    response = _get(client, auth_headers, date="", kind="", state="")

    assert response.status_code == 200
    assert draft_id in [item["draft_id"] for item in response.json()["items"]]
    assert not [item for item in response.json()["items"] if item["kind"] not in ("reminder", "callback", "survey")]


def test_only_the_desk_reads_followups(
    make_client: Callable[..., TestClient], settings: ApiSettings, db_session: Session, make_draft: MakeDraft,
    starts: list[datetime],
) -> None:
    client = make_client(settings)
    draft_id = make_draft(start=starts[0])
    _approve(db_session, draft_id)
    accounts.create_staff_user(db_session, "it-admin", "admin-password-1", "admin", "cli:test")
    db_session.commit()

    def as_(username: str | None) -> dict[str, str]:
        if username is None:
            return {}
        return {"Authorization": f"Bearer {token_for(settings, get_staff_user(db_session, username))}"}

    for path in ("/api/followups", f"/api/drafts/{draft_id}/followups"):
        anonymous = client.get(path, headers=as_(None))
        admin = client.get(path, headers=as_("it-admin"))
        assert anonymous.status_code == 401 and anonymous.json() == {"detail": "请先登录"}
        assert admin.status_code == 403 and admin.json() == {"detail": "您的账号角色无权进行此操作"}
        for desk in ("advisor", "advisor2", "manager"):
            assert client.get(path, headers=as_(desk)).status_code == 200
