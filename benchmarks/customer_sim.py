"""Customer simulator: blind test customers through the real stack, their drafts scored.

Starts the real Rasa server, action server and API (devtools.stack.Stack) on free
ports with a fresh, migrated and seeded (demo) SQLite dealer database and tracker
database in a temp dir, APP_ENV=test, logs in results/blind/logs/, and every
process's clock faked to the case file's ``reference_time`` (DEALER_CLOCK, anchored
by DEALER_CLOCK_AT at the real time of the start). Then, one customer at a time,
each on a fresh sender id over Rasa's REST channel:

1. the ``opening`` messages are sent;
2. up to 40 times: the tracker (``GET /conversations/<id>/tracker``) says what is
   being asked: the active form's ``requested_slot`` (symptom_* as is,
   callback_phone -> phone, anything else by its slot name; with a form active but no
   requested slot, the ask texts of domain.yml in the last message). With no form
   active the customer accepts what is offered (``accept_offer``). The answer is the
   case's ``answers[key]`` (a list: successive answers, the last one kept once used
   up), ``interjections[key]`` instead the first time that key is asked; while the
   appointment time is asked with time-slot buttons offered and the time answers used
   up, the first button's payload. A key asked 4 times in a row: the case is stuck;
3. as soon as a draft work order of this conversation is in the dealer database
   (read with SQLAlchemy and shaped with ``draft_to_contract``, as the API does) and
   the booking-done reply came, each ``after_booking`` message is sent and each reply
   checked for a not-understood fallback; then the conversation ends.

After each customer the booking tables (drafts, appointments, capacity slots,
vehicles, customers) are emptied again, so every customer meets the same empty
calendar and nobody is recognised as a returning customer because an earlier case
used the same phone or plate (``--shared-calendar`` keeps them instead).

The draft is scored against ``expect`` (benchmarks/README.md, "Customer simulator");
the summary is printed and the JSON written to --out (default
results/blind/<cases file name>.json).

Run: PYTHONPATH=. .venv/app/bin/python benchmarks/customer_sim.py <cases.yml>
         [--out results/blind/<name>.json] [--only <id>] [--verbose] [--quiet] [--shared-calendar]
Needs models/dealer.tar.gz (make train).
"""
from __future__ import annotations

import argparse
import json
import math
import re
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from dealer.catalog import load_catalog
from dealer.db import unit_of_work
from dealer.models import Appointment, CapacitySlot, Customer, DraftWorkOrder, Vehicle
from dealer.services.drafts import SYMPTOM_FIELDS, draft_to_contract
from dealer.settings import get_settings
from devtools.stack import REPO_ROOT, Stack, fresh_stack, shared_secrets

MODEL = REPO_ROOT / "models" / "dealer.tar.gz"
LOG_DIR = REPO_ROOT / "results" / "blind" / "logs"
MAX_TURNS = 40
STUCK_AFTER = 4  # the same key asked this many times in a row
HTTP_TIMEOUT = 60.0

DEFAULT_ACCEPT_OFFER = "好的,帮我约一下"
# What the customer says when the case has no answer for a key it is asked
# (recorded as a warning of the case).
DEFAULT_ANSWERS = {
    "accept_offer": DEFAULT_ACCEPT_OFFER,
    "symptom_confirmed": "对",
    "symptom_more": "没有了",
    "extra_requests": "没有了",
    "booking_confirmed": "对的",
    "change_confirmed": "对的",
    "privacy_consent": "同意",
}
UNKNOWN_ANSWER = "不清楚"

# requested_slot -> answer key (anything else: the slot's own name).
# symptom_detail asks what the noise (light, smell) told is like: the customer describes what is wrong.
KEY_FOR_SLOT = {"callback_phone": "phone", "symptom_detail": "symptom_what"}

# Not-understood: the last action of the turn, or one of the turn's bot messages.
# action_handle_unclear_message is not one: it answers questions and problems told in
# words the classifier did not place; when it does not understand, it says utter_default /
# utter_out_of_scope, which the texts catch (it was counted as lost until session 19).
FALLBACK_ACTIONS = {
    "utter_default",
    "utter_out_of_scope",
    "action_default_fallback",
    "action_two_stage_fallback",
    "nlu_fallback",
}
FALLBACK_RESPONSES = ("utter_default", "utter_out_of_scope")
FORMS_PREFIXES = ("booking_form_", "change_booking_form_", "handover_form_")
# Ask responses that are not named utter_ask_<slot>.
ASK_RESPONSE_KEYS = {
    "utter_booking_readback": "booking_confirmed",
    "utter_ask_what_to_correct": "booking_confirmed",
    "utter_ask_symptom_what_more_detail": "symptom_what",
    "utter_ask_symptom_confirmed_again": "symptom_confirmed",
    "utter_ask_complaint_words": "symptom_confirmed",
    "utter_ask_symptom_more_again": "symptom_more",
    "utter_ask_callback_phone": "phone",
}
TIME_PAYLOAD = re.compile(r'^/inform\{\s*"time"\s*:')

