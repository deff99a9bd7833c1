"""The evaluation sets and the tests' trainee lines are never training data."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.training.trainees import all_wordings
from training.nlu import load_examples, normalise
from training.scenarios import ScenarioError, load_scenarios, parse_scenarios

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "training"


def _training_lines() -> set[str]:
    return {normalise(text) for text, _ in load_examples()}


def _transcript_lines() -> set[str]:
    raw = yaml.safe_load((BENCH / "transcripts.yml").read_text(encoding="utf-8"))
    return {normalise(line["text"]) for t in raw["transcripts"] for line in t["lines"] if line["speaker"] == "advisor"}


def _question_lines() -> set[str]:
    raw = yaml.safe_load((BENCH / "questions.yml").read_text(encoding="utf-8"))
    return {normalise(q["text"]) for q in raw["questions"]}


def test_no_evaluation_line_is_training_data():
    training = _training_lines()
    assert not training & _transcript_lines()
    assert not training & _question_lines()


def test_the_tests_trainee_wordings_are_neither_training_data_nor_evaluation_lines():
    wordings = {normalise(line) for line in all_wordings(load_scenarios())}
    assert not wordings & _training_lines()
    assert not wordings & _transcript_lines()


def test_the_transcripts_are_at_least_twenty_and_labelled_with_script_steps():
    from training.steps import load_training_script

    codes = set(load_training_script().codes)
    raw = yaml.safe_load((BENCH / "transcripts.yml").read_text(encoding="utf-8"))
    assert len(raw["transcripts"]) >= 20
    for t in raw["transcripts"]:
        for line in t["lines"]:
            if line["speaker"] == "advisor":
                assert set(line["steps"]) <= codes, (t["id"], line)


def test_at_least_fifteen_cards_and_bad_cards_are_refused():
    cards = load_scenarios()
    assert len(cards) >= 15
    good = yaml.safe_load((Path(__file__).resolve().parents[2] / "training" / "scenarios.yml").read_text(encoding="utf-8"))
    card = dict(good["scenarios"][3])
    for change, reason in [
        ({"service_type": "spa"}, "service_type"),
        ({"temperament": "sleepy"}, "temperament"),
        ({"facts": {**card["facts"], "phone": "12345"}}, "phone"),
        ({"facts": {k: v for k, v in card["facts"].items() if k != "complaint"}}, "six complaint"),
    ]:
        with pytest.raises(ScenarioError, match=reason):
            parse_scenarios({"scenarios": [{**card, **change}]})
    with pytest.raises(ScenarioError, match="duplicate"):
        parse_scenarios({"scenarios": [card, card]})
