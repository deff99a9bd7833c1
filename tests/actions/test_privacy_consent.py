"""PIPL: the privacy notice before the name, and nothing written without the customer's 同意."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from actions.booking_form import ValidateBookingForm
from actions.privacy import ActionAskPrivacyConsent
from actions.submit_booking import ActionSubmitBooking
from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.models import DraftWorkOrder
from dealer.script import load_script

pytestmark = pytest.mark.usefixtures("app_database")

CONFIRMED = {
    "appointment_time": "2026-11-27T15:00:00+08:00",
    "appointment_display": "11月27日(周五) 15:00",
    "service_type": "maintenance",
    "customer_name": "王先生",
    "phone": "13812345678",
    "plate": "沪A12345",
    "booking_confirmed": True,
    "booking_key": "consent-1",
}


def slot_values(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_the_notice_comes_before_the_first_personal_detail_is_asked():
    slots = load_script().slots
    assert slots.index("privacy_consent") < min(slots.index(s) for s in ("customer_name", "phone", "plate", "vin"))


async def test_the_notice_names_the_purpose_and_links_the_dealers_privacy_text(dispatcher, form_tracker, domain):
    await ActionAskPrivacyConsent().run(dispatcher, form_tracker({}, requested_slot="privacy_consent"), domain)
    [notice] = dispatcher.messages
    privacy = load_catalog().privacy
    assert notice["response"] == "utter_ask_privacy_consent"
    assert notice["privacy_url"] == privacy.url and notice["purpose"] == privacy.purpose
    text = next(r["text"] for r in domain["responses"]["utter_ask_privacy_consent"])
    assert "{privacy_url}" in text and "同意" in text


@pytest.mark.parametrize("answer", ["同意", "好的没问题", "可以", "嗯嗯同意", "行"])
async def test_an_agreement_is_recorded_with_its_time(answer, dispatcher, form_tracker, domain):
    tracker = form_tracker({"privacy_consent": answer}, requested_slot="privacy_consent", text=answer)
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert slots["privacy_consent"] is True
    assert datetime.fromisoformat(slots["privacy_consent_at"]) == datetime.fromisoformat("2026-11-26T15:00:00+08:00")


@pytest.mark.parametrize("answer", ["不同意", "不行,我不想留信息", "拒绝"])
async def test_a_refusal_ends_the_form_at_once(answer, dispatcher, form_tracker, domain):
    tracker = form_tracker({"privacy_consent": answer}, requested_slot="privacy_consent", text=answer)
    events = await ValidateBookingForm().run(dispatcher, tracker, domain)
    assert slot_values(events)["privacy_consent"] is False
    last_requested = [e["value"] for e in events if e["event"] == "slot" and e["name"] == "requested_slot"]
    assert last_requested[-1] is None  # Rasa ends the form; nothing more is asked


async def test_an_unclear_answer_is_asked_again(dispatcher, form_tracker, domain):
    text = "你们会拿我信息干嘛"
    tracker = form_tracker({"privacy_consent": text}, requested_slot="privacy_consent", text=text)
    slots = slot_values(await ValidateBookingForm().run(dispatcher, tracker, domain))
    assert slots["privacy_consent"] is None
    assert [m["response"] for m in dispatcher.messages] == ["utter_privacy_consent_unclear"]


async def test_a_declined_notice_writes_nothing_and_is_asked_again_next_time(
    dispatcher, form_tracker, domain, app_database
):
    tracker = form_tracker({}, requested_slot=None, slots={**CONFIRMED, "privacy_consent": False})
    events = await ActionSubmitBooking().run(dispatcher, tracker, domain)
    with unit_of_work(app_database) as session:
        assert session.scalars(select(DraftWorkOrder)).all() == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_privacy_declined"]
    assert dispatcher.messages[0]["dealer_phone"] == load_catalog().phone
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert {"privacy_consent", "customer_name", "phone", "plate"} <= cleared


async def test_the_draft_records_when_the_customer_agreed_and_to_which_notice(
    dispatcher, form_tracker, domain, app_database
):
    agreed = {"privacy_consent": True, "privacy_consent_at": "2026-11-26T14:58:00+08:00"}
    tracker = form_tracker({}, requested_slot=None, slots={**CONFIRMED, **agreed})
    events = await ActionSubmitBooking().run(dispatcher, tracker, domain)
    with unit_of_work(app_database) as session:
        [draft] = session.scalars(select(DraftWorkOrder)).all()
        assert draft.privacy_consent_at == datetime.fromisoformat("2026-11-26T14:58:00+08:00")
        assert draft.privacy_notice_version == load_catalog().privacy.version
    # The agreement holds for the rest of the conversation: a second booking is not asked again.
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert "privacy_consent" not in cleared and "phone" in cleared
