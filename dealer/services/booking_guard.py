"""Nobody acts for a customer but that customer (issue 11, abuse).

- Ownership: a booking is changed or cancelled only from the conversation that made it
  (or, on WeChat, by the same openid). A request from anywhere else is told nothing
  about the booking: the booking is flagged for an advisor, who checks with the phone
  number on file.
- Limits: a phone and a conversation each hold at most a few live upcoming bookings
  (the dealer file's ``limits``); one more is refused and nothing is written.
- Conflicts: an unverified booking never renames a known customer, never moves a car
  (plate or VIN) to another phone; what the customer said stays on the draft, with a
  note for the advisor.

Conflict notes live in the draft's ``symptom_tags`` JSON under ``conflicts`` until the
draft has a column of its own; ``conflicts_of``/``add_conflicts`` are the only readers
and writers of that key.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dealer.catalog import Catalog
from dealer.models import DraftWorkOrder
from dealer.services.dealers import DealerRef, dealer_id
from dealer.privacy import mask_phone
from dealer.services import audit
from dealer.status import LIVE_STATUSES

WECHAT = "wechat"
CONFLICTS_KEY = "conflicts"
ENTITY = "draft_work_order"


# --- who asks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requester:
    """The conversation a customer writes from: Rasa's sender id and the input channel."""

    conversation_id: str
    channel: str

    @property
    def wechat_openid(self) -> str | None:
        return wechat_openid(self.channel, self.conversation_id)


def wechat_openid(channel: str | None, conversation_id: str | None) -> str | None:
    """The WeChat user behind a conversation: the WeChat channel uses the openid as
    Rasa's sender id (bot/channels/wechat_bridge.py), so it is the conversation id."""
    if channel != WECHAT or not conversation_id:
        return None
    return conversation_id


def may_change(draft: DraftWorkOrder, requester: Requester) -> bool:
    """Only the conversation that made the booking, on the same channel, or on WeChat the
    same openid, may change or cancel it."""
    if draft.channel == requester.channel and draft.conversation_id == requester.conversation_id:
        return True
    openid = requester.wechat_openid
    return openid is not None and wechat_openid(draft.channel, draft.conversation_id) == openid


