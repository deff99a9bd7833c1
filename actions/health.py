"""The action server's ``GET /health``: 200 ``{"status": "ok"}`` while the dealer database
answers, else 503 naming it (dealer/health.py); rasa_sdk's own route always says ok.

Installed by actions/server.py as a request middleware on that one path (it answers
before rasa_sdk's handler); still open without the Rasa server's token.
"""
from __future__ import annotations

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from dealer.health import OK, database_answers, database_down
from dealer.settings import get_settings

PATH = "/health"


def install(app: Sanic) -> None:
    @app.middleware("request")
    async def health(request: Request) -> HTTPResponse | None:
        if request.path != PATH or request.method != "GET":
            return None
        if await database_answers(get_settings().database_url):
            return response.json(OK)
        return response.json(database_down(), status=503)
