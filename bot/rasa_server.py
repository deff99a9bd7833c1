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

Personal data is masked in every log line (``dealer/privacy.py``), Rasa's structured
(structlog) lines and the tracker store's SQL errors included.

A custom action call that fails or takes over ``ACTION_SERVER_TIMEOUT`` seconds (4)
gets the customer an apology with the dealer's phone and undoes the turn
(``bot/action_fault.py``).

Each conversation is for one dealer, named by its channel at the session start
(``bot/conversation_dealer.py``).

``PUT /model`` loads the new model beside the running one, not on the event loop
(``bot/model_reload.py``): no request waits on, or fails because of, a reload.
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
    """``GET /status`` without the token; Rasa guards every API route alike. The token is
    compared in constant time here first (Rasa's own check is a plain ``==``, whose time
    tells how much of a guess was right); Rasa's check then runs as before."""
    import hmac
    from functools import wraps
    from http import HTTPStatus

    import rasa.server

    guard = rasa.server.requires_auth

    def requires_auth(app, token=None):
        guarded = guard(app, token)

        def decorate(handler):
            if handler.__name__ in OPEN_HANDLERS:
                return handler
            inner = guarded(handler)

            @wraps(handler)
            async def checked(request, *args, **kwargs):
                provided = (request.args.get("token") or "").encode()
                if token is None or not hmac.compare_digest(provided, token.encode()):
                    raise rasa.server.ErrorResponse(
                        HTTPStatus.UNAUTHORIZED, "NotAuthenticated", "User is not authenticated."
                    )
                return await inner(request, *args, **kwargs)

            return checked

        return decorate

    rasa.server.requires_auth = requires_auth


def _mask_personal_data_in_logs() -> None:
    """Phones, plates, VINs and named customers masked in every log line (dealer/privacy.py),
    and no SQL parameter in the tracker store's errors; before Rasa makes any engine or logger."""
    import sqlalchemy

    from dealer.privacy import install_log_masking

    install_log_masking()
    make_engine = sqlalchemy.create_engine

    def create_engine(*args, **kwargs):
        kwargs.setdefault("hide_parameters", True)
        return make_engine(*args, **kwargs)

    sqlalchemy.create_engine = create_engine  # rasa.core.tracker_store: sa.create_engine(...)


def _unescaped_structured_logs(rasa_main_module) -> None:
    """Rasa's structlog JSON lines escape Chinese (\\u4eac for 京), which would hide a
    plate or a name from the masking; rendered as UTF-8, the record factory sees them."""
    import structlog

    configure = rasa_main_module.configure_structlog

    def configure_structlog(*args, **kwargs):
        configure(*args, **kwargs)
        processors = [
            structlog.processors.JSONRenderer(ensure_ascii=False)
            if isinstance(p, structlog.processors.JSONRenderer) else p
            for p in structlog.get_config()["processors"]
        ]
        structlog.configure(processors=processors)

    rasa_main_module.configure_structlog = configure_structlog


def _close_kept_alive_connections_on_stop() -> None:
    """Rasa closes the agent's broker and lock store after the server stops
    (rasa.core.run.close_resources, registered by serve_application); the action server's
    kept-alive connections (bot/speedups.py) are closed with them, not left to the
    interpreter's exit ("Unclosed client session")."""
    import rasa.core.run

    from bot import speedups

    rasa_close = rasa.core.run.close_resources
    if getattr(rasa_close, "closes_kept_alive_connections", False):
        return

    async def close_resources(app, loop) -> None:
        try:
            await rasa_close(app, loop)
        finally:
            await speedups.close_shared_sessions()

    close_resources.closes_kept_alive_connections = True
    rasa.core.run.close_resources = close_resources


def rasa_run_argv(options: list[str], auth_token: str) -> list[str]:
    """``rasa run <options>`` with the token as ``--auth-token=<token>``: a URL-safe token
    may begin with "-", which argparse takes for an option when it is a separate word."""
    return ["rasa", "run", *options, f"--auth-token={auth_token}"]


def main() -> None:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        sys.exit(f"Rasa server: refusing to start without {', '.join(missing)} "
                 "(devtools/stack.py sets both; README, 'What listens where')")
    sys.argv = rasa_run_argv(sys.argv[1:], os.environ["RASA_AUTH_TOKEN"])
    # Sanic reads SANIC_* into the config of the app Rasa creates (REQUEST_MAX_SIZE).
    os.environ["SANIC_REQUEST_MAX_SIZE"] = os.environ.get("RASA_MAX_BODY_BYTES") or str(DEFAULT_MAX_BODY_BYTES)
    _keep_status_open()
    _mask_personal_data_in_logs()
    from bot import action_fault, conversation_dealer, model_reload

    action_fault.install()
    conversation_dealer.install()
    model_reload.install()
    _close_kept_alive_connections_on_stop()
    import rasa.__main__

    _unescaped_structured_logs(rasa.__main__)
    rasa.__main__.main()


if __name__ == "__main__":
    main()
