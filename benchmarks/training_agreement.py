"""Issue 13 figures: the trainer's detector against hand labels, and the simulated
customer's answers to questions it was not built from.

    PYTHONPATH=. .venv/app/bin/python benchmarks/training_agreement.py

1. benchmarks/training/transcripts.yml (labelled by hand before the detector was written):
   per step, the accuracy of "does this advisor line perform the step" over every advisor
   line, with precision/recall, and the accuracy of "was the step done in the call"
   over the transcripts (what the scorecard shows).
2. benchmarks/training/questions.yml: each trainee question asked (after a greeting) of
   every card holding that fact (the angry card hears a word of empathy first, without which
   it answers nothing); answered = the reply holds the card's answer to it; and "only" = it
   holds no other of the card's facts (a question misread as two).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from dealer.catalog import load_catalog
from training.customer import SimulatedCustomer, load_replies
from training.nlu import steps_in
from training.scenarios import load_scenarios
from training.steps import load_training_script

HERE = Path(__file__).resolve().parent / "training"
GREETING = "您好,瑞通汽车售后服务中心,我是服务顾问小刘。"
# An angry card answers nothing before a word of empathy (by design): said to it first.
EMPATHY = "真对不起,让您生气了,这次我们一定负责到底。"
FACT = {"ask_name": "surname", "ask_phone": "phone", "ask_plate": "plate", "ask_model": "model",
        "ask_mileage": "mileage", "ask_time": "wanted_time", "ask_service": "service",
        "ask_last_service": "last_service", "ask_extra": "extra"}


def detector_agreement() -> None:
    catalog = load_catalog()
    codes = load_training_script().codes
    raw = yaml.safe_load((HERE / "transcripts.yml").read_text(encoding="utf-8"))["transcripts"]
    line_counts = {code: Counter() for code in codes}
    call_counts = {code: Counter() for code in codes}
    lines_total = exact = 0
    for transcript in raw:
        done_gold, done_found = set(), set()
        for line in transcript["lines"]:
            if line["speaker"] != "advisor":
                continue
            gold = set(line["steps"])
            found = steps_in(line["text"], catalog) & set(codes)
            lines_total += 1
            exact += gold == found
            done_gold |= gold
            done_found |= found
            for code in codes:
                line_counts[code][(code in gold, code in found)] += 1
        for code in codes:
            call_counts[code][(code in done_gold, code in done_found)] += 1
    print(f"advisor lines: {lines_total}, transcripts: {len(raw)}; lines with exactly the labelled steps: "
          f"{exact}/{lines_total} = {exact / lines_total:.3f}")
    print(f"{'step':<18}{'labelled':>9}{'line acc':>10}{'prec':>7}{'recall':>8}{'call acc':>10}")
    line_accs, call_accs = [], []
    for code in codes:
        c, k = line_counts[code], call_counts[code]
        tp, fp, fn, tn = c[(True, True)], c[(False, True)], c[(True, False)], c[(False, False)]
        acc = (tp + tn) / lines_total
        call_acc = (k[(True, True)] + k[(False, False)]) / len(raw)
        line_accs.append(acc)
        call_accs.append(call_acc)
        prec = f"{tp / (tp + fp):.2f}" if tp + fp else "  -"
        rec = f"{tp / (tp + fn):.2f}" if tp + fn else "  -"
        print(f"{code:<18}{tp + fn:>9}{acc:>10.3f}{prec:>7}{rec:>8}{call_acc:>10.3f}")
    print(f"{'mean':<18}{'':>9}{sum(line_accs) / len(line_accs):>10.3f}{'':>15}{sum(call_accs) / len(call_accs):>10.3f}")


def _expected(card, step: str) -> list[str] | None:
    """What in a reply answers this step for this card; None: the card holds no such fact."""
    if step in FACT:
        value = card.facts.get(FACT[step])
        return [value] if value else None
    if step.startswith("symptom_"):
        key = {"symptom_impact": "impact"}.get(step, step.removeprefix("symptom_"))
        return [card.complaint[key]] if card.complaint else None
    yes_no = load_replies()["yes_no"]
    if step == "ask_first_visit":
        return yes_no[step]["no" if card.first_visit else "yes"]
    if step == "ask_repeat":
        return yes_no[step]["yes" if card.repeat else "no"] if card.complaint else None
    return None


def customer_answers() -> None:
    questions = yaml.safe_load((HERE / "questions.yml").read_text(encoding="utf-8"))["questions"]
    asked = answered = only = 0
    per_step: dict[str, Counter] = {}
    misses = []
    for question in questions:
        for card in load_scenarios():
            expected = _expected(card, question["step"])
            if not expected:
                continue
            customer = SimulatedCustomer(card, seed=1)
            customer.reply(GREETING)
            if card.temperament == "angry":
                customer.reply(EMPATHY)
            reply = customer.reply(question["text"]).text
            ok = any(answer in reply for answer in expected)
            others = [v for v in (*card.facts.values(), *card.complaint.values())
                      if len(v) >= 2 and v not in expected and not any(v in e for e in expected)]
            asked += 1
            answered += ok
            only += ok and not any(v in reply for v in others)
            per_step.setdefault(question["step"], Counter())[ok] += 1
            if not ok:
                misses.append((question["text"], card.id, reply))
    print(f"\nsimulated customer: {len(questions)} trainee questions, {asked} asked of the cards holding the fact; "
          f"answered the question asked: {answered}/{asked} = {answered / asked:.3f}; "
          f"that and no other fact: {only}/{asked} = {only / asked:.3f}")
    for step, c in per_step.items():
        print(f"  {step:<18}{c[True]:>4}/{c[True] + c[False]}")
    unanswered = sorted({text for text, _, _ in misses})
    print(f"questions not answered on some card: {len(unanswered)}: " + " / ".join(unanswered))


def training_data_cross_validation(folds: int = 3) -> None:
    """The classifier's fit on held-out clauses of its own data file (top-1 step)."""
    import random

    from training.nlu import load_examples, normalise, train

    examples = load_examples()
    order = list(range(len(examples)))
    random.Random(1).shuffle(order)
    right = 0
    for fold in range(folds):
        held = set(order[fold::folds])
        model = train([examples[i] for i in order if i not in held])
        for i in held:
            text, label = examples[i]
            scores = model.clause_scores(normalise(text))
            right += max(scores, key=scores.get) == label
    print(f"\n{folds}-fold cross-validation of training/data/advisor_lines.yml (top-1 step of a held-out clause): "
          f"{right}/{len(examples)} = {right / len(examples):.3f}")


if __name__ == "__main__":
    detector_agreement()
    customer_answers()
    training_data_cross_validation()
