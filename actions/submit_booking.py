"""Writing the confirmed booking as a draft work order (steps d-g)."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import backend, db_fault
from actions.booking_form import explain_problem, offer_free_slots
from actions.conversation import channel_name, message_time, user_texts
from actions.guard import requester_of
from actions.interview import all_interviews
from actions.privacy import declined
from dealer.script import NOT_GIVEN, given
from dealer.services import followups
from dealer.services.booking import BookingRequest, SlotUnavailable
from dealer.services.booking_guard import BookingLimitReached
from dealer.symptoms import QUESTIONS, complaint_words
from dealer.validation import InvalidValue

logger = logging.getLogger(__name__)

# The customer's answer to the privacy notice holds for the rest of the conversation.
CONVERSATION_SLOTS = ("privacy_consent", "privacy_consent_at")

# Everything one booking collects; cleared once it is written or abandoned.
BOOKING_SLOTS = (
    *(slot for slot in backend.script().slots if slot not in CONVERSATION_SLOTS),
    "appointment_display",
    "service_display",
    "awaiting_correction",
    "mileage_heard",
    "mileage_rough",
    "booking_key",
    "needs_human",
    "urgent",
    "vague_followed_up",
    "phenomenon_asked",
    "warranty_asked",
    "told_what",
    "restatement_state",
    "symptom_interviews",
    "pending_complaints",
    "current_complaint",
    "told_where",
    "booking_offer",
    "reasked_slots",
    "wanted_day",
    "vin_on_file",
)


def symptoms_from(tracker: Tracker) -> dict[str, Any] | None:
    """The six answers in the customer's words; None where no interview was due.

    The six fields are the first complaint's; each further complaint (还有其他的吗) is
    kept in further_complaints (its words) and further_interviews (its own six answers);
    one told with the first but not interviewed (a hand-over came first) in further_complaints.
    """
    if "interview" not in backend.service_flags(tracker.get_slot("service_type")):
        return None
    first, *further = all_interviews(tracker)
    if first["what"] in (None, NOT_GIVEN) and not further:  # no complaint told (a routine check)
        return None  # handed over before the complaint was told
    symptoms: dict[str, Any] = {**_known_answers(first)}
    if tracker.get_slot("told_what"):
        # The complaint as told (客户陈述, Chery step 5) beside its phenomenon (现象, step 6).
        symptoms["complaint"] = tracker.get_slot("told_what")
    further = [{**interview, **_known_answers(interview)} for interview in further]
    # Problems told with the first and not interviewed yet (a hand-over came first).
    pending = [complaint_words(said) or said for said in tracker.get_slot("pending_complaints") or []]
    if further or pending:
        symptoms["further_complaints"] = [interview["complaint"] for interview in further] + pending
    if further:
        symptoms["further_interviews"] = further
    return symptoms


def _known_answers(interview: dict[str, Any]) -> dict[str, Any]:
    """The six answers, None for one that says only 不清楚 / 不好说 (the advisor sees 未提供,
    not the words); the complaint itself stays as told, and so does 没处理过 to what was
    tried: nothing was done, which the advisor needs to know (未提供 would read as not asked)."""
    script = backend.script()
    return {
        question: None if question != "what" and isinstance(answer, str) and (
            answer == NOT_GIVEN or script.only_unknown(answer)) else answer
        for question, answer in ((q, interview.get(q)) for q in QUESTIONS)
    }


def yes_no(value: object) -> bool | None:
    """Only a validated yes/no reaches the database."""
    return value if isinstance(value, bool) else None


def booking_request(tracker: Tracker) -> BookingRequest:
    """The booking's facts; a confirmed booking has every required one (a hand-over may not)."""
    mileage = given(tracker.get_slot("mileage"))
    start = tracker.get_slot("appointment_time")
    return BookingRequest(
        # One draft per booking, however often this action is retried.
        idempotency_key=f"{tracker.sender_id}:{tracker.get_slot('booking_key')}",
        channel=channel_name(tracker),
        conversation_id=tracker.sender_id,
        service_type=tracker.get_slot("service_type"),
        start=datetime.fromisoformat(start) if start else None,
        customer_name=given(tracker.get_slot("customer_name")),
        phone=tracker.get_slot("phone"),
        plate=given(tracker.get_slot("plate")),
        vin=given(tracker.get_slot("vin")),
        model=given(tracker.get_slot("car_model")),
        mileage_km=int(mileage) if mileage and str(mileage).isdigit() else None,
        first_visit=yes_no(tracker.get_slot("first_visit")),
        extra_requests=given(tracker.get_slot("extra_requests")),
        last_service=given(tracker.get_slot("last_service")),
        job_description=given(tracker.get_slot("job_description")),
        repeat_repair=yes_no(tracker.get_slot("repeat_repair")),
        needs_human=bool(tracker.get_slot("needs_human")),
        urgent=bool(tracker.get_slot("urgent")),
        symptoms=symptoms_from(tracker),
        privacy_consent_at=_consent_time(tracker),
        wanted_advisor=wanted_advisor(tracker),
    )