SCORED_KEYS = ("surname", "phone", "plate", "vin", "model", "mileage_km", "service_type", "start",
               "symptoms", "further_complaints", "repeat_repair", "extra_requests")
PUNCTUATION = re.compile(r"[\s\W_]+")  # CJK characters are \w: this removes punctuation and spaces
PLATE_SEPARATORS = re.compile(r"[\s.·•\-_—]+")
# Stored values that mean "nothing given" (scored against an expected null).
EMPTY_WORDS = {"", "unknown", "none", "null", "未提供", "无", "没有", "没", "没了", "没有了", "暂无"}
EMPTY_PATTERN = re.compile(
    r"(暂时|目前|也|都|应该|好像|别的|其他)?"
    r"(没有|没|无|不用|不需要|没啥|没什么|不清楚|不知道|不记得|记不清|忘了|说不上来)"
    r"(了|的|啊|呀|吧|哦|呢|其他|别的|什么|事|需要|要求|问题|处理|过|弄|修|管|查|看|清楚)*"
)


# ---------------------------------------------------------------- the bot's texts

@dataclass(frozen=True)
class BotTexts:
    """What the simulator recognises in replies, read from domain.yml."""

    fallback_texts: frozenset[str]
    done_markers: tuple[str, ...]
    ask_markers: tuple[tuple[str, str], ...]  # (distinctive words, answer key)

    @classmethod
    def load(cls, path: Path = REPO_ROOT / "domain.yml") -> BotTexts:
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}

        def texts(name: str) -> list[str]:
            return [v.get("text", "") for v in responses.get(name) or [] if isinstance(v, dict)]

        fallback = frozenset(_plain(t) for name in FALLBACK_RESPONSES for t in texts(name) if t)
        done = []
        for name in ("utter_booking_done", "utter_booking_done_no_advisor"):
            for text in texts(name):
                head = _plain(text.split("{", 1)[0])
                if head:
                    done.append(head)
        markers = []
        for name in responses:
            key = ASK_RESPONSE_KEYS.get(name)
            if key is None and name.startswith("utter_ask_"):
                key = name.removeprefix("utter_ask_")
                for prefix in FORMS_PREFIXES:
                    key = key.removeprefix(prefix)
                key = KEY_FOR_SLOT.get(key, key)
            if key is None:
                continue
            for text in texts(name):
                chunks = [c for c in re.split(r"\{[^}]*\}|“[^”]*”", text) if len(_plain(c)) >= 4]
                if chunks:
                    markers.append((_plain(max(chunks, key=len))[-12:], key))
        return cls(fallback, tuple(dict.fromkeys(done)) or ("预约成功",), tuple(markers))

    def is_fallback_text(self, text: str) -> bool:
        return _plain(text) in self.fallback_texts

    def is_done(self, text: str) -> bool:
        plain = _plain(text)
        return any(marker in plain for marker in self.done_markers)

    def asked_in(self, text: str) -> str | None:
        """The answer key of the last ask text found in a bot message."""
        plain = _plain(re.sub(r"“[^”]*”", "", text))
        found = [(plain.rfind(marker), key) for marker, key in self.ask_markers if marker in plain]
        return max(found)[1] if found else None


def _plain(text: str) -> str:
    return PUNCTUATION.sub("", str(text))


# ---------------------------------------------------------------- cases

def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _answer_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [_text(v) for v in value if v is not None]
    return [_text(value)]


def _reference_time(value: Any) -> str:
    if isinstance(value, datetime):  # YAML read an unquoted timestamp
        if value.tzinfo is None:  # PyYAML gives UTC without an offset
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    text = str(value).strip()
    if datetime.fromisoformat(text).tzinfo is None:
        raise ValueError(f"reference_time needs a UTC offset, e.g. 2026-12-09T10:00:00+08:00: {text!r}")
    return text


