"""Request and response bodies; the Draft shapes mirror the contract's Draft JSON."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

Role = Literal["advisor", "manager", "admin"]
DraftStatus = Literal["draft", "approved", "rejected", "cancelled"]
ServiceTypeCode = Literal["maintenance", "repair", "body_paint", "warranty", "inspection", "other"]


class HealthStatus(BaseModel):
    status: Literal["ok"] = "ok"


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


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


class SymptomsPublic(BaseModel):
    """The customer's own words for each of the six interview questions."""

    when: str | None
    where: str | None
    what: str | None
    frequency: str | None
    driving_impact: str | None
    tried: str | None
    further_complaints: list[str] = Field(
        default_factory=list, description="other complaints given at 还有其他的吗, in the customer's words"
    )


class SymptomTags(BaseModel):
    parts: list[str]
    symptoms: list[str]


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
    symptom_completeness: int | None = Field(None, description="how many of the six interview questions were answered")
    symptom_tags: SymptomTags | None = None
    urgent: bool
    needs_human: bool
    version: int = Field(description="changes on every edit (optimistic concurrency)")


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
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    @field_validator("status", "phone", "plate", "date", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("phone", "plate")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ValueError("control characters are not allowed")
        return value
