"""``batchport config`` and ``batchport.lifecycle.configuration``: create, then update keeping
the fields not given; values checked before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from run_inputs import lifecycle_settings, with_client
from test_lifecycle_orders import env_for

from batchport.cli import main
from batchport.errors import ConfigError
from batchport.lifecycle.configuration import (
    ConfigurationChange,
    check_email,
    check_port_time,
    check_time_zone,
    check_webhook_url,
    read_configuration,
    set_configuration,
)

HOOK = "http://127.0.0.1:9/hooks"


def test_create_then_update_keeps_untouched_fields(tmp_path: Path) -> None:
    settings = lifecycle_settings(tmp_path)
    assert with_client(settings, read_configuration) is None
    first = ConfigurationChange(webhook_url=HOOK, contact_name="Ann Lee", contact_email="a@x.io")
    created = with_client(settings, lambda c: set_configuration(c, first))
    assert created.created and created.configuration.contact_name == "Ann Lee"
    second = ConfigurationChange(default_port_time="09:00:00", contact_email="ops@x.io")
    updated = with_client(settings, lambda c: set_configuration(c, second))
    assert not updated.created
    stored = with_client(settings, read_configuration)
    assert stored is not None and stored == updated.configuration
    assert (stored.webhook_url, stored.contact_name) == (HOOK, "Ann Lee")
    assert (stored.contact_email, stored.default_port_time) == ("ops@x.io", "09:00:00")
    cleared = with_client(
        settings, lambda c: set_configuration(c, ConfigurationChange(contact_name=""))
    )
    assert cleared.configuration.contact_name == "" and cleared.configuration.webhook_url == HOOK


def test_values_are_checked_before_anything_is_sent(tmp_path: Path) -> None:
    settings = lifecycle_settings(tmp_path)
    for bad in (
        ConfigurationChange(webhook_url="ftp://example.com"),
        ConfigurationChange(contact_email="ops at example"),
        ConfigurationChange(default_port_time="9:00"),
        ConfigurationChange(default_port_time_zone="Eastern"),
        ConfigurationChange(),
    ):
        with pytest.raises(ConfigError):
            with_client(settings, lambda c, bad=bad: set_configuration(c, bad))
    assert with_client(settings, read_configuration) is None


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (check_webhook_url, "https://hooks.example.com/sinch?k=1", "example.com/hook"),
        (check_webhook_url, "http://127.0.0.1:8080/h", "https:// spaced.example"),
        (check_email, "ops@example.com", "ops@example"),
        (check_port_time, "23:59:59", "24:00:00"),
        (check_port_time, "00:00:00", "09:00"),
        (check_time_zone, "GMT", "US/Hawaii"),
    ],
)
def test_checks(check: object, good: str, bad: str) -> None:
    assert check(good) == good  # type: ignore[operator]
    assert check("") == ""  # type: ignore[operator]
    with pytest.raises(ValueError, match=repr(bad).replace("?", r"\?")):
        check(bad)  # type: ignore[operator]


def test_cli_show_and_set(tmp_path: Path) -> None:
    settings = lifecycle_settings(tmp_path)
    runner, env = CliRunner(), env_for(settings)
    result = runner.invoke(main, ["config", "show", "--sandbox"], env=env)
    assert result.exit_code == 0 and "no porting configuration yet" in result.stdout
    args = ["config", "set", "--sandbox", "--webhook-url", HOOK, "--contact-name", "Ann"]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0 and "created" in result.stdout
    args = ["config", "set", "--sandbox", "--default-port-time-zone", "US/Pacific"]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0 and "updated" in result.stdout
    result = runner.invoke(main, ["config", "show", "--sandbox", "--json"], env=env)
    shown = json.loads(result.stdout)
    assert shown["webhook_url"] == HOOK and shown["contact_name"] == "Ann"
    assert shown["default_port_time_zone"] == "US/Pacific"


def test_cli_bad_values_are_usage_errors_naming_the_option(tmp_path: Path) -> None:
    runner, env = CliRunner(), env_for(lifecycle_settings(tmp_path))
    for option, value in (
        ("--webhook-url", "hooks.example.com"),
        ("--contact-email", "nobody"),
        ("--default-port-time", "25:00:00"),
        ("--default-port-time-zone", "PST"),
    ):
        result = runner.invoke(main, ["config", "set", "--sandbox", option, value], env=env)
        assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.stderr
    result = runner.invoke(main, ["config", "set", "--sandbox"], env=env)
    assert result.exit_code == 2 and "nothing to set" in result.stderr
