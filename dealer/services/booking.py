"""Turning a confirmed booking conversation into a draft work order."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.db import unit_of_work
from dealer.models import Advisor, CapacitySlot, Customer, DraftWorkOrder, Vehicle
from dealer.services import audit, booking_guard
from dealer.services.dealers import DealerRef, dealer_id
from dealer.services.schedule import SlotProblem, callback_time, free_slots_near, slot_problem
from dealer.symptoms import completeness, symptom_tags
from dealer.validation import InvalidValue, normalize_phone, normalize_plate, normalize_vin
from dealer.status import LIVE_STATUSES

ASSISTANT_ACTOR = "assistant"
REPEAT_REPAIR_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class BookingRequest:
    idempotency_key: str
    channel: str
    conversation_id: str
    service_type: str
    start: datetime | None  # None only for a hand-over before a time was agreed
    customer_name: str | None = None
    phone: str | None = None
    plate: str | None = None
    vin: str | None = None
    model: str | None = None
    mileage_km: int | None = None
    first_visit: bool | None = None
    extra_requests: str | None = None
    last_service: str | None = None
    job_description: str | None = None
    symptoms: dict[str, Any] | None = None
    repeat_repair: bool | None = None
    urgent: bool = False
    needs_human: bool = False
    # PIPL: when the customer agreed to the dealer's privacy notice (None: not asked, e.g.
    # a hand-over before it); recorded on the draft with the notice's version.
    privacy_consent_at: datetime | None = None
    # The advisor the customer asked for by name (上回是张顾问接待的,这次还找他): given the
    # booking when free in that slot.
    wanted_advisor: str | None = None


@dataclass(frozen=True)
class BookingResult:
    draft_id: int
    start: datetime
    advisor_name: str | None
    created: bool  # False when the idempotency key had already been booked


class SlotUnavailable(Exception):
    def __init__(self, problem: SlotProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def requester_of(request: BookingRequest) -> booking_guard.Requester:
    return booking_guard.Requester(conversation_id=request.conversation_id, channel=request.channel)


def _existing(session: Session, key: str) -> BookingResult | None:
    draft = session.scalar(select(DraftWorkOrder).where(DraftWorkOrder.idempotency_key == key))
    if draft is None:
        return None
    return BookingResult(
        draft_id=draft.id,
        start=draft.start_at,
        advisor_name=draft.advisor.name if draft.advisor else None,
        created=False,
    )


def take_capacity(session: Session, start: datetime, capacity: int, dealer: DealerRef = None) -> None:
    """Reserve one car in the dealer's slot (default: the default dealer's), atomically,
    or raise SlotUnavailable(full)."""
    dealer = dealer_id(session, dealer)
    slot = (CapacitySlot.dealer_id == dealer) & (CapacitySlot.start_at == start)
    if session.scalar(select(CapacitySlot.id).where(slot)) is None:
        try:
            with session.begin_nested():
                session.execute(insert(CapacitySlot).values(dealer_id=dealer, start_at=start, capacity=capacity, booked=0))
        except IntegrityError:
            pass  # another booking created the row first
    taken = session.execute(
        update(CapacitySlot)
        .where(slot, CapacitySlot.booked < CapacitySlot.capacity)
        .values(booked=CapacitySlot.booked + 1)
    )
    if taken.rowcount != 1:
        raise SlotUnavailable(SlotProblem.full)


def _local_day(start: datetime, timezone: ZoneInfo) -> tuple[datetime, datetime]:
    """The dealer's local day holding ``start``: [its midnight, the next midnight)."""
    day = start.astimezone(timezone).date()
    return (
        datetime.combine(day, time.min, tzinfo=timezone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=timezone),
    )


def _busy_at(session: Session, start: datetime, dealer: int) -> set[int]:
    """The dealer's advisors who already have a live booking starting at ``start``."""
    return set(
        session.scalars(
            select(DraftWorkOrder.advisor_id).where(
                DraftWorkOrder.dealer_id == dealer,
                DraftWorkOrder.start_at == start,
                DraftWorkOrder.status.in_(LIVE_STATUSES),
                DraftWorkOrder.advisor_id.is_not(None),
            )
        )
    )


