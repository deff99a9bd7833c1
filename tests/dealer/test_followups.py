"""Issue 12: a booking's due work (SQLite and PostgreSQL): the day-before reminder made at
approval, the 回访 at delivery, both cancelled or moved with the booking; opting out; the
advisors' call list and what they log on it. Every time comes from the dealer clock."""
from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import select

from dealer.db import unit_of_work
from dealer.models import Appointment, Customer, DraftWorkOrder, FollowupTask
from dealer.services import changes, followups
from dealer.services.appointments import move_appointment
from dealer.status import AppointmentStatus as S
from dealer.status import DraftStatus
from dealer.tasks import TaskChannel, TaskState
from tests.dealer.bookings import BOOKED_AT, approved, day_at


def tasks(database_url: str, draft_id: int) -> dict[str, FollowupTask]:
    with unit_of_work(database_url) as session:
        found = followups.tasks_of(session, draft_id)
        for task in found:
            session.expunge(task)
        return {task.kind: task for task in found}


def deliver(database_url: str, catalog, draft_id: int) -> None:
    """The customer arrives at 9:55 on the appointment's day, the car is delivered at 16:20."""
    with unit_of_work(database_url) as session:
        appointment_id = session.scalar(select(Appointment.id).where(Appointment.draft_id == draft_id))
    for target, when in ((S.arrived, day_at(3, 9, 55)), (S.in_service, day_at(3, 10, 10)),
                         (S.delivered, day_at(3, 16, 20))):
        with unit_of_work(database_url) as session:
            move_appointment(session, appointment_id, target, "advisor", when, catalog)


def test_approval_plans_one_reminder_the_day_before_at_the_dealers_hour(database_url, catalog):
    start = day_at(3, 10, 30)
    rest = approved(database_url, catalog, start)
    wechat = approved(database_url, catalog, start.replace(hour=11), channel="wechat")

    reminder = tasks(database_url, rest)["reminder"]
    assert (reminder.channel, reminder.state) == (TaskChannel.call, TaskState.pending)
    assert reminder.due_at == reminder.run_at == day_at(2, 10, 0)
    assert tasks(database_url, wechat)["reminder"].channel == TaskChannel.wechat
    with unit_of_work(database_url) as session:  # planned twice: still one row
        draft = session.get(DraftWorkOrder, rest)
        assert followups.plan_reminder(session, draft, catalog, BOOKED_AT).id == reminder.id
        assert len(followups.tasks_of(session, rest)) == 1


def test_a_reminder_whose_hour_has_passed_is_due_at_once(database_url, catalog):
    start = day_at(1, 9, 0)  # tomorrow morning; the day-before hour (10:00 today) has passed
    draft_id = approved(database_url, catalog, start)
    assert tasks(database_url, draft_id)["reminder"].due_at == BOOKED_AT


def test_cancelling_the_booking_cancels_its_reminder(database_url, catalog):
    draft_id = approved(database_url, catalog, day_at(3, 14))
    with unit_of_work(database_url) as session:
        changes.cancel_booking(session, draft_id, actor="advisor")
    assert tasks(database_url, draft_id)["reminder"].state == TaskState.cancelled


def test_rescheduling_moves_the_reminder_and_re_arms_one_already_sent(database_url, catalog):
    draft_id = approved(database_url, catalog, day_at(3, 14))
    with unit_of_work(database_url) as session:
        changes.reschedule_booking(session, draft_id, day_at(5, 9), catalog, BOOKED_AT, actor="advisor")
    moved = tasks(database_url, draft_id)["reminder"]
    assert (moved.state, moved.due_at) == (TaskState.pending, day_at(4, 10))

    with unit_of_work(database_url) as session:  # sent, then the customer moves it again
        session.get(FollowupTask, moved.id).state = TaskState.sent
    with unit_of_work(database_url) as session:
        changes.reschedule_booking(session, draft_id, day_at(6, 9), catalog, BOOKED_AT, actor="advisor")
    again = tasks(database_url, draft_id)["reminder"]
    assert (again.state, again.due_at, again.attempts) == (TaskState.pending, day_at(5, 10), 0)


def test_delivery_plans_the_followup_and_arrival_drops_the_reminder(database_url, catalog):
    draft_id = approved(database_url, catalog, day_at(3, 10))

    deliver(database_url, catalog, draft_id)

    found = tasks(database_url, draft_id)
    assert found["reminder"].state == TaskState.cancelled  # the customer came before it was sent
    followup = found["followup"]
    assert (followup.channel, followup.state, followup.due_at) == (TaskChannel.call, TaskState.pending, day_at(6, 16, 20))


def test_opting_out_is_recorded_for_the_conversations_customers(database_url, catalog):
    draft_id = approved(database_url, catalog, day_at(3, 15), channel="wechat", conversation="o-optout-1")
    with unit_of_work(database_url) as session:
        assert followups.record_opt_out(session, "o-optout-1", BOOKED_AT) == 1
        assert followups.record_opt_out(session, "o-optout-1", BOOKED_AT) == 0  # once
        assert followups.record_opt_out(session, "o-nobody", BOOKED_AT) == 0
        draft = session.get(DraftWorkOrder, draft_id)
        assert session.get(Customer, draft.customer_id).opted_out_at == BOOKED_AT
        assert followups.opted_out(session, draft)


