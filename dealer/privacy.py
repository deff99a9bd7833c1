"""Phone numbers masked where they are not needed in full: lists and logs."""
from __future__ import annotations

import logging
import re

# A mainland mobile number inside any text, not part of a longer digit run.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_phone(phone: str | None) -> str:
    """138****5678; anything that is not a mobile number is left as it is."""
    if not phone:
        return ""
    return _PHONE_IN_TEXT.sub(r"\1****\3", phone)


class PhoneMaskingFilter(logging.Filter):
    """Masks mobile numbers in every record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phone(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_phones_in_logs(*logger_names: str) -> None:
    """Install the filter on the handlers of the root logger and the named loggers."""
    phone_filter = PhoneMaskingFilter()
    for name in ("", *logger_names):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, PhoneMaskingFilter) for f in handler.filters):
                handler.addFilter(phone_filter)
