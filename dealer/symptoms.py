"""The pre-arrival symptom interview (Chery steps 5-6): reading a complaint.

The customer's own words are kept; this module only decides which of the six
questions a sentence already answers, reads the customer's reply to the restated
complaint (agreement or a correction), finds danger signs, tags parts and
symptom types, and scores completeness. Word lists live in
data/entity_patterns/ (the same files the spaCy entity_ruler is built from).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dealer.script import NOT_GIVEN, load_script
from dealer.settings import REPO_ROOT

PATTERN_DIR = REPO_ROOT / "data" / "entity_patterns"
QUESTIONS = ("when", "where", "what", "frequency", "driving_impact", "tried")

# Words that show a clause answers a question; the rest of the clause is kept as said.
WHEN_WORDS = ("最近", "这几天", "前几天", "昨天", "今天", "上周", "上个月", "开始", "以来", "一周", "几天", "一个月", "刚才", "早上", "之后", "以后",
              "一个星期", "两个星期", "星期了", "半个月", "个月了", "半年", "天了")
WHERE_WORDS = ("的时候", "时候", "高速", "颠簸", "冷车", "热车", "起步", "转弯", "倒车", "怠速", "加速", "减速", "下雨", "坑", "左前", "右前", "左后", "右后", "前面", "后面")
FREQUENCY_WORDS = ("每次", "经常", "偶尔", "一直", "总是", "有时候", "有时", "天天", "每天", "时不时", "一次", "几次", "老是")
IMPACT_WORDS = ("不敢开", "影响", "能开", "不能开", "开不了", "没法开", "不影响", "还能开", "正常开")
TRIED_WORDS = ("试过", "换过", "加过", "修过", "检查过", "看过", "重启", "自己", "洗车")


def _lines(name: str) -> tuple[str, ...]:
    text = (PATTERN_DIR / name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class Vocabulary:
    parts: tuple[str, ...]
    symptoms: tuple[str, ...]
    danger: tuple[str, ...]
    not_danger: tuple[str, ...]  # phrases that contain a danger word but are harmless


@lru_cache
def vocabulary(pattern_dir: Path = PATTERN_DIR) -> Vocabulary:
    danger_file = _lines("danger.txt")
    return Vocabulary(
        parts=_lines("parts.txt"),
        symptoms=_lines("symptoms.txt"),
        danger=tuple(w for w in danger_file if not w.startswith("!")),
        not_danger=tuple(w[1:] for w in danger_file if w.startswith("!")),
    )


def clauses(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"[,,。;;!!??\n]", text) if c.strip()]


def _matching(parts: list[str], words: tuple[str, ...]) -> str | None:
    found = [c for c in parts if any(w in c for w in words)]
    return ",".join(found) if found else None


def answers_in(text: str) -> dict[str, str]:
    """Which of the six questions this text already answers, in the customer's words."""
    vocab = vocabulary()
    parts = clauses(text)
    found = {
        "what": _matching(parts, vocab.symptoms + vocab.danger),
        "when": _matching(parts, WHEN_WORDS),
        "where": _matching(parts, WHERE_WORDS + vocab.parts),
        "frequency": _matching(parts, FREQUENCY_WORDS),
        "driving_impact": _matching(parts, IMPACT_WORDS),
        "tried": _matching(parts, TRIED_WORDS),
    }
    return {question: words for question, words in found.items() if words}


def is_dangerous(text: str) -> bool:
    vocab = vocabulary()
    for harmless in vocab.not_danger:
        text = text.replace(harmless, "")
    return any(sign in text for sign in vocab.danger)


def tags(text: str) -> dict[str, list[str]]:
    """Part and symptom types named in the text, for advisors to filter and count."""
    vocab = vocabulary()
    return {
        "parts": sorted({p for p in vocab.parts if p in text}),
        "symptoms": sorted({s for s in vocab.symptoms + vocab.danger if s in text}),
    }


def completeness(symptoms: dict[str, object] | None) -> int:
    """How many of the six questions have a real answer (不清楚 does not count)."""
    if not symptoms:
        return 0
    script = load_script()
    return sum(
        1
        for q in QUESTIONS
        if symptoms.get(q) not in (None, "", NOT_GIVEN) and not script.means_no_answer(str(symptoms[q]))
    )


@dataclass(frozen=True)
class RestatementReply:
    """The customer's reply to the restated complaint (您反映的问题是“…”,这样对吗?)."""

    agrees: bool | None  # True: 对/是的; False: 不是/不对; None: neither word
    correction: str | None  # the complaint in the customer's corrected words, if they gave any


def _without_prefix(text: str, words: tuple[str, ...]) -> str:
    for word in sorted(words, key=len, reverse=True):
        if text.startswith(word):
            return text[len(word):]
    return text


def read_restatement_reply(text: str) -> RestatementReply:
    """对 / 不是,是方向盘抖 / 不是异响,是抖动 / 方向盘抖动 (a plain restatement) / 不对."""
    script = load_script()
    if text.startswith("/"):
        return RestatementReply(agrees=None, correction=None)  # a button payload: its intent decides
    yes_words, no_words = script.yes_no_words["symptom_confirmed"]
    parts = clauses(text)
    joined = "".join(parts)
    denies = any(word in joined for word in no_words)
    if not denies and any(word in joined for word in yes_words) and not answers_in(text).get("what"):
        return RestatementReply(agrees=True, correction=None)
    if denies and parts:
        parts[0] = _without_prefix(parts[0], no_words)
    # 不是X,是Y: the correction starts at the clause introduced by 是/应该是 ...
    later = [i for i, part in enumerate(parts) if i > 0 and _without_prefix(part, script.correction_lead_ins) != part]
    if denies and later:
        parts = parts[later[0]:]
    if parts:
        parts[0] = _without_prefix(parts[0].lstrip(",,"), script.correction_lead_ins)
    words = ",".join(p.strip() for p in parts if p.strip())
    vague = words.startswith(("这", "那")) and not answers_in(words).get("what")
    if len(words) < 2 or vague or script.means_no_answer(words):
        words = ""
    return RestatementReply(agrees=False if denies else None, correction=words or None)


def further_complaint(text: str) -> str:
    """A further complaint without its lead-in (有,空调不凉 / 还有空调不制冷 → 空调不制冷)."""
    script = load_script()
    yes_words, _ = script.yes_no_words["symptom_more"]
    parts = clauses(text)
    if parts and parts[0] in yes_words:
        parts = parts[1:]
    if parts:
        parts[0] = _without_prefix(parts[0], script.complaint_lead_ins).lstrip(",,")
    return ",".join(p for p in parts if p)


def names_a_problem(text: str) -> bool:
    """A symptom or a part is named (空调也不太凉): not a vague answer."""
    return bool(answers_in(text).get("what")) or any(part in text for part in vocabulary().parts)


def symptom_text(symptoms: dict[str, Any] | None) -> str:
    """Every complaint's words in a draft's symptoms (the first and each further interview)."""
    if not symptoms:
        return ""
    words: list[Any] = [symptoms.get(q) for q in QUESTIONS]
    for interview in symptoms.get("further_interviews") or []:
        words += [interview.get("complaint"), *(interview.get(q) for q in QUESTIONS)]
    if not symptoms.get("further_interviews"):
        words += symptoms.get("further_complaints") or []
    return " ".join(str(w) for w in words if w and w != NOT_GIVEN)


def symptom_tags(symptoms: dict[str, Any] | None) -> dict[str, list[str]] | None:
    """Part and symptom tags over all complaints of a draft (None without an interview)."""
    return tags(symptom_text(symptoms)) if symptoms else None
