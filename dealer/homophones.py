"""Service words typed with a homophone (保样 for 保养, 维秀 for 维修): a pinyin IME slip.

A window of the text matches a word when both read the same in toneless pinyin and the
first characters are equal (保样/保养), or the first differs and the rest is the same and
no filler (宝养/保养), so a word with another meaning that only sounds alike (挂了 / 刮了)
is not taken for it.
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def _reading(text: str) -> tuple[str, ...]:
    # Imported at the first reading: the bot runtime reads the catalogue too and has no
    # pypinyin, and the action server loads it before serving (actions/server.py).
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(text, errors=lambda chars: list(chars)))


def sounds_in(word: str, text: str) -> bool:
    """A homophone of the word (two or more Chinese characters) is typed in the text."""
    # A window is the word's stem (_same_stem) only where the text holds the word's first
    # character or the rest of it: most texts hold neither, and no window need be read.
    if word[:1] not in text and word[1:] not in text:
        return False
    if len(word) < 2 or not all("\u4e00" <= ch <= "\u9fff" for ch in word):
        return False
    wanted = _reading(word)
    for start in range(len(text) - len(word) + 1):
        window = text[start:start + len(word)]
        if window != word and _same_stem(window, word) and _reading(window) == wanted:
            return True
    return False


# Characters too common to tell two words apart: 挂了 sounds like 刮了 and shares only 了.
_FILLERS = set("了的子着过吗呢吧啊个一下")


def _same_stem(window: str, word: str) -> bool:
    """The first characters are equal (保样/保养), or every other one is and is no filler
    (宝养/保养; not 挂了/刮了)."""
    if window[0] == word[0]:
        return True
    rest = word[1:]
    return window[1:] == rest and not set(rest) <= _FILLERS
