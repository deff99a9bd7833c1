"""The steps a trainee is scored on, read from the booking script (``phone_training:`` in
dealer/booking_script.yml) and their model lines from the assistant's own responses
(domain.yml) or the script's phone-only lines. Nothing of the script is written here."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from dealer.catalog import Catalog, load_catalog
from dealer.reminder_script import load_reminder_script
from dealer.script import SCRIPT_PATH, ScriptStep, load_script

DOMAIN_PATH = Path(__file__).resolve().parent.parent / "domain.yml"
UNORDERED = "any"  # a step said whenever it is needed (the danger advice)


@dataclass(frozen=True)
class Situation:
    """What decides which steps apply: the service, whether the customer has been before
    (None: not known) and whether danger signs were told."""

    service_type: str | None
    first_visit: bool | None
    danger: bool


@dataclass(frozen=True)
class TrainingStep:
    code: str
    name: str
    part: str
    script_step: ScriptStep | None  # the booking step it mirrors (its `when` applies)
    line: str | None  # a phone-only model line
    response: str | dict[str, str] | None  # a domain response (by quote kind when a dict)
    danger_only: bool = False

    def applies(self, situation: Situation, catalog: Catalog) -> bool | None:
        """True / False, or None when the situation does not say (a transcript)."""
        if self.danger_only:
            return situation.danger
        step = self.script_step
        if step is None:
            return True
        if step.service_flag:
            if situation.service_type is None:
                return None
            if step.service_flag not in catalog.service_type(situation.service_type).flags:
                return False
        if step.returning_customer_only:
            if situation.first_visit is None:
                return None
            return situation.first_visit is False
        return True


@dataclass(frozen=True)
class TrainingScript:
    parts: tuple[str, ...]
    steps: tuple[TrainingStep, ...]
    responses: dict[str, str]  # domain response -> its first text

    def step(self, code: str) -> TrainingStep:
        for step in self.steps:
            if step.code == code:
                return step
        raise KeyError(code)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(step.code for step in self.steps)

    def part_rank(self, code: str) -> int | None:
        part = self.step(code).part
        return None if part == UNORDERED else self.parts.index(part)

    def model_line(self, code: str, catalog: Catalog, values: dict[str, str] | None = None,
                   service_type: str | None = None, first_visit: bool | None = None) -> str:
        """The line the script says for this step, filled from the dealer file, the
        script and ``values`` (the card's facts); what is not known shows as …"""
        step = self.step(code)
        quote = catalog.service_type(service_type).quote if service_type else "price_list"
        if step.line is not None:
            template = step.line
        elif isinstance(step.response, dict):
            template = self.responses[step.response.get(quote) or next(iter(step.response.values()))]
        elif step.response:
            template = self.responses[step.response]
        else:
            ask = step.script_step.ask
            template = self.responses.get(ask) or self.responses[f"utter_ask_{step.script_step.slot}"]
        script = load_script()
        fill: defaultdict[str, str] = defaultdict(lambda: "…")
        fill.update(
            dealer=catalog.name,
            advisor=catalog.advisors[0].name,
            rescue_phone=catalog.rescue_phone,
            price_list=catalog.price_list_text(),
            documents="、".join(script.documents(first_visit if first_visit is not None else True)),
            promise=load_reminder_script().promise["call"],
            slot="明天上午10:00",
        )
        fill.update(values or {})
        return template.format_map(fill)


def _responses(path: Path) -> dict[str, str]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: variants[0]["text"] for name, variants in raw["responses"].items() if variants and "text" in variants[0]}


@lru_cache
def load_training_script(script_path: Path = SCRIPT_PATH, domain_path: Path = DOMAIN_PATH) -> TrainingScript:
    raw = yaml.safe_load(script_path.read_text(encoding="utf-8"))["phone_training"]
    booking = {step.slot: step for step in load_script(script_path).steps}
    responses = _responses(domain_path)
    steps = []
    for entry in raw["steps"]:
        slot = entry.get("slot")
        if slot is not None and slot not in booking:
            raise ValueError(f"phone_training step {entry['code']}: no booking step for slot {slot}")
        if entry["part"] not in (*raw["parts"], UNORDERED):
            raise ValueError(f"phone_training step {entry['code']}: unknown part {entry['part']}")
        steps.append(TrainingStep(
            code=entry["code"], name=entry["name"], part=entry["part"],
            script_step=booking.get(slot) if slot else None,
            line=entry.get("line"), response=entry.get("response"),
            danger_only=entry.get("when") == "danger",
        ))
    script = TrainingScript(parts=tuple(raw["parts"]), steps=tuple(steps), responses=responses)
    catalog = load_catalog()
    for step in script.steps:  # every model line resolves now, not in front of a trainee
        script.model_line(step.code, catalog)
    return script