def _previous_advisor(session: Session, phone: str, dealer: int) -> Advisor | None:
    """The active advisor of the customer's latest work order at the dealer, if any."""
    return session.scalar(
        select(Advisor)
        .join(DraftWorkOrder, DraftWorkOrder.advisor_id == Advisor.id)
        .where(DraftWorkOrder.dealer_id == dealer, Advisor.dealer_id == dealer,
               DraftWorkOrder.phone == phone, Advisor.active.is_(True))
        .order_by(DraftWorkOrder.created_at.desc(), DraftWorkOrder.id.desc())
        .limit(1)
    )


def _day_load(session: Session, start: datetime, timezone: ZoneInfo, dealer: int) -> dict[int, int]:
    """Live bookings per advisor on the dealer's local day of ``start``."""
    begin, end = _local_day(start, timezone)
    rows = session.execute(
        select(DraftWorkOrder.advisor_id, func.count())
        .where(
            DraftWorkOrder.dealer_id == dealer,
            DraftWorkOrder.start_at >= begin,
            DraftWorkOrder.start_at < end,
            DraftWorkOrder.status.in_(LIVE_STATUSES),
            DraftWorkOrder.advisor_id.is_not(None),
        )
        .group_by(DraftWorkOrder.advisor_id)
    )
    return {advisor_id: count for advisor_id, count in rows}


def _choose_advisor(
    session: Session, start: datetime, phone: str | None, timezone: ZoneInfo, dealer: int,
    wanted: str | None = None,
) -> Advisor | None:
    """The advisor the customer asked for, then the customer's previous advisor, if free in
    that slot; else, among the active
    advisors free in that slot, the one with the fewest live bookings that day (ties
    by code); if nobody is free in that slot, the least busy that day.

    Runs after take_capacity, whose UPDATE of the slot row (a row lock on PostgreSQL,
    the database write lock on SQLite) holds concurrent bookings of one slot until this
    one commits, so they see each other's advisor. Bookings of different slots on one
    day are not serialised: at worst two of them count the same day load.
    """
    busy = _busy_at(session, start, dealer)
    if wanted:
        asked_for = session.scalars(select(Advisor).where(
            Advisor.dealer_id == dealer, Advisor.active.is_(True), Advisor.name == wanted)).first()
        if asked_for is not None and asked_for.id not in busy:
            return asked_for
    previous = _previous_advisor(session, phone, dealer) if phone else None
    if previous is not None and previous.id not in busy:
        return previous
    advisors = session.scalars(select(Advisor).where(Advisor.dealer_id == dealer, Advisor.active.is_(True))).all()
    if not advisors:
        return None
    load = _day_load(session, start, timezone, dealer)
    free = [advisor for advisor in advisors if advisor.id not in busy]
    return min(free or advisors, key=lambda advisor: (load.get(advisor.id, 0), advisor.code))


