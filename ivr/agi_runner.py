"""Run a flow on a live call: carry out the interpreter's actions on a :class:`CallChannel`.

Customer look-ups run in worker threads (``asyncio.to_thread``): the directory may query a database,
and the event loop also carries the AMI link, the ACD and every other caller. A look-up that has not
answered within ``look_up_timeout`` finds nobody: with the CRM database out or hanging, callers go on
unidentified (to the flow's fallback queue) instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bus.clock import Clock
from bus.events import DomainEvent
from ivr.actions import HUNG_UP, Finish, InputResult
from ivr.channel import CallChannel, CallerHungUp
from ivr.directory import CustomerDirectory, LookUp, LookUpAnswer, look_up, unanswered
from ivr.flow import Flow
from ivr.interpreter import IvrSession
from ivr.listener import SpeechListener
from ivr.outcome import IvrOutcome, OutcomeKind
from ivr.performer import ActionPerformer
from ivr.prompts import PromptLibrary

log = logging.getLogger(__name__)

LOOK_UP_TIMEOUT = 1.0


async def run_flow(
    channel: CallChannel,
    flow: Flow,
    directory: CustomerDirectory,
    *,
    prompts: PromptLibrary,
    clock: Clock = time.time,
    listener: SpeechListener | None = None,
    publish: Callable[[DomainEvent], None] | None = None,
    min_confidence: float = 0.0,
    look_up_timeout: float = LOOK_UP_TIMEOUT,
) -> IvrOutcome:
    """Answer, run ``flow`` to its end and return the outcome; each node step goes to ``publish``
    (:class:`~ivr.events.IvrNodeVisited`) as it happens.

    For queue, call-back and voicemail outcomes the call data is also left in channel variables
    (``IVR_*``, ``CUSTOMER_*``) so the dialplan and a restarted ACD can see it; a hang-up outcome
    hangs the call up; an abandoned call is left alone. With a ``listener``, input nodes that take speech
    listen to the caller (:mod:`ivr.performer`); what was recognised is handed to ``publish``, and used when
    its confidence reaches ``min_confidence``.
    """
    session = IvrSession(
        flow,
        call_id=channel.call_id,
        ani=channel.caller_number,
        dnis=channel.dialled_number,
        clock=clock,
    )
    performer = ActionPerformer(channel, flow, prompts, listener=listener, publish=publish,
                                min_confidence=min_confidence, clock=clock)
    action = session.start()
    answered = False
    while True:
        if publish is not None:
            for visit in session.take_visits():
                publish(visit)
        if isinstance(action, Finish):
            break
        if isinstance(action, LookUp):
            action = session.feed(await _answer(directory, action, look_up_timeout, channel.call_id))
            continue
        result: InputResult
        try:
            if not answered:
                await channel.answer()
                # Standard sound files are found by the channel language, so it must match the flow.
                await channel.set_variable("CHANNEL(language)", flow.language)
                answered = True
            result = await performer.perform(action)
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


async def _answer(directory: CustomerDirectory, request: LookUp, timeout: float, call_id: str) -> LookUpAnswer:
    """The directory's answer, or :func:`ivr.directory.unanswered` after ``timeout`` seconds (the worker thread
    finishes on its own; nobody waits for it)."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(look_up, directory, request), timeout)
    except TimeoutError:
        log.warning("call %s: the customer directory did not answer %r within %.1f s; going on without it",
                    call_id, request, timeout)
        return unanswered(request)
