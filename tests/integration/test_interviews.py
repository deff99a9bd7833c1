"""Symptom interviews (Chery steps 5-6) through the REST channel against the real processes.

The cases live in interviews.yml. The driver answers whatever the assistant actually
asks next (recognised by distinctive words of the utter_ask_* texts in domain.yml),
so the number of turns follows what the opening already answered. Each complaint has
its own interview: the first one's answers are the case's `answers`, each further
complaint's (told at 还有其他的吗) are in `further`. A case fails when an unexpected
question is asked, a question is asked twice within one complaint's interview, a
restatement is asked more often than the case has replies for, or the draft's symptom
fields (the six of the first complaint, and each further interview's six) differ from
the expected ones. A `handover_at` case says 转人工 when that question comes and checks
the draft left for the advisor. The summary test prints the fraction of interviews with
all six fields right for every complaint (target: at least 0.9) and per-turn latency.
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

from dealer.script import load_script
from dealer.symptoms import QUESTIONS

SCRIPT = load_script()

CASES_FILE = Path(__file__).with_name("interviews.yml")
SPEC = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
DEFAULTS = SPEC["defaults"]
CASES = [{**DEFAULTS, **case} for case in SPEC["cases"]]
TARGET = 0.9
RESCUE_PHONE = "400-820-6699"
DANGER_WORDS = "不要继续驾驶"
MAX_TURNS = 36  # three complaints of six questions each, the facts and the read-back

# (question key, distinctive words of its utter_ask_* text). Checked in this order,
# on the assistant's text with the quoted customer words (“...”) removed.
QUESTION_MARKERS: tuple[tuple[str, str], ...] = (
    ("appointment_time", "哪天、几点"),
    ("service_type", "想做什么项目"),
    # a repair booked from a told fault: still under warranty? (actions/warranty_check.py)
    ("warranty", "质保期内吗"),
    ("privacy_consent", "请问您同意吗"),
    ("customer_name", "贵姓"),
    ("phone", "手机号码是多少"),
    ("first_visit", "之前来我们店"),
    ("plate", "车牌号是多少"),
    ("vin", "车架号(VIN码)是多少"),
    ("car_model", "什么车型"),
    ("mileage", "行驶了多少公里"),
    ("last_service", "上次保养或维修"),
    ("extra_requests", "其他需要我们一起处理"),
    ("what", "具体出现了什么问题"),
    ("what", "能再具体说说"),  # the one follow-up to a vague complaint
    # Chery step 6: the phenomenon of the complaint the opening told, asked before the others
    ("phenomenon", "当时是什么现象"),
    # what a noise sounds like (which light, what smell) when the complaint leaves it out
    ("detail", "什么样的声音"),
    ("detail", "哪个灯亮了"),
    ("detail", "什么样的味道"),
    ("when", "从什么时候开始"),
    ("where", "在什么情况下出现"),
    ("frequency", "多久出现一次"),
    ("driving_impact", "对驾驶有影响"),
    ("tried", "有没有处理过"),
    ("confirm_complaint", "这样对吗"),
    ("complaint_words", "我重新记录"),
    ("more", "还有其他的问题"),
    ("repeat_repair", "之前在我们店修过"),
    ("booking_confirmed", "以上信息是否正确"),
    ("callback_phone", "方便服务顾问给您回电"),
)
# Asked again within one complaint's interview by design: answered from a list of replies.
RESTATEMENT_QUESTIONS = ("confirm_complaint", "complaint_words")
HANDED_OVER_MARKER = "已为您转接人工服务顾问"
# The next problem told with the first (told_with_opening) is interviewed without 还有其他的吗.
NEXT_COMPLAINT_MARKER = "还提到了另一个问题"
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
    fields_right: bool = False  # all six fields right for every complaint of the case
    complaints: int = 0  # complaints interviewed (the first plus further ones)
    complaints_right: int = 0
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


def complaint_specs(case: dict) -> list[dict]:
    """The first complaint (the case's own fields) and each further one, in order."""
    first = {"answers": case["answers"], "asked": case["asked"], "expect": case["expect"],
             "confirm": case.get("confirm_complaint", ["对的"])}
    further = [{"confirm": ["对的"], **spec} for spec in case.get("further", [])]
    return [first, *further]


def answer_for(case: dict, specs: list[dict], index: int, question: str, replies_used: dict) -> str | None:
    spec = specs[index]
    if question in QUESTIONS:
        return spec["answers"].get(question)
    if question == "detail":  # the complaint stays as told unless the case describes it
        return spec["answers"].get("detail", "说不上来")
    if question == "phenomenon":  # the complaint stays as told unless the case describes it
        return spec["answers"].get("phenomenon", "就是刚才说的那样")
    if question in RESTATEMENT_QUESTIONS:
        replies = spec["confirm"]
        used = replies_used.get(index, 0)
        replies_used[index] = used + 1
        return replies[used] if used < len(replies) else None
    if question == "service_type":
        return case.get("service_type")
    if question == "warranty":
        return case.get("warranty", "不清楚")
    if question == "more":  # 还有其他的吗: the next complaint, or none
        told = index + 1 < len(specs) and not specs[index + 1].get("told_with_opening")
        return specs[index + 1]["complaint"] if told else case.get("more", "没有了")
    if question == "callback_phone":
        return case["phone"]
    if question == "privacy_consent":
        return case.get("privacy_consent", "同意")
    if question == "vin":  # optional: 不记得 leaves it to the advisor
        return case.get("vin", "不记得了")
    key = FACT_KEYS.get(question)
    return None if key is None else case.get(key)


def run_interview(system, case: dict) -> tuple[list[str], list[list[str]], str]:
    """Drives one conversation; returns (problems, interview questions asked per complaint, transcript)."""
    sender = f"iv-{case['id']}-{uuid.uuid4().hex[:6]}"
    specs = complaint_specs(case)
    problems: list[str] = []
    asked: list[list[str]] = [[]]
    seen: set[str] = set()
    replies_used: dict[int, int] = {}
    transcript: list[str] = []
    handed_over = False

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
        if DONE_MARKER in reply or (handed_over and HANDED_OVER_MARKER in reply):
            break
        if NEXT_COMPLAINT_MARKER in reply and len(asked) < len(specs):
            asked.append([])  # the next complaint's own interview
            seen = set()
        question = question_asked(reply)
        if question is None:
            problems.append(f"no recognisable question in reply: {reply!r}")
            break
        index = len(asked) - 1
        if question in seen and question not in RESTATEMENT_QUESTIONS:
            problems.append(f"question asked twice: {question} (complaint {index + 1})")
            break
        seen.add(question)
        if question in QUESTIONS:
            asked[index].append(question)
        if case.get("handover_at") == question and not handed_over:
            handed_over = True
            reply = say("转人工")
            all_replies.append(reply)
            continue
        answer = answer_for(case, specs, index, question, replies_used)
        if answer is None:
            problems.append(f"unexpected question: {question} ({reply!r})")
            break
        if question == "more" and index + 1 < len(specs) and not specs[index + 1].get("told_with_opening"):
            asked.append([])  # the next complaint's own interview
            seen = set()
        reply = say(answer)
        all_replies.append(reply)
    else:
        problems.append(f"no booking after {MAX_TURNS} turns")

    if case.get("handover_at") and not any(HANDED_OVER_MARKER in r for r in all_replies):
        problems.append("handover case: never handed over")
    if case.get("danger"):
        if not any(RESCUE_PHONE in r and DANGER_WORDS in r for r in all_replies):
            problems.append("danger case: no reply with the rescue number and the do-not-drive advice")
    elif any(RESCUE_PHONE in r for r in all_replies):
        problems.append("not a danger case, but the rescue number was given")
    for number, (spec, questions) in enumerate(zip(specs, asked), start=1):
        if questions != spec["asked"]:
            problems.append(f"complaint {number}: interview questions asked {questions}, expected {spec['asked']}")
    if len(asked) != len(specs) and not case.get("handover_at"):
        problems.append(f"{len(asked)} complaints interviewed, expected {len(specs)}")
    for number, spec in enumerate(specs, start=1):
        if replies_used.get(number - 1, 0) != len(spec["confirm"]) and not case.get("handover_at"):
            problems.append(
                f"complaint {number}: restated {replies_used.get(number - 1, 0)} times, expected {len(spec['confirm'])}"
            )
    return problems, asked, "\n".join(transcript)


def stored(question: str, words: object) -> object:
    """What the draft holds for an answer: one that says only 不清楚 / 说不上来 is not given
    (null); the complaint (what) stays as told."""
    return None if question != "what" and isinstance(words, str) and SCRIPT.only_unknown(words) else words


def symptom_mismatches(got: dict, expect: dict) -> list[str]:
    return [
        f"{q}: got {got.get(q)!r}, expected {stored(q, expect[q])!r}"
        for q in QUESTIONS if got.get(q) != stored(q, expect[q])
    ]


def free_the_slots(system, phone: str) -> None:
    """The case's booking rejected once checked, which frees its slot. The cases book days
    relative to the clock (大后天下午两点); under a faked clock that passes midnight during the
    suite (make test-clocks starts at 23:50) a later case's day lands on an earlier case's, and
    bookings left in the shared calendar would fill the slot."""
    with system.api("manager") as api:
        for draft in api.get("/api/drafts", params={"phone": phone}).json()["items"]:
            if draft["status"] in ("draft", "approved"):
                rejected = api.post(f"/api/drafts/{draft['id']}/reject", json={"reason": "测试结束,释放时段"})
                rejected.raise_for_status()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_interview(running_system, case):
    outcome = Outcome(case["id"])
    OUTCOMES[case["id"]] = outcome
    try:
        problems, _, transcript = run_interview(running_system, case)
        with running_system.api() as api:
            listing = api.get("/api/drafts", params={"phone": case["phone"]}).json()
    finally:
        free_the_slots(running_system, case["phone"])
    specs = complaint_specs(case)
    drafts = listing["items"]
    if len(drafts) != 1:
        problems.append(f"{len(drafts)} drafts for {case['phone']}, expected 1")
    else:
        [draft] = drafts
        if case.get("handover_at"):
            if draft["needs_human"] is not True:
                problems.append("handover case: the draft does not need a human")
        elif draft["vehicle"]["plate"] != case["plate"]:
            problems.append(f"plate {draft['vehicle']['plate']}, expected {case['plate']}")
        if draft["booking"]["service_type"] not in ("repair", "warranty", "inspection"):
            problems.append(f"service type {draft['booking']['service_type']}")
        got = draft["symptoms"] or {}
        interviews = [got, *got.get("further_interviews", [])]
        outcome.complaints = len(specs)
        if len(interviews) != len(specs):
            problems.append(f"{len(interviews) - 1} further interviews in the draft, expected {len(specs) - 1}")
        for number, (spec, interview) in enumerate(zip(specs, interviews), start=1):
            mismatches = symptom_mismatches(interview, spec["expect"])
            told = spec.get("expect_complaint", spec.get("complaint"))
            if number > 1 and interview.get("complaint") != told:
                mismatches.append(f"complaint: got {interview.get('complaint')!r}, expected {told!r}")
            outcome.complaints_right += not mismatches
            problems.extend(f"complaint {number} symptom field {m}" for m in mismatches)
        if got.get("further_complaints", []) != [s.get("expect_complaint", s["complaint"]) for s in specs[1:]]:
            problems.append(f"further_complaints {got.get('further_complaints')!r}")
        outcome.fields_right = outcome.complaints_right == len(specs) == len(interviews)
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
    complaints = sum(o.complaints for o in OUTCOMES.values())
    complaints_right = sum(o.complaints_right for o in OUTCOMES.values())
    print(f"complaint interviews (first and further) with all six fields as expected: "
          f"{complaints_right}/{complaints}")
    for outcome in OUTCOMES.values():
        if outcome.problems:
            print(f"  {outcome.case_id}: " + "; ".join(outcome.problems))
    print(
        f"turn latency over {len(LATENCIES)} turns: p50 {statistics.median(LATENCIES) * 1000:.0f} ms, "
        f"p95 {percentile(LATENCIES, 0.95) * 1000:.0f} ms, max {max(LATENCIES) * 1000:.0f} ms"
    )
    assert fraction >= TARGET, f"{fraction:.2f} of interviews fully right, target {TARGET}"
