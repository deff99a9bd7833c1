"""The secrets of an install: the action server's token and Rasa's HTTP API token, which
the processes share, and the API's own ``SECRET_KEY`` (it signs the advisors' tokens).

Each comes from its setting (``ACTION_SERVER_TOKEN``, ``RASA_AUTH_TOKEN``,
``SECRET_KEY``: the environment or .env). When a setting is empty, one random value per
install is generated once under ``var/secrets/`` (mode 0600) and read by every process
after that, so ``make run`` and the tests need no setup and no secret has a usable
default. Production never falls back to a generated value: it refuses to start.
"""
from __future__ import annotations

import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from dealer.settings import REPO_ROOT, DealerSettings

SharedSecret = Literal["action_server_token", "rasa_auth_token", "secret_key"]
# The ones every process is given (devtools/stack.py); secret_key is the API's alone.
SHARED_SECRETS: tuple[SharedSecret, ...] = ("action_server_token", "rasa_auth_token")
SECRETS_DIR = REPO_ROOT / "var" / "secrets"
MIN_LENGTH = 32


class SecretRefused(ValueError):
    """A secret is missing where one is required, too weak, or readable by others."""


def env_name(name: SharedSecret) -> str:
    return name.upper()


def check_production_secret(name: SharedSecret, value: SecretStr | None) -> None:
    """Refuses a missing or short explicit secret (production takes no generated one)."""
    given = value.get_secret_value() if value is not None else ""
    if not given:
        raise SecretRefused(
            f"refusing to start: APP_ENV=production but {env_name(name)} is not set. Set it to "
            "the same random value for every process, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if len(given) < MIN_LENGTH:
        raise SecretRefused(
            f"refusing to start: APP_ENV=production needs a {env_name(name)} of at least "
            f"{MIN_LENGTH} characters"
        )


def shared_secret(settings: DealerSettings, name: SharedSecret, directory: Path | None = None) -> str:
    """The secret as set, else (outside production) this install's generated one.

    ``settings`` holds a field ``name`` (``secret_key``: the API's settings)."""
    if settings.app_env == "production":
        check_production_secret(name, getattr(settings, name))
    value: SecretStr | None = getattr(settings, name)
    if value is not None and value.get_secret_value():
        return value.get_secret_value()
    return per_install_secret((directory if directory is not None else SECRETS_DIR) / name)


def per_install_secret(path: Path) -> str:
    """The secret in ``path``, generated first if there is none (safe against a race)."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written whole to a private temporary file, then linked into place: a process
        # that loses the race reads the winner's secret, never a half-written one.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "w") as file:  # mkstemp makes it 0600
                file.write(secrets.token_urlsafe(48))
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    return _read(path)


def _read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretRefused(f"{path} can be read by other users (mode {mode:o}); run: chmod 600 {path}")
    value = path.read_text().strip()
    if len(value) < MIN_LENGTH:
        raise SecretRefused(f"{path} holds no usable secret; delete it and a new one is generated")
    return value