def load_cases(path: Path) -> tuple[str, list[dict]]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(spec, list):
        spec = {"cases": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("cases"), list):
        raise SystemExit(f"{path}: expected a mapping with `reference_time` and a list `cases`")
    if spec.get("reference_time") is None and any("reference_time" not in c for c in spec["cases"]):
        raise SystemExit(f"{path}: no `reference_time`")
    reference = _reference_time(spec["reference_time"]) if spec.get("reference_time") is not None else ""
    cases = []
    for number, case in enumerate(spec["cases"], start=1):
        case = dict(case)
        case["id"] = str(case.get("id") or f"case-{number}")
        case["reference_time"] = _reference_time(case["reference_time"]) if case.get("reference_time") else reference
        cases.append(case)
    return reference, cases


# ---------------------------------------------------------------- one conversation

@dataclass
class Conversation:
    case: dict
    sender: str
    transcript: list[list[str]] = field(default_factory=list)
    turns: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    draft: dict | None = None
    end_reason: str = ""
    stuck_key: str | None = None
    error: str | None = None
    reached_booking_question: bool = False
    opening_fallback: bool = False
    done_seen: bool = False
    after_booking_fallbacks: list[bool] | None = None

    @property
    def lost_at_first_message(self) -> bool:
        return self.opening_fallback or not self.reached_booking_question


