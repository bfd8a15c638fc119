"""run_flow over a fake channel that scripts what the caller keys and when they hang up."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from crm_core.codes import make_customer_code
from ivr.agi_runner import run_flow
from ivr.channel import CallerHungUp, PromptUnavailable
from ivr.directory import CustomerRecord, DirectoryUnavailable, InMemoryDirectory, TicketStatus
from ivr.events import IvrFinished
from ivr.loader import load_builtin_flow
from ivr.outcome import OutcomeKind
from ivr.prompts import PromptLibrary

ADA = CustomerRecord(id="cust-1", code=make_customer_code(10000), name="Ada Lovelace", tier="key")
HANG_UP = object()


class FakeSynthesizer:
    """Stands in for espeak-ng: one path per distinct text (like the real cache), no audio."""

    def __init__(self) -> None:
        self.spoken: list[str] = []

    async def synthesize(self, text: str, voice: str) -> Path:
        if text not in self.spoken:
            self.spoken.append(text)
        return Path(f"/tts/{voice}/{self.spoken.index(text) + 1}.wav")


class FakeChannel:
    """Answers GET DATA from a script of keyed strings (None = silence, HANG_UP = caller leaves)."""

    def __init__(
        self,
        script: list[object],
        *,
        ani: str = "5550000",
        hang_up_on_stream: int | None = None,
        unplayable: frozenset[str] = frozenset(),
    ):
        self.script = list(script)
        self.unplayable = unplayable
        self.log: list[tuple[str, ...]] = []
        self.variables: dict[str, str] = {}
        self.hung_up = False
        self._streams_before_hangup = hang_up_on_stream
        self.call_id = "call-42"
        self.caller_number = ani
        self.dialled_number = "5551000"

    def _alive(self) -> None:
        if self.hung_up:
            raise CallerHungUp("dead channel")

    async def answer(self) -> None:
        self._alive()
        self.log.append(("answer",))

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        self._alive()
        if name in self.unplayable:
            raise PromptUnavailable(name)
        self.log.append(("stream", name))
        if self._streams_before_hangup is not None:
            self._streams_before_hangup -= 1
            if self._streams_before_hangup < 0:
                self.hung_up = True
                raise CallerHungUp("hung up while playing")
        return None

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None:
        self._alive()
        self.log.append(("get_data", prompt, str(timeout_ms), str(max_digits)))
        item = self.script.pop(0) if self.script else None
        if item is HANG_UP:
            self.hung_up = True
            raise CallerHungUp("hung up during GET DATA")
        return item  # type: ignore[return-value]

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        self._alive()
        self.log.append(("say_digits", digits))
        return None

    async def set_variable(self, name: str, value: str) -> None:
        self._alive()
        self.variables[name] = value

    async def hangup(self) -> None:
        self.log.append(("hangup",))
        self.hung_up = True


def library(tmp_path: Path) -> tuple[PromptLibrary, FakeSynthesizer]:
    sounds = tmp_path / "sounds"
    (sounds / "en").mkdir(parents=True)
    for name in ("hello", "pls-hold-while-try"):
        (sounds / "en" / f"{name}.wav").write_bytes(b"RIFF")
    synth = FakeSynthesizer()
    return PromptLibrary(synth, sounds_root=sounds), synth  # type: ignore[arg-type]


def directory() -> InMemoryDirectory:
    return InMemoryDirectory([ADA], tickets={"cust-1": TicketStatus(ticket_id="88", status="new")})


async def test_valid_code_queues_the_call_with_customer_in_channel_variables(tmp_path: Path) -> None:
    prompts, synth = library(tmp_path)
    channel = FakeChannel([ADA.code, "1"])
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts)
    assert (outcome.kind, outcome.queue, outcome.caller.customer_id, outcome.priority) == (
        OutcomeKind.QUEUE, "support", "cust-1", 7)
    assert channel.log[0] == ("answer",)
    assert channel.log[1] == ("stream", "hello")  # the real sound file where the machine has it
    assert channel.log[2] == ("stream", "/tts/en-us/1")  # "Thank you for calling." has no file: TTS
    assert channel.log[3] == ("get_data", "/tts/en-us/2", "6000", "6")
    assert "Your ticket number 88 is registered and waiting for an agent." in synth.spoken
    assert channel.log[-1] == ("stream", "pls-hold-while-try")
    assert channel.variables == {
        "CHANNEL(language)": "en",
        "IVR_OUTCOME": "queue",
        "IVR_QUEUE": "support",
        "IVR_PRIORITY": "7",
        "IVR_SKILLS": "support:7",
        "IVR_INTENT": "support",
        "IVR_UNIDENTIFIED": "0",
        "CUSTOMER_ID": "cust-1",
        "CUSTOMER_CODE": ADA.code,
        "CUSTOMER_TIER": "key",
    }


async def test_wrong_code_twice_then_silence_is_unidentified_in_general(tmp_path: Path) -> None:
    prompts, _ = library(tmp_path)
    channel = FakeChannel(["100009", "123455", None])
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts)
    assert (outcome.queue, outcome.caller.unidentified) == ("general", True)
    assert channel.variables["IVR_UNIDENTIFIED"] == "1"
    retries = [entry for entry in channel.log if entry[0] == "get_data"]
    assert len(retries) == 3
    # GET DATA takes one file: the notice and "try again" are streamed (interruptible) before it.
    assert all("&" not in entry[1] for entry in channel.log[1:])
    before_retry = channel.log[channel.log.index(retries[1]) - 2 : channel.log.index(retries[1])]
    assert [entry[0] for entry in before_retry] == ["stream", "stream"]


class TypeAheadChannel(FakeChannel):
    """A caller who starts keying the code while the retry notice still plays."""

    def __init__(self, script: list[object], first_key: str) -> None:
        super().__init__(script)
        self.first_key = first_key
        self.escapes: list[str] = []

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        await super().stream_file(name, escape_digits)
        self.escapes.append(escape_digits)
        retrying = any(entry[0] == "get_data" for entry in self.log)  # the greeting is interruptible too
        if escape_digits and self.first_key and retrying:
            key, self.first_key = self.first_key, ""
            return key
        return None


async def test_a_key_pressed_during_a_leading_prompt_starts_the_answer(tmp_path: Path) -> None:
    prompts, _ = library(tmp_path)
    channel = TypeAheadChannel(["100009", ADA.code[1:], "1"], first_key=ADA.code[0])
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts)
    assert outcome.caller.customer_code == ADA.code
    rest = [entry for entry in channel.log if entry[0] == "get_data"][1]
    assert rest[1] == "silence/1" and rest[3] == "5"  # the other five digits after a second of silence


async def test_hang_up_during_get_data_is_abandoned_with_collected_data(tmp_path: Path) -> None:
    prompts, _ = library(tmp_path)
    channel = FakeChannel([ADA.code, HANG_UP])
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts, clock=lambda: 7.0)
    assert outcome.kind is OutcomeKind.ABANDONED
    assert dict(outcome.caller.ivr_data)["entered_code"] == ADA.code
    assert outcome.last_node == "main_menu"
    assert "IVR_OUTCOME" not in channel.variables  # nothing is written to a dead channel
    event = IvrFinished.from_outcome(outcome)
    assert (event.outcome, event.call_id, event.caller.customer_id, event.at) == (
        "abandoned_in_ivr", "call-42", "cust-1", 7.0)


async def test_hang_up_during_the_welcome_prompt(tmp_path: Path) -> None:
    prompts, _ = library(tmp_path)
    channel = FakeChannel([], hang_up_on_stream=0)
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts)
    assert (outcome.kind, outcome.last_node, outcome.caller.ivr_data) == (OutcomeKind.ABANDONED, "welcome", ())


async def test_callback_request_leaves_the_number_for_the_acd(tmp_path: Path) -> None:
    prompts, _ = library(tmp_path)
    channel = FakeChannel([ADA.code, "3"], ani="+15557654")
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts)
    assert outcome.kind is OutcomeKind.CALLBACK
    assert channel.variables["CALLBACK_NUMBER"] == "+15557654"
    assert channel.variables["IVR_OUTCOME"] == "callback"


async def test_read_back_digits_then_hang_up_node(tmp_path: Path) -> None:
    from ivr.loader import parse_flow

    flow = parse_flow(
        {
            "language": "en",
            "start": "ask",
            "fallback": "general",
            "nodes": {
                "ask": {"type": "collect", "prompt": "enter_customer_code", "var": "entered", "min_digits": 6,
                        "max_digits": 6, "next": "echo"},
                "echo": {"type": "say", "digits": "{entered}", "next": "bye"},
                "bye": {"type": "hangup", "prompt": "goodbye"},
                "general": {"type": "queue", "queue": "general"},
            },
        },
        source="echo.yaml",
    )
    prompts, _ = library(tmp_path)
    channel = FakeChannel(["123455"])
    outcome = await run_flow(channel, flow, directory(), prompts=prompts)
    assert outcome.kind is OutcomeKind.HANGUP
    assert ("say_digits", "123455") in channel.log
    assert channel.log[-1] == ("hangup",)
    assert "IVR_OUTCOME" not in channel.variables


async def test_a_sound_the_pbx_lacks_is_spoken_instead_and_a_dead_prompt_is_skipped(tmp_path: Path) -> None:
    prompts, synth = library(tmp_path)
    channel = FakeChannel([ADA.code, "1"], unplayable=frozenset({"hello", "/tts/en-us/2"}))
    outcome = await run_flow(channel, load_builtin_flow(), directory(), prompts=prompts)
    assert outcome.queue == "support"
    assert synth.spoken[:2] == ["Hello.", "Thank you for calling."]
    streams = [entry[1] for entry in channel.log if entry[0] == "stream"]
    assert streams[0] == "/tts/en-us/1"  # "hello" spoken instead
    assert "/tts/en-us/2" not in streams  # "thank you for calling" cannot play at all: skipped
    assert channel.log[2][0] == "get_data"


class SlowDirectory(InMemoryDirectory):
    """A directory whose every look-up blocks like a slow database query and notes the thread it ran on."""

    def __init__(self, seconds: float) -> None:
        super().__init__([ADA], phones={"5550000": "cust-1"},
                         tickets={"cust-1": TicketStatus(ticket_id="88", status="new")})
        self.seconds = seconds
        self.threads: list[tuple[str, int]] = []

    def _query(self, what: str) -> None:
        self.threads.append((what, threading.get_ident()))
        time.sleep(self.seconds)

    def find_by_code(self, code: str) -> CustomerRecord | None:
        self._query("code")
        return super().find_by_code(code)

    def find_by_ani(self, ani: str) -> CustomerRecord | None:
        self._query("ani")
        return super().find_by_ani(ani)

    def open_ticket_status(self, customer_id: str) -> TicketStatus | None:
        self._query("ticket")
        return super().open_ticket_status(customer_id)


async def test_slow_customer_look_ups_do_not_stall_the_event_loop(tmp_path: Path) -> None:
    prompts, synth = library(tmp_path)
    slow = SlowDirectory(seconds=0.1)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        outcome = await run_flow(FakeChannel([ADA.code, "1"]), load_builtin_flow(), slow, prompts=prompts)
    finally:
        ticking.cancel()
    assert (outcome.queue, outcome.caller.customer_id, outcome.identified_by) == ("support", "cust-1", "code")
    assert "Your ticket number 88 is registered and waiting for an agent." in synth.spoken
    assert [what for what, _ in slow.threads] == ["ani", "code", "ticket"]
    loop_thread = threading.get_ident()
    assert all(thread != loop_thread for _, thread in slow.threads)
    # 0.3 s of blocking queries: the loop kept serving other work all along (a blocked loop: ~0 ticks).
    assert ticks >= 20


class OutDirectory(InMemoryDirectory):
    """The CRM out: a code look-up hangs (until the test ends) or says at once that it cannot answer."""

    def __init__(self, *, hangs: bool) -> None:
        super().__init__([ADA])
        self.hangs = hangs
        self.released = threading.Event()

    def find_by_code(self, code: str) -> CustomerRecord | None:
        if not self.hangs:
            raise DirectoryUnavailable("connection refused")
        self.released.wait(10)
        return super().find_by_code(code)


@pytest.mark.parametrize("hangs", [True, False], ids=["crm-hangs", "crm-refuses"])
async def test_with_the_crm_out_the_caller_goes_on_unidentified_at_once(tmp_path: Path, hangs: bool) -> None:
    prompts, _ = library(tmp_path)
    out = OutDirectory(hangs=hangs)
    channel = FakeChannel([ADA.code])
    began = time.monotonic()
    try:
        outcome = await run_flow(channel, load_builtin_flow(), out, prompts=prompts, look_up_timeout=0.5)
    finally:
        out.released.set()
    took = time.monotonic() - began

    assert (outcome.kind, outcome.queue, outcome.caller.unidentified) == (OutcomeKind.QUEUE, "general", True)
    # The code was keyed once: an unchecked code is not the caller's mistake, so no "try again".
    assert [entry[0] for entry in channel.log].count("get_data") == 1
    assert took < (1.5 if hangs else 0.5)
