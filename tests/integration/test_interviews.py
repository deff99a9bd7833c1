"""Symptom interviews (Chery steps 5-6) through the REST channel against the real processes.

The cases live in interviews.yml. The driver answers whatever the assistant actually
asks next (recognised by distinctive words of the utter_ask_* texts in domain.yml),
so the number of turns follows what the opening already answered. A case fails when
an unexpected question is asked, a question is asked twice, or the draft's six
symptom fields differ from the expected ones. The summary test prints the fraction
of interviews with all six fields right (target: at least 0.9) and per-turn latency.
"""
from __future__ import annotations

import re
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from dealer.symptoms import QUESTIONS

CASES_FILE = Path(__file__).with_name("interviews.yml")
SPEC = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
DEFAULTS = SPEC["defaults"]
CASES = [{**DEFAULTS, **case} for case in SPEC["cases"]]
TARGET = 0.9
RESCUE_PHONE = "400-820-6699"
DANGER_WORDS = "不要继续驾驶"
MAX_TURNS = 30

# (question key, distinctive words of its utter_ask_* text). Checked in this order,
# on the assistant's text with the quoted customer words (“...”) removed.
QUESTION_MARKERS: tuple[tuple[str, str], ...] = (
    ("appointment_time", "哪天、几点"),
    ("service_type", "想做什么项目"),
    ("customer_name", "贵姓"),
    ("phone", "手机号码是多少"),
    ("first_visit", "之前来我们店"),
    ("plate", "车牌号是多少"),
    ("car_model", "什么车型"),
    ("mileage", "行驶了多少公里"),
    ("last_service", "上次保养或维修"),
    ("extra_requests", "其他需要我们一起处理"),
    ("what", "具体出现了什么问题"),
    ("when", "从什么时候开始"),
    ("where", "在什么情况下出现"),
    ("frequency", "多久出现一次"),
    ("driving_impact", "对驾驶有影响"),
    ("tried", "有没有处理过"),
    ("more", "还有其他的问题"),
    ("repeat_repair", "之前在我们店修过"),
    ("booking_confirmed", "以上信息是否正确"),
)
# Where each case's answer for a question comes from.
FACT_KEYS = {
    "customer_name": "name",
    "phone": "phone",
    "first_visit": "first_visit",
    "plate": "plate",
    "car_model": "car_model",
    "mileage": "mileage",
    "last_service": "last_service",
    "extra_requests": "extra_requests",
    "repeat_repair": "repeat_repair",
    "booking_confirmed": "confirm",
}
DONE_MARKER = "预约成功"


@dataclass
class Outcome:
    case_id: str
    fields_right: bool = False
    problems: list[str] = field(default_factory=list)


OUTCOMES: dict[str, Outcome] = {}
LATENCIES: list[float] = []


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def question_asked(reply: str) -> str | None:
    """The question the assistant's reply ends with (the last one recognised)."""
    plain = re.sub(r"“[^”]*”", "", reply)
    found = [(plain.rfind(marker), key) for key, marker in QUESTION_MARKERS if marker in plain]
    return max(found)[1] if found else None


def answer_for(case: dict, question: str) -> str | None:
    if question in QUESTIONS:
        return case["answers"].get(question)
    if question == "service_type":
        return case.get("service_type")
    if question == "more":  # 还有其他的吗
        return case.get("more", "没有了")
    key = FACT_KEYS.get(question)
    return None if key is None else case.get(key)