def _upsert_customer_and_vehicle(
    session: Session, request: BookingRequest, dealer: int
) -> tuple[Customer | None, Vehicle | None, list[str]]:
    """The customer and car records the booking refers to, and its conflicts with them.

    A booking is unverified (anyone can type a phone number): it fills what the records
    lack but never renames a known customer, never moves a car (plate or VIN) to another
    phone and never changes another customer's car. Each such difference is a conflict
    note for the advisor; the draft keeps what the customer said.
    """
    conflicts: list[str] = []
    customer = None
    if request.phone:
        customer = session.scalar(select(Customer).where(Customer.dealer_id == dealer, Customer.phone == request.phone))
        if customer is None:
            customer = Customer(dealer_id=dealer, phone=request.phone, name=request.customer_name)
            session.add(customer)
        elif (note := booking_guard.name_conflict(customer.name, request.customer_name)) is not None:
            conflicts.append(note)
        elif request.customer_name:
            customer.name = request.customer_name
    vehicle = None
    if request.plate or request.vin:
        lookup = Vehicle.plate == request.plate if request.plate else Vehicle.vin == request.vin
        vehicle = session.scalar(select(Vehicle).where(Vehicle.dealer_id == dealer, lookup))
        if vehicle is None:
            vehicle = Vehicle(dealer_id=dealer, plate=request.plate)
            session.add(vehicle)
        owner = vehicle.customer
        if owner is not None and (customer is None or owner.id != customer.id):
            if customer is not None:
                conflicts.append(booking_guard.plate_conflict(vehicle.plate or vehicle.vin or "", owner.phone))
            return customer, vehicle, conflicts  # another customer's car: left as it is
        vehicle.customer = customer
        vehicle.model = request.model or vehicle.model
        vehicle.mileage_km = request.mileage_km or vehicle.mileage_km
        if request.vin and request.vin != vehicle.vin:
            holder = session.scalar(select(Vehicle).where(Vehicle.dealer_id == dealer, Vehicle.vin == request.vin,
                                                          Vehicle.id != vehicle.id))
            if holder is not None or vehicle.vin:
                conflicts.append(booking_guard.vin_conflict(request.vin, holder.plate if holder else None, vehicle.vin))
            else:
                vehicle.vin = request.vin
    return customer, vehicle, conflicts


def _checked(request: BookingRequest, catalog: Catalog) -> BookingRequest:
    if request.service_type is not None and request.service_type not in catalog.service_codes:
        raise InvalidValue("service_type", "unknown")
    return replace(
        request,
        phone=normalize_phone(request.phone) if request.phone else None,
        plate=normalize_plate(request.plate) if request.plate else None,
        vin=normalize_vin(request.vin) if request.vin else None,
    )


def had_recent_work_order(session: Session, plate: str | None, now: datetime, dealer: DealerRef = None) -> bool:
    """The same vehicle had a work order at the dealer in the last 90 days (a possible repeat repair)."""
    if not plate:
        return False
    earlier = session.scalar(
        select(func.count())
        .select_from(DraftWorkOrder)
        .where(
            DraftWorkOrder.dealer_id == dealer_id(session, dealer),
            DraftWorkOrder.plate == plate,
            DraftWorkOrder.status.in_(LIVE_STATUSES),
            DraftWorkOrder.created_at >= now - REPEAT_REPAIR_WINDOW,
        )
    )
    return bool(earlier)


def _write_draft(
    session: Session, request: BookingRequest, catalog: Catalog, now: datetime
) -> BookingResult:
    """The draft row for a request whose slot capacity is already taken."""
    dealer = dealer_id(session, catalog)
    advisor = _choose_advisor(session, request.start, request.phone, catalog.timezone, dealer, request.wanted_advisor)
    repeat_repair = request.repeat_repair
    if catalog.is_interview(request.service_type) and had_recent_work_order(session, request.plate, now, dealer):
        repeat_repair = True
    customer, vehicle, conflicts = _upsert_customer_and_vehicle(session, request, dealer)
    session.flush()
    draft = DraftWorkOrder(
        dealer_id=dealer,
        idempotency_key=request.idempotency_key,
        channel=request.channel,
        conversation_id=request.conversation_id,
        customer_id=customer.id if customer else None,
        vehicle_id=vehicle.id if vehicle else None,
        customer_name=request.customer_name,
        phone=request.phone,
        plate=request.plate,
        vin=request.vin,
        model=request.model,
        mileage_km=request.mileage_km,
        service_type=request.service_type,
        start_at=request.start,
        advisor=advisor,
        first_visit=request.first_visit,
        symptoms=request.symptoms,
        repeat_repair=repeat_repair,
        # The first complaint's score (0-6); each further interview is scored in the Draft JSON.
        symptom_completeness=completeness(request.symptoms) if request.symptoms is not None else None,
        symptom_tags=symptom_tags(request.symptoms),  # over every complaint
        extra_requests=request.extra_requests,
        last_service=request.last_service,
        job_description=request.job_description,
        urgent=request.urgent,
        # A conflict with what the dealer knows is checked by a person before the visit.
        needs_human=request.needs_human or bool(conflicts),
        privacy_consent_at=request.privacy_consent_at,
        privacy_notice_version=catalog.privacy.version if request.privacy_consent_at else None,
    )
    booking_guard.add_conflicts(draft, conflicts)
    session.add(draft)
    session.flush()
    audit.record(session, ASSISTANT_ACTOR, "draft_work_order", draft.id, "create")
    return BookingResult(
        draft_id=draft.id,
        start=draft.start_at,
        advisor_name=advisor.name if advisor else None,
        created=True,
    )


