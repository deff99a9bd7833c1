"""The web chat page's routes: the page, its proxy to Rasa's webchat channel, the transcript."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.config import ApiSettings
from api.main import create_app
from api.routers.chat import ChatSettings, get_chat_settings, transcript

CONVERSATION = "web-" + "0123456789abcdef" * 2
RASA_TOKEN = "t" * 40
SERVICE_BUTTONS = [{"title": "保养", "payload": '/inform{"service_type": "保养"}'},
                   {"title": "维修", "payload": '/inform{"service_type": "维修"}'}]


class FakeRasa:
    """Rasa's webchat webhook and tracker endpoint, recording what it was sent."""

    def __init__(self) -> None:
        self.posted: list[dict] = []
        self.read: list[str] = []  # the paths (with query) of tracker reads
        self.authorizations: list[str | None] = []  # the Authorization header of each post
        self.dealer = "demo"  # the conversation's dealer slot in the tracker read back
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.posted.append({"path": self.path, **body})
                fake.authorizations.append(self.headers.get("Authorization"))
                self._json([{"recipient_id": body["sender"], "text": "请问做什么项目?", "buttons": SERVICE_BUTTONS},
                            {"recipient_id": body["sender"], "image": "http://x/y.png"}])

            def do_GET(self) -> None:
                fake.read.append(self.path)
                self._json({"sender_id": CONVERSATION, "slots": {"dealer": fake.dealer}, "events": [
                    {"event": "action", "name": "action_session_start"},
                    {"event": "user", "text": "我想预约", "input_channel": "webchat"},
                    {"event": "bot", "text": "请问做什么项目?", "data": {"buttons": SERVICE_BUTTONS}},
                    {"event": "user", "text": '/inform{"service_type": "保养"}'},
                    {"event": "slot", "name": "service_type", "value": "保养"},
                    {"event": "bot", "text": "请问您贵姓?", "data": {}},
                ]})

            def _json(self, data) -> None:
                raw = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def client_for(rasa_url: str, tmp_path: Path) -> TestClient:
    app = create_app(ApiSettings(app_env="test", database_url=f"sqlite:///{tmp_path / 'unused.db'}",
                                 rasa_auth_token=RASA_TOKEN))
    app.dependency_overrides[get_chat_settings] = lambda: ChatSettings(rasa_url=rasa_url, rasa_timeout=3)
    return TestClient(app)


def test_the_page_and_its_assets_are_served_in_chinese(rasa, tmp_path):
    client = client_for(rasa.url, tmp_path)
    page = client.get("/chat")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text and 'name="viewport"' in page.text
    assert client.get("/chat/assets/chat.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/chat/assets/index.html").status_code == 404


def test_a_message_goes_to_the_webchat_channel_and_buttons_come_back(rasa, tmp_path):
    response = client_for(rasa.url, tmp_path).post(
        "/chat/messages", json={"conversation_id": CONVERSATION, "text": "我想预约"})
    assert response.status_code == 200
    assert response.json() == [{"sender": "bot", "text": "请问做什么项目?", "buttons": SERVICE_BUTTONS}]
    assert rasa.posted == [{"path": "/webhooks/webchat/webhook", "sender": CONVERSATION, "message": "我想预约",
                            "metadata": {"dealer": "demo"}}]
    # The webchat channel refuses a post without the token (tests/security/test_rest_channel.py).
    assert rasa.authorizations == [f"Bearer {RASA_TOKEN}"]


def test_history_shows_a_clicked_button_as_its_title(rasa, tmp_path):
    lines = client_for(rasa.url, tmp_path).get(f"/chat/history/{CONVERSATION}").json()
    assert [(line["sender"], line["text"]) for line in lines] == [
        ("user", "我想预约"), ("bot", "请问做什么项目?"), ("user", "保养"), ("bot", "请问您贵姓?")]


def test_history_is_read_with_rasas_api_token(rasa, tmp_path):
    # Rasa's HTTP API answers 401 without it (tests/security/test_internal_services.py).
    client_for(rasa.url, tmp_path).get(f"/chat/history/{CONVERSATION}")
    assert rasa.read == [f"/conversations/{CONVERSATION}/tracker?token={RASA_TOKEN}"]


@pytest.mark.parametrize("conversation_id", ["web-123", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "../status", "WEB-" + "a" * 32])
def test_only_browser_made_ids_can_be_used(rasa, tmp_path, conversation_id):
    client = client_for(rasa.url, tmp_path)
    assert client.get(f"/chat/history/{conversation_id}").status_code in (404, 422)
    assert client.post("/chat/messages", json={"conversation_id": conversation_id, "text": "你好"}).status_code == 422
    assert rasa.posted == []


def test_rasa_down_is_a_polite_503(tmp_path):
    client = client_for("http://127.0.0.1:9", tmp_path)
    response = client.post("/chat/messages", json={"conversation_id": CONVERSATION, "text": "你好"})
    assert response.status_code == 503
    assert "稍后再试" in response.json()["detail"]


def test_transcript_skips_events_that_are_not_messages():
    assert transcript([{"event": "user", "text": None}, {"event": "bot", "text": None, "data": {}},
                       {"event": "slot", "name": "x"}]) == []


def test_each_dealer_has_its_page_with_its_name_hours_and_greeting(rasa, tmp_path):
    from dealer.catalog import load_dealers

    client = client_for(rasa.url, tmp_path)
    for code, catalog in load_dealers().items():
        page = client.get(f"/chat/{code}")
        assert page.status_code == 200
        assert f"<h1>{catalog.name}</h1>" in page.text and catalog.opening_hours_text in page.text
        assert f'data-dealer="{code}"' in page.text
        assert f'data-greeting="您好,{catalog.name},请问有什么可以帮您?"' in page.text
    default_page = client.get("/chat").text
    assert 'data-dealer="demo"' in default_page and 'data-storage-key="ruitong-chat-conversation"' in default_page
    assert 'data-storage-key="ruitong-chat-conversation-pudong"' in client.get("/chat/pudong").text
    assert client.get("/chat/nowhere").status_code == 404


def test_a_dealers_page_sends_its_dealer_to_rasa(rasa, tmp_path):
    client = client_for(rasa.url, tmp_path)
    sent = client.post("/chat/messages", json={"conversation_id": CONVERSATION, "text": "你好", "dealer": "pudong"})
    unknown = client.post("/chat/messages", json={"conversation_id": CONVERSATION, "text": "你好", "dealer": "nowhere"})

    assert sent.status_code == 200 and unknown.status_code == 404
    assert [post["metadata"] for post in rasa.posted] == [{"dealer": "pudong"}]


def test_a_conversation_is_read_back_on_its_own_dealers_page_only(rasa, tmp_path):
    client = client_for(rasa.url, tmp_path)
    rasa.dealer = "pudong"

    assert client.get(f"/chat/history/{CONVERSATION}?dealer=pudong").status_code == 200
    assert client.get(f"/chat/history/{CONVERSATION}").status_code == 404
    assert client.get(f"/chat/history/{CONVERSATION}?dealer=nowhere").status_code == 404
