"""The scorecard: which script steps a trainee's lines performed, in which order, against
the steps the situation calls for (training/steps.py), with the model line of each."""
from __future__ import annotations

from dataclasses import dataclass

from dealer.catalog import Catalog, load_catalog
from dealer.script import load_script
from training.nlu import steps_in
from training.scenarios import Scenario
from training.steps import Situation, TrainingScript, load_training_script


@dataclass(frozen=True)
class StepResult:
    code: str
    name: str
    done: bool
    turn: int | None  # the trainee's line (1 = the first) that first performed it
    model_answer: str


@dataclass(frozen=True)
class Scorecard:
    score: int
    passed: bool
    steps: tuple[StepResult, ...]
    order_ok: bool
    pass_mark: int

    @property
    def missed(self) -> list[str]:
        return [step.name for step in self.steps if not step.done]

    def as_dict(self) -> dict:
        return {
            "score": self.score,
            "passed": self.passed,
            "pass_mark": self.pass_mark,
            "order_ok": self.order_ok,
            "missed": self.missed,
            "steps": [
                {"code": s.code, "name": s.name, "done": s.done, "turn": s.turn, "model_answer": s.model_answer}
                for s in self.steps
            ],
        }


def card_values(card: Scenario) -> dict[str, str]:
    """What a card fills into the model lines (the complaint, the wanted time)."""
    return {"symptom_what": card.complaint.get("what", "…"), "slot": card.facts["wanted_time"]}


def situation_of(lines: list[tuple[str, str]], found: list[set[str]], catalog: Catalog) -> Situation:
    """A transcript's situation from the customer's words: the service asked for, whether
    they have been before (their answer to that question), danger advice given."""
    customer_words = " ".join(text for speaker, text in lines if speaker == "customer")
    service = catalog.main_service_for(customer_words, describes_fault=False)
    first_visit = None
    advisor_turn = 0
    for index, (speaker, text) in enumerate(lines):
        if speaker != "advisor":
            continue
        if "ask_first_visit" in found[advisor_turn]:
            answer = next((t for s, t in lines[index + 1:] if s == "customer"), "")
            been = load_script().read_yes_no("first_visit", answer)
            first_visit = None if been is None else not been
        advisor_turn += 1
    return Situation(service_type=service, first_visit=first_visit, danger=any("safety" in f for f in found))


def score_lines(lines: list[tuple[str, str]], card: Scenario | None = None,
                catalog: Catalog | None = None, script: TrainingScript | None = None) -> Scorecard:
    """Score a conversation: ``lines`` are (speaker, text), speaker advisor or customer.
    With a card its facts decide which steps apply; a pasted transcript's situation is
    read from the customer's words, and a step it leaves open counts only when done."""
    catalog = catalog or load_catalog()
    script = script or load_training_script()
    advisor_lines = [text for speaker, text in lines if speaker == "advisor"]
    found = [steps_in(text, catalog) for text in advisor_lines]
    if card is not None:
        situation = Situation(card.service_type, card.first_visit, card.danger)
        values = card_values(card)
    else:
        situation = situation_of(lines, found, catalog)
        values = {}
    first_turn: dict[str, int] = {}
    for turn, steps in enumerate(found, start=1):
        for code in steps:
            first_turn.setdefault(code, turn)
    results = []
    for step in script.steps:
        applies = step.applies(situation, catalog)
        done = step.code in first_turn
        if applies is False or (applies is None and not done):
            continue
        results.append(StepResult(
            code=step.code, name=step.name, done=done, turn=first_turn.get(step.code),
            model_answer=script.model_line(step.code, catalog, values, situation.service_type, situation.first_visit),
        ))
    done_in_order = sorted((r for r in results if r.done), key=lambda r: r.turn)
    ranks = [rank for r in done_in_order if (rank := script.part_rank(r.code)) is not None]
    order_ok = all(a <= b for a, b in zip(ranks, ranks[1:]))
    score = round(100 * sum(r.done for r in results) / len(results)) if results else 0
    return Scorecard(score=score, passed=score >= catalog.training_pass_mark, steps=tuple(results),
                     order_ok=order_ok, pass_mark=catalog.training_pass_mark)
