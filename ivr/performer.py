"""Carry the interpreter's caller actions out on a :class:`~ivr.channel.CallChannel`.

Type-ahead: a prompt that leads to an input node is played with every key as an escape digit; a key
that interrupts it is kept, the prompts still to come are skipped while the caller is typing, and the
next input starts from it, reading the rest after the first key (so a caller who types their code during
the greeting is not made to wait for, or lose it to, the prompts).

Speech: where an input node takes speech and a :class:`~ivr.listener.SpeechListener` for the call's
language is there, the prompts play (interruptible by a key) and then the caller's answer is listened
to and recognised; each recognition is published as an :class:`~ivr.events.IvrInputRecognised`. A key
pressed instead ends listening and the answer is read as keys. No listener, a listener for another
language or one that fails: the node reads keys only, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bus.clock import Clock
from bus.events import DomainEvent
from ivr.actions import DONE, NO_INPUT, CallerAction, CallerResult, Collect, Digits, Finish, Play, Say, SayDigits
from ivr.channel import CallChannel, PromptUnavailable
from ivr.events import IvrInputRecognised
from ivr.flow import Flow, PromptSpec
from ivr.grammar import Grammar
from ivr.listener import Keyed, SpeechListener, SpeechUnavailable
from ivr.prompts import PromptLibrary

log = logging.getLogger(__name__)

ANY_KEY = "0123456789*#"
# Asterisk's core sounds ship silence/1 .. silence/10; GET DATA needs a file to play.
SILENCE = "silence/1"


class ActionPerformer:
    """One call's caller actions; keeps the keys typed ahead and the channel's language between them."""

    def __init__(
        self,
        channel: CallChannel,
        flow: Flow,
        prompts: PromptLibrary,
        *,
        listener: SpeechListener | None = None,
        publish: Callable[[DomainEvent], None] | None = None,
        min_confidence: float = 0.0,
        clock: Clock = time.time,
    ) -> None:
        self._channel = channel
        self._flow = flow
        self._prompts = prompts
        self._listener = listener
        self._publish = publish
        self._min_confidence = min_confidence
        self._clock = clock
        self._typed = ""  # keys pressed during prompts, for the next input
        self._channel_language = flow.language  # set on the channel when the call was answered

    async def perform(self, action: CallerAction) -> CallerResult:
        match action:
            case Play():
                for prompt in action.prompts:
                    if not await self._play(prompt, action.interruptible):
                        break
                return DONE
            case Say():
                if not self._typed:
                    voice = self._flow.voice_for(action.language)
                    self._keep(await self._stream(await self._prompts.speak(action.text, voice),
                                                  action.interruptible))
                return DONE
            case SayDigits():
                if not self._typed:
                    await self._use_language(action.language)
                    self._keep(await self._channel.say_digits(action.digits, ANY_KEY if action.interruptible else ""))
                return DONE
            case Collect():
                keyed = await self._collect(action)
                return Digits(keyed) if keyed else NO_INPUT
            case Finish():
                raise AssertionError("Finish is handled by run_flow")

    def _keep(self, key: str | None) -> None:
        if key:
            self._typed += key

    async def _use_language(self, language: str) -> None:
        """Let the channel's language be ``language`` (sound files and digits are found by it)."""
        language = language or self._flow.language
        if language != self._channel_language:
            await self._channel.set_variable("CHANNEL(language)", language)
            self._channel_language = language

    async def _playable(self, prompt: PromptSpec) -> str:
        language = prompt.language or self._flow.language
        await self._use_language(language)
        return await self._prompts.playable(prompt, language, self._flow.voice_for(language))

    async def _stream(self, name: str, interruptible: bool) -> str | None:
        return await self._channel.stream_file(name, ANY_KEY if interruptible else "")

    async def _play(self, prompt: PromptSpec, interruptible: bool) -> bool:
        """Play one prompt; False when the caller is typing ahead (the rest is skipped)."""
        if self._typed:
            return False
        name = await self._playable(prompt)
        try:
            self._keep(await self._stream(name, interruptible))
        except PromptUnavailable:
            # The PBX lacks a file this machine has (another host, another sound package): speak the text.
            voice = self._flow.voice_for(prompt.language)
            spoken = await self._prompts.speak(prompt.text, voice)
            if spoken == name:
                log.warning("prompt %s cannot be played on call %s", prompt.key, self._channel.call_id)
                return True
            try:
                self._keep(await self._stream(spoken, interruptible))
            except PromptUnavailable:
                log.warning("prompt %s cannot be played on call %s", prompt.key, self._channel.call_id)
        return not self._typed

    async def _collect(self, action: Collect) -> str:
        """Keys typed ahead, else the prompts (interruptible by a key) then the answer: spoken where the
        node and a listener allow it, else keyed (GET DATA on the last prompt)."""
        if self._typed:
            first, self._typed = self._typed[0], ""
            return await self._rest_of_entry(first, action)
        names = [await self._playable(p) for p in action.prompts]
        listener = self._listener_for(action.speech)
        keyed_on_last = listener is None and names
        for name in names[:-1] if keyed_on_last else names:
            key = await self._channel.stream_file(name, ANY_KEY)
            if key is not None:
                return await self._rest_of_entry(key, action)
        if listener is None:
            return await self._channel.get_data(names[-1] if names else SILENCE, action.timeout_ms,
                                                action.max_digits) or ""
        assert action.speech is not None
        try:
            heard = await listener.listen(self._channel, action.speech, no_input_ms=action.timeout_ms)
        except SpeechUnavailable as exc:
            log.warning("speech input failed on call %s (%s): reading keys", self._channel.call_id, exc)
            return await self._channel.get_data(SILENCE, action.timeout_ms, action.max_digits) or ""
        if isinstance(heard, Keyed):
            return await self._rest_of_entry(heard.digit, action)
        if heard is None:
            return ""
        accepted = bool(heard.value) and heard.confidence >= self._min_confidence
        if self._publish is not None:
            self._publish(IvrInputRecognised(
                at=self._clock(), call_id=self._channel.call_id, node=action.node, language=listener.language,
                text=heard.text, value=heard.value, confidence=heard.confidence,
                audio_seconds=round(heard.audio_seconds, 3), decode_seconds=round(heard.decode_seconds, 3),
                accepted=accepted,
            ))
        log.info("call %s said %r at %s: %r (confidence %.2f, %.1f s)", self._channel.call_id, heard.text,
                 action.node, heard.value, heard.confidence, heard.audio_seconds)
        return heard.value if accepted else ""

    def _listener_for(self, grammar: Grammar | None) -> SpeechListener | None:
        if grammar is None or self._listener is None or self._listener.language != grammar.language:
            return None
        return self._listener

    async def _rest_of_entry(self, first: str, action: Collect) -> str:
        if first == "#" or action.max_digits == 1:
            return "" if first == "#" else first
        rest = await self._channel.get_data(SILENCE, action.timeout_ms, action.max_digits - 1)
        return first + (rest or "")