class Simulator:
    def __init__(self, rasa_url: str, rasa_token: str, database_url: str, zone: ZoneInfo, texts: BotTexts,
                 verbose: bool = False) -> None:
        self.rasa_url = rasa_url
        self.rasa_token = rasa_token  # Rasa's HTTP API (the tracker) needs it
        self.database_url = database_url
        self.zone = zone
        self.texts = texts
        self.verbose = verbose
        self.http = httpx.Client(timeout=HTTP_TIMEOUT, trust_env=False)
        self.latencies_ms: list[float] = []

    def close(self) -> None:
        self.http.close()

    # -- the stack

    def _say(self, conv: Conversation, text: str, key: str, via: str) -> tuple[list[dict], dict, bool]:
        started = time.perf_counter()
        response = self.http.post(f"{self.rasa_url}/webhooks/rest/webhook",
                                  json={"sender": conv.sender, "message": text})
        latency = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        replies = [r for r in response.json() if isinstance(r, dict)]
        self.latencies_ms.append(latency)
        tracker = self._tracker(conv.sender)
        fallback = self._was_fallback(tracker, replies)
        loop = _active_loop(tracker)
        requested = (tracker.get("slots") or {}).get("requested_slot")
        if loop == "booking_form" and requested:
            conv.reached_booking_question = True
        if any(self.texts.is_done(r.get("text") or "") for r in replies):
            conv.done_seen = True
        conv.transcript.append(["customer", text])
        for reply in replies:
            conv.transcript.append(["bot", _shown(reply)])
        conv.turns.append({"key": key, "via": via, "text": text, "latency_ms": round(latency, 1),
                           "fallback": fallback, "active_loop": loop, "requested_slot": requested,
                           **_turn_intent(tracker),
                           "actions": _turn_events(tracker, "action"), "slots_set": _turn_slots(tracker)})
        if self.verbose:
            print(f"    客户 [{key}]: {text}")
            for reply in replies:
                print("    助手: " + _shown(reply).replace("\n", "\n          "))
            if fallback:
                print("    (fallback)")
        return replies, tracker, fallback

    def _tracker(self, sender: str) -> dict:
        response = self.http.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                                 params={"token": self.rasa_token})
        response.raise_for_status()
        return response.json()

    def _was_fallback(self, tracker: dict, replies: list[dict]) -> bool:
        """The turn ended in a not-understood answer (the last action, or a fallback text)."""
        actions = _turn_events(tracker, "action")
        if actions and actions[-1] in FALLBACK_ACTIONS:
            return True
        for event in _since_last_user(tracker):
            if event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action") in FALLBACK_RESPONSES:
                return True
        return any(self.texts.is_fallback_text(r.get("text") or "") for r in replies)

    def _find_draft(self, sender: str) -> dict | None:
        with unit_of_work(self.database_url) as session:
            draft = session.scalar(
                select(DraftWorkOrder)
                .options(joinedload(DraftWorkOrder.advisor))
                .where(DraftWorkOrder.conversation_id == sender)
                .order_by(DraftWorkOrder.id.desc())
                .limit(1)
            )
            return None if draft is None else draft_to_contract(draft, self.zone)

    def reset_bookings(self) -> None:
        """Back to the seeded state: no drafts, appointments, booked slots, customers or vehicles."""
        with unit_of_work(self.database_url) as session:
            for table in (Appointment, DraftWorkOrder, CapacitySlot, Vehicle, Customer):
                session.execute(delete(table))

    # -- the customer

    def run(self, case: dict) -> Conversation:
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", case["id"])[:40]
        conv = Conversation(case=case, sender=f"sim-{slug}-{uuid.uuid4().hex[:10]}")
        try:
            self._converse(conv)
        except httpx.HTTPError as error:
            conv.error = f"{type(error).__name__}: {error}"
            conv.end_reason = f"HTTP error: {conv.error}"
            try:
                conv.draft = self._find_draft(conv.sender)
            except Exception:  # noqa: BLE001 - the error above is the one to report
                pass
        return conv

    def _converse(self, conv: Conversation) -> None:
        case = conv.case
        answers = {key: _answer_list(value) for key, value in (case.get("answers") or {}).items()}
        interjections = {key: _text(value) for key, value in (case.get("interjections") or {}).items()
                         if value is not None}
        used: Counter[str] = Counter()
        interjected: set[str] = set()
        openings = _answer_list(case.get("opening"))
        if not openings:
            conv.warnings.append("no opening messages")
        replies: list[dict] = []
        tracker: dict = {}
        for text in openings:
            replies, tracker, fallback = self._say(conv, text, "opening", "opening")
            conv.opening_fallback = fallback
        last_key, streak = None, 0
        for turn in range(MAX_TURNS + 1):
            conv.draft = self._find_draft(conv.sender)
            if conv.draft is not None:
                if conv.done_seen:
                    conv.end_reason = "booked"
                    self._after_booking(conv)
                else:
                    conv.end_reason = "draft without a booking-done reply (handed over?)"
                return
            if turn == MAX_TURNS:
                conv.end_reason = f"no draft after {MAX_TURNS} turns"
                return
            key, via, time_buttons = self._asked(tracker, replies)
            streak = streak + 1 if key == last_key else 1
            last_key = key
            if streak >= STUCK_AFTER:
                conv.stuck_key = key
                conv.end_reason = f"stuck: {key} asked {STUCK_AFTER} times in a row"
                return
            text = self._answer(conv, key, answers, interjections, used, interjected, time_buttons)
            replies, tracker, _ = self._say(conv, text, key, via)

    def _asked(self, tracker: dict, replies: list[dict]) -> tuple[str, str, list[dict]]:
        """(answer key, how it was recognised, the time-slot buttons of the latest reply)."""
        time_buttons = [b for r in replies for b in r.get("buttons") or []
                        if TIME_PAYLOAD.match(str(b.get("payload") or ""))]
        loop = _active_loop(tracker)
        requested = (tracker.get("slots") or {}).get("requested_slot")
        last_text = (replies[-1].get("text") or "") if replies else ""
        if loop and requested:
            return KEY_FOR_SLOT.get(requested, requested), "requested_slot", time_buttons
        if loop:
            key = self.texts.asked_in(last_text)
            if key:
                return key, "text", time_buttons
        if time_buttons:
            return "appointment_time", "time buttons", time_buttons
        offers = bool(replies and (replies[-1].get("buttons") or re.search(r"[??]", last_text)))
        return "accept_offer", "offer" if offers else "nudge", time_buttons

    @staticmethod
    def _answer(conv: Conversation, key: str, answers: dict[str, list[str]], interjections: dict[str, str],
                used: Counter, interjected: set[str], time_buttons: list[dict]) -> str:
        if key in interjections and key not in interjected:
            interjected.add(key)
            return interjections[key]
        given = answers.get(key) or []
        if key == "appointment_time" and time_buttons and used[key] >= len(given):
            used[key] += 1
            return str(time_buttons[0]["payload"])
        if given:
            text = given[min(used[key], len(given) - 1)]
            used[key] += 1
            return text
        used[key] += 1
        default = DEFAULT_ANSWERS.get(key, UNKNOWN_ANSWER)
        if key != "accept_offer":
            conv.warnings.append(f"no answer for {key!r}: said {default!r}")
        return default

    def _after_booking(self, conv: Conversation) -> None:
        messages = _answer_list(conv.case.get("after_booking"))
        if not messages:
            return
        conv.after_booking_fallbacks = []
        for text in messages:
            _, _, fallback = self._say(conv, text, "after_booking", "after_booking")
            conv.after_booking_fallbacks.append(fallback)


