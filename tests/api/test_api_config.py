from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.config import DEFAULT_SECRET_KEY, ApiSettings
from api.main import create_app

STRONG_SECRET = "k" * 48
RASA_TOKEN = "r" * 48


def test_production_with_the_default_secret_refuses_to_start() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY is the local default"):
        ApiSettings(app_env="production")


def test_the_app_factory_refuses_production_with_the_default_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(ValidationError, match="refusing to start"):
        create_app()


def test_production_refuses_a_short_secret_without_echoing_it() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters") as refused:
        ApiSettings(app_env="production", secret_key="short-but-not-default")

    assert "short-but-not-default" not in str(refused.value)


def test_production_starts_with_a_real_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
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


@pytest.mark.parametrize("app_env", ["local", "test"])
def test_local_modes_tolerate_the_default_secret(app_env: str) -> None:
    settings = ApiSettings(app_env=app_env, secret_key=DEFAULT_SECRET_KEY)

    assert settings.access_token_minutes == 60


def test_production_without_the_rasa_token_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # The web chat page's history comes through Rasa's HTTP API, which needs it.
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)

    with pytest.raises(ValidationError, match="RASA_AUTH_TOKEN is not set"):
        ApiSettings(app_env="production", secret_key=STRONG_SECRET)
    with pytest.raises(ValidationError, match="RASA_AUTH_TOKEN of at least 32") as refused:
        ApiSettings(app_env="production", secret_key=STRONG_SECRET, rasa_auth_token="short-token")
    assert "short-token" not in str(refused.value)


def test_the_secret_stays_out_of_logs() -> None:
    settings = ApiSettings(app_env="production", secret_key=STRONG_SECRET, rasa_auth_token=RASA_TOKEN)

    assert STRONG_SECRET not in repr(settings)
    assert RASA_TOKEN not in repr(settings)
