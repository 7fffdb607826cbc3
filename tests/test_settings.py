"""batchport.settings: precedence, config file search, validation, credentials, CLI bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from batchport.cli import api_options, settings_from_options
from batchport.errors import ConfigError
from batchport.redaction import scrub
from batchport.settings import (
    DEFAULT_AUTH_URL,
    DEFAULT_PORTING_URL,
    SANDBOX_PROJECT,
    Settings,
    resolve_settings,
)


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run each test in an empty directory so no stray batchport.toml is read."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def env_for(tmp_path: Path, **values: str) -> dict[str, str]:
    """An environment whose XDG directories live under tmp_path."""
    return {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        **values,
    }


def test_defaults(tmp_path: Path) -> None:
    settings = resolve_settings(env=env_for(tmp_path))
    assert settings.porting_url == DEFAULT_PORTING_URL
    assert settings.auth_url == DEFAULT_AUTH_URL
    assert settings.concurrency == 4 and 0 < settings.rate <= 20
    assert (settings.max_per_order, settings.portability_chunk) == (500, 500)
    assert settings.state_path == tmp_path / "state" / "batchport" / "journal.sqlite"
    assert settings.sandbox is False and settings.trace_path is None
    assert settings.config_path is None


def test_state_path_falls_back_to_local_state_in_home(tmp_path: Path) -> None:
    settings = resolve_settings(env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert settings.state_path == Path.home() / ".local/state/batchport/journal.sqlite"


def test_precedence_cli_over_env_over_file_over_defaults(tmp_path: Path) -> None:
    config = tmp_path / "bp.toml"
    config.write_text('rate = 3.0\nconcurrency = 2\nproject_id = "from-file"\ntimeout = 9\n')
    env = env_for(tmp_path, BATCHPORT_RATE="5", SINCH_PROJECT_ID="from-env")
    settings = resolve_settings({"rate": 7.5, "project_id": None}, env=env, config_path=config)
    assert settings.rate == 7.5  # option
    assert settings.project_id == "from-env"  # env beats file; None means "not given"
    assert settings.concurrency == 2 and settings.timeout == 9.0  # file beats defaults
    assert settings.config_path == config


def test_env_aliases_and_every_variable(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        PROJECT_ID="p-alias",
        ACCESS_TOKEN="tok",
        SINCH_KEY_ID="kid",
        SINCH_KEY_SECRET="ksec",
        SINCH_PORTING_URL="http://127.0.0.1:8080",
        SINCH_AUTH_URL="http://127.0.0.1:8080/oauth2/token",
        BATCHPORT_CONCURRENCY="8",
        BATCHPORT_MAX_ATTEMPTS="3",
        BATCHPORT_RETRY_DEADLINE="10",
        BATCHPORT_TRACE=str(tmp_path / "t.jsonl"),
        BATCHPORT_STATE=str(tmp_path / "j.sqlite"),
        BATCHPORT_MAX_PER_ORDER="250",
        BATCHPORT_PORTABILITY_CHUNK="100",
        BATCHPORT_SANDBOX_OPTIONS="seed=3",
    )
    s = resolve_settings(env=env)
    assert (s.project_id, s.access_token, s.key_id, s.key_secret) == (
        "p-alias",
        "tok",
        "kid",
        "ksec",
    )
    assert s.porting_url == "http://127.0.0.1:8080"
    assert s.auth_url.endswith("/oauth2/token")
    assert (s.concurrency, s.max_attempts, s.retry_deadline) == (8, 3, 10.0)
    assert s.trace_path == tmp_path / "t.jsonl" and s.state_path == tmp_path / "j.sqlite"
    assert (s.max_per_order, s.portability_chunk, s.sandbox_options) == (250, 100, "seed=3")


def test_sinch_names_win_over_the_short_aliases(tmp_path: Path) -> None:
    env = env_for(tmp_path, SINCH_PROJECT_ID="long", PROJECT_ID="short")
    assert resolve_settings(env=env).project_id == "long"


def test_config_file_search_order(tmp_path: Path, _isolated_cwd: Path) -> None:
    xdg = tmp_path / "config" / "batchport" / "config.toml"
    xdg.parent.mkdir(parents=True)
    xdg.write_text("rate = 1.0\n")
    assert resolve_settings(env=env_for(tmp_path)).rate == 1.0
    (_isolated_cwd / "batchport.toml").write_text("rate = 2.0\n")
    assert resolve_settings(env=env_for(tmp_path)).rate == 2.0
    named = tmp_path / "named.toml"
    named.write_text("rate = 3.0\n")
    assert resolve_settings(env=env_for(tmp_path, BATCHPORT_CONFIG=str(named))).rate == 3.0
    explicit = tmp_path / "explicit.toml"
    explicit.write_text("rate = 4.0\n")
    env = env_for(tmp_path, BATCHPORT_CONFIG=str(named))
    assert resolve_settings(env=env, config_path=explicit).rate == 4.0


@pytest.mark.parametrize(
    ("source", "value", "message"),
    [
        ("env", {"BATCHPORT_RATE": "0"}, "from BATCHPORT_RATE: rate must be greater than 0"),
        ("env", {"BATCHPORT_RATE": "fast"}, "Invalid rate from BATCHPORT_RATE"),
        ("env", {"BATCHPORT_CONCURRENCY": "9"}, "concurrency must be between 1 and 8"),
        ("env", {"BATCHPORT_CONCURRENCY": "2.5"}, "BATCHPORT_CONCURRENCY"),
        ("env", {"SINCH_PORTING_URL": "porting.example"}, "porting_url must be an http(s) URL"),
        (
            "env",
            {"SINCH_PORTING_URL": "https://porting.api.sinch.com/v1/projects/p1"},
            "porting_url is the service root",
        ),
        ("env", {"BATCHPORT_MAX_PER_ORDER": "501"}, "max_per_order must be between 1 and 500"),
        (
            "env",
            {"BATCHPORT_PORTABILITY_CHUNK": "501"},
            "portability_chunk must be between 1 and 500",
        ),
        ("env", {"BATCHPORT_SANDBOX": "maybe"}, "BATCHPORT_SANDBOX"),
        ("cli", {"rate": -1}, "from --rate"),
        ("cli", {"concurrency": 0}, "from --concurrency"),
        ("file", "concurrency = 12\n", "from config file"),
        ("file", "colour = 1\n", "Unknown key(s) in config file"),
        ("file", "rate = [\n", "Cannot read config file"),
    ],
)
def test_invalid_values_name_their_source(
    tmp_path: Path, source: str, value: Any, message: str
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(value if source == "file" else "")
    env = env_for(tmp_path, **(value if source == "env" else {}))
    overrides = value if source == "cli" else None
    with pytest.raises(ConfigError) as caught:
        resolve_settings(overrides, env=env, config_path=config)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_named_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Config file not found"):
        resolve_settings(env=env_for(tmp_path), config_path=tmp_path / "missing.toml")


def test_unknown_override_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="colour"):
        resolve_settings({"colour": "red"}, env=env_for(tmp_path))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "No Sinch project: set SINCH_PROJECT_ID"),
        ({"project_id": "p"}, "set SINCH_KEY_ID and SINCH_KEY_SECRET (or SINCH_ACCESS_TOKEN)"),
        ({"project_id": "p", "key_id": "k"}, "set both SINCH_KEY_ID and SINCH_KEY_SECRET"),
    ],
)
def test_missing_credentials_are_one_line_naming_variables_and_sandbox(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**values).require_credentials()  # type: ignore[arg-type]
    assert message in str(caught.value) and "--sandbox" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_credentials_that_suffice() -> None:
    Settings(project_id="p", access_token="t").require_credentials()
    Settings(project_id="p", key_id="k", key_secret="s").require_credentials()
    assert Settings(project_id="p", key_id="k", key_secret="s").uses_oauth
    assert not Settings(project_id="p", access_token="t", key_id="k", key_secret="s").uses_oauth


def test_sandbox_needs_no_credentials_and_drops_real_ones(tmp_path: Path) -> None:
    env = env_for(tmp_path, SINCH_ACCESS_TOKEN="real-token", SINCH_KEY_SECRET="real-secret")
    settings = resolve_settings({"sandbox": True}, env=env)
    settings.require_credentials()
    assert settings.project_id == SANDBOX_PROJECT
    assert (settings.access_token, settings.key_id, settings.key_secret) == (
        "",
        "sandbox",
        "sandbox",
    )
    assert resolve_settings({"sandbox": True, "project_id": "p2"}, env=env).project_id == "p2"


def test_repr_masks_secrets() -> None:
    text = repr(
        Settings(project_id="p", access_token="tok-123", key_id="kid", key_secret="sec-456")
    )
    assert "tok-123" not in text and "sec-456" not in text
    assert "project_id='p'" in text and "key_id='kid'" in text and "****" in text


def test_api_options_bundle_builds_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SINCH_PROJECT_ID", "PROJECT_ID", "BATCHPORT_RATE", "BATCHPORT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    seen: list[Settings] = []

    @click.command()
    @api_options
    def probe(**options: Any) -> None:
        seen.append(settings_from_options(options, max_per_order=100))

    config = tmp_path / "c.toml"
    config.write_text("timeout = 12\n")
    args = [
        "--sandbox",
        "--rate",
        "2.5",
        "--concurrency",
        "3",
        "--trace",
        str(tmp_path / "t"),
        "--state",
        str(tmp_path / "j.db"),
        "--config",
        str(config),
        "--project",
        "p9",
    ]
    result = CliRunner().invoke(probe, args)
    assert result.exit_code == 0, result.output
    s = seen[0]
    assert (s.sandbox, s.rate, s.concurrency, s.project_id) == (True, 2.5, 3, "p9")
    assert s.trace_path == tmp_path / "t" and s.state_path == tmp_path / "j.db"
    assert (s.timeout, s.max_per_order) == (12.0, 100)

    result = CliRunner().invoke(probe, ["--concurrency", "9"])
    assert result.exit_code == 2 and "--concurrency" in result.output
    help_text = CliRunner().invoke(probe, ["--help"]).output
    for option in (
        "--sandbox",
        "--project",
        "--rate",
        "--concurrency",
        "--trace",
        "--config",
        "--state",
    ):
        assert option in help_text


def test_served_sandbox_state_lives_beside_the_journal(tmp_path: Path) -> None:
    journal = tmp_path / "state" / "journal.sqlite"
    from_env = resolve_settings(env={"BATCHPORT_STATE": str(journal)})
    assert from_env.served_sandbox_path == tmp_path / "state" / "sandbox-served.sqlite"
    from_xdg = resolve_settings(env={"XDG_STATE_HOME": str(tmp_path)})
    assert from_xdg.served_sandbox_path == tmp_path / "batchport" / "sandbox-served.sqlite"
    config = tmp_path / "batchport.toml"
    config.write_text(f'state_path = "{tmp_path / "elsewhere" / "journal.sqlite"}"')
    from_file = resolve_settings(env={}, config_path=config)
    assert from_file.served_sandbox_path == tmp_path / "elsewhere" / "sandbox-served.sqlite"


def test_webhook_secret_from_env_or_file_is_checked_masked_and_registered(tmp_path: Path) -> None:
    secret = "Kq3-xZ_9.mN~0pLr7T"
    s = resolve_settings(env=env_for(tmp_path, BATCHPORT_WEBHOOK_SECRET=secret))
    assert s.webhook_secret == secret and secret not in repr(s)
    assert scrub(f"POST /sinch/porting/{secret}") == "POST /sinch/porting/****"
    config = tmp_path / "c.toml"
    config.write_text(f'webhook_secret = "{secret}x"\n')
    assert resolve_settings(env=env_for(tmp_path), config_path=config).webhook_secret == (
        f"{secret}x"
    )
    for weak in ("short-but-ok-chars"[:15], "sixteen chars ok", "slash/in/the/secret/path"):
        with pytest.raises(ConfigError, match="webhook_secret must be at least 16") as caught:
            resolve_settings(env=env_for(tmp_path, BATCHPORT_WEBHOOK_SECRET=weak))
        assert "BATCHPORT_WEBHOOK_SECRET" in str(caught.value) and weak not in str(caught.value)
