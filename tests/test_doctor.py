"""The doctor's judgements, from what Asterisk answered (the whole round trip runs against a real Asterisk in
tests/asterisk_conf/test_astconf_real_doctor.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.cli import main
from callcenter.doctor import ACTIONS_WE_USE, doctor_call_findings, rights_findings

AGI = "agi://10.0.0.5:4573"


def test_least_privilege_rights_pass_and_each_forbidden_right_is_named() -> None:
    assert all(f.ok for f in rights_findings({*ACTIONS_WE_USE, "Ping", "Login", "ListCommands"}))
    for right, action in (("system", "ModuleCheck"), ("command", "Command"), ("config", "UpdateConfig")):
        forbidden = {f.item: f for f in rights_findings({*ACTIONS_WE_USE, action})}["AMI rights we must not have"]
        assert not forbidden.ok and right in forbidden.detail
    missing = {f.item: f for f in rights_findings(set(ACTIONS_WE_USE) - {"Originate"})}
    assert "Originate" in missing["AMI rights we need"].detail


def test_the_doctor_call_tells_the_dialplan_the_fastagi_link_and_the_prompts_apart() -> None:
    def failed(variables: dict[str, str], reason: int | None = None) -> list[str]:
        return [f.item for f in doctor_call_findings(variables, reason, "abc", AGI) if not f.ok]

    assert failed({}, reason=0) == ["dialplan loaded"]
    assert failed({"CC_DOCTOR_DIALPLAN": "abc", "CC_DOCTOR_AGI": "SUCCESS", "CC_DOCTOR": "prompts ok"}) == []
    assert failed({"CC_DOCTOR_DIALPLAN": "old", "CC_DOCTOR_AGI": "SUCCESS", "CC_DOCTOR": "prompts ok"}) == [
        "dialplan up to date"]
    assert failed({"CC_DOCTOR_DIALPLAN": "abc", "CC_DOCTOR_AGI": "FAILURE"}) == ["FastAGI reachable from the PBX"]
    assert failed({"CC_DOCTOR_DIALPLAN": "abc", "CC_DOCTOR_AGI": "SUCCESS"}) == ["FastAGI reachable from the PBX"]
    prompts = doctor_call_findings({"CC_DOCTOR_DIALPLAN": "abc", "CC_DOCTOR_AGI": "SUCCESS",
                                    "CC_DOCTOR": "prompts missing: callcenter/press-1-callback"}, None, "abc", AGI)
    assert [f.detail for f in prompts if not f.ok] == ["not on the PBX: callcenter/press-1-callback"]


def test_doctor_on_the_simulator_checks_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    assert main(["--db-url", url, "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  database schema: at revision none" in out and "fix: start 'callcenter serve' once" in out
