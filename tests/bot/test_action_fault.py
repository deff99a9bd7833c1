"""The action server down or slow (bot/action_fault.py), in-process: Rasa's own
RemoteAction and MessageProcessor._run_action against a refused port and a local
server that never answers; the real domain and dealer file."""
from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import pytest
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import action_fault
from dealer.catalog import load_catalog

REPO = Path(__file__).resolve().parents[2]
PHONE = load_catalog().phone

action_fault.install()


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.from_path(REPO / "domain.yml")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: connections are refused


def run_with_server(handler, body):
    """``body(url)`` while a local aiohttp server answers POST /webhook with ``handler``."""
    async def main():
        app = web.Application()
        app.router.add_post("/webhook", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            return await body(f"http://127.0.0.1:{port}/webhook")
        finally:
            await runner.cleanup()

    return asyncio.run(main())


async def never_answers(_request):
    await asyncio.sleep(30)
    return web.json_response({"events": []})


def booking_tracker(domain: Domain) -> DialogueStateTracker:
    """Mid-booking: the form asked for the phone; the customer's answer was just extracted."""
    return DialogueStateTracker.from_events(
        "c-fault",
        [
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered("我想预约大大后天下午两点做保养", intent={"name": "book_service", "confidence": 1.0}),
            ActionExecuted("booking_form"),
            ActiveLoop("booking_form"),
            SlotSet("customer_name", "王先生"),
            SlotSet(REQUESTED_SLOT, "phone"),
            BotUttered("请问您的手机号码是多少?"),
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered("13900001111", intent={"name": "inform", "confidence": 1.0}),
            SlotSet("phone", "13900001111"),  # action_extract_slots, not yet validated
        ],
        slots=domain.slots,
    )


def processor(domain: Domain) -> MessageProcessor:
    """Just what _run_action uses (no model)."""
    proc = MessageProcessor.__new__(MessageProcessor)
    proc.domain = domain
    proc.nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    return proc


def test_the_timeout_is_four_seconds_unless_configured(monkeypatch):
    monkeypatch.delenv(action_fault.TIMEOUT_ENV, raising=False)
    assert action_fault.action_timeout() == 4.0
    monkeypatch.setenv(action_fault.TIMEOUT_ENV, "2.5")
    assert action_fault.action_timeout() == 2.5
    for bad in ("0", "-1", "soon", "1e9"):
        monkeypatch.setenv(action_fault.TIMEOUT_ENV, bad)
        assert action_fault.action_timeout() == 4.0


def test_a_refused_connection_fails_at_once(domain):
    action = RemoteAction("action_submit_booking", EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook"))
    started = time.perf_counter()
    with pytest.raises(action_fault.ActionServerUnavailable):
        asyncio.run(action.run(CollectingOutputChannel(), None, booking_tracker(domain), domain))
    assert time.perf_counter() - started < 2.0


def test_no_answer_within_the_timeout_fails_after_the_timeout(domain, monkeypatch):
    monkeypatch.setenv(action_fault.TIMEOUT_ENV, "0.5")

    async def body(url):
        action = RemoteAction("action_submit_booking", EndpointConfig(url))
        started = time.perf_counter()
        with pytest.raises(action_fault.ActionServerUnavailable, match="no answer within 0.5 s"):
            await action.run(CollectingOutputChannel(), None, booking_tracker(domain), domain)
        return time.perf_counter() - started

    assert 0.45 < run_with_server(never_answers, body) < 1.5


def test_a_rejection_is_still_the_forms_normal_path(domain):
    async def rejects(_request):
        return web.Response(status=400, content_type="application/json",
                            text=json.dumps({"action_name": "validate_booking_form", "error": "no"}))

    async def body(url):
        action = RemoteAction("validate_booking_form", EndpointConfig(url))
        with pytest.raises(ActionExecutionRejection):
            await action.run(CollectingOutputChannel(), None, booking_tracker(domain), domain)

    run_with_server(rejects, body)


def test_a_failed_action_apologises_with_the_dealer_phone_and_undoes_the_turn(domain):
    tracker = booking_tracker(domain)
    collector = CollectingOutputChannel()
    action = RemoteAction("booking_form", EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook"))
    prediction = PolicyPrediction.for_action_name(domain, "booking_form")

    go_on = asyncio.run(processor(domain)._run_action(action, tracker, collector, processor(domain).nlg, prediction))

    assert go_on is False  # listening now
    [apology] = collector.messages
    assert PHONE in apology["text"] and "抱歉" in apology["text"]
    assert not apology.get("buttons")  # the phone question offers none
    # The form is where it was: same question pending, the unvalidated phone undone.
    assert tracker.latest_action_name == ACTION_LISTEN_NAME
    assert tracker.active_loop_name == "booking_form"
    assert tracker.get_slot(REQUESTED_SLOT) == "phone"
    assert tracker.get_slot("phone") is None
    assert tracker.get_slot("customer_name") == "王先生"
    assert tracker.latest_bot_utterance.text == "请问您的手机号码是多少?"
    assert not any(isinstance(e, ActionExecuted) and e.action_name == "booking_form"
                   for e in tracker.applied_events()[-3:])
    # The transcript keeps what was said, the apology included.
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)][-1] == "13900001111"
    assert [e.text for e in tracker.events if isinstance(e, BotUttered)][-1] == apology["text"]


def test_the_apology_offers_the_pending_questions_buttons_again(domain):
    """A digit sent again over WeChat still picks an option (the channel numbers the
    latest reply's buttons only)."""
    buttons = [{"title": "同意", "payload": "/affirm"}, {"title": "不同意", "payload": "/deny"}]
    tracker = DialogueStateTracker.from_events(
        "c-buttons",
        [
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered("我想预约大大后天下午两点做保养", intent={"name": "book_service", "confidence": 1.0}),
            ActionExecuted("booking_form"),
            ActiveLoop("booking_form"),
            SlotSet(REQUESTED_SLOT, "privacy_consent"),
            BotUttered("请问您同意吗?", data={"buttons": buttons}),
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered("/affirm", intent={"name": "affirm", "confidence": 1.0}),
        ],
        slots=domain.slots,
    )
    collector = CollectingOutputChannel()
    action = RemoteAction("booking_form", EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook"))
    prediction = PolicyPrediction.for_action_name(domain, "booking_form")
    asyncio.run(processor(domain)._run_action(action, tracker, collector, processor(domain).nlg, prediction))
    [apology] = collector.messages
    assert PHONE in apology["text"] and apology["buttons"] == buttons
    assert tracker.latest_bot_utterance.text == "请问您同意吗?"
    assert tracker.get_slot(REQUESTED_SLOT) == "privacy_consent"


def test_a_turn_nobody_typed_raises_instead(domain):
    """trigger_intent (the worker's survey): Rasa answers 500 and saves nothing."""
    tracker = DialogueStateTracker.from_events(
        "c-survey",
        [ActionExecuted(ACTION_LISTEN_NAME), UserUttered.create_external("EXTERNAL_followup_survey")],
        slots=domain.slots,
    )
    collector = CollectingOutputChannel()
    action = RemoteAction("action_start_survey", EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook"))
    prediction = PolicyPrediction.for_action_name(domain, ACTION_LISTEN_NAME)
    with pytest.raises(action_fault.ActionServerUnavailable):
        asyncio.run(processor(domain)._run_action(action, tracker, collector, processor(domain).nlg, prediction))
    assert collector.messages == []


def test_the_apology_is_one_response_with_the_phone_from_the_dealer_file(domain):
    [variant] = domain.responses[action_fault.APOLOGY]
    assert "{dealer_phone}" in variant["text"]
    assert PHONE not in (REPO / "domain.yml").read_text(encoding="utf-8")
    assert PHONE not in (REPO / "bot" / "action_fault.py").read_text(encoding="utf-8")


def test_a_failure_after_the_form_finished_keeps_the_booking_at_its_read_back(domain):
    """对 at the read-back completes the form; action_submit_booking then fails. Undoing
    the turn would fold back past the form's start and lose every fact; the form is open
    again at the read-back instead, so the next 对 books."""
    buttons = [{"title": "正确,确认预约", "payload": "/affirm"}, {"title": "需要修改", "payload": "/deny"}]
    tracker = DialogueStateTracker.from_events(
        "c-submit",
        [
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered("我想预约大大后天下午两点做保养", intent={"name": "book_service", "confidence": 1.0}),
            ActionExecuted("booking_form"),
            ActiveLoop("booking_form"),
            SlotSet("customer_name", "王先生"),
            SlotSet("phone", "13900001111"),
            SlotSet(REQUESTED_SLOT, "booking_confirmed"),
            BotUttered("请问以上信息是否正确?", data={"buttons": buttons}),
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered("对", intent={"name": "affirm", "confidence": 1.0}),
            ActionExecuted("booking_form"),
            SlotSet("booking_confirmed", True),
            SlotSet(REQUESTED_SLOT, None),
            ActiveLoop(None),
        ],
        slots=domain.slots,
    )
    collector = CollectingOutputChannel()
    action = RemoteAction("action_submit_booking", EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook"))
    prediction = PolicyPrediction.for_action_name(domain, "action_submit_booking")

    go_on = asyncio.run(processor(domain)._run_action(action, tracker, collector, processor(domain).nlg, prediction))

    assert go_on is False
    [apology] = collector.messages
    assert PHONE in apology["text"] and apology["buttons"] == buttons
    assert tracker.active_loop_name == "booking_form"
    assert tracker.get_slot(REQUESTED_SLOT) == "booking_confirmed"
    assert tracker.get_slot("booking_confirmed") is None
    assert (tracker.get_slot("customer_name"), tracker.get_slot("phone")) == ("王先生", "13900001111")
    assert tracker.latest_action_name == ACTION_LISTEN_NAME


def test_the_apology_gives_the_phone_of_the_conversations_dealer(domain):
    from dealer.catalog import load_dealers

    tracker = booking_tracker(domain)
    tracker.update(SlotSet("dealer", "pudong"), domain)
    collector = CollectingOutputChannel()
    action = RemoteAction("booking_form", EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook"))
    prediction = PolicyPrediction.for_action_name(domain, "booking_form")

    asyncio.run(processor(domain)._run_action(action, tracker, collector, processor(domain).nlg, prediction))

    [apology] = collector.messages
    assert load_dealers()["pudong"].phone in apology["text"] and PHONE not in apology["text"]
