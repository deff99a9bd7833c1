"""The dealer database unavailable when a customer confirms a booking: refused, and
the conversation kept at the read-back, so the next 对 books it once the database is back.

Why refused and not queued. A dealer trusts a booking assistant that never says 预约成功
for a booking it has not written:

- a queued booking would be promised before its slot's capacity could be checked or
  taken (that is a row in the database that is down); phone and walk-in bookings go
  on meanwhile, so by the time the queue is written the slot may be full and the
  dealer has to break a promise the assistant made, or the customer turns up for an
  appointment nobody holds;
- a queue needs a durable store of its own beside the one that is down (action servers
  run as several workers and replicas and restart; memory is not one), and someone to
  watch it and call the customers whose queued booking failed;
- refused, nothing is half-true: the customer is told plainly the booking is NOT made
  yet and keeps every fact given: the booking form is active again at its read-back
  question (``booking_confirmed`` unset, ``requested_slot`` = booking_confirmed, then
  listening), so trying again costs one word, 对, which the form reads as at the
  read-back and completes, and the submission runs again. The read-back's buttons come
  again with the apology (a WeChat digit still answers it); the dealer's phone is there
  for whoever will not wait. Nothing calls the database to do this (re-running the form
  would validate the time against the database that is down).

Why not undo the turn as bot/action_fault.py does (``UserUtteranceReverted``): this
action runs after the form's last execution in the same turn, and Rasa's
``applied_events`` folds a form's turns together (``_undo_till_previous_loop_execution``
drops the messages between two executions of the loop), so a revert here goes back past
the start of the form and the facts are gone (measured: the next 对 met the greeting).

Never duplicated: the retry carries the same ``booking_key`` (the slots are kept), and
``book_once`` returns the draft already written under that key, also when the database
went away after a commit whose acknowledgement was lost.

A database that does not answer at all (a network partition, a failover: no refusal,
just silence) would hold the write until the TCP timeout, minutes; Rasa gives the call
``ACTION_SERVER_TIMEOUT`` (4 s) and then undoes the turn (bot/action_fault.py), which
after the form's last execution loses the booking's facts (see above). So the write
gets ``BOOKING_WRITE_TIMEOUT`` seconds (default 3) and then counts as unavailable: the
same apology, the read-back kept. The write's thread cannot be stopped and may still
commit once the database answers; the customer's next 对 then finds that draft under
the same key and is told 预约成功, nothing written twice.

"Unavailable" is an error about the connection (refused, terminated, timed out, a
database that is locked or restarting): ``OperationalError``, ``InterfaceError``,
``DisconnectionError``, the pool's ``TimeoutError`` and the write's own timeout. Any
other database error keeps the old answer (utter_booking_failed): retrying the same
facts would fail the same way.
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import exc

logger = logging.getLogger(__name__)

T = TypeVar("T")
APOLOGY = "utter_booking_not_saved_database_down"
TIMEOUT_ENV = "BOOKING_WRITE_TIMEOUT"
DEFAULT_TIMEOUT = 3.0  # under the Rasa server's ACTION_SERVER_TIMEOUT (4 s)
FORM = "booking_form"
UNAVAILABLE: tuple[type[Exception], ...] = (
    exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError, TimeoutError,
)


def write_timeout() -> float:
    """Seconds the booking's write may take (``BOOKING_WRITE_TIMEOUT``, default 3)."""
    try:
        value = float(os.environ.get(TIMEOUT_ENV, "") or DEFAULT_TIMEOUT)
    except ValueError:
        value = -1.0
    if not 0 < value <= 300:
        logger.warning("%s is not a number of seconds in (0, 300]; using %s", TIMEOUT_ENV, DEFAULT_TIMEOUT)
        return DEFAULT_TIMEOUT
    return value


async def in_time(write: Awaitable[T]) -> T:
    """``write``, or TimeoutError (unavailable) after ``write_timeout()`` seconds."""
    return await asyncio.wait_for(write, write_timeout())


def question_buttons(tracker: Tracker) -> list[dict[str, Any]] | None:
    """The buttons of the question the latest message answered (the read-back's 正确 …)."""
    answered = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            answered = True
        elif kind == "bot" and answered:
            return (event.get("data") or {}).get("buttons") or None
    return None


def refuse_until_back(dispatcher: CollectingDispatcher, tracker: Tracker, dealer_phone: str,
                      error: Exception) -> list[EventType]:
    """The apology (not booked yet, try again shortly, or the dealer's phone), and the form
    back at its read-back question, listening."""
    logger.warning("the dealer database is unavailable (%s: %s): %s's confirmation refused, the read-back kept",
                   type(error).__name__, getattr(error, "orig", None) or "", tracker.sender_id)
    dispatcher.utter_message(response=APOLOGY, dealer_phone=dealer_phone,
                             buttons=question_buttons(tracker) or [])
    return [
        SlotSet("booking_confirmed", None),
        ActiveLoop(FORM),
        SlotSet("requested_slot", "booking_confirmed"),
        FollowupAction("action_listen"),
    ]
