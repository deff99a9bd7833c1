"""Rasa's answers as one WeChat text: buttons become numbered options answered by digit."""
from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

CHOOSE_HINT = "请回复数字选择:"
_DIGITS = re.compile(r"^\s*([0-9０-９]{1,2})\s*[.、。]?\s*$")


def render(messages: Iterable[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The text to send and the buttons it numbers (1-based, across all messages)."""
    parts: list[str] = []
    buttons: list[dict[str, Any]] = []
    for message in messages:
        if message.get("text"):
            parts.append(str(message["text"]))
        offered = [b for b in message.get("buttons") or [] if b.get("title")]
        if offered:
            lines = [CHOOSE_HINT]
            for button in offered:
                buttons.append(button)
                lines.append(f"{len(buttons)}. {button['title']}")
            parts.append("\n".join(lines))
    return "\n\n".join(parts), buttons


def chosen_number(text: str) -> int | None:
    """1 for "1", "１" or "1." — None when the text is not just a number."""
    match = _DIGITS.match(text or "")
    if not match:
        return None
    return int(match.group(1).translate(str.maketrans("０１２３４５６７８９", "0123456789")))


class ButtonMemory:
    """The options last offered to each openid, so a digit answer picks one.

    In memory, per process: bounded in size and age.
    """

    def __init__(self, ttl: float = 24 * 3600, max_entries: int = 10_000, clock=time.monotonic):
        self._offers: OrderedDict[str, tuple[float, list[dict[str, Any]]]] = OrderedDict()
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock

    def remember(self, openid: str, buttons: list[dict[str, Any]]) -> None:
        self._offers.pop(openid, None)
        if buttons:
            self._offers[openid] = (self._clock(), buttons)
            while len(self._offers) > self._max:
                self._offers.popitem(last=False)

    def resolve(self, openid: str, text: str) -> str:
        """The chosen button's payload, or the text itself."""
        number = chosen_number(text)
        offer = self._offers.get(openid)
        if number is None or offer is None:
            return text
        offered_at, buttons = offer
        if self._clock() - offered_at > self._ttl or not 1 <= number <= len(buttons):
            return text
        return str(buttons[number - 1].get("payload") or buttons[number - 1]["title"])