def _upcoming(session: Session, phone: str, plate: str, now: datetime, dealer: DealerRef = None) -> list[DraftWorkOrder]:
    """The live bookings of this phone and plate still to come at the dealer, rows locked."""
    query = (
        select(DraftWorkOrder)
        .where(
            DraftWorkOrder.dealer_id == dealer_id(session, dealer),
            DraftWorkOrder.phone == phone,
            DraftWorkOrder.plate == plate,
            DraftWorkOrder.status.in_(LIVE_STATUSES),
            DraftWorkOrder.start_at > now,
        )
        .order_by(DraftWorkOrder.start_at, DraftWorkOrder.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def find_own_booking(
    session: Session, phone: str, plate: str, requester: Requester, now: datetime, dealer: DealerRef = None
) -> DraftWorkOrder | None:
    """The requester's next live booking for this phone and plate, or None.

    None both when there is no such booking and when there is one made by someone else:
    the caller answers the two alike. A booking made elsewhere is marked needs_human
    with a note (and audited), so an advisor calls the number on file to check.
    """
    upcoming = _upcoming(session, phone, plate, now, dealer)
    own = next((draft for draft in upcoming if may_change(draft, requester)), None)
    if own is not None:
        return own
    note = (
        f"会话 {requester.channel}:{requester.conversation_id} 用此手机号和车牌要求改约或取消"
        "(不是预约时的会话),已转人工:请致电预约登记的手机号核实"
    )
    for draft in upcoming:
        flag_for_advisor(session, draft, [note])
    return None


def owned_draft(session: Session, draft_id: int, requester: Requester) -> DraftWorkOrder:
    """The draft with this id if the requester may change it (row locked); else LookupError."""
    draft = session.get(DraftWorkOrder, draft_id, with_for_update=True)
    if draft is None or not may_change(draft, requester):
        raise LookupError(draft_id)
    return draft


# --- how many live bookings -----------------------------------------------------------------


class LimitKind(StrEnum):
    phone = "phone"
    conversation = "conversation"


class BookingLimitReached(Exception):
    """One more booking would exceed the live bookings a phone or a conversation may hold."""

    def __init__(self, kind: LimitKind, limit: int) -> None:
        super().__init__(kind.value)
        self.kind = kind
        self.limit = limit


def _live_upcoming_count(session: Session, condition, now: datetime) -> int:
    return session.scalar(
        select(func.count())
        .select_from(DraftWorkOrder)
        .where(condition, DraftWorkOrder.status.in_(LIVE_STATUSES), DraftWorkOrder.start_at > now)
    ) or 0


def limit_reached(
    session: Session, phone: str | None, requester: Requester, catalog: Catalog, now: datetime
) -> BookingLimitReached | None:
    """Why one more booking for this phone from this conversation is refused, or None.

    Live bookings are drafts and approved ones that have not started yet. Concurrent
    bookings of one phone or one conversation count each other: each takes a lock on
    its phone and conversation first (``_serialise``), held until its transaction ends.
    """
    if phone:
        _serialise(session, f"phone:{catalog.code}:{phone}")
        at_this_dealer = (DraftWorkOrder.phone == phone) & (DraftWorkOrder.dealer_id == dealer_id(session, catalog))
        if _live_upcoming_count(session, at_this_dealer, now) >= catalog.live_bookings_per_phone:
            return BookingLimitReached(LimitKind.phone, catalog.live_bookings_per_phone)
    _serialise(session, f"conversation:{requester.channel}:{requester.conversation_id}")
    same_conversation = (DraftWorkOrder.conversation_id == requester.conversation_id) & (
        DraftWorkOrder.channel == requester.channel
    )
    if _live_upcoming_count(session, same_conversation, now) >= catalog.live_bookings_per_conversation:
        return BookingLimitReached(LimitKind.conversation, catalog.live_bookings_per_conversation)
    return None


def _serialise(session: Session, key: str) -> None:
    """A transaction-scoped lock on ``key`` (always the phone before the conversation, so
    two bookings never wait for each other in a circle). PostgreSQL: an advisory lock;
    SQLite's transactions begin IMMEDIATE (dealer/db.py), one writer at a time already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"booking-limit:{key}"})


def check_limits(
    session: Session, phone: str | None, requester: Requester, catalog: Catalog, now: datetime
) -> None:
    """Raise BookingLimitReached when one more booking is not allowed."""
    reached = limit_reached(session, phone, requester, catalog, now)
    if reached is not None:
        raise reached


# --- conflicts for the advisor --------------------------------------------------------------


def conflicts_of(draft: DraftWorkOrder) -> list[str]:
    return list((draft.symptom_tags or {}).get(CONFLICTS_KEY) or [])


def add_conflicts(draft: DraftWorkOrder, notes: list[str]) -> bool:
    """Append notes not already there; True if any was added (the JSON is reassigned)."""
    known = conflicts_of(draft)
    new = [note for note in notes if note not in known]
    if not new:
        return False
    draft.symptom_tags = {**(draft.symptom_tags or {}), CONFLICTS_KEY: known + new}
    return True


def flag_for_advisor(session: Session, draft: DraftWorkOrder, notes: list[str], actor: str = "assistant") -> None:
    """Conflict notes on an existing draft, which then needs a human; both audited."""
    known = conflicts_of(draft)
    if add_conflicts(draft, notes):
        audit.record(session, actor, ENTITY, draft.id, "flag", CONFLICTS_KEY, "\n".join(known) or None,
                     "\n".join(conflicts_of(draft)))
    if not draft.needs_human:
        audit.record(session, actor, ENTITY, draft.id, "flag", "needs_human", False, True)
        draft.needs_human = True


def tags_keeping_conflicts(tags: dict[str, Any] | None, draft: DraftWorkOrder) -> dict[str, Any] | None:
    """New symptom tags for a draft whose conflict notes must survive the recomputation."""
    conflicts = conflicts_of(draft)
    if not conflicts:
        return tags
    return {**(tags or {}), CONFLICTS_KEY: conflicts}


def public_tags(draft: DraftWorkOrder) -> dict[str, Any] | None:
    """The symptom tags as the Draft JSON shows them: parts and symptoms only."""
    tags = {key: value for key, value in (draft.symptom_tags or {}).items() if key != CONFLICTS_KEY}
    return tags or None


def name_conflict(known: str | None, said: str | None) -> str | None:
    if known and said and known != said:
        return f"客户档案姓名为“{known}”,本次预约自称“{said}”:档案未改,请核实"
    return None


def plate_conflict(plate: str, owner_phone: str) -> str:
    return f"车牌 {plate} 登记在另一手机号({mask_phone(owner_phone)})名下:车辆档案未改,请核实"


def vin_conflict(vin: str, other_plate: str | None, known_vin: str | None) -> str:
    if known_vin:
        return f"本次预约的车架号 {vin} 与车辆档案的车架号 {known_vin} 不同:档案未改,请核实"
    return f"车架号 {vin} 已登记在另一辆车(车牌 {other_plate or '未知'})上:车辆档案未改,请核实"
