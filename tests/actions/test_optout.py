"""Issue 12: 退订 / 不要再发 records the opt-out on the customers who booked from this
conversation, and the customer is told so in the script's words."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from actions.conversation import message_time
from actions.optout import ActionOptOut
from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.models import Customer
from dealer.reminder_script import load_reminder_script
from dealer.services.booking import BookingRequest, book_once


async def test_opting_out_is_recorded_and_confirmed(dispatcher, form_tracker, domain, app_database):
    tracker = form_tracker({}, requested_slot=None)
    now = message_time(tracker)
    catalog = load_catalog()
    start = (now + timedelta(days=2)).astimezone(catalog.timezone).replace(hour=10, minute=0, second=0, microsecond=0)
    book_once(app_database, BookingRequest(
        idempotency_key="optout-1", channel="wechat", conversation_id=tracker.sender_id, service_type="maintenance",
        start=start, customer_name="周先生", phone="13911112222", plate="沪C12345"), catalog, now)

    assert await ActionOptOut().run(dispatcher, tracker, domain) == []

    assert dispatcher.messages[-1]["text"] == load_reminder_script().opted_out
    with unit_of_work(app_database) as session:
        customer = session.scalar(select(Customer).where(Customer.phone == "13911112222"))
        assert customer.opted_out_at == now


async def test_opting_out_without_a_booking_is_answered_the_same(dispatcher, form_tracker, domain, app_database):
    await ActionOptOut().run(dispatcher, form_tracker({}, requested_slot=None), domain)
    assert "已为您退订" in dispatcher.messages[-1]["text"]
