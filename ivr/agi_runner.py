"""Run a flow on a live call: carry out the interpreter's actions on a :class:`CallChannel`.

Customer look-ups run in worker threads (``asyncio.to_thread``): the directory may query a database,
and the event loop also carries the AMI link, the ACD and every other caller.
"""

from __future__ import annotations

import asyncio
import logging
import time

from bus.clock import Clock
from ivr.actions import (
    DONE,
    HUNG_UP,
    NO_INPUT,
    CallerAction,
    CallerResult,
    Collect,
    Digits,
    Finish,
    InputResult,
    Play,
    Say,
    SayDigits,
)
from ivr.channel import CallChannel, CallerHungUp, PromptUnavailable
from ivr.directory import CustomerDirectory, LookUp, look_up
from ivr.flow import Flow, PromptSpec
from ivr.interpreter import IvrSession
from ivr.outcome import IvrOutcome, OutcomeKind
from ivr.prompts import PromptLibrary

log = logging.getLogger(__name__)

ANY_KEY = "0123456789*#"
# Asterisk's core sounds ship silence/1 .. silence/10; GET DATA needs a file to play.
SILENCE = "silence/1"


async def run_flow(
    channel: CallChannel,
    flow: Flow,
    directory: CustomerDirectory,
    *,
    prompts: PromptLibrary,
    clock: Clock = time.time,
) -> IvrOutcome:
    """Answer, run ``flow`` to its end and return the outcome.

    For queue, call-back and voicemail outcomes the call data is also left in channel variables
    (``IVR_*``, ``CUSTOMER_*``) so the dialplan and a restarted ACD can see it; a hang-up outcome
    hangs the call up; an abandoned call is left alone.
    """
    session = IvrSession(
        flow,
        call_id=channel.call_id,
        ani=channel.caller_number,
        dnis=channel.dialled_number,
        clock=clock,
    )
    action = session.start()
    answered = False
    while not isinstance(action, Finish):
        if isinstance(action, LookUp):
            action = session.feed(await asyncio.to_thread(look_up, directory, action))
            continue
        result: InputResult
        try:
            if not answered:
                await channel.answer()
                # Standard sound files are found by the channel language, so it must match the flow.
                await channel.set_variable("CHANNEL(language)", flow.language)
                answered = True
            result = await _perform(channel, prompts, flow, action)
        except CallerHungUp:
            result = HUNG_UP
        action = session.feed(result)
    outcome = action.outcome
    try:
        if outcome.kind is OutcomeKind.HANGUP:
            await channel.hangup()
        elif outcome.kind is not OutcomeKind.ABANDONED:
            for name, value in channel_variables(outcome):
                await channel.set_variable(name, value)
    except CallerHungUp:
        pass  # the outcome stands; whoever takes the call over sees the hang-up on AMI
    return outcome


async def _perform(
    channel: CallChannel, prompts: PromptLibrary, flow: Flow, action: CallerAction
) -> CallerResult:
    match action:
        case Play():
            for prompt in action.prompts:
                await _play(channel, prompts, flow, prompt)
            return DONE
        case Say():
            await channel.stream_file(await prompts.speak(action.text, flow.voice))
            return DONE
        case SayDigits():
            await channel.say_digits(action.digits)
            return DONE
        case Collect():
            keyed = await _collect(channel, prompts, flow, action)
            return Digits(keyed) if keyed else NO_INPUT
        case Finish():
            raise AssertionError("Finish is handled by run_flow")


async def _collect(channel: CallChannel, prompts: PromptLibrary, flow: Flow, action: Collect) -> str:
    """Play the prompts, interruptible by a key, and read up to ``max_digits`` digits.

    GET DATA and STREAM FILE take exactly one file each (only Playback takes ``a&b`` lists), so
    every prompt but the last is streamed with every key as an escape digit; a key pressed there
    is the first digit of the answer and the rest is read after a second of silence.
    """
    names = [await prompts.playable(p, flow.language, flow.voice) for p in action.prompts]
    for name in names[:-1]:
        first = await channel.stream_file(name, ANY_KEY)
        if first is not None:
            return await _rest_of_entry(channel, first, action)
    keyed = await channel.get_data(names[-1], action.timeout_ms, action.max_digits)
    return keyed or ""


async def _rest_of_entry(channel: CallChannel, first: str, action: Collect) -> str:
    if first == "#" or action.max_digits == 1:
        return "" if first == "#" else first
    rest = await channel.get_data(SILENCE, action.timeout_ms, action.max_digits - 1)
    return first + (rest or "")


async def _play(channel: CallChannel, prompts: PromptLibrary, flow: Flow, prompt: PromptSpec) -> None:
    name = await prompts.playable(prompt, flow.language, flow.voice)
    try:
        await channel.stream_file(name)
    except PromptUnavailable:
        # The PBX lacks a file this machine has (another host, another sound package): speak the text.
        spoken = await prompts.speak(prompt.text, flow.voice)
        if spoken == name:
            log.warning("prompt %s cannot be played on call %s", prompt.key, channel.call_id)
            return
        try:
            await channel.stream_file(spoken)
        except PromptUnavailable:
            log.warning("prompt %s cannot be played on call %s", prompt.key, channel.call_id)


def channel_variables(outcome: IvrOutcome) -> list[tuple[str, str]]:
    """The channel variables that carry an outcome (empty values are left out)."""
    pairs = [
        ("IVR_OUTCOME", outcome.kind.value),
        ("IVR_QUEUE", outcome.queue or ""),
        ("IVR_PRIORITY", str(outcome.priority)),
        ("IVR_SKILLS", ",".join(f"{name}:{level}" for name, level in outcome.skills)),
        ("IVR_INTENT", outcome.caller.intent or ""),
        ("IVR_UNIDENTIFIED", "1" if outcome.caller.unidentified else "0"),
        ("CUSTOMER_ID", outcome.caller.customer_id or ""),
        ("CUSTOMER_CODE", outcome.caller.customer_code or ""),
        ("CUSTOMER_TIER", outcome.caller.tier or ""),
        ("CALLBACK_NUMBER", outcome.callback_number or ""),
        ("VOICEMAIL_BOX", outcome.mailbox or ""),
    ]
    return [(name, value) for name, value in pairs if value]