def _since_last_user(tracker: dict) -> list[dict]:
    events = tracker.get("events") or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return events[last_user + 1:]


def _turn_events(tracker: dict, kind: str) -> list[str]:
    return [e.get("name") for e in _since_last_user(tracker)
            if e.get("event") == kind and e.get("name") != "action_listen"]


def _turn_intent(tracker: dict) -> dict[str, Any]:
    """The NLU reading of this turn's message, also when a fallback reverted it afterwards."""
    events = tracker.get("events") or []
    user = next((e for e in reversed(events) if e.get("event") == "user"), None)
    intent = ((user or {}).get("parse_data") or {}).get("intent") or {}
    confidence = intent.get("confidence")
    return {
        "intent": intent.get("name"),
        "confidence": None if confidence is None else round(float(confidence), 3),
        "reverted": any(e.get("event") == "rewind" for e in _since_last_user(tracker)),
    }


def _turn_slots(tracker: dict) -> dict[str, Any]:
    """The slots this turn set (the last value of each), requested_slot left out."""
    return {e["name"]: e.get("value") for e in _since_last_user(tracker)
            if e.get("event") == "slot" and e.get("name") not in (None, "requested_slot")}


def _active_loop(tracker: dict) -> str | None:
    loop = tracker.get("active_loop") or {}
    return loop.get("name") if isinstance(loop, dict) else None


def _shown(reply: dict) -> str:
    text = reply.get("text") or ""
    buttons = reply.get("buttons") or []
    if buttons:
        text += " [按钮: " + " | ".join(f"{b.get('title')} = {b.get('payload')}" for b in buttons) + "]"
    if not text and reply.get("custom") is not None:
        text = "[custom] " + json.dumps(reply["custom"], ensure_ascii=False)
    return text


# ---------------------------------------------------------------- scoring

def is_empty(value: Any) -> bool:
    if value is None:
        return True
    plain = _plain(value).lower()
    return plain in EMPTY_WORDS or bool(EMPTY_PATTERN.fullmatch(plain))


def fragment_matches(stored: Any, fragment: Any) -> bool:
    """The stored words contain the fragment and are at most about twice as long."""
    if stored is None:
        return False
    got, want = _plain(stored), _plain(fragment)
    return bool(want) and want in got and len(got) <= 2 * len(want) + 6


def _norm_phone(value: Any) -> str | None:
    if value is None:
        return None
    digits = re.sub(r"[\s\-()()]", "", str(value))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
    return digits


def _norm_plate(value: Any) -> str | None:
    return None if value is None else PLATE_SEPARATORS.sub("", str(value)).upper()


def _norm_vin(value: Any) -> str | None:
    return None if is_empty(value) else re.sub(r"\s+", "", str(value)).upper()


def _equal_or_null(expected: Any, actual: Any, norm) -> bool:
    if expected is None:
        return is_empty(actual)
    return not is_empty(actual) and norm(expected) == norm(actual)


def _score_start(expected: Any, actual: str | None, zone: ZoneInfo) -> bool:
    if actual is None or expected is None:
        return expected is None and actual is None
    local = datetime.fromisoformat(actual).astimezone(zone)
    want = _text(expected).strip().replace("T", " ")
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:\s*(上午|下午|\d{1,2}:\d{2}))?(?::\d{2})?", want)
    if match is None:
        return False
    day, part = match.groups()
    if local.strftime("%Y-%m-%d") != day:
        return False
    if part is None:
        return True
    if part == "上午":
        return local.hour < 12
    if part == "下午":
        return local.hour >= 12
    hour, minute = (int(x) for x in part.split(":"))
    return (local.hour, local.minute) == (hour, minute)


def _score_symptoms(expected: Any, actual: dict | None) -> tuple[bool, dict]:
    six = {name: (actual or {}).get(name) for name in SYMPTOM_FIELDS} if actual is not None else None
    if expected is None:
        return actual is None or all(is_empty(v) for v in six.values()), {}
    if not isinstance(expected, dict):
        return False, {"error": f"expected symptoms must be null or a mapping, got {expected!r}"}
    detail = {}
    for name in SYMPTOM_FIELDS:
        if name not in expected:
            continue
        want, got = expected[name], (six or {}).get(name)
        if want == "*":
            right = not (got is None or _plain(got) == "")
        elif want is None:
            right = is_empty(got)
        else:
            right = fragment_matches(got, want)
        detail[name] = {"expected": want, "actual": got, "correct": right}
    return actual is not None and all(d["correct"] for d in detail.values()), detail


