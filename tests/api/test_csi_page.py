"""Issue 12: the CSI page /advisor/csi and its CSV (both engines): the figures read from the
database per advisor and ISO week, the manager's only, a bad week refused."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.models import DraftWorkOrder, FollowupTask
from dealer.services import appointments, csi, followups, review
from dealer.services.csi import IsoWeek
from dealer.status import AppointmentStatus
from tests.api.conftest import future_slots


def _sign_in(client: TestClient, username: str) -> TestClient:
    response = client.post("/advisor/login", data={"username": username, "password": username, "next": "/advisor"},
                           follow_redirects=False)
    assert response.status_code == 303
    return client


@pytest.fixture
def delivered(make_draft: Callable[..., int], db_session: Session, catalog: Catalog) -> list[FollowupTask]:
    """Three delivered bookings of one advisor, their 回访 due the same day: one answered 满意,
    one answered 不满意 (a complaint), one not reached yet."""
    slots = future_slots(catalog, first_day=2)
    advisor_id = None
    tasks = []
    for number in range(3):
        draft_id = make_draft(phone=f"1390000100{number}", start=next(slots))
        draft = db_session.get(DraftWorkOrder, draft_id)
        advisor_id = advisor_id or draft.advisor_id
        draft.advisor_id = advisor_id
        appointment = review.approve_draft(db_session, draft_id, "advisor")
        for target in ("arrived", "in_service", "delivered"):
            appointments.move_appointment(db_session, appointment.id, AppointmentStatus(target), "advisor",
                                          appointment.start_at.replace(hour=9) + timedelta(hours=1))
        tasks.append(db_session.scalar(select(FollowupTask).where(FollowupTask.key == f"followup:{draft_id}")))
    for task, satisfied in zip(tasks, ("满意", "不满意")):
        followups.log_call(db_session, task.id, "answered", "advisor", task.due_at, catalog,
                           answers={"satisfied": satisfied})
    db_session.commit()
    return tasks


def test_the_report_reads_the_database(delivered: list[FollowupTask], db_session: Session, catalog: Catalog) -> None:
    week = IsoWeek.of(delivered[0].due_at.astimezone(catalog.timezone).date())

    [line] = csi.report(db_session, week, 1, catalog)

    # due 3, answered 2 (67 %), scores 5 and 1 -> 3.0, the 不满意 an open complaint
    assert (line.week, line.due, line.answered, sorted(line.scores), line.average_score) == (week, 3, 2, [1, 5], 3.0)
    assert [c.task_id for c in line.open_complaints] == [delivered[1].id]
    assert line.advisor == delivered[0].draft.advisor.name
    assert csi.report(db_session, week.shift(1), 1, catalog) == []


def test_the_page_and_the_csv(client: TestClient, delivered: list[FollowupTask], catalog: Catalog) -> None:
    manager = _sign_in(client, "manager")
    week = str(IsoWeek.of(delivered[0].due_at.astimezone(catalog.timezone).date()))
    name = delivered[0].draft.advisor.name

    page = manager.get("/advisor/csi", params={"week": week})
    export = manager.get("/advisor/csi.csv", params={"week": week})

    assert page.status_code == 200
    assert f'data-advisor="{name}"' in page.text and "回访满意度" in page.text
    assert f'href="/advisor/calls/{delivered[1].id}"' in page.text  # the open complaint, linked to the call
    assert export.status_code == 200 and export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.content.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    assert f'filename="csi-{week}.csv"' in export.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["周", "周一", "服务顾问"]
    assert [week, name, "3", "2", "67%", "3.0", "2", "1", str(delivered[1].id)] == \
        [rows[1][0], *rows[1][2:]]
    assert rows[2][2:6] == ["合计", "3", "2", "67%"]
    assert len({row[0] for row in rows[1:]}) == 4  # the chosen week and the three before


def test_the_managers_only_and_a_bad_week(client: TestClient) -> None:
    advisor = _sign_in(client, "advisor")
    refused = advisor.get("/advisor/csi")
    refused_csv = advisor.get("/advisor/csi.csv")
    manager = _sign_in(client, "manager")
    bad = manager.get("/advisor/csi", params={"week": "2026-W60"})
    bad_csv = manager.get("/advisor/csi.csv", params={"week": "49"})
    nav = manager.get("/advisor/calls")

    assert refused.status_code == 403 and "只有服务经理可以查看回访满意度" in refused.text
    assert refused_csv.status_code == 403
    assert bad.status_code == 400 and "周的格式不正确" in bad.text
    assert bad_csv.status_code == 400
    assert 'href="/advisor/csi"' in nav.text  # the manager's navigation links it
    assert 'href="/advisor/csi"' not in _sign_in(client, "advisor").get("/advisor/calls").text


def test_a_wechat_survey_counts_with_its_score(
    client: TestClient, make_draft: Callable[..., int], db_session: Session, catalog: Catalog
) -> None:
    """The survey's score 1–5 is taken as it is; its complaint is linked to the page the
    manager closes it from, like a call's."""
    start = next(future_slots(catalog, first_day=2))
    draft_id = make_draft(phone="13900002000", start=start, channel="wechat", conversation_id="openid-csi-1")
    appointment = review.approve_draft(db_session, draft_id, "advisor")
    for target in ("arrived", "in_service", "delivered"):
        appointments.move_appointment(db_session, appointment.id, AppointmentStatus(target), "advisor",
                                      appointment.start_at + timedelta(hours=1))
    task = db_session.scalar(select(FollowupTask).where(FollowupTask.key == f"followup:{draft_id}"))
    task.state = "sent"  # the worker started the survey
    followups.record_survey(db_session, task.id, "openid-csi-1", {"satisfied": "2", "fixed": "解决了"}, False,
                            task.due_at)
    db_session.commit()
    week = IsoWeek.of(task.due_at.astimezone(catalog.timezone).date())

    [line] = csi.report(db_session, week, 1, catalog)
    page = _sign_in(client, "manager").get("/advisor/csi", params={"week": str(week)})
    call = client.get(f"/advisor/calls/{task.id}")

    assert (task.channel, line.due, line.answered, line.scores) == ("wechat", 1, 1, [2])
    assert [c.task_id for c in line.open_complaints] == [task.id]  # a score of 2 is a complaint
    assert f'href="/advisor/calls/{task.id}"' in page.text
    assert call.status_code == 200
