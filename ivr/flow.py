"""The in-memory form of an IVR flow: a graph of typed nodes, checked by :mod:`ivr.loader`.

Templates are ``str.format`` strings over flat call-data names (``"Your ticket {ticket_id}"``);
the loader guarantees every field is a plain, known name. A flow speaks one or more languages: every
prompt exists in each language's prompt set, and texts the flow itself speaks are given per language
(:data:`Texts`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True, slots=True)
class PromptSpec:
    """A prompt: a standard sound file when the machine has it, else ``text`` spoken by TTS.
    ``language`` is the prompt set it comes from (empty: the flow's own language)."""

    key: str
    text: str
    file: str | None = None
    language: str = ""


Prompts = tuple[PromptSpec, ...]
Texts = Mapping[str, str]
"""A template per language of the flow."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How a collect or menu node treats silence and wrong input."""

    attempts: int
    timeout_ms: int
    no_input_prompts: Prompts
    invalid_prompts: Prompts
    on_fail: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Routing:
    """Where a caller is sent: queue, required skills with minimum levels, fixed priority or by tier."""

    queue: str
    skills: tuple[tuple[str, int], ...] = ()
    priority: int | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PlayNode:
    id: str
    prompts: Prompts
    next: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SayNode:
    """Speak ``text`` with TTS, or ``digits`` one by one with Asterisk's own digit prompts."""

    id: str
    text: Texts | None
    digits: str | None
    next: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CollectNode:
    id: str
    prompts: Prompts
    var: str
    min_digits: int
    max_digits: int
    terminator: str
    retry: RetryPolicy
    next: str
    speech: bool = False  # the code may be said as digit words too


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MenuNode:
    """``words``: per language, the phrases that choose each option key (speech input when not empty)."""

    id: str
    prompts: Prompts
    options: Mapping[str, str]
    retry: RetryPolicy
    words: Mapping[str, Mapping[str, tuple[str, ...]]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LanguageNode:
    """Choose the language the call goes on in: the customer's own (their record, found by number or code)
    when ``from_customer`` and the flow speaks it, else the caller's key in ``options`` (key -> language),
    each language's ``prompts`` played in its own voice. No options: only the record decides. Failing
    that, the language stays as it is and the call goes on to ``next``."""

    id: str
    options: Mapping[str, str]
    prompts: Prompts
    from_customer: bool
    retry: RetryPolicy
    next: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ValidateNode:
    """Check ``input`` (checksum and/or CRM look-up); on failure go back to the ``retry`` collect node."""

    id: str
    input: str
    checksum: bool
    crm: bool
    retry: str
    invalid_prompts: Prompts
    next: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BranchRule:
    var: str
    values: frozenset[str] | None
    present: bool | None
    next: str

    def matches(self, data: Mapping[str, str]) -> bool:
        value = data.get(self.var, "")
        if self.values is not None:
            return value in self.values
        return bool(value) == self.present


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BranchNode:
    id: str
    rules: tuple[BranchRule, ...]
    default: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SetNode:
    id: str
    values: tuple[tuple[str, str], ...]
    next: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ReadbackNode:
    """Self-service: read the identified caller's open ticket status back to them."""

    id: str
    text: Texts
    none_text: Texts | None
    labels: Mapping[str, Texts]  # ticket status -> the words to say, per language
    next: str
    none_next: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class QueueNode:
    id: str
    routing: Routing
    prompts: Prompts


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CallbackNode:
    """Ask for a call-back to ``number`` (a template, the ANI by default), keeping a place in a queue."""

    id: str
    routing: Routing
    number: str
    prompts: Prompts
    on_no_number: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class VoicemailNode:
    id: str
    mailbox: str
    prompts: Prompts


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class HangupNode:
    id: str
    prompts: Prompts


Node = (
    PlayNode
    | SayNode
    | CollectNode
    | MenuNode
    | LanguageNode
    | ValidateNode
    | BranchNode
    | SetNode
    | ReadbackNode
    | QueueNode
    | CallbackNode
    | VoicemailNode
    | HangupNode
)
TerminalNode = QueueNode | CallbackNode | VoicemailNode | HangupNode


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """A validated flow. ``fallback`` is the general queue node used when nothing else applies."""

    name: str
    source: str
    language: str
    voice: str
    start: str
    fallback: str
    max_steps: int
    default_priority: int
    tier_priority: Mapping[str, int]
    nodes: Mapping[str, Node]
    languages: tuple[str, ...] = ()  # every language the flow speaks, ``language`` first
    voices: Mapping[str, str] = dataclasses.field(default_factory=dict)  # TTS voice per language
    prompt_sets: Mapping[str, Mapping[str, PromptSpec]] = dataclasses.field(default_factory=dict)

    def voice_for(self, language: str) -> str:
        """The TTS voice of ``language`` (the flow's voice for its own language or an unknown one)."""
        return self.voices.get(language or self.language, self.voice)

    def text_in(self, texts: Texts, language: str) -> str:
        """The template of ``texts`` in ``language`` (the flow's own language's when it has none)."""
        return texts.get(language) or texts.get(self.language) or next(iter(texts.values()), "")

    def localise(self, prompts: Prompts, language: str) -> Prompts:
        """``prompts`` as ``language``'s prompt set has them (unchanged in the flow's own language)."""
        table = self.prompt_sets.get(language)
        if not table or language == self.language:
            return prompts
        return tuple(table.get(p.key, p) for p in prompts)