def _further(actual: dict | None) -> list[str]:
    if not actual:
        return []
    complaints = actual.get("further_complaints") or []
    if not complaints:
        complaints = [i.get("complaint") for i in actual.get("further_interviews") or [] if i.get("complaint")]
    return [str(c) for c in complaints]


def _fragments_matched(fragments: list[str], complaints: list[str]) -> bool:
    """Each fragment contained in its own complaint (a one-to-one assignment)."""
    def assign(i: int, free: frozenset[int]) -> bool:
        if i == len(fragments):
            return True
        want = _plain(fragments[i])
        return any(want and want in _plain(complaints[j]) and assign(i + 1, free - {j}) for j in free)

    return assign(0, frozenset(range(len(complaints))))


def score(case: dict, conv: Conversation, zone: ZoneInfo) -> dict[str, dict]:
    expect = case.get("expect") or {}
    draft = conv.draft
    keys = [k for k in SCORED_KEYS if k in expect]
    if _answer_list(case.get("after_booking")):
        keys.append("after_booking")
    unknown = sorted(set(expect) - set(SCORED_KEYS))
    if unknown:
        conv.warnings.append(f"expect keys not scored: {', '.join(unknown)}")
    results: dict[str, dict] = {}
    for key in keys:
        want = expect.get(key)
        if key == "after_booking":
            want = "no fallback"
            got = conv.after_booking_fallbacks
            right = got is not None and not any(got)
            results[key] = {"expected": want, "actual": got, "correct": right}
            continue
        if draft is None:
            results[key] = {"expected": want, "actual": None, "correct": False}
            continue
        customer, vehicle, booking = draft["customer"], draft["vehicle"], draft["booking"]
        detail = None
        if key == "surname":
            got = customer.get("name")
            right = (is_empty(got) if want is None
                     else bool(got) and str(got).strip().startswith(_text(want).strip()))
        elif key == "phone":
            got = customer.get("phone")
            right = _equal_or_null(want, got, _norm_phone)
        elif key == "plate":
            got = vehicle.get("plate")
            right = _equal_or_null(want, got, _norm_plate)
        elif key == "vin":
            got = vehicle.get("vin")
            right = _equal_or_null(want, got, _norm_vin)
        elif key == "model":
            got = vehicle.get("model")
            if want is None:
                right = is_empty(got)
            else:
                a, b = _plain(want).lower(), _plain(got or "").lower()
                right = bool(a) and bool(b) and (a == b or a in b or b in a)
        elif key == "mileage_km":
            got = vehicle.get("mileage_km")
            try:
                right = got is None if want is None else (got is not None and int(got) == int(want))
            except (TypeError, ValueError):
                right = False
        elif key == "service_type":
            got = booking.get("service_type")
            right = got == want
        elif key == "start":
            got = booking.get("start")
            right = _score_start(want, got, zone)
        elif key == "symptoms":
            got = draft.get("symptoms")
            got = None if got is None else {name: got.get(name) for name in SYMPTOM_FIELDS}
            right, detail = _score_symptoms(want, draft.get("symptoms"))
        elif key == "further_complaints":
            got = _further(draft.get("symptoms"))
            fragments = [_text(f) for f in (want or [])]
            right = len(got) == len(fragments) and _fragments_matched(fragments, got)
        elif key == "repeat_repair":
            got = draft.get("repeat_repair")
            right = got is want or got == want
        elif key == "extra_requests":
            got = draft.get("extra_requests")
            right = is_empty(got) if want is None else (not is_empty(got) and _plain(want) in _plain(got))
        else:  # pragma: no cover - SCORED_KEYS only
            continue
        results[key] = {"expected": want, "actual": got, "correct": bool(right)}
        if detail:
            results[key]["detail"] = detail
    return results


def failure_reason(conv: Conversation, fields: dict[str, dict]) -> str | None:
    wrong = [k for k, r in fields.items() if not r["correct"]]
    if conv.error:
        return conv.end_reason
    if conv.draft is None:
        return f"no draft ({conv.end_reason})"
    if not wrong:
        return None
    return "wrong: " + ", ".join(wrong) + ("" if conv.end_reason == "booked" else f" ({conv.end_reason})")


