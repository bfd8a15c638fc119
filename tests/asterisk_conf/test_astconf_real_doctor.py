"""``callcenter doctor`` against a real Asterisk (``ASTERISK_BIN``), with one thing wrong at a time."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from real_asterisk import SECRET, Instance, free_port, running_asterisk

from acd.prompts import PROMPT_TEXTS
from asterisk_conf.site import SiteConfig
from callcenter.doctor import Finding, SiteDoctor
from callcenter.doctor_call import answer_doctor_call
from callcenter.settings import Settings
from crm_core.db import make_engine, migrate
from cti.agi import AgiServer

pytestmark = pytest.mark.asterisk


def _failed(findings: list[Finding]) -> dict[str, str]:
    return {f.item: f.detail for f in findings if not f.ok}


def _install_prompts(instance: Instance) -> None:
    for prompt in PROMPT_TEXTS:
        path = instance.root / "data" / "sounds" / "en" / f"{prompt}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(8000)
            audio.writeframes(b"\x00\x00" * 800)


def _edit(instance: Instance, name: str, old: str, new: str, reload: str) -> None:
    path = instance.root / "etc" / name
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new))
    instance.cli(reload)


async def test_the_doctor_names_each_wrong_thing_of_a_site(tmp_path: Path) -> None:
    site = SiteConfig(agi_port=free_port(), ami_port=free_port(), ami_secret=SECRET)
    db_url = f"sqlite:///{tmp_path / 'cc.sqlite3'}"
    migrate(make_engine(db_url))
    settings = Settings(db_url=db_url, ami_host="127.0.0.1", ami_port=site.ami_port, ami_user=site.ami_user,
                        ami_secret=SECRET, agi_port=site.agi_port)
    with running_asterisk(site) as instance:
        agi = AgiServer("127.0.0.1", site.agi_port)
        agi.route("doctor", answer_doctor_call)
        await agi.start()
        try:
            findings = await SiteDoctor(settings).examine()
            assert _failed(findings) == {"prompts installed": "not on the PBX: " + ", ".join(PROMPT_TEXTS)}
            _install_prompts(instance)
            findings = await SiteDoctor(settings).examine()
            assert _failed(findings) == {}, findings
            assert [f.item for f in findings] == [
                "AMI reachable", "AMI login", "AMI rights we need", "AMI rights we must not have",
                "dialplan loaded", "dialplan up to date", "FastAGI reachable from the PBX", "prompts installed",
                "database schema"]

            settings.ami_secret = "not-the-secret"
            assert list(_failed(await SiteDoctor(settings).examine())) == ["AMI login"]
            settings.ami_secret = SECRET

            _edit(instance, "manager_callcenter.conf", "write = call,", "write = system,call,", "manager reload")
            failed = _failed(await SiteDoctor(settings).examine())
            assert list(failed) == ["AMI rights we must not have"] and "system" in failed["AMI rights we must not have"]
            _edit(instance, "manager_callcenter.conf", "write = system,call,", "write = call,", "manager reload")

            _edit(instance, "extensions.conf", '#include "extensions_callcenter.conf"', "", "dialplan reload")
            assert list(_failed(await SiteDoctor(settings).examine())) == ["dialplan loaded"]
            _edit(instance, "extensions.conf", "writeprotect = yes\n", 'writeprotect = yes\n\n#include '
                  '"extensions_callcenter.conf"\n', "dialplan reload")
            assert _failed(await SiteDoctor(settings).examine()) == {}
        finally:
            await agi.close()
        failed = _failed(await SiteDoctor(settings).examine())  # the node is gone: its port is closed
        assert list(failed) == ["FastAGI reachable from the PBX"]
        assert f"could not reach agi://127.0.0.1:{site.agi_port}" in failed["FastAGI reachable from the PBX"]