def run_interview(system, case: dict) -> tuple[list[str], list[str], str]:
    """Drives one conversation; returns (problems, interview questions asked, transcript)."""
    sender = f"iv-{case['id']}-{uuid.uuid4().hex[:6]}"
    problems: list[str] = []
    asked: list[str] = []
    seen: set[str] = set()
    transcript: list[str] = []

    def say(text: str) -> str:
        start = time.perf_counter()
        replies = system.say(sender, text)
        LATENCIES.append(time.perf_counter() - start)
        reply = texts(replies)
        transcript.append(f"  客户: {text}\n  助手: {reply}")
        return reply

    reply = say(case["opening"])
    all_replies = [reply]
    for _ in range(MAX_TURNS):
        if DONE_MARKER in reply:
            break
        question = question_asked(reply)
        if question is None:
            problems.append(f"no recognisable question in reply: {reply!r}")
            break
        if question in seen:
            problems.append(f"question asked twice: {question}")
            break
        seen.add(question)
        if question in QUESTIONS:
            asked.append(question)
        answer = answer_for(case, question)
        if answer is None:
            problems.append(f"unexpected question: {question} ({reply!r})")
            break
        reply = say(answer)
        all_replies.append(reply)
    else:
        problems.append(f"no booking after {MAX_TURNS} turns")

    if case.get("danger"):
        if not any(RESCUE_PHONE in r and DANGER_WORDS in r for r in all_replies):
            problems.append("danger case: no reply with the rescue number and the do-not-drive advice")
    elif any(RESCUE_PHONE in r for r in all_replies):
        problems.append("not a danger case, but the rescue number was given")
    if asked != case["asked"]:
        problems.append(f"interview questions asked {asked}, expected {case['asked']}")
    return problems, asked, "\n".join(transcript)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_interview(running_system, case):
    outcome = Outcome(case["id"])
    OUTCOMES[case["id"]] = outcome
    problems, _, transcript = run_interview(running_system, case)

    with running_system.api() as api:
        listing = api.get("/api/drafts", params={"phone": case["phone"]}).json()
    drafts = listing["items"]
    if len(drafts) != 1:
        problems.append(f"{len(drafts)} drafts for {case['phone']}, expected 1")
    else:
        [draft] = drafts
        if draft["vehicle"]["plate"] != case["plate"]:
            problems.append(f"plate {draft['vehicle']['plate']}, expected {case['plate']}")
        if draft["booking"]["service_type"] not in ("repair", "warranty", "inspection"):
            problems.append(f"service type {draft['booking']['service_type']}")
        got = draft["symptoms"] or {}
        mismatches = [
            f"{q}: got {got.get(q)!r}, expected {case['expect'][q]!r}"
            for q in QUESTIONS
            if got.get(q) != case["expect"][q]
        ]
        outcome.fields_right = not mismatches
        problems.extend(f"symptom field {m}" for m in mismatches)
        if draft["urgent"] is not bool(case.get("danger")):
            problems.append(f"urgent={draft['urgent']}, expected {bool(case.get('danger'))}")

    outcome.problems = problems
    status = "OK  " if not problems else "FAIL"
    print(f"\n[{status}] {case['id']}" + "".join(f"\n    - {p}" for p in problems))
    assert not problems, "\n".join(problems) + "\n" + transcript


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def test_interview_accuracy_and_latency():
    """Runs after the parametrized cases (file order): the issue's target and turn latency."""
    if len(OUTCOMES) < len(CASES):
        pytest.skip(f"only {len(OUTCOMES)} of {len(CASES)} interviews ran")
    right = sum(o.fields_right for o in OUTCOMES.values())
    fraction = right / len(CASES)
    print(f"\ninterviews with all six symptom fields as expected: {right}/{len(CASES)} = {fraction:.2f}")
    for outcome in OUTCOMES.values():
        if outcome.problems:
            print(f"  {outcome.case_id}: " + "; ".join(outcome.problems))
    print(
        f"turn latency over {len(LATENCIES)} turns: p50 {statistics.median(LATENCIES) * 1000:.0f} ms, "
        f"p95 {percentile(LATENCIES, 0.95) * 1000:.0f} ms, max {max(LATENCIES) * 1000:.0f} ms"
    )
    assert fraction >= TARGET, f"{fraction:.2f} of interviews fully right, target {TARGET}"