def wanted_advisor(tracker: Tracker) -> str | None:
    """The dealer's advisor the customer last asked for by name (能指定李明吗), if any."""
    script, dealer = backend.script(), backend.catalog()
    for text in reversed(user_texts(tracker)):
        advisor, _ = dealer.advisor_named(text)
        if advisor is not None and script.question_kind(text) == "ask_advisor":
            return advisor.name
    return None


def _consent_time(tracker: Tracker) -> datetime | None:
    agreed_at = tracker.get_slot("privacy_consent_at")
    return datetime.fromisoformat(agreed_at) if tracker.get_slot("privacy_consent") is True and agreed_at else None


def tell_what_comes_next(dispatcher: CollectingDispatcher, request: BookingRequest, words: str,
                         now: datetime, opted_out: bool) -> None:
    """Steps e-g: quote known maintenance, the documents to bring, the reminder (only the one
    the customer's channel will get: a WeChat message or an advisor's call; none to a
    customer who opted out), thanks."""
    dealer = backend.catalog()
    quote = dealer.service_type(request.service_type).quote if request.service_type else "none"
    if quote == "price_list":
        dispatcher.utter_message(response="utter_quote_maintenance", price_list=dealer.price_list_text(words))
    elif quote == "after_inspection":
        dispatcher.utter_message(response="utter_quote_after_inspection")
    documents = backend.script().documents(request.first_visit)
    promise = followups.reminder_promise(request.channel, request.start, now, dealer, opted_out)
    dispatcher.utter_message(response="utter_bring_documents_and_promise", documents="、".join(documents),
                             reminder_promise=promise)


def refuse_booking(dispatcher: CollectingDispatcher, reached: BookingLimitReached) -> list[EventType]:
    """A booking beyond the live bookings a phone or a conversation may hold: refused
    politely, nothing written, the booking's facts cleared."""
    dispatcher.utter_message(
        response=f"utter_booking_limit_{reached.kind.value}",
        limit=reached.limit,
        dealer_phone=backend.catalog().phone,
    )
    return [SlotSet(name, None) for name in BOOKING_SLOTS]


def _customer_words(tracker: Tracker) -> str:
    return " ".join(e.get("text") or "" for e in tracker.events if e.get("event") == "user")


class ActionSubmitBooking(Action):
    def name(self) -> str:
        return "action_submit_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if declined(tracker):
            # PIPL: no agreement to the privacy notice, nothing written; asked again next time.
            dispatcher.utter_message(response="utter_privacy_declined", dealer_phone=backend.catalog().phone)
            return [SlotSet(name, None) for name in (*BOOKING_SLOTS, *CONVERSATION_SLOTS)]
        request = booking_request(tracker)
        now = message_time(tracker)
        if tracker.get_slot("booking_confirmed") is not True:
            # The form stopped early at the phone (actions/guard.stop_at_booking_limit).
            reached = await backend.booking_limit(request.phone, requester_of(tracker), now)
            if reached is None:  # a booking was cancelled meanwhile: the booking goes on
                return [FollowupAction("booking_form")]
            return refuse_booking(dispatcher, reached)
        try:
            result = await db_fault.in_time(backend.book(request, now))
        except BookingLimitReached as reached:
            return refuse_booking(dispatcher, reached)
        except SlotUnavailable as unavailable:
            # Taken by someone else while this customer was confirming.
            explain_problem(dispatcher, unavailable.problem, request.start)
            await offer_free_slots(dispatcher, request.start, now)
            return [
                SlotSet("appointment_time", None),
                SlotSet("booking_confirmed", None),
                FollowupAction("booking_form"),
            ]
        except InvalidValue as invalid:  # a fact that slipped past the form's checks
            dispatcher.utter_message(response=f"utter_invalid_{invalid.field}")
            return [SlotSet(invalid.field, None), SlotSet("booking_confirmed", None), FollowupAction("booking_form")]
        except db_fault.UNAVAILABLE as error:
            return db_fault.refuse_until_back(dispatcher, tracker, backend.catalog().phone, error)
        except SQLAlchemyError:
            logger.exception("could not write the draft for %s", tracker.sender_id)
            dispatcher.utter_message(
                response="utter_booking_failed", dealer_phone=backend.catalog().phone
            )
            return [SlotSet("booking_confirmed", None)]
        response = "utter_booking_done" if result.advisor_name else "utter_booking_done_no_advisor"
        dispatcher.utter_message(
            response=response,
            appointment_display=tracker.get_slot("appointment_display"),
            advisor_name=result.advisor_name,
        )
        tell_what_comes_next(dispatcher, request, _customer_words(tracker), now,
                             await backend.opted_out(result.draft_id))
        return [SlotSet(name, None) for name in BOOKING_SLOTS] + [
            SlotSet("draft_id", float(result.draft_id)),
            SlotSet("advisor_name", result.advisor_name),
            SlotSet("booked_display", tracker.get_slot("appointment_display")),
        ]
