"""SandboxConfig and its text form, and the scenario file that pins carriers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from batchport.errors import ConfigError
from batchport.sandbox import SandboxConfig
from batchport.sandbox.carriers import CarrierModel, load_scenario


def test_from_options_converts_each_value() -> None:
    config = SandboxConfig.from_options(
        "seed=3, rate_limit=20,crash_on_create=4,crash_point=before,today=2026-05-01,"
        "fault_rate=0.25,state_path=/tmp/s.sqlite,key_id=k,key_secret=s3cret-value"
    )
    assert (config.seed, config.rate_limit, config.crash_on_create) == (3, 20.0, 4)
    assert config.crash_point == "before" and config.today == date(2026, 5, 1)
    assert config.fault_rate == 0.25 and config.state_path == Path("/tmp/s.sqlite")
    assert (config.key_id, config.key_secret) == ("k", "s3cret-value")
    assert "s3cret-value" not in repr(config)


def test_from_options_none_turns_rate_limit_off_and_overrides_win() -> None:
    config = SandboxConfig.from_options("rate_limit=none,seed=1", seed=9)
    assert config.rate_limit is None and config.seed == 9
    assert SandboxConfig.from_options("") == SandboxConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("speed=3", "unknown sandbox option 'speed'"),
        ("seed", "key=value"),
        ("seed=three", "seed: cannot read 'three'"),
        ("fault_rate=2", "between 0 and 1"),
        ("crash_point=middle", "crash_point"),
        ("rate_limit=0", "rate_limit must be positive"),
        ("sleep=1", "unknown sandbox option 'sleep'"),
        ("latency_ms=-5", "must not be negative"),
    ],
)
def test_from_options_refuses_clearly(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SandboxConfig.from_options(text)


def test_scenario_in_toml_and_json_pins_numbers_by_longest_prefix(tmp_path: Path) -> None:
    toml = tmp_path / "s.toml"
    toml.write_text(
        '[[numbers]]\nmatch = "+1212555"\ncarrier = "Block Telco"\n\n'
        '[[numbers]]\nmatch = "+12125550100"\nportable = false\nreason = "Frozen"\n'
    )
    as_json = tmp_path / "s.json"
    as_json.write_text(
        json.dumps(
            {
                "numbers": [
                    {"match": "+1212555", "carrier": "Block Telco"},
                    {"match": "+12125550100", "portable": False, "reason": "Frozen"},
                ]
            }
        )
    )
    for path in (toml, as_json):
        model = CarrierModel(0, load_scenario(path))
        pinned = model.facts("+12125550100")
        assert (pinned.portable, pinned.reason) == (False, "Frozen")
        block = model.facts("+12125550999")
        assert block.carrier == "Block Telco" and block.portable


@pytest.mark.parametrize(
    "content",
    [
        '{"numbers": [{"carrier": "x"}]}',
        '{"numbers": [{"match": "+1", "colour": "red"}]}',
        "[]",
        "{",
    ],
)
def test_bad_scenario_is_a_config_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match="scenario"):
        load_scenario(path)


def test_carrier_model_is_realistic_and_seeded() -> None:
    numbers = [f"+1212{n:07d}" for n in range(2_000_000, 2_004_000, 7)]
    canadian = [f"+1416{n:07d}" for n in range(2_000_000, 2_002_000, 7)]
    model, other = CarrierModel(1), CarrierModel(2)
    facts = [model.facts(n) for n in numbers]
    share_not_portable = sum(not f.portable for f in facts) / len(facts)
    assert 0.005 < share_not_portable < 0.05
    assert all(f.reason for f in facts if not f.portable)
    us_carriers = {f.carrier for f in facts}
    ca_carriers = {model.facts(n).carrier for n in canadian}
    assert len(us_carriers) > 10 and not us_carriers & ca_carriers
    assert [model.facts(n) for n in numbers[:50]] == facts[:50]
    assert [other.facts(n).carrier for n in numbers[:50]] != [f.carrier for f in facts[:50]]
