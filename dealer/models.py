"""The dealer database: SQLAlchemy 2 typed models.

Times are stored in UTC and converted to the dealer's zone at the edges.
Schema changes go through Alembic (dealer/migrations), never create_all().
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from dealer import clock
from dealer.status import AppointmentStatus, DraftStatus

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC; SQLite returns it aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a time zone")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return clock.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Dealer(Base):
    """A dealer (service centre) of the network (issue 14). What it offers (hours, capacity,
    prices, advisors, phones, privacy text) is its file: dealer/demo_dealer.yml for the
    default dealer, dealer/dealers/<code>.yml for the others (dealer/catalog.py); this row
    is what every other row belongs to. The first dealer (the lowest id) is the default one."""

    __tablename__ = "dealer"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # demo, pudong: the file's dealer.code
    name: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# A row written without a dealer belongs to the default dealer (the first one): every
# caller that predates tenancy (the assistant's actions, the worker) keeps working for it.
DEFAULT_DEALER_ID = select(func.min(Dealer.id)).scalar_subquery()


def dealer_column(index: bool = False) -> Mapped[int]:
    return mapped_column(ForeignKey("dealer.id"), default=DEFAULT_DEALER_ID, index=index)


class StaffUserDealer(Base):
    """The dealers a group manager sees besides their own (issue 14)."""

    __tablename__ = "staff_user_dealer"
    __table_args__ = (PrimaryKeyConstraint("user_id", "dealer_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"))


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("dealer_id", "phone", name="uq_customer_dealer_phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = dealer_column()
    name: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(11))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # 退订 / 不要再发: no automatic message (reminder, 回访) goes to this customer any more.
    opted_out_at: Mapped[datetime | None]

    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="customer")


class Vehicle(Base):
    __tablename__ = "vehicle"
    __table_args__ = (
        UniqueConstraint("dealer_id", "plate", name="uq_vehicle_dealer_plate"),
        UniqueConstraint("dealer_id", "vin", name="uq_vehicle_dealer_vin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = dealer_column()
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    plate: Mapped[str | None] = mapped_column(String(10))
    vin: Mapped[str | None] = mapped_column(String(17))
    model: Mapped[str | None] = mapped_column(String(40))
    mileage_km: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer | None] = relationship(back_populates="vehicles")


class Advisor(Base):
    """A named service advisor who receives customers."""

    __tablename__ = "advisor"
    __table_args__ = (UniqueConstraint("dealer_id", "code", name="uq_advisor_dealer_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = dealer_column()
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StaffUser(Base):
    """A login for the advisor workspace."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Usernames stay unique across the network: one sign-in page for every dealer.
    username: Mapped[str] = mapped_column(String(60), unique=True)
    dealer_id: Mapped[int] = dealer_column(index=True)  # the dealer the account works for
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # dealer.roles.Role: advisor | manager | admin
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("advisor.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Every token carries the version it was issued under; signing out, a new password
    # or disabling the account bumps it, and the older tokens are refused.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Failed sign-ins since ``first_failed_login_at`` (dealer/services/logins.py); too
    # many within the window lock the account until ``locked_until``.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    first_failed_login_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]


class ServiceTypeRow(Base):
    __tablename__ = "service_type"

    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


class MaintenancePrice(Base):
    __tablename__ = "maintenance_price"

    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    price_yuan: Mapped[int]
    includes: Mapped[str] = mapped_column(Text)


class OpeningHours(Base):
    """Opening hours per weekday (0 = Monday)."""

    __tablename__ = "opening_hours"

    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    opens_at: Mapped[str] = mapped_column(String(5))  # "08:30", dealer local time
    closes_at: Mapped[str] = mapped_column(String(5))
    slot_minutes: Mapped[int]
    slot_capacity: Mapped[int]


class CapacitySlot(Base):
    """One bookable slot of the capacity plan and how many cars it holds.

    A row is created the first time a slot is booked; ``booked`` only grows
    through a conditional UPDATE, so concurrent bookings cannot overbook.
    """

    __tablename__ = "capacity_slot"
    __table_args__ = (UniqueConstraint("dealer_id", "start_at", name="uq_capacity_slot_dealer_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = dealer_column()
    start_at: Mapped[datetime]
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)


class DraftWorkOrder(Base):
    """A work-order draft written by the assistant, reviewed by an advisor."""

    __tablename__ = "draft_work_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = dealer_column(index=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=DraftStatus.draft, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[str] = mapped_column(String(120), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    customer_name: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(11), index=True)
    plate: Mapped[str | None] = mapped_column(String(10), index=True)
    vin: Mapped[str | None] = mapped_column(String(17))
    model: Mapped[str | None] = mapped_column(String(40))
    mileage_km: Mapped[int | None]
    service_type: Mapped[str] = mapped_column(String(20))
    start_at: Mapped[datetime] = mapped_column(index=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("advisor.id"))
    first_visit: Mapped[bool | None]
    symptoms: Mapped[dict[str, Any] | None]
    repeat_repair: Mapped[bool | None]
    symptom_completeness: Mapped[int | None]  # how many of the six questions were answered
    symptom_tags: Mapped[dict[str, Any] | None]  # {"parts": [...], "symptoms": [...]}
    extra_requests: Mapped[str | None] = mapped_column(Text)
    last_service: Mapped[str | None] = mapped_column(Text)  # the customer's words
    # What the visit is for, in the customer's words, where no symptom interview is run
    # (body work: 左后门被划了一道).
    job_description: Mapped[str | None] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_human: Mapped[bool] = mapped_column(Boolean, default=False)
    # PIPL: when the customer agreed to the privacy notice, and which notice it was.
    privacy_consent_at: Mapped[datetime | None]
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # Optimistic concurrency for advisors editing the same draft.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    advisor: Mapped[Advisor | None] = relationship()
    dealer: Mapped[Dealer] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Appointment(Base):
    """A confirmed appointment (预约登记), made when an advisor approves a draft."""

    __tablename__ = "appointment"
    __table_args__ = (UniqueConstraint("draft_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = dealer_column(index=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft_work_order.id"))
    start_at: Mapped[datetime] = mapped_column(index=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("advisor.id"))
    status: Mapped[str] = mapped_column(String(20), default=AppointmentStatus.confirmed, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it moved on (dealer/services/appointments.py; who did it is in the audit log).
    arrived_at: Mapped[datetime | None]
    service_started_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    no_show_at: Mapped[datetime | None]

    draft: Mapped[DraftWorkOrder] = relationship()


class FollowupTask(Base):
    """Due work (issue 12): a booking's day-before reminder and 回访, and the worker's own
    periodic jobs. Claimed by one worker at a time (dealer/worker.py); the call list shows
    the ``call`` ones (dealer/services/followups.py)."""

    __tablename__ = "followup_task"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_followup_task_claim", "state", "channel", "run_at"),  # what a claim reads
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = dealer_column(index=True)
    # reminder:<draft id>, followup:<draft id>, job:<name>: one row per booking and kind.
    key: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))  # TaskKind
    channel: Mapped[str] = mapped_column(String(20))  # TaskChannel: wechat | call | system
    state: Mapped[str] = mapped_column(String(20), index=True)  # TaskState
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("draft_work_order.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(index=True)  # when it is due
    run_at: Mapped[datetime]  # not tried before (backoff, quiet hours, a call to try again)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    sent_via: Mapped[str | None] = mapped_column(String(20))  # custom | template
    # A call's outcome (confirmed / rescheduled / cancelled / no_answer / answered), the
    # 回访's answers, and a complaint for the service manager.
    result: Mapped[str | None] = mapped_column(String(20))
    answers: Mapped[dict[str, Any] | None]
    note: Mapped[str | None] = mapped_column(Text)
    complaint: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(60))
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    draft: Mapped[DraftWorkOrder | None] = relationship()


class AuditLog(Base):
    """Append-only: the migration adds triggers that refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = dealer_column(index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))
    field: Mapped[str | None] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class TrainingSession(Base):
    """Issue 13: one role play of a trainee advisor against a simulated customer card
    (training/scenarios.yml). The customer's replies are replayed from the trainee's lines
    and the card's seed; the scorecard is kept when the session is finished."""

    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = dealer_column(index=True)  # the trainee's dealer
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    scenario: Mapped[str] = mapped_column(String(40))
    seed: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    customer_done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    finished_at: Mapped[datetime | None]
    score: Mapped[int | None]
    passed: Mapped[bool | None] = mapped_column(Boolean)
    order_ok: Mapped[bool | None] = mapped_column(Boolean)
    scorecard: Mapped[dict[str, Any] | None]  # training.scorer.Scorecard.as_dict()

    user: Mapped[StaffUser] = relationship()
    lines: Mapped[list[TrainingLine]] = relationship(
        back_populates="session", order_by="TrainingLine.position", cascade="all, delete-orphan"
    )


class TrainingLine(Base):
    """A line of a role play: the trainee's (advisor) or the simulated customer's."""

    __tablename__ = "training_line"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id"), index=True)
    position: Mapped[int]
    speaker: Mapped[str] = mapped_column(String(10))  # advisor | customer
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[TrainingSession] = relationship(back_populates="lines")
