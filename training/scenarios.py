"""The customer cards (training/scenarios.yml), validated on load."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from dealer.catalog import load_catalog
from dealer.validation import normalize_or_none, normalize_phone, normalize_plate

SCENARIOS_PATH = Path(__file__).resolve().parent / "scenarios.yml"
TEMPERAMENTS = frozenset({"calm", "hurried", "angry", "chatty", "vague", "elderly"})
DIFFICULTY_LABELS = {1: "入门", 2: "进阶", 3: "挑战"}
FACTS = ("surname", "title", "phone", "plate", "model", "mileage", "wanted_time", "service", "extra")
COMPLAINT = ("what", "when", "where", "frequency", "impact", "tried")


class ScenarioError(ValueError):
    """A card in the scenario file is not valid (which card, what is wrong)."""


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    persona: str
    temperament: str
    difficulty: int
    service_type: str
    first_visit: bool
    opening: str
    facts: dict[str, str]
    complaint: dict[str, str] = field(default_factory=dict)
    repeat: bool | None = None
    danger: bool = False
    gives_all: bool = False
    asks_price_first: bool = False
    full_times: tuple[str, ...] = ()
    busy_times: tuple[str, ...] = ()
    changes_time: str = ""
    says: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def difficulty_label(self) -> str:
        return DIFFICULTY_LABELS[self.difficulty]

    @property
    def interview(self) -> bool:
        return load_catalog().is_interview(self.service_type)


def _card(raw: dict) -> Scenario:
    cid = raw.get("id") or "?"

    def fail(reason: str) -> ScenarioError:
        return ScenarioError(f"scenario {cid}: {reason}")

    for key in ("id", "title", "persona", "temperament", "difficulty", "service_type", "opening", "facts"):
        if not raw.get(key):
            raise fail(f"{key} is missing")
    if raw["temperament"] not in TEMPERAMENTS:
        raise fail(f"temperament {raw['temperament']!r} is not one of {sorted(TEMPERAMENTS)}")
    if raw["difficulty"] not in DIFFICULTY_LABELS:
        raise fail("difficulty must be 1, 2 or 3")
    catalog = load_catalog()
    if raw["service_type"] not in catalog.service_codes:
        raise fail(f"service_type {raw['service_type']!r} is not in the dealer file")
    facts = {key: str(value) for key, value in raw["facts"].items() if key not in ("complaint", "repeat")}
    missing = [key for key in FACTS if not facts.get(key)]
    if missing:
        raise fail(f"facts missing: {', '.join(missing)}")
    if normalize_or_none(normalize_phone, facts["phone"]) is None:
        raise fail("phone is not a valid mainland mobile number")
    if normalize_or_none(normalize_plate, facts["plate"]) is None:
        raise fail("plate is not a valid plate")
    first_visit = raw.get("first_visit")
    if not isinstance(first_visit, bool):
        raise fail("first_visit must be true or false")
    if not first_visit and not facts.get("last_service"):
        raise fail("a returning customer needs last_service")
    complaint = {key: str(value) for key, value in (raw["facts"].get("complaint") or {}).items()}
    repeat = raw["facts"].get("repeat")
    if catalog.is_interview(raw["service_type"]):
        if sorted(complaint) != sorted(COMPLAINT):
            raise fail(f"an interview service needs the six complaint answers {COMPLAINT}")
        if not isinstance(repeat, bool):
            raise fail("an interview service needs repeat: true/false")
    return Scenario(
        id=raw["id"], title=raw["title"], persona=raw["persona"], temperament=raw["temperament"],
        difficulty=int(raw["difficulty"]), service_type=raw["service_type"], first_visit=first_visit,
        opening=raw["opening"], facts=facts, complaint=complaint, repeat=repeat,
        danger=bool(raw.get("danger", False)), gives_all=bool(raw.get("gives_all", False)),
        asks_price_first=bool(raw.get("asks_price_first", False)),
        full_times=tuple(raw.get("full_times", ())), busy_times=tuple(raw.get("busy_times", ())),
        changes_time=raw.get("changes_time", ""),
        says={step: tuple(lines) for step, lines in (raw.get("says") or {}).items()},
    )


def parse_scenarios(raw: dict) -> tuple[Scenario, ...]:
    cards = tuple(_card(entry) for entry in raw["scenarios"])
    ids = [card.id for card in cards]
    duplicated = {cid for cid in ids if ids.count(cid) > 1}
    if duplicated:
        raise ScenarioError(f"duplicate scenario ids: {sorted(duplicated)}")
    return cards


@lru_cache
def load_scenarios(path: Path = SCENARIOS_PATH) -> tuple[Scenario, ...]:
    return parse_scenarios(yaml.safe_load(path.read_text(encoding="utf-8")))


def scenario(scenario_id: str) -> Scenario:
    for card in load_scenarios():
        if card.id == scenario_id:
            return card
    raise KeyError(scenario_id)
