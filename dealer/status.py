"""A draft work order's statuses: one enum for the services, the API schemas and the labels."""
from __future__ import annotations

from enum import StrEnum


class DraftStatus(StrEnum):
    draft = "draft"  # written by the assistant, waiting for an advisor
    approved = "approved"  # an appointment
    rejected = "rejected"  # by an advisor, with a reason; the slot is freed
    cancelled = "cancelled"  # by the customer; the slot is freed


# Bookings that hold slot capacity and an advisor's time.
LIVE_STATUSES = (DraftStatus.draft, DraftStatus.approved)


class AppointmentStatus(StrEnum):
    """An appointment's life after approval (dealer/services/appointments.py moves it)."""

    confirmed = "confirmed"  # 已预约: approved, the customer is expected
    arrived = "arrived"  # 已到店: received at the desk
    in_service = "in_service"  # 维修中: in the workshop
    delivered = "delivered"  # 已交车: handed back to the customer
    no_show = "no_show"  # 未到店: not come by the start plus the dealer's grace
    cancelled = "cancelled"  # by the customer (the booking's slot is freed)
