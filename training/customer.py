"""The simulated customer of a role play: deterministic for a card and a seed.

It understands the trainee with the same classifier the scorer uses (training/nlu.py),
answers only what was asked, in the card's words or the replies of
training/data/customer_replies.yml, volunteers the complaint (never the plate, unless the
card gives everything at once), refuses a full or impossible slot, wants empathy when
angry, gets impatient when asked the same thing twice and hangs up after the thanks.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from dealer.catalog import Catalog, load_catalog
from training.nlu import steps_in
from training.scenarios import Scenario

REPLIES_PATH = Path(__file__).resolve().parent / "data" / "customer_replies.yml"
# What the customer can answer (a question) and what it acknowledges (a statement).
FACT_STEPS = ("ask_time", "ask_service", "ask_name", "ask_phone", "ask_first_visit", "ask_plate",
              "ask_model", "ask_mileage", "ask_last_service", "ask_extra", "symptom_what",
              "symptom_when", "symptom_where", "symptom_frequency", "symptom_impact",
              "symptom_tried", "restate", "anything_else", "ask_repeat")
STATEMENT_STEPS = ("safety", "propose_slot", "name_advisor", "quote", "documents", "reminder")
# What a customer who gives everything at once has already said.
GIVEN_AT_ONCE = frozenset({"ask_time", "ask_service", "ask_name", "ask_phone", "ask_plate", "ask_model", "ask_mileage"})


@lru_cache
def load_replies(path: Path = REPLIES_PATH) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Reply:
    text: str
    done: bool


@dataclass
class SimulatedCustomer:
    card: Scenario
    seed: int = 0
    catalog: Catalog = field(default_factory=load_catalog)
    turn: int = 0
    asked: Counter = field(default_factory=Counter)
    empathy_given: bool = False
    angry_told: bool = False
    price_reminded: bool = False
    slot_agreed: bool = False
    time_changed: bool = False
    quoted: bool = False
    done: bool = False

    def reply(self, text: str) -> Reply:
        if self.done:
            return Reply(self._pick(self._replies()["reactions"]["after_goodbye"]), True)
        self.turn += 1
        rng = random.Random(f"{self.seed}:{self.card.id}:{self.turn}")
        steps = steps_in(text, self.catalog)
        self.empathy_given = self.empathy_given or "empathy" in steps
        self.quoted = self.quoted or "quote" in steps
        if "thanks" in steps and self.turn > 1:
            self.done = True
            return Reply(self._pick(self._replies()["reactions"]["goodbye"], rng), True)
        said: list[str] = []
        if self.turn == 1:
            said.append(self.card.opening)
        asked = [code for code in (*STATEMENT_STEPS, *FACT_STEPS) if code in steps]
        if (self.card.temperament == "angry" and not self.empathy_given and self.turn > 1 and asked
                and not self.angry_told):
            self.angry_told = True
            return Reply(self._pick(self._replies()["reactions"]["no_empathy"], rng), False)
        if self.card.asks_price_first and not self.quoted and self.turn >= 3 and not self.price_reminded:
            self.price_reminded = True
            said.append(self._pick(self._replies()["reactions"]["price_again"], rng))
        for code in asked:
            said.append(self._answer(code, text, rng))
        if self.slot_agreed and not self.time_changed and self.card.changes_time and (
                {"name_advisor", "quote", "documents", "reminder"} & steps):
            self.time_changed = True
            self.slot_agreed = False
            said.append(self.card.changes_time)
        if not said:
            said.append(self._pick(self._replies()["reactions"]["not_understood"], rng))
        opener = self._pick(self._replies()["temperament_openers"][self.card.temperament], rng)
        return Reply(opener + "".join(_sentence(part) for part in said if part), False)

    # --- one step ---------------------------------------------------------------

    def _answer(self, code: str, text: str, rng: random.Random) -> str:
        replies = self._replies()
        if code in STATEMENT_STEPS:
            return self._statement(code, text, rng)
        answer = self._fact(code, text, rng)
        times_asked = self.asked[code]
        self.asked[code] += 1
        told = self.card.gives_all and code in GIVEN_AT_ONCE
        if any(word in text for word in replies["confirm_words"]) and (told or times_asked):
            return self._pick(replies["reactions"]["confirmed"], rng).format(answer=answer)
        if times_asked >= 2:
            return self._pick(replies["reactions"]["impatient"], rng).format(answer=answer)
        if times_asked == 1 or told:
            return self._pick(replies["reactions"]["repeated"], rng).format(answer=answer)
        return answer

    def _statement(self, code: str, text: str, rng: random.Random) -> str:
        reactions = self._replies()["reactions"]
        if code == "propose_slot":
            full = next((slot for slot in self.card.full_times if slot in text), None)
            if full:
                return self._pick(reactions["full_slot"], rng).format(slot=full)
            busy = next((slot for slot in self.card.busy_times if slot in text), None)
            if busy and not self.time_changed:
                return self._pick(reactions["busy"], rng).format(slot=busy, **self.card.facts)
            self.slot_agreed = True
        return self._fill(self._pick(self._variants(code), rng))

    def _fact(self, code: str, text: str, rng: random.Random) -> str:
        replies = self._replies()
        not_applicable = replies["not_applicable"]
        if code == "ask_plate" and any(word in text for word in replies["vin_words"]):
            if "vin" in self.card.facts:
                return self._fill(self._pick(replies["answers"]["ask_vin"], rng))
            return self._fill(self._pick(not_applicable["ask_vin"], rng))
        if code in replies["yes_no"]:
            yes = not self.card.first_visit if code == "ask_first_visit" else bool(self.card.repeat)
            return self._pick(replies["yes_no"][code]["yes" if yes else "no"], rng)
        if code == "ask_last_service" and "last_service" not in self.card.facts:
            return self._pick(not_applicable["ask_last_service"], rng)
        if (code.startswith("symptom_") or code in ("restate", "anything_else")) and not self.card.complaint:
            return self._fill(self._pick(not_applicable["symptom"], rng))
        return self._fill(self._pick(self._variants(code), rng))

    # --- words ------------------------------------------------------------------

    def _variants(self, code: str) -> list[str]:
        return list(self.card.says.get(code) or self._replies()["answers"][code])

    def _fill(self, template: str) -> str:
        return template.format(**self.card.facts, **self.card.complaint)

    @staticmethod
    def _replies() -> dict:
        return load_replies()

    def _pick(self, variants: list[str], rng: random.Random | None = None) -> str:
        """One variant: by the card's own offset, so two cards say the same thing differently."""
        rng = rng or random.Random(f"{self.seed}:{self.card.id}:end")
        return variants[rng.randrange(len(variants))]


def _sentence(part: str) -> str:
    part = part.strip()
    return part if part[-1] in "。!?!?…~" else part + "。"


def replay(card: Scenario, seed: int, trainee_lines: list[str]) -> list[Reply]:
    """The customer's replies to these lines, from the start (the API keeps only the lines)."""
    customer = SimulatedCustomer(card, seed)
    return [customer.reply(line) for line in trainee_lines]
