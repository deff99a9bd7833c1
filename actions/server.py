"""The action server: rasa_sdk's app, open only to the Rasa server that holds the secret.

``python -m actions.server [--host H] [--port P]`` replaces ``python -m rasa_sdk``.
It listens on ``ACTION_HOST`` (default 127.0.0.1, never the public address by
accident) and ``ACTION_PORT`` (5055). The Rasa server sends
``Authorization: Bearer <ACTION_SERVER_TOKEN>`` (bot/endpoints.yml); every route but
``/health`` answers 401 without it. A body over ``MAX_BODY_BYTES`` gets 413, and so does
a deflate body (rasa_sdk inflates ``Content-Encoding: deflate`` whole) that would
inflate beyond it.

Each action call is run for the dealer its conversation is for: the tracker's
``dealer`` slot (actions/backend.py, ``serve_dealer``).
"""
from __future__ import annotations

import argparse
import gc
import hmac
import json
import logging
import os
import sys
import zlib

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app as create_sdk_app
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import backend, health
from dealer.settings import get_settings
from dealer.shared_secrets import SecretRefused, shared_secret

OPEN_PATHS = frozenset({"/health"})
# An action call carries the domain (about 30 KB) and the tracker (about 30 KB for a
# whole booking): 4 MB leaves room for very long conversations.
MAX_BODY_BYTES = 4 * 1024 * 1024


def create_app(token: str, max_body: int = MAX_BODY_BYTES) -> Sanic:
    if not token:
        raise ValueError("the action server needs a token")
    app = create_sdk_app("actions", cors_origins=None)  # no browser ever calls it
    app.config.REQUEST_MAX_SIZE = max_body  # Sanic answers 413 while reading the body
    expected = f"Bearer {token}".encode()

    @app.middleware("request")
    async def only_the_rasa_server(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return response.json({"error": "unauthorized"}, status=401,
                                 headers={"WWW-Authenticate": "Bearer"})
        if int(request.headers.get("Content-Length", 0)) > max_body:
            return _too_large()  # here too when Sanic stopped reading the body
        if request.headers.get("Content-Encoding") == "deflate":  # rasa_sdk's own test
            refused = _refuse_inflating(request.body, max_body)
            if refused is not None:
                return refused
        backend.serve_dealer(_dealer_slot(request))
        return None

    health.install(app)  # /health: 503 naming the dealer database when it is down

    @app.exception(SanicException)
    async def http_error(_request: Request, error: SanicException) -> HTTPResponse:
        # rasa_sdk answers 500 to every exception; 404, 405, 413 keep their status.
        return response.json({"error": str(error)}, status=error.status_code)

    return app


def _dealer_slot(request: Request) -> object:
    """The ``dealer`` slot of the tracker an action call carries (None if there is none).
    The middleware runs in the handler's task, so the dealer it sets is the action's."""
    if request.path != "/webhook" or request.method != "POST":
        return None
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            call = json.loads(zlib.decompress(request.body))
        else:
            call = request.json
        return call["tracker"]["slots"].get("dealer")
    except (ValueError, TypeError, KeyError, AttributeError, zlib.error, SanicException):
        return None  # rasa_sdk answers the malformed call itself


def _too_large() -> HTTPResponse:
    return response.json({"error": "request body too large"}, status=413)


def _refuse_inflating(body: bytes, limit: int) -> HTTPResponse | None:
    """413 for a deflate body that inflates beyond ``limit``, found without inflating more."""
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(body, limit + 1)
    except zlib.error:
        return response.json({"error": "invalid deflate body"}, status=400)
    if len(inflated) > limit:
        return _too_large()
    if not inflater.eof:
        return response.json({"error": "invalid deflate body"}, status=400)
    return None


def ready_to_serve() -> None:
    """Load what the first calls would load while a customer waits (backend.warm_up), then
    keep it out of the garbage collector's sight: pypinyin's dictionaries and the
    catalogues (~280,000 objects) are never garbage, and each full collection walked them
    (~70 ms, every few seconds under load)."""
    backend.warm_up()
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("ACTION_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_PORT", 5055)))
    args = parser.parse_args(argv)
    try:
        token = shared_secret(get_settings(), "action_server_token")
    except SecretRefused as refused:
        sys.exit(f"action server: {refused}")
    utils.configure_colored_logging(logging.INFO)  # as python -m rasa_sdk
    utils.update_sanic_log_level()
    app = create_app(token)
    ready_to_serve()
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
