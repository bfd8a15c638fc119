"""Settings precedence: file, then environment, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.settings import SettingsError, load_settings


def test_defaults_run_the_simulator_on_sqlite(tmp_path: Path) -> None:
    settings = load_settings(environ={"CALLCENTER_CONFIG": str(tmp_path / "none.toml")})
    assert settings.simulated_pbx
    assert settings.db_url.startswith("sqlite:///")
    assert settings.http_port == 8080


def test_environment_overrides_file_and_flags_override_environment(tmp_path: Path) -> None:
    config = tmp_path / "callcenter.toml"
    config.write_text('[callcenter]\nhttp_port = 9000\nami_host = "pbx.example"\n\n[[queues]]\nid = "support"\n')
    settings = load_settings(config, environ={"CALLCENTER_HTTP_PORT": "9100"})
    assert settings.http_port == 9100
    assert settings.ami_host == "pbx.example" and not settings.simulated_pbx
    assert settings.raw["queues"] == [{"id": "support"}]
    flagged = load_settings(config, environ={"CALLCENTER_HTTP_PORT": "9100"}, overrides={"http_port": 9200})
    assert flagged.http_port == 9200


def test_bad_values_are_reported_with_their_name(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="CALLCENTER_HTTP_PORT"):
        load_settings(None, environ={"CALLCENTER_HTTP_PORT": "eighty", "CALLCENTER_CONFIG": str(tmp_path / "n")})
    broken = tmp_path / "broken.toml"
    broken.write_text("[callcenter\n")
    with pytest.raises(SettingsError, match=r"broken\.toml"):
        load_settings(broken, environ={})


def test_fastagi_accepts_loopback_unless_configured_otherwise(tmp_path: Path) -> None:
    none = {"CALLCENTER_CONFIG": str(tmp_path / "none.toml")}
    assert load_settings(environ=none).agi_allow == "127.0.0.1/32,::1/128"
    config = tmp_path / "callcenter.toml"
    config.write_text('[callcenter]\nagi_allow = "10.0.0.5/32"\n')
    assert load_settings(config, environ={}).agi_allow == "10.0.0.5/32"
    assert load_settings(config, environ={"CALLCENTER_AGI_ALLOW": "10.0.0.0/24,::1"}).agi_allow == "10.0.0.0/24,::1"
