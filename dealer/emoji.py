"""Emoji in chat messages: pictures beside the words, except a gesture sent on its own (👌,
👍), which is the answer itself; booking_script.yml's standard_words say what each means."""
from __future__ import annotations

import re

# Pictographs, dingbats and symbols, with their joiners, skin tones, keycaps and tags.
EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\uFE0E\uFE0F\u200D\u20E3\U000E0020-\U000E007F]"
)


def without_emoji(text: str) -> str:
    """The text with each emoji character as a space: positions (entities) stay where they were."""
    return EMOJI.sub(" ", text)


def only_emoji(text: str) -> bool:
    """A message of emoji alone (👌 / 👍👍), nothing else to read."""
    return bool(EMOJI.search(text)) and not without_emoji(text).strip()
