"""Request and response bodies; the Draft shapes mirror the contract's Draft JSON."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from dealer.status import DraftStatus

Role = Literal["advisor", "manager", "admin", "trainee", "trainer", "group_manager"]  # dealer.roles.Role
ServiceTypeCode = Literal["maintenance", "repair", "body_paint", "warranty", "inspection", "other"]


class HealthStatus(BaseModel):
    status: Literal["ok"] = "ok"


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class StaffPublic(BaseModel):
    """A staff account as the admin sees it (never its password hash)."""

    username: str
    role: Role
    advisor: str | None  # the advisor's code (A01) the account books as
    active: bool
    locked_until: dt.datetime | None
    dealer: str | None = None  # issue 14: the code of the account's dealer


class CustomerPublic(BaseModel):
    name: str | None
    phone: str | None = Field(description="11 digits, no spaces or +86")


class VehiclePublic(BaseModel):
    plate: str | None = Field(description="upper case, no spaces, dots or dashes")
    vin: str | None
    model: str | None
    mileage_km: int | None


class BookingPublic(BaseModel):
    service_type: ServiceTypeCode
    start: dt.datetime = Field(description="in the dealer's time zone, e.g. 2026-11-28T15:00:00+08:00")
    advisor: str | None = Field(description="the service advisor's name")
    first_visit: bool | None


class SymptomAnswers(BaseModel):
    """The customer's own words for each of the six interview questions."""

    when: str | None
    where: str | None
    what: str | None
    frequency: str | None
    driving_impact: str | None
    tried: str | None


class FurtherInterviewPublic(SymptomAnswers):
    """One further complaint (还有其他的吗) and its own six-question interview."""

    complaint: str | None = Field(description="the complaint as the customer first said it")
    completeness: int = Field(description="how many of this complaint's six questions have a real answer")


class SymptomsPublic(SymptomAnswers):
    """The six answers for the first complaint; the further complaints and their interviews."""

    complaint: str | None = Field(
        default=None, description="the first complaint as the customer told it (客户陈述) when its phenomenon "
        "(what, 现象) was asked of it; null when it was told in answer to the what question"
    )
    further_complaints: list[str] = Field(
        default_factory=list, description="other complaints given at 还有其他的吗, in the customer's words"
    )
    further_interviews: list[FurtherInterviewPublic] = Field(
        default_factory=list, description="each further complaint's own interview, in further_complaints' order"
    )


class SymptomTags(BaseModel):
    parts: list[str]
    symptoms: list[str]


class PrivacyConsentPublic(BaseModel):
    agreed_at: dt.datetime
    notice_version: str | None


class DraftPublic(BaseModel):
    id: int
    status: DraftStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    channel: str
    conversation_id: str
    customer: CustomerPublic
    vehicle: VehiclePublic
    booking: BookingPublic
    symptoms: SymptomsPublic | None
    repeat_repair: bool | None
    extra_requests: str | None
    # Beyond the contract's minimum: what the advisor pages need.
    last_service: str | None = Field(None, description="the customer's last service, in their words")
    job_description: str | None = Field(
        None, description="what the visit is for in the customer's words, where no interview is run (body work)"
    )
    symptom_completeness: int | None = Field(None, description="how many of the six interview questions were answered")
    symptom_tags: SymptomTags | None = None
    urgent: bool
    needs_human: bool
    conflicts: list[str] = Field(
        default_factory=list,
        description="where this unverified booking disagrees with the customer or vehicle on record (kept, not overwritten)",
    )
    privacy_consent: PrivacyConsentPublic | None = Field(
        None, description="PIPL: when the customer agreed to which privacy notice; null when never asked"
    )
    version: int = Field(description="changes on every edit (optimistic concurrency)")
    dealer: str | None = Field(None, description="issue 14: the code of the dealer the booking is for (demo, pudong)")


class DraftsPublic(BaseModel):
    items: list[DraftPublic]
    total: int


# The database stores 32-bit ids and dates that time zones can shift safely.
MAX_ID = 2**31 - 1
MAX_OFFSET = 1_000_000
MAX_LIMIT = 200
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)


