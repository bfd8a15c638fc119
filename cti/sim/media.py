"""What a simulated channel waits through: silence, prompts and music on hold.

A wait ends early when a channel it watches is hung up or redirected (or, where asked, on a DTMF digit);
prompts take the length the simulated sound store gives them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cti.sim.channel import Channel, Interrupt
from cti.sim.clock import SimClock
from cti.sim.config import SimulatorConfig
from cti.sim.ports import SimPbx


async def changes(chans: Sequence[Channel], timeout: float | None) -> None:
    """Return at the next change on any of ``chans`` or after ``timeout`` real seconds."""
    pairs = [(c, c.waiter()) for c in chans]
    try:
        await asyncio.wait([f for _, f in pairs], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for chan, fut in pairs:
            chan.drop_waiter(fut)
            fut.cancel()


async def wait(
    clock: SimClock, chans: Sequence[Channel], seconds: float | None, *, digits: str = ""
) -> Interrupt | None:
    """Wait ``seconds`` (None: for ever) unless a channel is hung up or redirected, or (on the first
    channel) a DTMF digit in ``digits`` arrives. Returns None on timeout."""
    loop = asyncio.get_running_loop()
    deadline = None if seconds is None else loop.time() + clock.real(seconds)
    first = chans[0]
    while True:
        if any(c.dead for c in chans):
            return Interrupt.HANGUP
        if first.pulled:
            return Interrupt.REDIRECT
        while first.dtmf and digits:
            if first.dtmf[0] in digits:
                return Interrupt.DIGIT
            first.dtmf.popleft()
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            return None
        await changes(chans, remaining)


def prompt_seconds(config: SimulatorConfig, name: str) -> float | None:
    """Length of a prompt file, or None when the simulated sound store does not have it."""
    if name in config.missing_prompts:
        return None
    return config.prompt_lengths.get(name, config.prompt_seconds)


async def playback(pbx: SimPbx, chan: Channel, names: Sequence[str]) -> Interrupt | None:
    """The ``Playback`` application: each prompt in turn, uninterruptible by digits."""
    for name in names:
        length = prompt_seconds(pbx.config, name)
        if length is None:
            pbx.set_variable(chan, "PLAYBACKSTATUS", "FAILED")
            return None
        interrupt = await wait(pbx.clock, [chan], length)
        if interrupt is not None:
            return interrupt
    pbx.set_variable(chan, "PLAYBACKSTATUS", "SUCCESS")
    return None


async def music_on_hold(pbx: SimPbx, chan: Channel, music_class: str, seconds: float | None) -> Interrupt | None:
    """The ``MusicOnHold`` application: music for ``seconds`` (None: until interrupted)."""
    chan.music = music_class or "default"
    pbx.chan_event("MusicOnHoldStart", "call,all", chan, [("Class", chan.music)])
    interrupt = await wait(pbx.clock, [chan], seconds)
    stop_music(pbx, chan)
    return interrupt


def stop_music(pbx: SimPbx, chan: Channel) -> None:
    """End the music on hold ``chan`` hears, if any (a bridge taking the channel stops it at once)."""
    if chan.music is not None and not chan.gone:
        pbx.chan_event("MusicOnHoldStop", "call,all", chan)
    chan.music = None
