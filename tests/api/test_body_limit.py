"""The API's body cap (api/body_limit.py): 413 before a route reads an oversized body,
declared (Content-Length) or streamed (chunked); bodies under the cap pass untouched."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from api.body_limit import BodySizeLimit
from api.config import ApiSettings

CAP = 4096


def chunks(total: int, size: int = 1024) -> Iterator[bytes]:
    """A body with no Content-Length: httpx sends it chunked."""
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


@pytest.fixture
def capped(make_client, settings: ApiSettings) -> TestClient:
    return make_client(settings.model_copy(update={"api_max_body_bytes": CAP}))


@pytest.mark.parametrize("path", ["/api/auth/token", "/chat/messages", "/advisor/login", "/no/such/route"])
def test_a_declared_oversized_body_gets_413_in_chinese(capped: TestClient, path: str) -> None:
    response = capped.post(path, content=b"x" * (CAP + 1), headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.json() == {"detail": "请求内容过大"}


@pytest.mark.parametrize(("path", "content_type"), [
    ("/api/auth/token", "application/x-www-form-urlencoded"),
    ("/chat/messages", "application/json"),
    ("/advisor/login", "application/x-www-form-urlencoded"),
])
def test_a_streamed_oversized_body_gets_413(capped: TestClient, path: str, content_type: str) -> None:
    response = capped.post(path, content=chunks(CAP * 4), headers={"Content-Type": content_type})

    assert response.status_code == 413
    assert response.json() == {"detail": "请求内容过大"}


def test_a_body_under_the_cap_passes(capped: TestClient) -> None:
    login = capped.post("/api/auth/token", data={"username": "advisor", "password": "advisor"})

    assert login.status_code == 200


def test_a_route_reading_the_raw_stream_is_stopped_at_the_cap() -> None:
    read: list[int] = []

    async def echo_length(request: Request) -> PlainTextResponse:
        async for chunk in request.stream():
            read.append(len(chunk))
        return PlainTextResponse(str(sum(read)))

    app = BodySizeLimit(Starlette(routes=[Route("/", echo_length, methods=["POST"])]), max_bytes=CAP)
    client = TestClient(app)

    assert client.post("/", content=chunks(CAP)).text == str(CAP)
    read.clear()
    refused = client.post("/", content=chunks(CAP * 100))
    assert refused.status_code == 413
    assert sum(read) <= CAP  # nothing past the cap reached the route
