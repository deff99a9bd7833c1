"""The WeChat 回访 survey (issue 12): started by the worker three days after delivery
(``EXTERNAL_followup_survey`` with the task's id, dealer/rasa_trigger.py), it asks the 回访
call's questions (a score 1–5, fixed?, explained?, a comment) with buttons (numbered on
WeChat) that may as well be answered in words, and stores the answers on the task the way
the call list does (``followups.record_survey``): a low score, 没有解决 or a complaint in the
comment flags it for the service manager. Every line is the script's (dealer/booking_script.yml
``reminders:``); the words are read by dealer/survey.py.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import backend
from actions.conversation import message_time
from dealer import survey
from dealer.services import followups

logger = logging.getLogger(__name__)

# Slot -> the 回访 question's key (reminders.calls.followup.questions, and the comment).
QUESTIONS = {
    "survey_satisfied": survey.SATISFACTION,
    "survey_fixed": "fixed",
    "survey_explained": "explained",
    "survey_comment": survey.COMMENT,
}
SURVEY_SLOTS = ("survey_task_id", *QUESTIONS)


def _task_id(tracker: Tracker) -> int | None:
    value = tracker.get_slot("survey_task_id")
    return int(value) if value is not None else None


class ActionStartSurvey(Action):
    """The survey's opening line, when the task is this conversation's and still open."""

    def name(self) -> str:
        return "action_start_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        task_id = _task_id(tracker)
        start = None
        if task_id is not None:
            start = await backend.in_session(lambda s: followups.open_survey(s, task_id, tracker.sender_id))
        if start is None:  # not this conversation's, or answered already: the form asks nothing
            logger.warning("survey task %s not open for %s", task_id, tracker.sender_id)
            return [SlotSet(name, None) for name in SURVEY_SLOTS]
        dealer = backend.catalog()
        try:
            service = dealer.service_type(start.service_type).name
        except KeyError:
            service = start.service_type
        delivered = f"{start.delivered.astimezone(dealer.timezone):%-m月%-d日}"
        dispatcher.utter_message(text=survey.script().intro.format(
            delivered=delivered, dealer=dealer.short_name, service=service))
        return [SlotSet(name, None) for name in QUESTIONS]


def _ask_action(slot: str) -> type[Action]:
    key = QUESTIONS[slot]

    class AskSurveyQuestion(Action):
        def name(self) -> str:
            return f"action_ask_{slot}"

        async def run(
            self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
        ) -> list[EventType]:
            buttons = [{"title": choice, "payload": choice} for choice in survey.choices(key)]
            dispatcher.utter_message(text=survey.ask_text(key), buttons=buttons)
            return []

    AskSurveyQuestion.__name__ = f"Ask_{slot}"
    return AskSurveyQuestion


# One action_ask_<slot> per question (rasa_sdk registers every Action subclass).
ASK_ACTIONS = [_ask_action(slot) for slot in QUESTIONS]


class ValidateSurveyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_survey_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return domain_slots if tracker.get_slot("survey_task_id") is not None else []

    @staticmethod
    def _read(slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        answer = survey.read_answer(QUESTIONS[slot], str(value or ""))
        if answer is None:
            dispatcher.utter_message(text=survey.script().unclear)
        return {slot: answer}

    def validate_survey_satisfied(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        return self._read("survey_satisfied", value, dispatcher)

    def validate_survey_fixed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        return self._read("survey_fixed", value, dispatcher)

    def validate_survey_explained(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        return self._read("survey_explained", value, dispatcher)

    def validate_survey_comment(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        return {"survey_comment": str(value or "").strip() or "没有"}


class ActionSubmitSurvey(Action):
    def name(self) -> str:
        return "action_submit_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(name, None) for name in SURVEY_SLOTS]
        task_id = _task_id(tracker)
        if task_id is None:
            return reset
        comment = survey.read_comment(tracker.get_slot("survey_comment") or "")
        answers = {key: tracker.get_slot(slot) for slot, key in QUESTIONS.items()}
        answers[survey.COMMENT] = comment
        now = message_time(tracker)
        try:
            logged = await backend.in_session(lambda s: followups.record_survey(
                s, task_id, tracker.sender_id, answers, survey.comment_complains(comment), now))
        except (followups.TaskNotFound, followups.TaskClosed, followups.BadResult) as refused:
            logger.warning("survey task %s not recorded: %r", task_id, refused)
            return reset
        except SQLAlchemyError:
            logger.exception("could not record the survey task %s", task_id)
            dispatcher.utter_message(text=survey.script().failed.format(dealer_phone=backend.catalog().phone))
            return reset
        lines = survey.script()
        dispatcher.utter_message(text=lines.complaint_thanks if logged.task.complaint else lines.thanks)
        return reset