# ---------------------------------------------------------------- the run

def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def start_stack(reference_time: str, workdir: Path) -> tuple[Stack, str]:
    """A fresh dealer database and the stack's configuration (not started yet)."""
    clock = {"DEALER_CLOCK": reference_time, "DEALER_CLOCK_AT": str(int(time.time()))}
    return fresh_stack(workdir, LOG_DIR, {"APP_ENV": "test", **clock})


def summarise(results: list[dict], latencies_ms: list[float]) -> dict:
    cases = len(results)
    fully = sum(r["fully_correct"] for r in results)
    per_field: dict[str, dict] = {}
    scored = correct = 0
    classes: dict[str, dict] = {}
    for result in results:
        for key, field_result in result["fields"].items():
            entry = per_field.setdefault(key, {"correct": 0, "scored": 0})
            entry["scored"] += 1
            entry["correct"] += field_result["correct"]
            scored += 1
            correct += field_result["correct"]
        for cls in result["classes"]:
            entry = classes.setdefault(str(cls), {"cases": 0, "fully_correct": 0})
            entry["cases"] += 1
            entry["fully_correct"] += result["fully_correct"]
    for entry in per_field.values():
        entry["accuracy"] = round(entry["correct"] / entry["scored"], 4)
    for entry in classes.values():
        entry["fraction"] = round(entry["fully_correct"] / entry["cases"], 4)
    lost = [r["id"] for r in results if r["lost_at_first_message"]]
    p50, p95 = percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.95)
    return {
        "cases": cases,
        "fully_correct": fully,
        "fully_correct_fraction": round(fully / cases, 4) if cases else None,
        "fields_scored": scored,
        "fields_correct": correct,
        "field_accuracy": round(correct / scored, 4) if scored else None,
        "per_field": dict(sorted(per_field.items(), key=lambda kv: (SCORED_KEYS + ("after_booking",)).index(kv[0]))),
        "per_class": dict(sorted(classes.items(), key=lambda kv: (len(kv[0]), kv[0]))),
        "no_draft": sum(r["draft"] is None for r in results),
        "stuck": sum(bool(r["stuck_key"]) for r in results),
        "lost_at_first_message": len(lost),
        "lost_at_first_message_ids": lost,
        "turns": len(latencies_ms),
        "turn_latency_ms": {"p50": None if p50 is None else round(p50, 1),
                            "p95": None if p95 is None else round(p95, 1)},
    }


def print_summary(totals: dict, results: list[dict], quiet: bool = False) -> None:
    print("\n== customer simulator ==")
    for result in [] if quiet else results:
        mark = "OK  " if result["fully_correct"] else "FAIL"
        right = sum(f["correct"] for f in result["fields"].values())
        print(f"[{mark}] {result['id']}: {right}/{len(result['fields'])} fields"
              + ("" if result["fully_correct"] else f" - {result['failure_reason']}"))
        for key, field_result in result["fields"].items():
            if not field_result["correct"]:
                print(f"         {key}: expected {field_result['expected']!r}, got {field_result['actual']!r}")
    cases = totals["cases"]
    print(f"\ncases: {cases}; fully correct: {totals['fully_correct']}/{cases}"
          + (f" = {totals['fully_correct_fraction']:.2f}" if cases else ""))
    if totals["fields_scored"]:
        print(f"field accuracy: {totals['fields_correct']}/{totals['fields_scored']} = {totals['field_accuracy']:.3f}")
    print("per field: " + ", ".join(f"{k} {v['correct']}/{v['scored']}" for k, v in totals["per_field"].items()))
    print("per class (fully correct): " + ", ".join(
        f"{k}: {v['fully_correct']}/{v['cases']}" for k, v in totals["per_class"].items()))
    if lost_ids := (not quiet and totals["lost_at_first_message_ids"]):
        print("lost at the first message: " + ", ".join(lost_ids))
    print(f"no draft: {totals['no_draft']}; stuck: {totals['stuck']}; "
          f"lost at the first message: {totals['lost_at_first_message']}")
    latency = totals["turn_latency_ms"]
    print(f"turn latency over {totals['turns']} turns: p50 {latency['p50']} ms, p95 {latency['p95']} ms")


