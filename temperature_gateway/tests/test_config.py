from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from temperature_gateway.config import (
    CommandMachine,
    ConfigError,
    HttpMachine,
    load_config,
    parse_config,
)

from .helpers import GATEWAY_DIR


def base(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "site_url": "https://queue.example.org/",
        "api_key": "gw_abc",
        "machines": [
            {
                "name": "Hidalgo",
                "reader": "http",
                "address": "192.168.1.20",
                "port": 47101,
                "path": "/v1/sample",
                "field": "sample.temperature",
            },
            {"name": "CryoCore", "reader": "command", "command": ["/bin/true"]},
        ],
    }
    raw.update(overrides)
    return raw


def errors_for(raw: Any) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, base_dir=Path("/tmp"))
    return str(info.value)


def test_example_config_is_valid(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_API_KEY", "gw_from_env")
    shutil.copy(GATEWAY_DIR / "config.example.json", tmp_path / "config.json")
    config = load_config(tmp_path / "config.json")
    assert config.api_key == "gw_from_env"
    assert config.endpoint == "https://queue.example.org/schedule/api/gateway/readings/"
    hidalgo, cryocore = config.machines
    assert isinstance(hidalgo, HttpMachine)
    assert hidalgo.url == (
        "http://192.168.1.20:47101"
        "/v1/sampleChamber/temperatureControllers/user1/thermometer/properties/sample"
    )
    assert isinstance(cryocore, CommandMachine)
    assert cryocore.pattern.search("T = 4.21 K").group(1) == "4.21"
    assert cryocore.timeout == 20
    # Relative buffer paths follow the config file, whatever the working directory.
    assert config.buffer_path == (tmp_path / "gateway-buffer.jsonl").resolve()


def test_defaults_and_normalisation():
    config = parse_config(base(), base_dir=Path("/srv/gw"))
    assert config.site_url == "https://queue.example.org"
    assert config.poll_interval == 60
    assert config.timeout == 10
    assert config.buffer_max_readings == 100_000
    assert config.buffer_path == Path("/srv/gw/gateway-buffer.jsonl").resolve()
    assert config.machines[1].pattern.search("1.5e-3 K").group(0) == "1.5e-3"


def test_ipv6_address_and_https_scheme():
    raw = base()
    raw["machines"][0].update(address="fe80::1", scheme="https")
    config = parse_config(raw, base_dir=Path("/tmp"))
    assert config.machines[0].url == "https://[fe80::1]:47101/v1/sample"


def test_unknown_reader_names_machine():
    raw = base()
    raw["machines"][1]["reader"] = "serial"
    message = errors_for(raw)
    assert "machines[1] (CryoCore): unknown reader 'serial'" in message
    assert '"http" or "command"' in message


def test_missing_fields_are_all_reported():
    raw = base()
    del raw["machines"][0]["port"]
    del raw["machines"][0]["field"]
    del raw["machines"][1]["command"]
    message = errors_for(raw)
    assert "(Hidalgo): port is required" in message
    assert "(Hidalgo): field must be a dotted path" in message
    assert "(CryoCore): command must be a non-empty list of strings" in message


@pytest.mark.parametrize(
    "url", ["queue.example.org", "ftp://queue.example.org", "https://", "https://x.org/?a=1", ""]
)
def test_bad_site_url(url):
    assert "site_url" in errors_for(base(site_url=url))


def test_command_must_be_a_list():
    raw = base()
    raw["machines"][1]["command"] = "/usr/local/bin/read_cryocore --all"
    assert "no shell is used" in errors_for(raw)


def test_bad_regex_pattern():
    raw = base()
    raw["machines"][1]["pattern"] = "([0-9"
    assert "not a valid regular expression" in errors_for(raw)


def test_duplicate_names_and_unknown_keys():
    raw = base(poll_interval=30, _comment="ignored")
    raw["machines"][1]["name"] = "Hidalgo"
    raw["machines"][0]["adress"] = "typo"
    message = errors_for(raw)
    assert "unknown key(s) 'poll_interval'" in message
    assert "unknown key(s) 'adress'" in message
    assert "duplicate machine name" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("poll_interval_seconds", 0),
        ("timeout_seconds", "10"),
        ("buffer_max_readings", 0),
        ("buffer_max_readings", 2.5),
        ("machines", []),
    ],
)
def test_bad_values(key, value):
    assert key in errors_for(base(**{key: value}))


def test_bad_port_and_address():
    raw = base()
    raw["machines"][0].update(port=70000, address="http://192.168.1.20")
    message = errors_for(raw)
    assert "port is required and must be a whole number 1-65535" in message
    assert "must be a bare host name or IP" in message


def test_api_key_rules(monkeypatch):
    raw = base()
    del raw["api_key"]
    assert "api_key (or api_key_env) is required" in errors_for(raw)
    assert "either api_key or api_key_env" in errors_for(base(api_key_env="GW_KEY"))
    monkeypatch.delenv("GW_KEY", raising=False)
    raw["api_key_env"] = "GW_KEY"
    assert "GW_KEY (api_key_env) is not set" in errors_for(raw)
    monkeypatch.setenv("GW_KEY", "gw_env\n")
    assert parse_config(raw, base_dir=Path("/tmp")).api_key == "gw_env"
    assert "spaces" in errors_for(base(api_key="gw bad"))


def test_key_optional_for_dry_run():
    raw = base()
    del raw["api_key"]
    assert parse_config(raw, base_dir=Path("/tmp"), require_key=False).api_key == ""


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "site_url": "https://x.org",\n}\n')
    with pytest.raises(ConfigError, match="invalid JSON at line 3"):
        load_config(broken)
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([1, 2]))
    with pytest.raises(ConfigError, match="must be a JSON object"):
        load_config(listed)
