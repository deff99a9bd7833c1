"""The secrets the processes share: as set, else generated once per install; never a
generated one in production."""
from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dealer.settings import DealerSettings
from dealer.shared_secrets import SecretRefused, shared_secret

STRONG = "s" * 48


def settings(**values: str) -> DealerSettings:
    return DealerSettings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def no_secrets_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APP_ENV", "ACTION_SERVER_TOKEN", "RASA_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_a_missing_secret_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    first = shared_secret(settings(), "action_server_token", directory=tmp_path)
    again = shared_secret(settings(), "action_server_token", directory=tmp_path)

    path = tmp_path / "action_server_token"
    assert again == first == path.read_text()
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["action_server_token"]  # no temporary left


def test_each_secret_is_its_own_random_value(tmp_path: Path) -> None:
    action = shared_secret(settings(), "action_server_token", directory=tmp_path)
    rasa = shared_secret(settings(), "rasa_auth_token", directory=tmp_path)
    other_install = shared_secret(settings(), "rasa_auth_token", directory=tmp_path / "other")

    assert len({action, rasa, other_install}) == 3


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = set(pool.map(lambda _: shared_secret(settings(), "rasa_auth_token", directory=tmp_path),
                              range(32)))

    assert values == {(tmp_path / "rasa_auth_token").read_text()}


@pytest.mark.parametrize("app_env", ["local", "test", "production"])
def test_a_secret_that_is_set_wins_and_nothing_is_written(tmp_path: Path, app_env: str) -> None:
    given = settings(app_env=app_env, rasa_auth_token=STRONG)

    assert shared_secret(given, "rasa_auth_token", directory=tmp_path) == STRONG
    assert not tmp_path.joinpath("rasa_auth_token").exists()


def test_the_setting_is_read_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_SERVER_TOKEN", STRONG)

    assert shared_secret(settings(), "action_server_token", directory=tmp_path) == STRONG


def test_production_refuses_to_start_without_one_and_generates_nothing(tmp_path: Path) -> None:
    # A generated file left over from local runs is not used either.
    (tmp_path / "action_server_token").write_text(STRONG)
    (tmp_path / "action_server_token").chmod(0o600)

    with pytest.raises(SecretRefused, match="APP_ENV=production but ACTION_SERVER_TOKEN is not set"):
        shared_secret(settings(app_env="production"), "action_server_token", directory=tmp_path)
    with pytest.raises(SecretRefused, match="RASA_AUTH_TOKEN is not set"):
        shared_secret(settings(app_env="production", rasa_auth_token=""), "rasa_auth_token", directory=tmp_path)
    assert not tmp_path.joinpath("rasa_auth_token").exists()


def test_production_refuses_a_short_one_without_echoing_it(tmp_path: Path) -> None:
    with pytest.raises(SecretRefused, match="at least 32 characters") as refused:
        shared_secret(settings(app_env="production", rasa_auth_token="tiny-secret"), "rasa_auth_token",
                      directory=tmp_path)

    assert "tiny-secret" not in str(refused.value)


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rasa_auth_token"
    path.write_text(STRONG)
    path.chmod(0o644)

    with pytest.raises(SecretRefused, match="chmod 600"):
        shared_secret(settings(), "rasa_auth_token", directory=tmp_path)


def test_an_empty_secret_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rasa_auth_token"
    path.touch(mode=0o600)

    with pytest.raises(SecretRefused, match="no usable secret"):
        shared_secret(settings(), "rasa_auth_token", directory=tmp_path)
