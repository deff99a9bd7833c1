"""bot/rasa_server.py hands Rasa's own command line the shared token."""
from __future__ import annotations

import pytest
from rasa.__main__ import create_argument_parser

from bot.rasa_server import rasa_run_argv


# secrets.token_urlsafe draws "-" and "_" too: one token in 64 begins with "-", which a
# separate argv word would make argparse read as an option (rasa run: error: argument
# -t/--auth-token: expected one argument).
@pytest.mark.parametrize("token", ["-fdK2x_9QvLr", "--x", "_abc-DEF", "plainToken123"])
def test_rasa_reads_the_token_whatever_its_first_character(token: str) -> None:
    argv = rasa_run_argv(["--enable-api", "--port", "5005"], token)
    assert argv[:2] == ["rasa", "run"]
    arguments = create_argument_parser().parse_args(argv[1:])
    assert arguments.auth_token == token
    assert arguments.port == 5005
    assert arguments.enable_api is True
