"""Issue 14: the worker's reminders per dealer (dealer/worker.py), on SQLite and PostgreSQL.

Two dealers: the default one (dealer/demo_dealer.yml, Asia/Shanghai) and `pudong`, here a
copy of dealer/dealers/pudong.yml moved to Asia/Tokyo (an hour ahead) with its reminder at
08:00, its 回访 2 days after delivery and a no-show grace of 90 minutes, so that whose time, texts and grace a task gets can
be told apart. Each dealer's Official Account is its own FakeWeChatApi (tests/wechat_sim.py)
reached through wechatpy's client (WeChatPush).
"""
from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from dealer.catalog import DEALERS_DIR, Catalog, load_catalog, load_dealers
from dealer.db import unit_of_work
from dealer.models import Appointment, DraftWorkOrder, FollowupTask
from dealer.services.dealers import code_of
from dealer.services.review import approve_draft
from dealer.settings import get_settings
from dealer.status import AppointmentStatus
from dealer.tasks import TaskChannel, TaskState
from dealer.timefmt import format_slot
from dealer.wechat_push import WeChatPush
from dealer.worker import DealerAccount, Worker, WorkerSettings, dealer_accounts
from tests.dealer.bookings import BOOKED_AT, approved, booked, day_at
from tests.dealer.test_followups import deliver
from tests.dealer.test_worker import at, reminder
from tests.wechat_sim import APP_ID, APP_SECRET, FakeWeChatApi

TOKYO = ZoneInfo("Asia/Tokyo")
PUDONG_APP_ID = "wxpudong0000000001"
PUDONG_SECRET = "pudong-secret-not-real"
APPOINTMENT = day_at(3, 10)  # 10:00 in Shanghai, 11:00 in Tokyo: inside both dealers' hours


@pytest.fixture
def dealers_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A dealer network whose second dealer keeps Tokyo time; the settings point at it."""
    raw = yaml.safe_load((DEALERS_DIR / "pudong.yml").read_text(encoding="utf-8"))
    raw["dealer"]["timezone"] = "Asia/Tokyo"
    raw["reminders"]["day_before_at"] = "08:00"
    raw["reminders"]["followup_after_days"] = 2
    raw["no_show_grace_minutes"] = 90
    directory = tmp_path / "dealers"
    directory.mkdir()
    (directory / "pudong.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("DEALERS_DIR", str(directory))
    get_settings.cache_clear()
    yield directory
    get_settings.cache_clear()


@pytest.fixture
def pudong(dealers_dir: Path) -> Catalog:
    return load_dealers(get_settings().catalog_path, dealers_dir)["pudong"]


@pytest.fixture
def apis():
    """Each dealer's Official Account: the default dealer's and pudong's server APIs."""
    demo = FakeWeChatApi().start()
    pudong = FakeWeChatApi(app_id=PUDONG_APP_ID, secret=PUDONG_SECRET).start()
    yield demo, pudong
    demo.stop()
    pudong.stop()


def network_worker(database_url: str, catalog: Catalog, pudong: Catalog, apis, moment, pudong_push: bool = True,
                   **kwargs) -> Worker:
    """Both dealers' accounts; every customer wrote an hour before ``moment`` (window open)."""
    demo_api, pudong_api = apis
    clock = at(moment)
    pudong_account = WeChatPush(PUDONG_APP_ID, PUDONG_SECRET, pudong_api.base_url) if pudong_push else None
    return Worker(database_url, catalog, clock=clock, push=WeChatPush(APP_ID, APP_SECRET, demo_api.base_url),
                  dealers={"pudong": DealerAccount(pudong, pudong_account)},
                  last_message=lambda _c: (clock.now() - timedelta(hours=1) - clock.offset).timestamp(), **kwargs)


def wechat_bookings(database_url: str, catalog: Catalog, pudong: Catalog, start=APPOINTMENT) -> tuple[int, int]:
    """One approved WeChat booking at each dealer: the default dealer's customer `o-demo`,
    pudong's `o-pd` (its conversation `pudong:o-pd`, as the channel names it)."""
    return (approved(database_url, catalog, start, channel="wechat", conversation="o-demo"),
            approved(database_url, pudong, start, channel="wechat", conversation="pudong:o-pd"))


def test_each_dealers_reminder_goes_out_through_its_own_account_in_its_own_words(database_url, catalog, pudong,
                                                                                 apis):
    demo_api, pudong_api = apis
    demo_draft, pudong_draft = wechat_bookings(database_url, catalog, pudong)

    report = network_worker(database_url, catalog, pudong, apis, day_at(2, 10, 1)).run_once()

    assert report.sent == 2
    [to_demo] = demo_api.messages_to("o-demo")
    [to_pudong] = pudong_api.messages_to("o-pd")  # the bare openid: WeChat knows no "pudong:"
    assert to_demo["text"]["content"].startswith("【瑞通汽车】预约提醒")
    assert format_slot(APPOINTMENT, ZoneInfo("Asia/Shanghai")) in to_demo["text"]["content"]
    assert to_pudong["text"]["content"].startswith("【瑞通浦东】预约提醒")
    assert format_slot(APPOINTMENT, TOKYO) in to_pudong["text"]["content"]  # 11:00, its own clock
    assert "11:00" in format_slot(APPOINTMENT, TOKYO)
    assert demo_api.messages_to("o-pd") == [] and pudong_api.messages_to("o-demo") == []
    assert [r["appid"] for r in pudong_api.token_requests] == [PUDONG_APP_ID]
    assert {reminder(database_url, d).state for d in (demo_draft, pudong_draft)} == {TaskState.sent}


