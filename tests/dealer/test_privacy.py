from __future__ import annotations

import logging

import pytest

from dealer.privacy import PhoneMaskingFilter, mask_phone


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("13812345678", "138****5678"),
        ("客户 13812345678 说", "客户 138****5678 说"),
        ("GET /api/drafts?phone=19912345678 200", "GET /api/drafts?phone=199****5678 200"),
        ("订单号 213812345678901", "订单号 213812345678901"),  # part of a longer number: left alone
        ("12345678901", "12345678901"),  # not a mobile number
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(text: str | None, masked: str) -> None:
    assert mask_phone(text) == masked


def test_log_records_are_masked_with_their_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.privacy")
    caplog.handler.addFilter(PhoneMaskingFilter())
    with caplog.at_level(logging.INFO, logger="test.privacy"):
        logger.info("booking for %s at %s", "13812345678", "15:00")
    assert caplog.messages == ["booking for 138****5678 at 15:00"]
