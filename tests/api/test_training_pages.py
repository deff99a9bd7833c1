"""The training pages (issue 13) through the app: a trainee signs in to the training, plays
a role play by form posts to its scorecard; a trainer sees the team; the 话术 sheet."""
from __future__ import annotations

from fastapi.testclient import TestClient

from tests.training.trainees import perfect_lines
from training.scenarios import scenario
from training.steps import load_training_script


def _sign_in(client: TestClient, username: str) -> None:
    response = client.post("/advisor/login", data={"username": username, "password": username},
                           follow_redirects=False)
    assert response.status_code == 303
    if username.startswith("train"):
        assert response.headers["location"] == "/advisor/training"  # no inbox for them


def test_a_role_play_by_form_posts_to_its_scorecard_and_the_history(client: TestClient) -> None:
    _sign_in(client, "trainee")
    index = client.get("/advisor/training")
    assert index.status_code == 200 and "新车首保" in index.text and "草稿收件箱" not in index.text
    started = client.post("/advisor/training/sessions", data={"scenario": "maint-first"}, follow_redirects=False)
    assert started.status_code == 303
    url = started.headers["location"]
    for line in perfect_lines(scenario("maint-first")):
        assert client.post(f"{url}/messages", data={"text": line}, follow_redirects=False).status_code == 303
    page = client.get(url)
    assert "客户已挂断电话" in page.text and perfect_lines(scenario("maint-first"))[0] in page.text
    card = client.post(f"{url}/finish")
    assert card.status_code == 200 and "100" in card.text and "通过" in card.text
    history = client.get("/advisor/training/history")
    assert "新车首保" in history.text and "100" in history.text
    assert client.get("/advisor").status_code == 403  # no customer data


def test_the_sloppy_scorecard_shows_the_model_lines_and_the_team_its_weakest_steps(client: TestClient) -> None:
    _sign_in(client, "trainee")
    url = client.post("/advisor/training/sessions", data={"scenario": "noise-front"},
                      follow_redirects=False).headers["location"]
    client.post(f"{url}/messages", data={"text": "喂,哪位"})
    card = client.post(f"{url}/finish").text
    script = load_training_script()
    assert "未通过" in card and script.responses["utter_ask_phone"] in card
    client.post("/advisor/logout")
    _sign_in(client, "trainer")
    team = client.get("/advisor/training/team")
    assert team.status_code == 200 and "trainee" in team.text and script.step("ask_phone").name in team.text
    assert client.get(url).status_code == 200  # the trainer reads it
    client.post("/advisor/logout")
    _sign_in(client, "trainee2")
    assert client.get(url).status_code == 403
    assert client.get("/advisor/training/team").status_code == 403


def test_the_script_sheet_is_the_script(client: TestClient) -> None:
    _sign_in(client, "advisor")
    sheet = client.get("/advisor/training/script")
    script = load_training_script()
    assert sheet.status_code == 200
    for step in script.steps:
        assert step.name in sheet.text
    assert script.responses["utter_quote_after_inspection"] in sheet.text
    assert script.responses["utter_ask_customer_name"] in sheet.text


def test_a_pasted_real_call_is_scored_and_not_kept(client: TestClient) -> None:
    _sign_in(client, "trainee")
    pasted = "顾问:喂,哪位\n客户:我想做个保养\n顾问:那明天来吧"
    page = client.post("/advisor/training/score", data={"transcript": pasted})
    script = load_training_script()
    assert page.status_code == 200 and "未通过" in page.text
    assert script.step("greeting").name in page.text and script.responses["utter_ask_phone"] in page.text
    history = client.get("/advisor/training/history")
    assert "还没有练习" in history.text  # a pasted call is not an attempt
