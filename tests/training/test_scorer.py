"""The scorecard against the script data, with scripted trainees."""
from __future__ import annotations

import pytest

from dealer.catalog import load_catalog
from tests.training.trainees import SLOPPY, SLOPPY_MISSES, perfect_lines
from training.customer import SimulatedCustomer
from training.scenarios import load_scenarios, scenario
from training.scorer import score_lines
from training.steps import load_training_script


def play(card, lines, seed=7):
    customer = SimulatedCustomer(card, seed)
    said = []
    for line in lines:
        reply = customer.reply(line)
        said += [("advisor", line), ("customer", reply.text)]
    return said, reply


@pytest.mark.parametrize("card", load_scenarios(), ids=lambda c: c.id)
def test_a_perfect_trainee_scores_full_marks_on_every_card(card):
    said, last = play(card, perfect_lines(card))
    card_result = score_lines(said, card)
    assert card_result.missed == []
    assert (card_result.score, card_result.passed, card_result.order_ok) == (100, True, True)
    assert last.done


@pytest.mark.parametrize("card_id", ["maint-first", "noise-front", "angry-repeat", "brake-danger", "warranty-leak"])
def test_a_sloppy_trainee_misses_named_steps_and_fails(card_id):
    card = scenario(card_id)
    said, _ = play(card, SLOPPY)
    result = score_lines(said, card)
    script = load_training_script()
    for code in SLOPPY_MISSES:
        assert script.step(code).name in result.missed
    assert not result.passed and result.score < load_catalog().training_pass_mark
    # Every miss shows the script's model line (the assistant's own question for a booking step).
    steps = {s.code: s for s in result.steps}
    assert steps["ask_phone"].model_answer == script.responses["utter_ask_phone"]
    if card.danger:
        assert not steps["safety"].done and load_catalog().rescue_phone in steps["safety"].model_answer
    else:
        assert "safety" not in steps


def test_routine_maintenance_has_no_interview_and_a_first_visit_no_last_service():
    result = score_lines(play(scenario("maint-first"), SLOPPY)[0], scenario("maint-first"))
    codes = {s.code for s in result.steps}
    assert not codes & {"symptom_when", "restate", "anything_else", "ask_repeat", "ask_last_service", "safety"}
    repair = score_lines([], scenario("angry-repeat"))
    assert {"symptom_when", "restate", "ask_last_service"} <= {s.code for s in repair.steps}


def test_order_against_the_script_and_the_turn_of_each_step():
    card = scenario("maint-first")
    lines = perfect_lines(card)
    thanks = lines.pop()
    lines.insert(1, "好的,先谢谢您的耐心等待。")  # thanked second, before the rest
    said, _ = play(card, lines + [thanks])
    result = score_lines(said, card)
    assert not result.order_ok
    assert {s.code: s.turn for s in result.steps}["greeting"] == 1


def test_a_pasted_transcript_reads_its_situation_from_the_customer():
    lines = [
        ("advisor", "您好,瑞通汽车,我是服务顾问周明。"),
        ("customer", "我想做个保养"),
        ("advisor", "请问您打算哪一天什么时候把车开过来?"),
        ("customer", "明天"),
    ]
    result = score_lines(lines)
    codes = {s.code for s in result.steps}
    assert "symptom_when" not in codes and "quote" in codes
    assert [s.code for s in result.steps if s.done] == ["greeting", "ask_time"]
    assert "保养参考价格" in {s.code: s for s in result.steps}["quote"].model_answer