def test_a_template_message_carries_its_dealers_name_and_address(database_url, catalog, pudong, apis):
    _, pudong_api = apis
    with_template = dataclasses.replace(pudong, reminders=dataclasses.replace(pudong.reminders,
                                                                              wechat_template_id="TPL-PD"))
    wechat_bookings(database_url, catalog, with_template)
    worker = network_worker(database_url, catalog, with_template, apis, day_at(2, 10, 1))
    worker.last_message = lambda _c: None  # nobody wrote: the window is closed

    worker.run_once()

    [template] = pudong_api.messages_to("o-pd")
    assert template["template_id"] == "TPL-PD"
    assert template["data"]["keyword3"]["value"] == "瑞通汽车浦东服务中心(上海市浦东新区川沙路2888号)"
    assert template["data"]["keyword1"]["value"] == format_slot(APPOINTMENT, TOKYO)


def test_each_dealer_keeps_its_own_quiet_hours(database_url, catalog, pudong, apis):
    demo_api, pudong_api = apis
    # Due by day 2, 07:30 in Shanghai: demo's reminder of a day-2 appointment (10:00 on day 1)
    # and pudong's of a day-3 one (08:00 Tokyo on day 2, 07:00 in Shanghai).
    demo_draft = approved(database_url, catalog, day_at(2, 10), channel="wechat", conversation="o-demo")
    pudong_draft = approved(database_url, pudong, day_at(3, 10), channel="wechat", conversation="pudong:o-pd")

    # 07:30 in Shanghai (demo: quiet until 08:00) is 08:30 in Tokyo (pudong: awake).
    early = network_worker(database_url, catalog, pudong, apis, day_at(2, 7, 30)).run_once()
    assert early.sent == 1 and len(pudong_api.messages_to("o-pd")) == 1
    assert demo_api.messages_to("o-demo") == []
    waiting = reminder(database_url, demo_draft)
    assert (waiting.state, waiting.attempts) == (TaskState.pending, 0)  # not even claimed

    later = network_worker(database_url, catalog, pudong, apis, day_at(2, 8, 1)).run_once()
    assert later.sent == 1 and len(demo_api.messages_to("o-demo")) == 1
    assert {reminder(database_url, d).state for d in (demo_draft, pudong_draft)} == {TaskState.sent}


def test_a_claim_in_a_dealers_quiet_hours_waits_for_their_end_on_its_clock(database_url, catalog, pudong, apis):
    _, pudong_draft = wechat_bookings(database_url, catalog, pudong)
    moment = day_at(2, 20, 30)  # 21:30 in Tokyo: pudong's quiet hours, not yet Shanghai's
    worker = network_worker(database_url, catalog, pudong, apis, moment)
    with unit_of_work(database_url) as session:
        default_dealer, pudong_dealer = worker.dealer_ids(session)
    assert worker.awake_dealers(moment) == [default_dealer]  # pudong's rows are not even claimed
    task_id = reminder(database_url, pudong_draft).id
    assert task_id not in worker.claim(moment, [TaskChannel.wechat], wechat_dealers=[default_dealer])
    assert task_id in worker.claim(moment, [TaskChannel.wechat])  # claimed just before its quiet hours, say

    assert worker.process(task_id) == "deferred"

    task = reminder(database_url, pudong_draft)
    assert task.run_at.astimezone(TOKYO).strftime("%H:%M") == "08:00"  # the end of *its* quiet hours
    assert task.run_at.astimezone(TOKYO).date() == (moment + timedelta(days=1)).astimezone(TOKYO).date()


def test_a_dealer_without_app_credentials_gets_calls_while_the_others_are_sent(database_url, catalog, pudong, apis):
    demo_api, pudong_api = apis
    demo_draft, pudong_draft = wechat_bookings(database_url, catalog, pudong)

    report = network_worker(database_url, catalog, pudong, apis, day_at(2, 10, 1), pudong_push=False).run_once()

    assert (report.sent, report.to_calls) == (1, 1)
    called = reminder(database_url, pudong_draft)
    assert (called.channel, called.state) == (TaskChannel.call, TaskState.pending)
    assert "WECHAT_PUDONG_APP_ID" in called.last_error
    assert pudong_api.sent == [] and len(demo_api.messages_to("o-demo")) == 1
    assert reminder(database_url, demo_draft).state == TaskState.sent