def test_the_call_list_shows_calls_due_by_the_day_and_leaves_out_who_opted_out(database_url, catalog):
    due_tomorrow = approved(database_url, catalog, day_at(3, 9))  # reminder due day 2
    opted = approved(database_url, catalog, day_at(3, 9, 30), conversation="web-opted")
    wechat = approved(database_url, catalog, day_at(3, 10), channel="wechat")
    with unit_of_work(database_url) as session:
        followups.record_opt_out(session, "web-opted", BOOKED_AT)

    with unit_of_work(database_url) as session:
        before = followups.call_list(session, day_at(1, 0).date(), catalog, BOOKED_AT)
        on_the_day = followups.call_list(session, day_at(2, 0).date(), catalog, day_at(2, 9))
        assert before.open == []
        assert [row.draft.id for row in on_the_day.open] == [due_tomorrow]
        assert on_the_day.opted_out == 1
        assert wechat not in [row.draft.id for row in on_the_day.open]  # the worker's
        later = followups.call_list(session, day_at(2, 0).date(), catalog, day_at(2, 11))
        assert later.open[0].overdue


def test_logging_reminder_calls(database_url, catalog):
    confirmed = approved(database_url, catalog, day_at(3, 9))
    unreached = approved(database_url, catalog, day_at(3, 9, 30))
    cancelled = approved(database_url, catalog, day_at(3, 10))
    now = day_at(2, 10, 5)
    ids = {name: tasks(database_url, d)["reminder"].id for name, d in
           (("confirmed", confirmed), ("unreached", unreached), ("cancelled", cancelled))}
    with unit_of_work(database_url) as session:
        logged = followups.log_call(session, ids["confirmed"], "confirmed", "advisor", now, catalog)
        assert (logged.task.state, logged.task.result, logged.next) == (TaskState.done, "confirmed", "无需操作,按时接待")
        with pytest.raises(followups.TaskClosed):
            followups.log_call(session, ids["confirmed"], "confirmed", "advisor", now, catalog)
        with pytest.raises(followups.BadResult):
            followups.log_call(session, ids["unreached"], "answered", "advisor", now, catalog)

        again = followups.log_call(session, ids["unreached"], "no_answer", "advisor", now, catalog)
        assert (again.task.state, again.task.run_at, again.next) == (TaskState.pending, now + timedelta(hours=2), "稍后再拨")
        for _ in range(catalog.reminders.max_call_attempts - 1):
            last = followups.log_call(session, ids["unreached"], "no_answer", "advisor", now, catalog)
        assert (last.task.state, last.task.result) == (TaskState.done, "no_answer")

        gone = followups.log_call(session, ids["cancelled"], "cancelled", "advisor", now, catalog)
        assert gone.cancelled_booking
        assert session.get(DraftWorkOrder, cancelled).status == DraftStatus.cancelled
    with unit_of_work(database_url) as session:
        on_the_day = followups.call_list(session, now.date(), catalog, now)
        assert {row.task.id for row in on_the_day.logged} == set(ids.values())


_slots = count(0)


def _followup_task(database_url, catalog) -> int:
    draft_id = approved(database_url, catalog, day_at(3, 10) + timedelta(minutes=30 * next(_slots)))
    deliver(database_url, catalog, draft_id)
    return tasks(database_url, draft_id)["followup"].id


def test_a_followup_answered_unhappy_is_a_complaint_the_manager_closes(database_url, catalog):
    happy, unhappy, unclear = (_followup_task(database_url, catalog) for _ in range(3))
    now = day_at(6, 16, 30)
    with unit_of_work(database_url) as session:
        fine = followups.log_call(session, happy, "answered", "advisor", now, catalog,
                                  answers={"satisfied": "满意", "fixed": "解决了", "explained": "解释了"})
        assert not fine.task.complaint and fine.task.answers["satisfied"] == "满意"
        bad = followups.log_call(session, unhappy, "answered", "advisor", now, catalog,
                                 answers={"satisfied": "一般", "fixed": "没有解决", "comment": "异响还在"})
        assert bad.task.complaint and bad.next.startswith("客户有投诉")
        with pytest.raises(followups.BadResult):
            followups.log_call(session, unclear, "answered", "advisor", now, catalog, answers={"satisfied": "很好"})
    with unit_of_work(database_url) as session:
        listed = followups.call_list(session, now.date(), catalog, now)
        assert [row.task.id for row in listed.complaints] == [unhappy]
        with pytest.raises(followups.BadResult):
            followups.resolve_complaint(session, unhappy, "manager", "", now)
        followups.resolve_complaint(session, unhappy, "manager", "已约客户明天返修", now)
        with pytest.raises(followups.TaskClosed):
            followups.resolve_complaint(session, happy, "manager", "x", now)
    with unit_of_work(database_url) as session:
        assert followups.call_list(session, now.date(), catalog, now).complaints == []
