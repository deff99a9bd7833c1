"""The faster action-response check accepts and refuses exactly what Rasa's own does."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import bot.components  # noqa: F401  (installs the check, as loading the model does)
from bot import speedups

ACTION = RemoteAction("action_submit_booking", None)
VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "phone", "value": "13812345678"}], "responses": [{"text": "好的"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_listen"}]},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"name": "phone"}]},
    {"responses": "oops"},
]


def test_the_check_is_installed() -> None:
    assert RemoteAction._validate_action_result is speedups._validate_action_result
    assert speedups.rasa_check is not speedups._validate_action_result


@pytest.mark.parametrize("result", VALID)
def test_valid_responses_pass(result: dict) -> None:
    assert speedups._validate_action_result(ACTION, result) is True
    assert speedups.rasa_check(ACTION, result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_responses_are_refused_as_rasa_does(result: dict) -> None:
    with pytest.raises(ValidationError) as ours:
        speedups._validate_action_result(ACTION, result)
    with pytest.raises(ValidationError) as theirs:
        speedups.rasa_check(ACTION, result)
    assert ours.value.message == theirs.value.message
    assert "Failed to validate Action server response" in ours.value.message
