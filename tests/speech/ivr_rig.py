"""Our IVR on a PBX (the simulator or a real Asterisk): a FastAGI server running a flow, with speech input."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from bus.events import DomainEvent
from cti.agi import AgiServer, AgiSession
from cti.audiosocket import AudioSocketServer
from ivr.agi_channel import AgiCallChannel
from ivr.agi_runner import run_flow
from ivr.directory import CustomerRecord, InMemoryDirectory
from ivr.flow import Flow
from ivr.listener import SpeechListener
from ivr.loader import parse_flow
from ivr.outcome import IvrOutcome
from ivr.prompts import PromptLibrary
from ivr.recognizer import SpeechRecognizer

# 002550: made only of digits the Korean model recognised every time they were said alone with espeak-ng's
# Korean voice at 160 wpm, pitch 50 over line noise (0, 2 and 5: tests/speech/measure_korean.py), and a
# valid customer code (Luhn check digit).
SPOKEN_CODE = "002550"
KOREAN_CUSTOMER = CustomerRecord(id="cust-ko", code=SPOKEN_CODE, name="Kim Minji", tier="key", language="ko")

KOREAN_FLOW = {
    "name": "korean",
    "language": "ko",
    "voice": "ko",
    "start": "welcome",
    "fallback": "general",
    "prompts": {
        "hello": {"text": "안녕하세요. 전화해 주셔서 감사합니다."},
        "enter_code": {"text": "여섯 자리 고객 번호를 말씀하시거나 눌러 주세요."},
        "try_again": {"text": "다시 한 번 말씀해 주세요."},
    },
    "nodes": {
        "welcome": {"type": "play", "prompt": "hello", "next": "ask_code"},
        "ask_code": {"type": "collect", "prompt": "enter_code", "input": ["dtmf", "speech"], "var": "entered_code",
                     "min_digits": 6, "max_digits": 6, "timeout_ms": 8000, "attempts": 2,
                     "no_input_prompt": "try_again", "invalid_prompt": "try_again", "on_fail": "general",
                     "next": "check_code"},
        "check_code": {"type": "validate", "input": "entered_code", "checks": ["checksum", "crm"],
                       "retry": "ask_code", "next": "known"},
        "known": {"type": "queue", "queue": "support"},
        "general": {"type": "queue", "queue": "general"},
    },
}


def korean_flow() -> Flow:
    return parse_flow(KOREAN_FLOW, source="korean.yaml")


class IvrRig:
    """A FastAGI server on a free port whose ``ivr`` script runs ``flow``; outcomes and events are kept."""

    def __init__(self, flow: Flow, customers: list[CustomerRecord], prompts: PromptLibrary,
                 listener: SpeechListener | None = None, *, port: int = 0, script: str = "ivr") -> None:
        self.flow = flow
        self.directory = InMemoryDirectory(customers)
        self.prompts = prompts
        self.listener = listener
        self.outcomes: list[IvrOutcome] = []
        self.events: list[DomainEvent] = []
        self.streamed: list[tuple[str, str | None]] = []  # (file, key that interrupted it)
        self.started: list[str] = []  # files as they start to play
        self.agi = AgiServer("127.0.0.1", port, shutdown_grace=1.0)
        self.agi.route(script, self._run)

    async def _run(self, session: AgiSession) -> None:
        channel = _Spy(AgiCallChannel(session), self.streamed, self.started)
        self.outcomes.append(await run_flow(channel, self.flow, self.directory, prompts=self.prompts,
                                            listener=self.listener, publish=self.events.append))

    async def __aenter__(self) -> IvrRig:
        await self.agi.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.agi.close()

    async def outcome(self, timeout: float = 60.0) -> IvrOutcome:
        deadline = time.monotonic() + timeout
        while not self.outcomes:
            assert time.monotonic() < deadline, f"no IVR outcome in {timeout} s; played {self.streamed}"
            await asyncio.sleep(0.05)
        return self.outcomes[0]


class _Spy(AgiCallChannel):
    """Notes each file streamed and the key that interrupted it."""

    def __init__(self, inner: AgiCallChannel, streamed: list[tuple[str, str | None]], started: list[str]) -> None:
        super().__init__(inner.session, inner.call_id)
        self._streamed = streamed
        self._started = started

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        self._started.append(name)
        key = await super().stream_file(name, escape_digits)
        self._streamed.append((name, key))
        return key


async def korean_listener(recognizer: SpeechRecognizer) -> tuple[AudioSocketServer, SpeechListener]:
    """Our AudioSocket server on a free loopback port and a listener with the (Korean) ``recognizer``."""
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    return server, SpeechListener(server, recognizer, f"127.0.0.1:{server.port}")


class NoAudio:
    """Stands in for espeak-ng where the PBX is the simulator (it plays any name): a path per text."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.texts: list[str] = []

    async def synthesize(self, text: str, voice: str) -> Path:
        if text not in self.texts:
            self.texts.append(text)
        return self.root / f"{voice}-{self.texts.index(text)}.wav"


def sim_prompts(root: Path) -> PromptLibrary:
    return PromptLibrary(NoAudio(root), sounds_root=root / "sounds")  # type: ignore[arg-type]


def keyed(digits: str, first_after: float, gap: float = 0.2) -> tuple[tuple[float, str], ...]:
    return tuple((first_after if i == 0 else gap, d) for i, d in enumerate(digits))


Matcher = Callable[[DomainEvent], bool]