def test_no_shows_are_marked_with_each_dealers_grace(database_url, catalog, pudong, apis):
    demo_draft, pudong_draft = wechat_bookings(database_url, catalog, pudong, start=day_at(2, 10))
    statuses = lambda: {draft: status_of(database_url, draft) for draft in (demo_draft, pudong_draft)}  # noqa: E731

    network_worker(database_url, catalog, pudong, apis, day_at(2, 10, 45)).mark_no_shows(day_at(2, 10, 45))
    assert statuses() == {demo_draft: AppointmentStatus.no_show, pudong_draft: AppointmentStatus.confirmed}

    network_worker(database_url, catalog, pudong, apis, day_at(2, 11, 31)).mark_no_shows(day_at(2, 11, 31))
    assert statuses()[pudong_draft] == AppointmentStatus.no_show  # after its 90 minutes


def status_of(database_url: str, draft_id: int) -> AppointmentStatus:
    with unit_of_work(database_url) as session:
        return AppointmentStatus(session.scalar(select(Appointment.status).where(Appointment.draft_id == draft_id)))


def test_the_day_before_reminder_is_planned_on_the_drafts_dealers_clock(database_url, catalog, pudong):
    """Approved without a catalogue, or with the default dealer's: pudong's reminder is due at
    08:00 the day before *in Tokyo*."""
    drafts = [booked(database_url, pudong, APPOINTMENT, channel="wechat", conversation=f"pudong:o-{n}")
              for n in range(2)]
    with unit_of_work(database_url) as session:
        approve_draft(session, drafts[0], "advisor", now=BOOKED_AT)
        approve_draft(session, drafts[1], "advisor", catalog=catalog, now=BOOKED_AT)
    for draft_id in drafts:
        due = reminder(database_url, draft_id).due_at.astimezone(TOKYO)
        assert (due.date(), due.strftime("%H:%M")) == ((APPOINTMENT.astimezone(TOKYO) - timedelta(days=1)).date(),
                                                       "08:00")
    demo_draft = booked(database_url, catalog, APPOINTMENT, channel="wechat", conversation="o-demo-plan")
    with unit_of_work(database_url) as session:
        approve_draft(session, demo_draft, "advisor", now=BOOKED_AT)
    assert reminder(database_url, demo_draft).due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M") == "10:00"


def test_the_worker_reads_each_dealers_account_from_the_environment(dealers_dir, monkeypatch):
    monkeypatch.setenv("WECHAT_PUDONG_APP_ID", PUDONG_APP_ID)
    monkeypatch.setenv("WECHAT_PUDONG_APP_SECRET", PUDONG_SECRET)
    accounts = dealer_accounts(WorkerSettings(dealers_dir=dealers_dir))
    assert list(accounts) == ["pudong"]
    assert accounts["pudong"].catalog.timezone == TOKYO  # the file in DEALERS_DIR
    assert (accounts["pudong"].push.client.appid, accounts["pudong"].push.client.secret) == (PUDONG_APP_ID,
                                                                                             PUDONG_SECRET)
    monkeypatch.delenv("WECHAT_PUDONG_APP_SECRET")
    assert dealer_accounts(WorkerSettings(dealers_dir=dealers_dir))["pudong"].push is None
    assert dealer_accounts(WorkerSettings(dealers_dir=dealers_dir / "none")) == {}  # one dealer alone
    assert load_catalog().code == "demo"


def test_a_pudong_draft_belongs_to_pudong(database_url, catalog, pudong):
    """The bookings above are pudong's rows (else every test here would prove nothing)."""
    _, pudong_draft = wechat_bookings(database_url, catalog, pudong)
    with unit_of_work(database_url) as session:
        draft = session.get(DraftWorkOrder, pudong_draft)
        task = session.scalar(select(FollowupTask).where(FollowupTask.draft_id == pudong_draft))
        assert code_of(session, draft.dealer_id) == "pudong" and task.dealer_id == draft.dealer_id


def test_a_pudong_survey_is_planned_on_its_terms_and_started_in_its_conversation(database_url, catalog, pudong,
                                                                                 apis):
    """Delivered on day 3 at 16:20 (the advisor's page passing the default dealer's catalogue):
    pudong's 回访 is due 2 days later, and Rasa is asked to start it in `pudong:o-pd`, whose
    WeChat output is pudong's account (tests/bot/test_wechat_dealers.py)."""
    draft_id = approved(database_url, pudong, day_at(3, 10), channel="wechat", conversation="pudong:o-pd")
    deliver(database_url, catalog, draft_id)
    with unit_of_work(database_url) as session:
        survey = session.scalar(select(FollowupTask).where(FollowupTask.key == f"followup:{draft_id}"))
        assert survey.due_at == day_at(5, 16, 20)
    started: list[tuple[str, int]] = []

    report = network_worker(database_url, catalog, pudong, apis, day_at(5, 16, 21),
                            start_survey=lambda conversation, task: started.append((conversation, task))).run_once()

    assert report.sent == 1
    assert started == [("pudong:o-pd", survey.id)]