def book(session: Session, request: BookingRequest, catalog: Catalog, now: datetime) -> BookingResult:
    """Write one draft work order for a confirmed booking (idempotent by key).

    Raises InvalidValue for a malformed phone, plate or VIN: nothing invalid is stored;
    BookingLimitReached when the phone or the conversation already holds its most live
    bookings: nothing is written.
    """
    request = _checked(request, catalog)
    existing = _existing(session, request.idempotency_key)
    if existing is not None:
        return existing
    booking_guard.check_limits(session, request.phone, requester_of(request), catalog, now)
    if request.start is None:
        raise ValueError("a confirmed booking needs a start time")
    problem = slot_problem(request.start, catalog, now)
    if problem is not None:
        raise SlotUnavailable(problem)
    take_capacity(session, request.start, catalog.slot_capacity, catalog)
    return _write_draft(session, request, catalog, now)


def hand_over(session: Session, request: BookingRequest, catalog: Catalog, now: datetime) -> BookingResult:
    """转人工 in the middle of a booking: the facts so far as a draft that needs a human.

    The draft holds one unit of slot capacity like any booking (an advisor's reschedule,
    cancel or reject releases it), so its start is a real free slot: the customer's
    wanted time when it is bookable and free, else the free slot nearest to it, or,
    without a wanted time, the first free slot after the advisor's call-back. The
    advisor confirms or changes it on the phone. Idempotent by key, like ``book``.
    Raises SlotUnavailable(full) when no slot is free in the search window, and
    BookingLimitReached like ``book``.
    """
    request = replace(_checked(request, catalog), needs_human=True)
    existing = _existing(session, request.idempotency_key)
    if existing is not None:
        return existing
    booking_guard.check_limits(session, request.phone, requester_of(request), catalog, now)
    wanted = request.start
    if wanted is None or slot_problem(wanted, catalog, now) is not None:
        callback, _ = callback_time(now, catalog)
        wanted = max(wanted, callback) if wanted is not None else callback
    # Nearest first; at equal distance the later one (after the wanted time or the call-back).
    candidates = sorted(
        free_slots_near(session, wanted, catalog, now, limit=5),
        key=lambda start: (abs((start - wanted).total_seconds()), start < wanted),
    )
    for start in candidates:
        try:
            take_capacity(session, start, catalog.slot_capacity, catalog)
        except SlotUnavailable:
            continue  # taken meanwhile: the next nearest
        return _write_draft(session, replace(request, start=start), catalog, now)
    raise SlotUnavailable(SlotProblem.full)


def book_once(
    database_url: str, request: BookingRequest, catalog: Catalog, now: datetime, write=None
) -> BookingResult:
    """``book`` (or ``write``, e.g. ``hand_over``) in its own transaction; a concurrent
    duplicate returns the first draft."""
    write = write or book
    try:
        with unit_of_work(database_url) as session:
            return write(session, request, catalog, now)
    except IntegrityError:
        with unit_of_work(database_url) as session:
            existing = _existing(session, request.idempotency_key)
        if existing is None:
            raise
        return existing
