"""The customers a simulated dialler reaches, and what ``AMD()`` hears from them.

:func:`draw_callee` gives one dial's callee from a :class:`~cti.sim.config.CalleePopulation`;
:func:`amd_verdict` is what Asterisk's ``AMD()`` (default settings) concludes from the answerer's first words:
a voice lasting its 1.5 s ``greeting`` is a machine (``LONGGREETING-<voice ms>-1500``, decided 1.5 s in),
a shorter word followed by its 0.8 s ``after_greeting_silence`` a person (``HUMAN-<silence ms>-800``): the
``AMDCAUSE`` shapes a real Asterisk sets (trace 07: ``HUMAN-803-800``, ``LONGGREETING-1500-1500``).
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from cti.sim.config import CalleePopulation, PhoneBehaviour, PhoneOutcome

#: AMD()'s defaults (amd.conf): the longest greeting of a person, and the silence after it.
MAXIMUM_WORD_MS = 1500
AFTER_GREETING_SILENCE_MS = 800
#: The shortest hello AMD hears as a word (shorter sounds are noise; it waits for the silence anyway).
MINIMUM_WORD_MS = 100


def no_answer_share(population: CalleePopulation, at: float) -> float:
    """The share of dials nobody answers at ``at`` (epoch seconds), after the answer factor of the hour."""
    if not population.by_hour:
        return population.no_answer
    hour = dt.datetime.fromtimestamp(at, zoneinfo.ZoneInfo(population.time_zone)).hour
    reachable = 1.0 - population.invalid - population.busy
    answering = min(reachable, (reachable - population.no_answer) * population.by_hour.get(hour, population.off_hours))
    return reachable - answering


def draw_callee(population: CalleePopulation, number: str, rng: random.Random, at: float) -> PhoneBehaviour:
    """The callee of one dial of ``number`` at ``at`` (the simulated time): fixed by ``population.always``,
    else drawn by its shares."""
    fixed = population.always.get(number)
    if fixed is not None:
        return fixed
    ring = rng.uniform(*population.ring)
    draw = rng.random()
    for share, outcome in ((population.invalid, PhoneOutcome.INVALID), (population.busy, PhoneOutcome.BUSY),
                           (no_answer_share(population, at), PhoneOutcome.NO_ANSWER)):
        if draw < share:
            return PhoneBehaviour(outcome=outcome, answer_after=0.0 if outcome is PhoneOutcome.INVALID else ring)
        draw -= share
    if rng.random() < population.machines:
        return PhoneBehaviour(answer_after=ring, greeting=rng.uniform(*population.machine_greeting), talk_time=60.0)
    return PhoneBehaviour(answer_after=ring, greeting=rng.uniform(0.3, 1.2), talk_time=rng.uniform(*population.talk))


def amd_verdict(greeting: float) -> tuple[str, str, float]:
    """(``AMDSTATUS``, ``AMDCAUSE``, seconds AMD listens) for an answerer whose first words last ``greeting`` s."""
    word_ms = int(greeting * 1000)
    if word_ms > MAXIMUM_WORD_MS:
        return "MACHINE", f"LONGGREETING-{MAXIMUM_WORD_MS}-{MAXIMUM_WORD_MS}", MAXIMUM_WORD_MS / 1000
    word_ms = max(word_ms, MINIMUM_WORD_MS)
    silence = AFTER_GREETING_SILENCE_MS
    return "HUMAN", f"HUMAN-{silence}-{silence}", (word_ms + silence) / 1000