class DraftListQuery(BaseModel):
    """``GET /api/drafts`` filters; an empty value (``?phone=``) means no filter."""

    status: DraftStatus | None = None
    phone: str | None = Field(default=None, max_length=32, description="matched after normalisation")
    plate: str | None = Field(default=None, max_length=32, description="matched after normalisation")
    date: dt.date | None = Field(
        default=None, ge=EARLIEST_DAY, le=LATEST_DAY, description="the booked day, dealer's time zone"
    )
    advisor: str | None = Field(default=None, max_length=40, description="the advisor's name")
    urgent: bool | None = Field(default=None, description="only urgent (true) or only not urgent (false)")
    needs_human: bool | None = Field(default=None, description="the customer asked for a person (转人工)")
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    @field_validator("status", "phone", "plate", "date", "advisor", "urgent", "needs_human", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("phone", "plate", "advisor")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ValueError("control characters are not allowed")
        return value


def _no_control_characters(value: str | None) -> str | None:
    if value is not None and any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


class _Patch(BaseModel):
    """A partial update: only the fields sent are changed; null clears a field."""

    model_config = {"extra": "forbid"}

    def sent(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class CustomerUpdate(_Patch):
    name: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=32)


class VehicleUpdate(_Patch):
    plate: str | None = Field(default=None, max_length=32)
    vin: str | None = Field(default=None, max_length=32)
    model: str | None = Field(default=None, max_length=40)
    mileage_km: int | None = Field(default=None, ge=0, le=MAX_ID)


class BookingUpdate(_Patch):
    service_type: ServiceTypeCode | None = None
    start: dt.datetime | None = Field(default=None, description="a free slot; its capacity is taken atomically")
    advisor: str | None = Field(default=None, max_length=40, description="an active advisor's name")
    first_visit: bool | None = None


class SymptomsUpdate(_Patch):
    when: str | None = Field(default=None, max_length=2000)
    where: str | None = Field(default=None, max_length=2000)
    what: str | None = Field(default=None, max_length=2000)
    frequency: str | None = Field(default=None, max_length=2000)
    driving_impact: str | None = Field(default=None, max_length=2000)
    tried: str | None = Field(default=None, max_length=2000)


class DraftUpdate(_Patch):
    """``PATCH /api/drafts/{id}``: the Draft's shape, every part optional.

    Send ``version`` (from the Draft you loaded) or an ``If-Match`` header: if the
    draft changed in the meantime the answer is 409 and nothing is written.
    """

    version: int | None = Field(default=None, ge=1, le=MAX_ID)
    customer: CustomerUpdate | None = None
    vehicle: VehicleUpdate | None = None
    booking: BookingUpdate | None = None
    symptoms: SymptomsUpdate | None = None
    repeat_repair: bool | None = None
    extra_requests: str | None = Field(default=None, max_length=2000)
    last_service: str | None = Field(default=None, max_length=2000)
    job_description: str | None = Field(default=None, max_length=2000)
    urgent: bool | None = None
    needs_human: bool | None = None

    _text = field_validator("extra_requests", "last_service", "job_description")(_no_control_characters)


class ApproveRequest(BaseModel):
    version: int | None = Field(default=None, ge=1, le=MAX_ID)


class RejectRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="shown to the advisors, kept in the audit log")
    version: int | None = Field(default=None, ge=1, le=MAX_ID)

    _text = field_validator("reason")(_no_control_characters)


class AuditEntry(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None


class AppointmentPublic(BaseModel):
    id: int
    draft_id: int
    start: dt.datetime
    advisor: str | None
    status: str
    customer: CustomerPublic
    vehicle: VehiclePublic
    service_type: ServiceTypeCode


class AppointmentsPublic(BaseModel):
    date: dt.date
    items: list[AppointmentPublic]


class SlotOccupancy(BaseModel):
    start: dt.datetime
    capacity: int
    booked: int
    free: int


class PlannedBooking(BaseModel):
    draft_id: int
    start: dt.datetime
    status: DraftStatus
    service_type: ServiceTypeCode
    customer_name: str | None
    plate: str | None


class AdvisorPlan(BaseModel):
    advisor: str | None = Field(description="null: bookings without an advisor yet")
    bookings: list[PlannedBooking]


class CapacityPlan(BaseModel):
    date: dt.date
    slots: list[SlotOccupancy]
    advisors: list[AdvisorPlan]


class DayQuery(BaseModel):
    date: dt.date = Field(ge=EARLIEST_DAY, le=LATEST_DAY, description="a day in the dealer's time zone")
