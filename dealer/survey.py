"""The WeChat 回访 survey's answers read from the customer's words (issue 12).

The survey asks the 回访 call's questions (``reminders.calls.followup.questions`` in
dealer/booking_script.yml), the satisfaction one as a score 1–5; the customer answers by a
button (its number on WeChat) or in words. Each reply is read here into the answer the
call's form would have logged (``followups.record_survey`` stores it the way ``log_call``
does): a score "1".."5", 解决了 / 没有解决 / 不适用, 解释了 / 没有解释, a free comment.
"""
from __future__ import annotations

import re
import unicodedata

from dealer.reminder_script import Question, SurveyScript, load_reminder_script
from dealer.tasks import TaskKind

SATISFACTION = "satisfied"
COMMENT = "comment"
_SCORE = re.compile(r"^\s*([1-5])\s*(分|星)?\s*[.。!！]?\s*$")


def questions() -> tuple[Question, ...]:
    return load_reminder_script().calls[TaskKind.followup].questions


def script() -> SurveyScript:
    return load_reminder_script().survey


def question(key: str) -> Question:
    return next(q for q in questions() if q.key == key)


def ask_text(key: str) -> str:
    """What the survey asks for ``key``: the 回访 call's question (the score's scale added)."""
    if key == COMMENT:
        return load_reminder_script().calls[TaskKind.followup].comment
    text = question(key).ask
    return f"{text}{script().score_hint}" if key == SATISFACTION else text


def choices(key: str) -> list[str]:
    """The buttons offered: the scores 1..5 (so that a digit on WeChat is the score itself),
    else the call's answers; none for the comment."""
    if key == COMMENT:
        return []
    if key == SATISFACTION:
        return [f"{score}分" for score in sorted(question(key).scores, key=int)]
    return list(question(key).answers)


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def read_answer(key: str, text: str) -> str | None:
    """The answer the words stand for; None when they say none of them. The longest word
    found wins, so 没修好 is not read as 修好 and 不满意 not as 满意."""
    said = _normal(text)
    if not said:
        return None
    if key == SATISFACTION:  # always a score, as the CSI figures read it
        if match := _SCORE.match(said):
            return match.group(1)
    elif said in question(key).answers:
        return said
    found = [(len(word), answer) for answer, words in script().words.get(key, {}).items()
             for word in (answer, *words) if word in said]
    return max(found)[1] if found else None


def read_comment(text: str) -> str | None:
    """The free comment; None for 没有 and its like."""
    said = _normal(text).rstrip("。.!！~")
    return None if not said or said in script().no_comment else said


def comment_complains(comment: str | None) -> bool:
    """A comment with a complaint word (投诉, 乱收费 ...) flags the 回访 for the manager."""
    return bool(comment) and any(word in comment for word in script().complaint_words)
