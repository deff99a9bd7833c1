"""The action server down or slow: an apology with the dealer's phone, and the turn undone.

Why a patch: in Rasa 3.6 a custom action call (``RemoteAction.run``) waits up to
``DEFAULT_REQUEST_TIMEOUT`` (300 s) for the action server, and when the call fails
(connection refused, a timeout, a 5xx) ``MessageProcessor._run_action`` logs the
exception, records the action as run with no events and goes on predicting: the
customer hears nothing, and the slots extracted from the message stay set although
the form never validated them (half-written). Rasa offers no setting for either.

What happens instead (installed by ``bot/rasa_server.py`` before Rasa starts):

1. ``RemoteAction.run`` gets ``ACTION_SERVER_TIMEOUT`` seconds (default 4, so a turn
   ends within 5 s; WeChat waits 4.5 s for a passive reply). A call that fails, the
   form's ``validate_*`` call included, raises ``ActionServerUnavailable``; a rejection
   (HTTP 400, ``ActionExecutionRejection``) is the form's normal path and passes as before.
2. ``MessageProcessor._run_action``: Rasa's own runs first (it records the failure as a
   rejection, see ActionServerUnavailable); the wrapper notices the failure and, in a
   customer's turn, sends ``utter_action_server_unavailable``
   (domain.yml, with ``{dealer_phone}`` from the dealer file) and ends the turn with
   ``UserUtteranceReverted`` + ``action_listen``: the message and everything the turn
   set are undone (they stay in the transcript), so the next message meets the same
   form at the same question, as Rasa's own fallback does. A draft the action server
   wrote before the timeout hit is not written again: the retry carries the same
   ``booking_key`` (one idempotency key per booking, actions/submit_booking.py).
3. A turn nobody typed (``trigger_intent``: the worker's WeChat survey) gets no
   apology: the failure is raised, Rasa answers the trigger 500 and saves nothing,
   so the worker sees the error (dealer/rasa_trigger.py) rather than a sent survey.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import os
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection

logger = logging.getLogger(__name__)

TIMEOUT_ENV = "ACTION_SERVER_TIMEOUT"
DEFAULT_TIMEOUT = 4.0
APOLOGY = "utter_action_server_unavailable"

# The failure of the action being run by _run_action now (asyncio: one per task).
_failure: contextvars.ContextVar[Exception | None] = contextvars.ContextVar("action_failure", default=None)
# Rasa's own methods, kept for the wrappers and the tests.
rasa_remote_run: Any = None
rasa_run_action: Any = None


class ActionServerUnavailable(ActionExecutionRejection):
    """A custom action call failed: no connection, no answer in time, or an error status.

    Raised as a rejection for one reason: Rasa's ``_run_action`` then records only an
    ``ActionExecutionRejected`` (which the revert below undoes) instead of logging the
    failed action as run. Logged as run, a form's ``ActionExecuted`` would collapse the
    turn in ``applied_events`` and the revert would undo the turn before it too. Like
    any rejection it is a RasaException, so action_extract_slots' custom slot mappings
    (the one place Rasa tolerates a failed call) keep doing so."""

    def __init__(self, action_name: str, reason: str) -> None:
        self.reason = reason
        super().__init__(action_name, f"custom action '{action_name}' failed: {reason}")


def action_timeout() -> float:
    """Seconds one custom action call may take (``ACTION_SERVER_TIMEOUT``, default 4)."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 300:
        logger.warning("%s=%r is not a number of seconds in (0, 300]; using %s", TIMEOUT_ENV, raw, DEFAULT_TIMEOUT)
        return DEFAULT_TIMEOUT
    return value


def dealer_phone(tracker: Any) -> str:
    """The service phone of the conversation's dealer, from its dealer file (``phone:``)."""
    from bot.conversation_dealer import conversation_dealer

    return conversation_dealer(tracker).phone


async def _remote_run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list:
    seconds = action_timeout()
    try:
        return await asyncio.wait_for(rasa_remote_run(self, output_channel, nlg, tracker, domain), seconds)
    except ActionExecutionRejection:
        raise
    except asyncio.TimeoutError:
        failure = ActionServerUnavailable(self.name(), f"no answer within {seconds:g} s")
    except Exception as error:  # refused, reset, 5xx, a broken response: the call failed
        failure = ActionServerUnavailable(self.name(), f"{type(error).__name__}: {error}")
    _failure.set(failure)
    raise failure


