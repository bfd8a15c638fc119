"""Configuration of the PBX simulator: AMI/AGI endpoints, timing, agent phones, callers, traffic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

#: How much more (or less) often people answer by their local hour than on average: more at lunch and after
#: work. The bench's callee model (:mod:`outbound.callees`) and the demo's simulated callees share it.
ANSWER_BY_HOUR: Mapping[int, float] = {8: 0.8, 9: 0.85, 10: 0.9, 11: 1.0, 12: 1.15, 13: 1.1, 14: 0.9, 15: 0.9,
                                       16: 1.0, 17: 1.15, 18: 1.25, 19: 1.2, 20: 1.05}


class PhoneOutcome(StrEnum):
    """What a simulated phone does when it rings."""

    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CONGESTION = "congestion"
    REJECT = "reject"
    INVALID = "invalid"  # the network refuses the number (unallocated, Q.850 cause 1) without ringing


@dataclass(frozen=True, slots=True)
class PhoneBehaviour:
    """A simulated phone: rings ``answer_after`` s then does ``outcome``; hangs up after ``talk_time``.

    ``talk_time`` of None keeps the call up until the other side hangs up. ``greeting`` is how long the
    answerer speaks first: a person's "hello?" is short, an answering machine's greeting is long (what
    ``AMD()`` listens to; see :mod:`cti.sim.amd`). A phone that ``auto_answers``
    obeys a dial's auto-answer request (the dialplan's ``callcenter-auto-answer`` pre-dial handler): it
    answers by itself after the requested delay, whoever sits at it.
    """

    outcome: PhoneOutcome = PhoneOutcome.ANSWER
    answer_after: float = 1.0
    talk_time: float | None = None
    greeting: float = 0.8
    auto_answers: bool = False


@dataclass(frozen=True, slots=True)
class CalleePopulation:
    """The customers a campaign dials, for numbers no entry of ``phones`` names: each dial draws its callee.

    Shares of the dials: ``invalid`` numbers not in service, ``busy``, ``no_answer`` (rings out), and the
    rest answers after ``ring`` (uniform, seconds); of the answers ``machines`` are answering machines with
    a greeting of ``machine_greeting`` seconds (uniform), the others persons saying a short hello and
    talking ``talk`` seconds (uniform) unless the other side ends first. With ``by_hour``, the answering
    share is that factor times as large at the callee's local hour (in ``time_zone``; hours it does not name
    take ``off_hours``), the no-answer share making up the difference. A number listed in ``always`` gets that
    outcome on every dial (a test's fixed cast).
    """

    invalid: float = 0.02
    busy: float = 0.08
    no_answer: float = 0.25
    machines: float = 0.2
    ring: tuple[float, float] = (2.0, 12.0)
    machine_greeting: tuple[float, float] = (2.5, 8.0)
    talk: tuple[float, float] = (30.0, 240.0)
    always: dict[str, PhoneBehaviour] = field(default_factory=dict)
    by_hour: Mapping[int, float] = field(default_factory=dict)
    off_hours: float = 0.8
    time_zone: str = "America/New_York"


@dataclass(frozen=True, slots=True)
class CallerScript:
    """A simulated caller: presses ``digits`` (each ``(delay_after_previous_s, digit)``) once the IVR
    listens, and hangs up after ``patience`` s unless an agent has answered; ``talk_time`` ends a
    connected call from the caller's side (None: wait for the other side). ``speech`` is what they say
    when the IVR listens to them over AudioSocket: each ``(delay_s, wav_path)`` (8 kHz mono 16-bit) is said
    ``delay_s`` after one ``AudioSocket()`` starts, one per listening, in order."""

    digits: tuple[tuple[float, str], ...] = ()
    speech: tuple[tuple[float, str], ...] = ()
    patience: float | None = None
    talk_time: float | None = None


@dataclass(frozen=True, slots=True)
class TrafficSettings:
    """Poisson arrivals at ``calls_per_hour`` with exponential handle times (mean ``mean_handle_s``)."""

    calls_per_hour: float = 0.0
    mean_handle_s: float = 180.0
    mean_patience_s: float | None = 120.0
    dnis: str = "5551000"
    max_calls: int | None = None
    # Customer codes callers key in when the IVR asks (one picked per call); empty: callers key nothing.
    caller_codes: tuple[str, ...] = ()


@dataclass(slots=True)
class SimulatorConfig:
    """Everything the simulator needs; defaults are Asterisk's ports on loopback."""

    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "cti"
    ami_secret: str = "ctisecret"
    agi_url: str = "agi://127.0.0.1:4573/ivr"
    seed: int = 1
    speed: float = 1.0
    # Dial string (e.g. "PJSIP/1001", "Local/1001@phones") -> behaviour of that phone.
    phones: dict[str, PhoneBehaviour] = field(default_factory=dict)
    default_phone: PhoneBehaviour = field(default_factory=PhoneBehaviour)
    # Who answers the numbers dialled through callee_context (Local/<number>@callcenter-outbound, the
    # dialer's and call-backs' way out) when no phones entry names the dial string; None: default_phone.
    callees: CalleePopulation | None = None
    callee_context: str = "callcenter-outbound"
    traffic: TrafficSettings = field(default_factory=TrafficSettings)
    # Run the callcenter-* contexts asterisk_conf renders (FastAGI scripts inbound, connect, callback and
    # resume on agi_url's host and port, and the holding loop after each). Off: those contexts run
    # AGI(agi_url) itself, for rigs that serve every context with one script.
    shipped_dialplan: bool = False
    # Further contexts in extensions.conf syntax (only the applications cti.sim.dialplan simulates).
    dialplan: str = ""
    # Contexts whose channels just wait (the caller side of a traced call); other contexts run AGI.
    wait_contexts: tuple[str, ...] = ("caller",)
    # Contexts with no dialplan above whose calls answer, then run AGI(agi_url); "incoming" is the traces'.
    inbound_contexts: tuple[str, ...] = ("callcenter-inbound", "incoming")
    # Seconds a wrong login waits before the error (Asterisk sleeps 1 s); real time, not scaled.
    auth_failure_delay: float = 1.0
    # Default length of a prompt; AGI STREAM FILE/Playback take this long unless listed.
    prompt_seconds: float = 1.0
    prompt_lengths: dict[str, float] = field(default_factory=dict)
    # Prompts the simulated sound store lacks (STREAM FILE answers result=-1 endpos=0).
    missing_prompts: frozenset[str] = frozenset({"no-such-file"})
