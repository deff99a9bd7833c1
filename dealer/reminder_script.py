"""The after-booking lines of the booking script (``reminders:`` in
dealer/booking_script.yml): the booking reply's promise, the WeChat reminder, the reply to
退订, and the call list's script lines, results and 回访 questions."""
from __future__ import annotations

from dataclasses import dataclass
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
class ReminderScript:
    promise: dict[str, str]  # wechat | call | opted_out -> what the booking reply promises
    wechat_text: str
    wechat_template: dict[str, str]
    opted_out: str
    calls: dict[str, CallScript]  # reminder | followup


def _call(raw: dict) -> CallScript:
    return CallScript(
        title=raw["title"],
        script=raw["script"],
        results=tuple(CallResult(code, r["label"], r["next"]) for code, r in raw["results"].items()),
        questions=tuple(
            Question(q["key"], q["ask"], tuple(q["answers"]), tuple(q.get("complaint") or ()))
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
    )
