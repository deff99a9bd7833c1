"""The booking script (dealer/booking_script.yml) as typed data."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

SCRIPT_PATH = Path(__file__).resolve().parent / "booking_script.yml"
NOT_GIVEN = "unknown"  # stored for an optional step the customer could not answer


@dataclass(frozen=True)
class ScriptStep:
    step: str
    slot: str
    ask: str
    required: bool
    service_types: tuple[str, ...] = ()
    returning_customer_only: bool = False

    def applies(self, service_type: str | None, first_visit: object) -> bool:
        if self.service_types and service_type not in self.service_types:
            return False
        if self.returning_customer_only and first_visit is not False:
            return False
        return True


@dataclass(frozen=True)
class BookingScript:
    steps: tuple[ScriptStep, ...]
    documents_first_visit: tuple[str, ...]
    documents_returning: tuple[str, ...]
    no_answer_words: tuple[str, ...]
    not_given_label: str
    mileage_unit: str
    yes_no_words: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # slot -> (yes, no)
    correction_lead_ins: tuple[str, ...] = ()  # 是 / 应该是 … before a corrected complaint
    complaint_lead_ins: tuple[str, ...] = ()  # 还有 / 另外 … before a further complaint

    @property
    def slots(self) -> list[str]:
        return [step.slot for step in self.steps]

    def slots_to_ask(self, service_type: str | None, first_visit: object) -> list[str]:
        return [s.slot for s in self.steps if s.applies(service_type, first_visit)]

    def means_no_answer(self, text: str) -> bool:
        cleaned = text.strip(" ,,。.!!~~了啊呀哦吧")
        return any(word in cleaned for word in self.no_answer_words) and len(cleaned) <= 8

    def documents(self, first_visit: object) -> tuple[str, ...]:
        return self.documents_returning if first_visit is False else self.documents_first_visit


@lru_cache
def load_script(path: Path = SCRIPT_PATH) -> BookingScript:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = []
    for entry in raw["steps"]:
        when = entry.get("when") or {}
        steps.append(
            ScriptStep(
                step=entry["step"],
                slot=entry["slot"],
                ask=entry["ask"],
                required=bool(entry["required"]),
                service_types=tuple(when.get("service_types", ())),
                returning_customer_only=bool(when.get("returning_customer", False)),
            )
        )
    documents = raw["documents"]
    return BookingScript(
        steps=tuple(steps),
        documents_first_visit=tuple(documents["first_visit"]),
        documents_returning=tuple(documents["returning"]),
        no_answer_words=tuple(raw["no_answer_words"]),
        not_given_label=raw["not_given_label"],
        mileage_unit=raw["mileage_unit"],
        yes_no_words={
            slot: (tuple(words["yes"]), tuple(words["no"])) for slot, words in raw["yes_no_words"].items()
        },
        correction_lead_ins=tuple(raw.get("correction_lead_ins", ())),
        complaint_lead_ins=tuple(raw.get("complaint_lead_ins", ())),
    )