def _raise_interrupt(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("cases", type=Path, help="the case file (YAML)")
    parser.add_argument("--out", type=Path, help="JSON results (default results/blind/<cases name>.json)")
    parser.add_argument("--only", action="append", help="run only this case id (may be repeated)")
    parser.add_argument("--verbose", action="store_true", help="print every conversation as it happens")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the totals, no case ids, answers or expectations (for a blind set: "
                             "whoever runs it need not read its cases); the JSON has everything")
    parser.add_argument("--shared-calendar", action="store_true",
                        help="keep earlier customers' drafts, slots, customers and vehicles between cases")
    args = parser.parse_args(argv)

    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run `make train`", file=sys.stderr)
        return 2
    reference, cases = load_cases(args.cases)
    if args.only:
        wanted = set(args.only)
        cases = [c for c in cases if c["id"] in wanted]
        missing = wanted - {c["id"] for c in cases}
        if missing:
            print(f"no such case: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    out = args.out or REPO_ROOT / "results" / "blind" / f"{args.cases.stem}.json"
    zone = load_catalog(get_settings().catalog_path).timezone
    texts = BotTexts.load()
    signal.signal(signal.SIGTERM, _raise_interrupt)

    # One stack per reference time (normally one for the whole file).
    groups: dict[str, list[dict]] = {}
    for case in cases:
        groups.setdefault(case["reference_time"], []).append(case)
    results: list[dict] = []
    latencies: list[float] = []
    interrupted = False
    failure = None
    started = time.monotonic()
    try:
        for reference_time, group in groups.items():
            with tempfile.TemporaryDirectory(prefix="customer-sim-") as tmp:
                stack, database_url = start_stack(reference_time, Path(tmp))
                simulator = None
                try:
                    stack.start()
                    healthy = stack.wait_healthy(timeout=300)
                    print(f"stack healthy in {healthy:.1f} s (clock at {reference_time}; logs in {LOG_DIR})")
                    simulator = Simulator(stack.config.url(stack.config.rasa_port),
                                          shared_secrets(stack.config)["RASA_AUTH_TOKEN"], database_url, zone,
                                          texts, verbose=args.verbose)
                    for case in group:
                        if args.verbose:
                            print(f"\n--- {case['id']}")
                        conv = simulator.run(case)
                        fields = score(case, conv, zone)
                        fully = bool(fields) and all(f["correct"] for f in fields.values())
                        results.append({
                            "id": case["id"],
                            "classes": case.get("classes") or [],
                            "sender": conv.sender,
                            "reference_time": reference_time,
                            "fully_correct": fully,
                            "failure_reason": None if fully else failure_reason(conv, fields) or "nothing scored",
                            "end_reason": conv.end_reason,
                            "stuck_key": conv.stuck_key,
                            "lost_at_first_message": conv.lost_at_first_message,
                            "after_booking_fallbacks": conv.after_booking_fallbacks,
                            "fields": fields,
                            "draft": conv.draft,
                            "transcript": conv.transcript,
                            "turns": conv.turns,
                            "warnings": conv.warnings,
                        })
                        if args.quiet:
                            print(f"  {len(results)}/{len(cases)} done", end="\r", flush=True)
                        elif not args.verbose:
                            print(f"  {case['id']}: {'OK' if fully else results[-1]['failure_reason']}", flush=True)
                        if any(p.poll() is not None for p in stack.processes.values()):
                            raise RuntimeError("a process of the stack exited; see " + str(LOG_DIR))
                        if not args.shared_calendar:
                            simulator.reset_bookings()
                finally:
                    if simulator is not None:
                        latencies.extend(simulator.latencies_ms)
                        simulator.close()
                    stack.stop()
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: the stack is stopped; writing the cases finished so far", file=sys.stderr)
    except (RuntimeError, TimeoutError, OSError) as error:  # the stack did not start or died
        failure = f"{type(error).__name__}: {error}"
        print(f"\nthe run failed ({failure}); see the logs in {LOG_DIR}", file=sys.stderr)

    totals = summarise(results, latencies)
    print_summary(totals, results, quiet=args.quiet)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "cases_file": str(args.cases),
        "reference_time": reference,
        "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_s": round(time.monotonic() - started, 1),
        "model": str(MODEL),
        "shared_calendar": args.shared_calendar,
        "interrupted": interrupted,
        "failure": failure,
        "totals": totals,
        "cases": results,
    }
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"results: {out}")
    return 130 if interrupted else 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
