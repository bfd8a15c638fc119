"""Carrying actions out on a call: keys typed ahead during prompts, and spoken answers (a stand-in listener)."""

from __future__ import annotations

from pathlib import Path

from test_agi_runner import ADA, FakeChannel, directory, library

from bus.events import DomainEvent
from ivr.agi_runner import run_flow
from ivr.channel import CallChannel
from ivr.events import IvrInputRecognised
from ivr.grammar import Grammar
from ivr.listener import Heard, SpeechUnavailable
from ivr.loader import load_builtin_flow
from ivr.recognizer import Recognition


class EarlyCaller(FakeChannel):
    """Presses ``key`` during the first prompt that may be interrupted."""

    def __init__(self, script: list[object], key: str) -> None:
        super().__init__(script)
        self.key = key

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        await super().stream_file(name, escape_digits)
        if escape_digits and self.key:
            key, self.key = self.key, ""
            return key
        return None


async def test_a_code_typed_during_the_greeting_skips_the_rest_and_reads_the_other_digits(tmp_path: Path) -> None:
    prompts, synth = library(tmp_path)
    channel = EarlyCaller([ADA.code[1:], "1"], key=ADA.code[0])
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts)
    assert outcome.caller.customer_code == ADA.code
    assert channel.log[1] == ("stream", "hello")  # interrupted by the first digit...
    assert channel.log[2] == ("get_data", "silence/1", "6000", "5")  # ...the rest read at once
    assert "Thank you for calling." not in synth.spoken
    assert not any("customer code" in text for text in synth.spoken)


class SpeakingChannel(FakeChannel):
    async def run_application(self, name: str, data: str) -> None:
        self.log.append(("exec", name))


class StandInListener:
    """Answers each listening with the next of ``answers`` (or raises it)."""

    def __init__(self, language: str, answers: list[Heard | Exception]) -> None:
        self.language = language
        self.answers = answers
        self.grammars: list[Grammar] = []

    async def listen(self, channel: CallChannel, grammar: Grammar, *, no_input_ms: int) -> Heard:
        self.grammars.append(grammar)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def said(value: str, confidence: float = 0.9) -> Recognition:
    return Recognition(text=f"said {value}", value=value, confidence=confidence, audio_seconds=3.2,
                       decode_seconds=0.2)


async def test_a_spoken_code_and_menu_choice_are_used_and_published(tmp_path: Path) -> None:
    prompts, _ = library(tmp_path)
    channel = SpeakingChannel([])
    listener = StandInListener("en", [said(ADA.code), said("2")])
    events: list[DomainEvent] = []
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts,
                             listener=listener, publish=events.append, clock=lambda: 5.0)  # type: ignore[arg-type]
    assert (outcome.caller.customer_code, outcome.queue) == (ADA.code, "sales")
    assert not [entry for entry in channel.log if entry[0] == "get_data"]  # no key was read
    assert [g.kind.value for g in listener.grammars] == ["digits", "choice"]
    assert [e for e in events if isinstance(e, IvrInputRecognised)] == [
        IvrInputRecognised(at=5.0, call_id="call-42", node="ask_code", language="en", text=f"said {ADA.code}",
                           value=ADA.code, confidence=0.9, audio_seconds=3.2, decode_seconds=0.2),
        IvrInputRecognised(at=5.0, call_id="call-42", node="main_menu", language="en", text="said 2",
                           value="2", confidence=0.9, audio_seconds=3.2, decode_seconds=0.2),
    ]


async def test_an_unsure_answer_is_not_used_and_the_caller_is_asked_again(tmp_path: Path) -> None:
    prompts, synth = library(tmp_path)
    listener = StandInListener("en", [said("123455", confidence=0.3), said(ADA.code), said("1")])
    events: list[DomainEvent] = []
    outcome = await run_flow(SpeakingChannel([]), load_builtin_flow(), directory(), prompts=prompts,
                             listener=listener, publish=events.append, min_confidence=0.5)  # type: ignore[arg-type]
    assert outcome.caller.customer_code == ADA.code
    assert [(e.value, e.accepted) for e in events if isinstance(e, IvrInputRecognised)] == [
        ("123455", False), (ADA.code, True), ("1", True)]
    assert "I'm sorry I did not understand your response." in synth.spoken


async def test_keys_when_speech_fails_or_the_listener_speaks_another_language(tmp_path: Path) -> None:
    prompts, _ = library(tmp_path)
    failing = StandInListener("en", [SpeechUnavailable("no AudioSocket"), SpeechUnavailable("still none")])
    channel = SpeakingChannel([ADA.code, "1"])
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts,
                             listener=failing)  # type: ignore[arg-type]
    assert outcome.caller.customer_code == ADA.code and outcome.queue == "support"
    korean = StandInListener("ko", [])
    channel = SpeakingChannel([ADA.code, "1"])
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts,
                             listener=korean)  # type: ignore[arg-type]
    assert outcome.caller.customer_code == ADA.code and korean.grammars == []
    assert channel.log[3][0] == "get_data"  # the English flow reads keys: the model is Korean
