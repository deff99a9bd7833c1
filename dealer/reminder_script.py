"""The after-booking lines of the booking script (``reminders:`` in
dealer/booking_script.yml): the booking reply's promise, the WeChat reminder, the reply to
退订, the call list's script lines, results and 回访 questions, and the WeChat 回访 survey."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from dealer.script import SCRIPT_PATH


@dataclass(frozen=True)
class CallResult:
    code: str
    label: str  # 确认 / 改期 / 取消 / 未接通
    next: str  # the next action the advisor is told


@dataclass(frozen=True)
class Question:
    key: str
    ask: str
    answers: tuple[str, ...]
    complaint: tuple[str, ...]  # answers that make the 回访 a complaint for the manager
    scores: dict[str, str] = field(default_factory=dict)  # the WeChat survey's "1".."5" -> an answer

    def meaning(self, answer: str | None) -> str | None:
        """The answer a given one stands for (a survey's score stands for 满意/一般/不满意)."""
        return self.scores.get(answer, answer) if answer is not None else None

    def accepts(self, answer: str) -> bool:
        return answer in self.answers or answer in self.scores

    def complains(self, answer: str | None) -> bool:
        return self.meaning(answer) in self.complaint


@dataclass(frozen=True)
class CallScript:
    title: str
    script: str
    results: tuple[CallResult, ...]
    questions: tuple[Question, ...] = ()
    comment: str = ""
    complaint_next: str = ""

    def result(self, code: str) -> CallResult:
        for result in self.results:
            if result.code == code:
                return result
        raise KeyError(code)


@dataclass(frozen=True)
class SurveyScript:
    """The 回访 of a WeChat customer, a conversation asking the 回访 call's questions."""

    intro: str  # {delivered} {dealer} {service}
    score_hint: str  # after the satisfaction question: the 1–5 scale
    words: dict[str, dict[str, tuple[str, ...]]]  # question key -> answer -> the customer's words for it
    no_comment: tuple[str, ...]
    complaint_words: tuple[str, ...]
    unclear: str
    thanks: str
    complaint_thanks: str
    failed: str  # {dealer_phone}: the answers could not be stored


@dataclass(frozen=True)
class ReminderScript:
    promise: dict[str, str]  # wechat | call | opted_out -> what the booking reply promises
    wechat_text: str
    wechat_template: dict[str, str]
    opted_out: str
    calls: dict[str, CallScript]  # reminder | followup
    survey: SurveyScript


def _call(raw: dict) -> CallScript:
    return CallScript(
        title=raw["title"],
        script=raw["script"],
        results=tuple(CallResult(code, r["label"], r["next"]) for code, r in raw["results"].items()),
        questions=tuple(
            Question(q["key"], q["ask"], tuple(q["answers"]), tuple(q.get("complaint") or ()),
                     {str(score): answer for score, answer in (q.get("scores") or {}).items()})
            for q in raw.get("questions", ())
        ),
        comment=raw.get("comment", ""),
        complaint_next=raw.get("complaint_next", ""),
    )


@lru_cache
def load_reminder_script(path: Path = SCRIPT_PATH) -> ReminderScript:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["reminders"]
    return ReminderScript(
        promise=dict(raw["promise"]),
        wechat_text=raw["wechat_text"],
        wechat_template=dict(raw["wechat_template"]),
        opted_out=raw["opted_out"],
        calls={kind: _call(call) for kind, call in raw["calls"].items()},
        survey=_survey(raw["survey"]),
    )


def _survey(raw: dict) -> SurveyScript:
    return SurveyScript(
        intro=raw["intro"],
        score_hint=raw["score_hint"],
        words={key: {str(answer): tuple(said) for answer, said in answers.items()}
               for key, answers in raw["words"].items()},
        no_comment=tuple(raw["no_comment"]),
        complaint_words=tuple(raw["complaint_words"]),
        unclear=raw["unclear"],
        thanks=raw["thanks"],
        complaint_thanks=raw["complaint_thanks"],
        failed=raw["failed"],
    )
