"""The training API (issue 13) on SQLite and PostgreSQL: role plays with scripted trainees
(wordings that are neither training data nor evaluation lines), the scorecard, a pasted
transcript, the history, and who sees what."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.training.trainees import SLOPPY, SLOPPY_MISSES, perfect_lines
from training.scenarios import load_scenarios, scenario
from training.steps import load_training_script

PLAYED = ("maint-first", "noise-front", "angry-repeat", "brake-danger", "gives-all", "full-slot")


def _headers(login: Callable[[str, str], str], username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(username, username)}"}


def _play(client: TestClient, headers: dict[str, str], scenario_id: str, lines: list[str]) -> tuple[int, dict]:
    created = client.post("/api/training/sessions", json={"scenario": scenario_id}, headers=headers)
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    for line in lines:
        reply = client.post(f"/api/training/sessions/{session_id}/messages", json={"text": line}, headers=headers)
        assert reply.status_code == 200, reply.text
        assert reply.json()["customer"]
    assert reply.json()["done"] is (lines[-1] != SLOPPY[-1] or "拜拜" in lines[-1])
    card = client.post(f"/api/training/sessions/{session_id}/finish", headers=headers)
    assert card.status_code == 200, card.text
    return session_id, card.json()


def test_the_scenarios_list(client: TestClient, login) -> None:
    listed = client.get("/api/training/scenarios", headers=_headers(login, "trainee"))
    assert listed.status_code == 200
    cards = listed.json()
    assert len(cards) == len(load_scenarios()) >= 15
    assert set(cards[0]) >= {"id", "title", "difficulty", "service_type"}


@pytest.mark.parametrize("scenario_id", PLAYED)
def test_a_perfect_trainee_passes_with_full_marks(client: TestClient, login, scenario_id: str) -> None:
    headers = _headers(login, "trainee")
    _, card = _play(client, headers, scenario_id, perfect_lines(scenario(scenario_id)))
    assert (card["score"], card["passed"], card["order_ok"], card["missed"]) == (100, True, True, [])
    assert all(step["done"] and step["turn"] >= 1 for step in card["steps"])


@pytest.mark.parametrize("scenario_id", PLAYED)
def test_a_sloppy_trainee_fails_with_the_missed_steps_named(client: TestClient, login, scenario_id: str) -> None:
    headers = _headers(login, "trainee")
    _, card = _play(client, headers, scenario_id, SLOPPY)
    script = load_training_script()
    assert not card["passed"] and card["score"] < card["pass_mark"]
    for code in SLOPPY_MISSES:
        assert script.step(code).name in card["missed"]
    steps = {s["code"]: s for s in card["steps"]}
    assert steps["greeting"]["model_answer"] == script.model_line("greeting", __import__("dealer.catalog").catalog.load_catalog())
    assert steps["documents"]["done"] is False and "行驶证" in steps["documents"]["model_answer"]


def test_finishing_twice_gives_the_same_card_and_a_finished_session_takes_no_line(client: TestClient, login) -> None:
    headers = _headers(login, "trainee")
    session_id, card = _play(client, headers, "maint-first", SLOPPY)
    again = client.post(f"/api/training/sessions/{session_id}/finish", headers=headers)
    assert again.json() == card
    late = client.post(f"/api/training/sessions/{session_id}/messages", json={"text": "喂?"}, headers=headers)
    assert late.status_code == 409


def test_a_trainee_sees_only_their_own_and_a_trainer_everyones(client: TestClient, login) -> None:
    mine = _headers(login, "trainee")
    session_id, _ = _play(client, mine, "noise-front", SLOPPY)
    other = _headers(login, "trainee2")
    assert client.post(f"/api/training/sessions/{session_id}/finish", headers=other).status_code == 403
    assert client.post(f"/api/training/sessions/{session_id}/messages", json={"text": "您好"},
                       headers=other).status_code == 403
    assert client.get("/api/training/history?user=trainee", headers=other).status_code == 403
    assert client.get("/api/training/history", headers=other).json()["attempts"] == []
    trainer = _headers(login, "trainer")
    history = client.get("/api/training/history?user=trainee", headers=trainer)
    assert history.status_code == 200
    assert [a["id"] for a in history.json()["attempts"]] == [session_id]
    assert client.post(f"/api/training/sessions/{session_id}/finish", headers=trainer).status_code == 200
    # Neither trainer nor trainee sees customers' data; an admin does not train.
    assert client.get("/api/drafts", headers=trainer).status_code == 403
    assert client.get("/api/drafts", headers=mine).status_code == 403


def test_history_gives_each_attempt_and_each_steps_trend(client: TestClient, login) -> None:
    headers = _headers(login, "trainee")
    _play(client, headers, "maint-first", SLOPPY)
    _play(client, headers, "maint-first", perfect_lines(scenario("maint-first")))
    history = client.get("/api/training/history", headers=headers).json()
    assert [a["score"] for a in history["attempts"]][-1] == 100
    assert history["attempts"][0]["score"] < 100
    trends = {s["code"]: s["done"] for s in history["steps"]}
    assert trends["greeting"][-2:] == [False, True]


def test_a_pasted_transcript_gets_the_same_scorecard(client: TestClient, login) -> None:
    headers = _headers(login, "advisor")
    lines = [{"speaker": "advisor", "text": line} for line in perfect_lines(scenario("maint-first"))]
    lines.insert(1, {"speaker": "customer", "text": "你好,我想做个保养"})
    card = client.post("/api/training/score", json={"lines": lines}, headers=headers)
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["passed"] and body["score"] == 100
    codes = {s["code"] for s in body["steps"]}
    assert "symptom_when" not in codes  # maintenance, read from the customer's words
    sloppy = client.post("/api/training/score", json={"lines": [{"speaker": "advisor", "text": t} for t in SLOPPY]},
                         headers=headers).json()
    assert not sloppy["passed"] and load_training_script().step("greeting").name in sloppy["missed"]


def test_bad_requests(client: TestClient, login) -> None:
    headers = _headers(login, "trainee")
    assert client.post("/api/training/sessions", json={"scenario": "no-such"}, headers=headers).status_code == 422
    assert client.post("/api/training/sessions/999999/finish", headers=headers).status_code == 404
    created = client.post("/api/training/sessions", json={"scenario": "maint-first"}, headers=headers).json()
    long_line = client.post(f"/api/training/sessions/{created['id']}/messages", json={"text": "好" * 501},
                            headers=headers)
    assert long_line.status_code == 422
    assert client.get("/api/training/scenarios").status_code == 401
