"""Requests per client IP (api/ratelimit.py): /chat/messages and the two sign-ins get
429 with Retry-After and a Chinese message beyond their limits; X-Forwarded-For names
the client only when the connection comes from a trusted proxy."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.config import ApiSettings
from api.main import create_app
from api.routers.chat import ChatSettings, get_chat_settings
from tests.api.test_webchat_proxy import CONVERSATION, RASA_TOKEN, FakeRasa, rasa  # noqa: F401 (fixture)

MakeClient = Callable[..., TestClient]
WRONG = {"username": "advisor", "password": "not-the-password"}


def _assert_429(response) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "请求过于频繁" in response.text and "秒后再试" in response.text


def chat_client(rasa_url: str, tmp_path: Path, limit: str, address=("203.0.113.7", 40000)) -> TestClient:
    app = create_app(ApiSettings(app_env="test", database_url=f"sqlite:///{tmp_path / 'unused.db'}",
                                 rasa_auth_token=RASA_TOKEN, chat_rate_limit=limit))
    app.dependency_overrides[get_chat_settings] = lambda: ChatSettings(rasa_url=rasa_url, rasa_timeout=3)
    return TestClient(app, client=address)


def test_chat_messages_beyond_the_limit_get_429_and_never_reach_rasa(rasa: FakeRasa, tmp_path: Path) -> None:
    client = chat_client(rasa.url, tmp_path, "3/minute")
    message = {"conversation_id": CONVERSATION, "text": "你好"}

    answers = [client.post("/chat/messages", json=message) for _ in range(4)]

    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    _assert_429(answers[3])
    assert len(rasa.posted) == 3
    # The page and the history stay open: only sending messages is limited.
    assert client.get("/chat").status_code == 200


def test_each_client_ip_has_its_own_chat_limit(rasa: FakeRasa, tmp_path: Path) -> None:
    message = {"conversation_id": CONVERSATION, "text": "你好"}
    app_settings = ApiSettings(app_env="test", database_url=f"sqlite:///{tmp_path / 'unused.db'}",
                               rasa_auth_token=RASA_TOKEN, chat_rate_limit="1/minute")
    app = create_app(app_settings)
    app.dependency_overrides[get_chat_settings] = lambda: ChatSettings(rasa_url=rasa.url, rasa_timeout=3)
    first, second = (TestClient(app, client=(ip, 40000)) for ip in ("203.0.113.7", "203.0.113.8"))

    assert first.post("/chat/messages", json=message).status_code == 200
    assert first.post("/chat/messages", json=message).status_code == 429
    assert second.post("/chat/messages", json=message).status_code == 200


def test_the_two_sign_ins_share_one_limit_per_ip(make_client: MakeClient, database_url: str) -> None:
    client = make_client(ApiSettings(database_url=database_url, app_env="test", login_rate_limit="3/minute"))

    answers = [client.post("/api/auth/token", data=WRONG), client.post("/advisor/login", data=WRONG),
               client.post("/api/auth/token", data=WRONG)]
    api_again = client.post("/api/auth/token", data={"username": "advisor", "password": "advisor"})
    page_again = client.post("/advisor/login", data={"username": "advisor", "password": "advisor"})

    assert [a.status_code for a in answers] == [401, 401, 401]
    _assert_429(api_again)  # even the right password: the limit counts requests, not failures
    _assert_429(page_again)


def test_the_limit_is_reported_in_retry_after_seconds(make_client: MakeClient, database_url: str) -> None:
    client = make_client(ApiSettings(database_url=database_url, app_env="test", login_rate_limit="1/hour"))
    client.post("/api/auth/token", data=WRONG)

    refused = client.post("/api/auth/token", data=WRONG)

    assert refused.status_code == 429
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600


@pytest.mark.parametrize(
    ("address", "forwarded_for", "counted_as"),
    [
        # Through the proxy on 127.0.0.1: each customer is their own X-Forwarded-For address,
        # the right-most one the proxy appended (what a client wrote before it is not trusted).
        (("127.0.0.1", 40000), ["198.51.100.1", "198.51.100.2"], "each"),
        (("127.0.0.1", 40000), ["10.9.9.9, 198.51.100.1", "10.9.9.9, 198.51.100.2"], "each"),
        # Straight from the internet: a forged X-Forwarded-For changes nothing.
        (("203.0.113.9", 40000), ["198.51.100.1", "198.51.100.2"], "one"),
    ],
)
def test_x_forwarded_for_is_trusted_only_from_the_proxy(
    make_client: MakeClient, database_url: str, address, forwarded_for, counted_as
) -> None:
    client = make_client(ApiSettings(database_url=database_url, app_env="test", login_rate_limit="1/minute"),
                         address=address)

    codes = [client.post("/api/auth/token", data=WRONG, headers={"X-Forwarded-For": value}).status_code
             for value in forwarded_for]

    assert codes == ([401, 401] if counted_as == "each" else [401, 429])


def test_a_bad_limit_setting_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="chat_rate_limit"):
        ApiSettings(app_env="test", chat_rate_limit="lots")
