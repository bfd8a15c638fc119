"""What a dial came to, from what Asterisk reports (pure): OriginateResponse, hang-up causes, AMD's verdict.

The dialer edge passes the ``OriginateResponse`` (``Response``, ``Reason``), the Q.850 causes of the legs'
``Hangup`` events and, for an answered call, the ``AMDSTATUS``/``AMDCAUSE`` variables ``AMD()`` set. The
reasons and causes are those a real Asterisk reports (recorded in trace 07 of ``tests/fixtures/traces``):
``Reason`` 4 answered, 5 busy, 3 no answer, 8 congestion, 0 anything else (rejected, no such number, no
route), where the hang-up cause tells an invalid number (1, 3, 28) from a rejection (21) or another failure.
"""

from __future__ import annotations

from collections.abc import Iterable

from outbound import rules

BUSY, NO_ANSWER, CONGESTION, INVALID, FAILED = "busy", "no_answer", "congestion", "invalid", "failed"
PERSON, MACHINE, ABANDONED = "person", "machine", "abandoned"
DIAL_OUTCOMES = (BUSY, NO_ANSWER, CONGESTION, INVALID, FAILED, PERSON, MACHINE, ABANDONED)
#: OriginateResponse Reason (Asterisk's last control frame on the outbound leg).
REASON_ANSWERED, REASON_BUSY, REASON_NO_ANSWER, REASON_CONGESTION = 4, 5, 3, 8
#: Q.850 causes that say the number itself is wrong: unallocated, no route to destination, invalid format.
INVALID_CAUSES = frozenset({1, 3, 28})
BUSY_CAUSES = frozenset({17})
NO_ANSWER_CAUSES = frozenset({18, 19})
CONGESTION_CAUSES = frozenset({34, 38, 41, 42})
#: What the campaign's machine rule makes of ``NOTSURE``: AMD could not tell, so a person may be there.
NOTSURE_IS_PERSON = True
#: The hopper outcome of each dial outcome (:mod:`outbound.rules`), which decides retries.
HOPPER_OUTCOME = {BUSY: rules.BUSY, NO_ANSWER: rules.NO_ANSWER, CONGESTION: rules.FAILED, INVALID: rules.INVALID,
                  FAILED: rules.FAILED, MACHINE: rules.MACHINE, ABANDONED: rules.ABANDONED,
                  PERSON: rules.ANSWERED}


class DialOutcomeError(ValueError):
    """A report that is not what Asterisk sends."""


def _causes(causes: Iterable[str | int]) -> set[int]:
    found = set()
    for cause in causes:
        try:
            found.add(int(cause))
        except ValueError as error:
            raise DialOutcomeError(f"hang-up cause {cause!r} is not a number") from error
    return found


def originate_outcome(response: str, reason: str | int, causes: Iterable[str | int] = ()) -> str | None:
    """The outcome of an ``OriginateResponse``; ``None`` when answered (AMD's verdict decides then)."""
    try:
        code = int(reason)
    except ValueError as error:
        raise DialOutcomeError(f"OriginateResponse reason {reason!r} is not a number") from error
    if response == "Success" and code == REASON_ANSWERED:
        return None
    if response not in ("Success", "Failure"):
        raise DialOutcomeError(f"OriginateResponse response {response!r}")
    found = _causes(causes)
    if code == REASON_BUSY or found & BUSY_CAUSES:
        return BUSY
    if code == REASON_NO_ANSWER or found & NO_ANSWER_CAUSES:
        return NO_ANSWER
    if code == REASON_CONGESTION or found & CONGESTION_CAUSES:
        return CONGESTION
    if found & INVALID_CAUSES:
        return INVALID
    return FAILED


def amd_outcome(status: str, cause: str = "", *, notsure_is_person: bool = NOTSURE_IS_PERSON) -> str:
    """``PERSON`` or ``MACHINE`` from ``AMDSTATUS`` (``HUMAN``, ``MACHINE``, ``NOTSURE``, ``HANGUP``)."""
    if status == "HUMAN":
        return PERSON
    if status == "MACHINE":
        return MACHINE
    if status == "NOTSURE":
        return PERSON if notsure_is_person else MACHINE
    if status == "HANGUP":
        return FAILED  # gone before AMD could tell: nobody to talk to
    raise DialOutcomeError(f"AMDSTATUS {status!r} (cause {cause!r})")
