"""退订 / 不要再发 (issue 12): the customers who booked from this conversation get no more
automatic messages (customer.opted_out_at, honoured by dealer/worker.py and left out of the
call list); the reply is the script's (dealer/booking_script.yml ``reminders.opted_out``)."""
from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import backend
from actions.conversation import message_time
from dealer.reminder_script import load_reminder_script
from dealer.services import followups

logger = logging.getLogger(__name__)


class ActionOptOut(Action):
    def name(self) -> str:
        return "action_opt_out"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        now = message_time(tracker)
        try:
            recorded = await backend.in_session(lambda s: followups.record_opt_out(s, tracker.sender_id, now))
            logger.info("opt-out from %s: %d customer(s) recorded", tracker.sender_id, recorded)
        except SQLAlchemyError:
            logger.exception("could not record the opt-out of %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_opt_out_failed", dealer_phone=backend.catalog().phone)
            return []
        dispatcher.utter_message(text=load_reminder_script().opted_out)
        return []
