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
