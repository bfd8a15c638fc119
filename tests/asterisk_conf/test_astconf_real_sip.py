"""Real SIP calls through a real Asterisk (``ASTERISK_BIN``, built with PJSIP) into a running node: sipp
callers key their customer code as SIP INFO, sipp phones answer for the agents (``callcenter bench sip``'s
rig, :mod:`callcenter.sip_load`)."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from real_asterisk import SECRET, asterisk_binary, free_port, running_asterisk

from asterisk_conf.local_pbx import PJSIP_MODULES
from asterisk_conf.site import SiteConfig
from callcenter.sip_load import RigOptions, open_rig, pjsip_conf
from ivr.tts import SpeechSynthesizer

pytestmark = pytest.mark.asterisk


def test_the_pjsip_site_gives_callers_a_trunk_and_every_agent_a_phone() -> None:
    site = SiteConfig(agi_port=free_port(), ami_port=free_port(), ami_secret=SECRET)
    sip, phones = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    conf = pjsip_conf(sip, phones, ["5000", "5001"])
    with running_asterisk(site, extra_modules=PJSIP_MODULES, extra_files={"pjsip.conf": conf}) as instance:
        endpoints = instance.cli("pjsip show endpoints")
        assert f"127.0.0.1:{sip}" in endpoints, endpoints
        assert "callers-by-address/callers" in endpoints and "Match: 127.0.0.1/32" in endpoints
        for agent in ("5000", "5001"):
            assert f"{agent}/sip:{agent}@127.0.0.1:{phones}" in endpoints, endpoints
        modules = instance.cli("module show like pjsip")
        assert "chan_pjsip.so" in modules and "res_pjsip_dtmf_info.so" in modules, modules


@pytest.mark.timeout(240)
def test_every_real_sip_call_is_accounted_for_identified_and_rings_a_free_agent_at_once(tmp_path: Path) -> None:
    binary = asterisk_binary()
    if shutil.which("sipp") is None:
        pytest.skip("sipp is not installed (Debian package sip-tester)")
    if not SpeechSynthesizer(tmp_path).available():
        pytest.skip("espeak-ng is not installed: the IVR cannot speak its prompts")
    options = RigOptions(asterisk=binary, data_dir=tmp_path / "data", work_dir=tmp_path / "run",
                         agents=3, ring_ms=300, talk_ms=1000)
    with open_rig(options) as rig:
        figures = rig.run_rate(1.0, 10.0)
    assert figures.calls == 10
    assert (figures.failed, figures.abandoned) == (0, 0), figures.notes
    assert figures.completed == figures.accounted == figures.identified == 10, figures
    assert figures.offered == figures.rang == 10, figures
    # A real PBX rings a free agent about 10 ms after the caller is queued; a busy machine gets slower.
    assert figures.ring_p95_ms is not None and figures.ring_p95_ms < 250, figures
    assert figures.node_rss_mib > 0 and figures.node_cpu_percent > 0