def _in_a_customer_turn(tracker: Any) -> bool:
    """The latest event that began a turn is a message a customer typed (not a trigger)."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, IS_EXTERNAL
    from rasa.shared.core.events import ActionExecuted, UserUttered

    for event in reversed(tracker.applied_events()):
        if isinstance(event, UserUttered):
            return not (event.metadata or {}).get(IS_EXTERNAL)  # UserUttered.create_external
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME:
            return False
    return False


def _loop_finished_this_turn(tracker: Any) -> str | None:
    """The form that completed in this turn (its last question answered, then the action
    that follows it failed), or None."""
    from rasa.shared.core.events import ActiveLoop, UserUttered

    finished, in_turn = False, True
    for event in reversed(tracker.events):  # the raw events: applied_events folds forms
        if isinstance(event, UserUttered):
            in_turn = False
        elif isinstance(event, ActiveLoop):
            if in_turn and event.name is None:
                finished = True
            elif not in_turn and event.name:
                return event.name if finished else None
    return None


def _question_answered(tracker: Any) -> Any:
    """The bot's last message before the customer's latest one (raw events)."""
    from rasa.shared.core.events import BotUttered, UserUttered

    in_turn = True
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            in_turn = False
        elif not in_turn and isinstance(event, BotUttered):
            return event
    return None


def _back_at_the_last_question(tracker: Any, loop: str) -> list:
    """The form active again at the question its last answer was for, that answer unset,
    so the customer's next message answers it again (对 at the read-back books once)."""
    from rasa.shared.core.constants import REQUESTED_SLOT
    from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered

    asked, in_turn = None, True
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            in_turn = False
        elif not in_turn and isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            asked = event.value
            break
    events = [ActiveLoop(loop), SlotSet(REQUESTED_SLOT, asked)]
    if asked:
        events.append(SlotSet(asked, None))
    return events


async def apology_events(nlg: Any, tracker: Any, output_channel: Any) -> list:
    """The apology as BotUttered (none if the model's domain lacks the response),
    then the turn undone and the assistant listening.

    The apology offers again the buttons of the question the customer was answering
    (同意 / 不同意, the read-back's 正确): the WeChat channel numbers the options of the
    latest reply only, so without them a digit sent again would no longer pick one."""
    from rasa.core.actions.action import create_bot_utterance
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted, UserUtteranceReverted

    undo = [UserUtteranceReverted(), ActionExecuted(ACTION_LISTEN_NAME)]
    loop = _loop_finished_this_turn(tracker)
    if loop is not None:
        # The action after a form's last step failed (action_submit_booking at the
        # read-back's 对). Undoing the turn would go back past the form's start (Rasa folds
        # a form's turns together: applied_events), and every fact would be lost; the form
        # is opened again at its last question instead.
        undo = [*_back_at_the_last_question(tracker, loop), ActionExecuted(ACTION_LISTEN_NAME)]
    message = await nlg.generate(APOLOGY, tracker, output_channel.name(), dealer_phone=dealer_phone(tracker))
    if message is None:
        logger.error("the model's domain has no %s: the customer gets no apology (retrain)", APOLOGY)
        return undo
    if loop is not None:
        question = _question_answered(tracker)
    else:
        before = tracker.copy()
        before.update(UserUtteranceReverted())
        question = before.latest_bot_utterance
    buttons = (question.data or {}).get("buttons") if question is not None else None
    if buttons and not message.get("buttons"):
        message = {**message, "buttons": buttons}
    return [create_bot_utterance(message), *undo]


async def _run_action(self: Any, action: Any, tracker: Any, output_channel: Any, nlg: Any, prediction: Any) -> bool:
    token = _failure.set(None)
    try:
        go_on = await rasa_run_action(self, action, tracker, output_channel, nlg, prediction)
        failure = _failure.get()
    finally:
        _failure.reset(token)
    if failure is None:
        return go_on
    if not _in_a_customer_turn(tracker):
        raise failure  # trigger_intent answers 500 and saves nothing
    logger.warning("%s: apologised to %s, the turn is undone", failure, tracker.sender_id)
    events = await apology_events(nlg, tracker, output_channel)
    await self.execute_side_effects(events, tracker, output_channel)  # sends the apology
    tracker.update_with_events(events, self.domain)
    return False  # listening: no further action this turn


def install() -> None:
    """Patch RemoteAction.run and MessageProcessor._run_action (idempotent)."""
    global rasa_remote_run, rasa_run_action
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    if rasa_remote_run is None:
        rasa_remote_run = RemoteAction.run
        rasa_run_action = MessageProcessor._run_action
    RemoteAction.run = _remote_run
    MessageProcessor._run_action = _run_action
