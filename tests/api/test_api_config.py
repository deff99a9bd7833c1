from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.config import ApiSettings
from api.main import create_app
from api.security import InvalidToken, create_access_token, decode_access_token
from dealer import shared_secrets

STRONG_SECRET = "k" * 48
RASA_TOKEN = "r" * 48
OLD_LOCAL_DEFAULT = "change-me-local-only"  # the usable default SECRET_KEY had until issue 11


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Generated secrets go to a directory of the test's own; none comes from outside."""
    monkeypatch.setattr(shared_secrets, "SECRETS_DIR", tmp_path)
    for name in ("SECRET_KEY", "APP_ENV", "RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_production_without_a_secret_refuses_to_start_and_generates_none(secrets_dir: Path) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY is not set"):
        ApiSettings(app_env="production", rasa_auth_token=RASA_TOKEN)

    assert list(secrets_dir.iterdir()) == []


def test_the_app_factory_refuses_production_without_a_secret(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_ENV", "production")

    with pytest.raises(ValidationError, match="refusing to start"):
        create_app()


@pytest.mark.parametrize("weak", ["short-but-not-default", OLD_LOCAL_DEFAULT])
def test_production_refuses_a_short_secret_without_echoing_it(secrets_dir: Path, weak: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY of at least 32 characters") as refused:
        ApiSettings(app_env="production", secret_key=weak, rasa_auth_token=RASA_TOKEN)

    assert weak not in str(refused.value)


def test_production_starts_with_a_real_secret_from_the_environment(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("RASA_AUTH_TOKEN", RASA_TOKEN)
    monkeypatch.setenv("ACCESS_TOKEN_MINUTES", "15")

    settings = ApiSettings()

    assert settings.secret_key.get_secret_value() == STRONG_SECRET
    assert settings.rasa_auth_token.get_secret_value() == RASA_TOKEN
    assert settings.access_token_minutes == 15
    assert not settings.is_demo
    assert create_app(settings).state.settings is settings
    assert list(secrets_dir.iterdir()) == []


@pytest.mark.parametrize("app_env", ["local", "test"])
def test_without_a_secret_each_install_generates_its_own_once(secrets_dir: Path, app_env: str) -> None:
    first = ApiSettings(app_env=app_env)
    again = ApiSettings(app_env=app_env)

    key = first.secret_key.get_secret_value()
    path = secrets_dir / "secret_key"
    assert key == again.secret_key.get_secret_value() == path.read_text()
    assert len(key) >= 32 and key != OLD_LOCAL_DEFAULT
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A token signed before a restart still verifies after it (the same install's key).
    token = create_access_token(first, user_id=1, username="advisor", role="advisor")
    assert decode_access_token(again, token).username == "advisor"


def test_a_token_signed_with_the_old_default_is_refused(secrets_dir: Path) -> None:
    forged = create_access_token(ApiSettings(app_env="local", secret_key=OLD_LOCAL_DEFAULT),
                                 user_id=1, username="advisor", role="manager")

    with pytest.raises(InvalidToken):
        decode_access_token(ApiSettings(app_env="local"), forged)


def test_a_secret_that_is_set_is_used_and_nothing_is_generated(secrets_dir: Path) -> None:
    settings = ApiSettings(app_env="local", secret_key=STRONG_SECRET)

    assert settings.secret_key.get_secret_value() == STRONG_SECRET
    assert list(secrets_dir.iterdir()) == []


def test_a_generated_secret_readable_by_others_is_refused(secrets_dir: Path) -> None:
    (secrets_dir / "secret_key").write_text("x" * 48)
    (secrets_dir / "secret_key").chmod(0o644)

    with pytest.raises(ValidationError, match="can be read by other users"):
        ApiSettings(app_env="local")


def test_production_without_the_rasa_token_refuses_to_start(secrets_dir: Path) -> None:
    # The web chat page's history comes through Rasa's HTTP API, which needs it.
    with pytest.raises(ValidationError, match="RASA_AUTH_TOKEN is not set"):
        ApiSettings(app_env="production", secret_key=STRONG_SECRET)
    with pytest.raises(ValidationError, match="RASA_AUTH_TOKEN of at least 32") as refused:
        ApiSettings(app_env="production", secret_key=STRONG_SECRET, rasa_auth_token="short-token")
    assert "short-token" not in str(refused.value)


def test_the_secret_stays_out_of_logs(secrets_dir: Path) -> None:
    settings = ApiSettings(app_env="production", secret_key=STRONG_SECRET, rasa_auth_token=RASA_TOKEN)
    generated = ApiSettings(app_env="local")

    assert STRONG_SECRET not in repr(settings)
    assert RASA_TOKEN not in repr(settings)
    assert generated.secret_key.get_secret_value() not in repr(generated)


@pytest.mark.parametrize(("app_env", "secure_cookies", "secure"), [
    ("production", False, True),  # production: always Secure
    ("local", False, False),  # plain http://localhost in development
    ("local", True, True),  # behind HTTPS: SECURE_COOKIES=true
])
def test_cookies_are_secure_in_production(secrets_dir: Path, app_env: str, secure_cookies: bool,
                                          secure: bool) -> None:
    settings = ApiSettings(app_env=app_env, secret_key=STRONG_SECRET, rasa_auth_token=RASA_TOKEN,
                           secure_cookies=secure_cookies)

    assert settings.cookies_secure is secure
