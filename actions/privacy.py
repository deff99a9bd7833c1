"""PIPL: the privacy notice before the first personal detail is asked, and the answer to it.

The notice names what is collected and why, with a link to the dealer's privacy text
(dealer file, `privacy:`). Only a clear 同意 lets the booking go on; a refusal ends it
with nothing written (action_submit_booking), an unclear answer asks again.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from actions.conversation import message_time

SLOT = "privacy_consent"


class ActionAskPrivacyConsent(Action):
    def name(self) -> str:
        return "action_ask_privacy_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        privacy = backend.catalog().privacy
        dispatcher.utter_message(response="utter_ask_privacy_consent", purpose=privacy.purpose, privacy_url=privacy.url)
        return []


def consent_answer(agrees: bool | None, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """The slots an answer to the notice sets. ``agrees``: the answer read as yes/no
    (None: neither). A refusal is False: the booking form's run ends the form on it."""
    if agrees is True:
        return {SLOT: True, "privacy_consent_at": message_time(tracker).isoformat()}
    if agrees is False:
        return {SLOT: False}
    dispatcher.utter_message(response="utter_privacy_consent_unclear")
    return {SLOT: None}


def declined(tracker: Tracker) -> bool:
    return tracker.get_slot(SLOT) is False
