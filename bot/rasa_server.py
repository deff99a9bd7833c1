"""``rasa run`` with its HTTP API behind ``RASA_AUTH_TOKEN``.

``python -m bot.rasa_server <rasa run options>`` is ``rasa run <options> --auth-token
$RASA_AUTH_TOKEN``, with the token added inside the process so that it never shows on
a command line (``ps``). Every route of Rasa's HTTP API (``/conversations/...``,
``/model/...``, ``/domain``) then needs ``?token=``; the channels' webhooks
(``/webhooks/...``) do not, and neither does ``GET /status``, the health check of
the outside contract (it tells the model's name and nothing about conversations).
It refuses to start without the token, or without ``ACTION_SERVER_TOKEN``, which
bot/endpoints.yml sends to the action server.

Every request body is capped at ``RASA_MAX_BODY_BYTES`` (1 MB): Sanic answers 413 from
the ``Content-Length`` alone, or as soon as a chunked body passes the cap, before any
channel or API route sees it (Sanic's own default is 100 MB).
"""
from __future__ import annotations

import os
import sys

REQUIRED = ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN")
OPEN_HANDLERS = frozenset({"status"})  # rasa.server's handler names
# A customer's message is a few hundred bytes, a WeChat delivery at most 64 KB (the
# channel's own cap), a call to Rasa's HTTP API some tens of KB.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def _keep_status_open() -> None:
    """``GET /status`` without the token; Rasa guards every API route alike."""
    import rasa.server

    guard = rasa.server.requires_auth

    def requires_auth(app, token=None):
        guarded = guard(app, token)
        return lambda handler: handler if handler.__name__ in OPEN_HANDLERS else guarded(handler)

    rasa.server.requires_auth = requires_auth


def main() -> None:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        sys.exit(f"Rasa server: refusing to start without {', '.join(missing)} "
                 "(devtools/stack.py sets both; README, 'What listens where')")
    sys.argv = ["rasa", "run", *sys.argv[1:], "--auth-token", os.environ["RASA_AUTH_TOKEN"]]
    # Sanic reads SANIC_* into the config of the app Rasa creates (REQUEST_MAX_SIZE).
    os.environ["SANIC_REQUEST_MAX_SIZE"] = os.environ.get("RASA_MAX_BODY_BYTES") or str(DEFAULT_MAX_BODY_BYTES)
    _keep_status_open()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
