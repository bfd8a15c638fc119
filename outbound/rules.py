"""The eligibility rule set: versioned, frozen, one value a campaign runs under.

Every :class:`outbound.eligibility.Decision` names the rule that decided it and the rule set's
``version``, so a lead's story still explains itself after the rules change. Outcomes of a dial are the
strings below; :class:`RetryRule` says per outcome whether to try again and after how long. An outcome
with no retry rule (``answered``, ``do_not_call``) finishes the lead unless a call-back is scheduled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from outbound.windows import WindowRules

BUSY = "busy"
NO_ANSWER = "no_answer"
MACHINE = "machine"
ABANDONED = "abandoned"
FAILED = "failed"
#: The network says the number does not exist (unallocated, no route, invalid format): not dialled again
#: unless the campaign's retry rule for it says so.
INVALID = "invalid"
#: A person took the call and an agent talked to them; the lead is done unless a call-back is scheduled.
ANSWERED = "answered"
#: The agent's "do not call" disposition: the number goes on the internal list at once.
DO_NOT_CALL = "do_not_call"
RETRYABLE = (BUSY, NO_ANSWER, MACHINE, ABANDONED, FAILED, INVALID)
OUTCOMES = (*RETRYABLE, ANSWERED, DO_NOT_CALL)

# The rules a decision can name, in the order they are checked (see outbound.eligibility).
RULE_DNC = "dnc"
RULE_ATTEMPTS = "attempts"
RULE_CALLBACK = "callback"
RULE_RETRY = "retry"
RULE_DAILY_ATTEMPTS = "attempts_per_day"
RULE_OTHER_CAMPAIGN = "other_campaign"
RULE_WINDOW = "window"
#: Every rule passed.
RULE_ELIGIBLE = "eligible"
RULES = (RULE_DNC, RULE_ATTEMPTS, RULE_CALLBACK, RULE_RETRY, RULE_DAILY_ATTEMPTS, RULE_OTHER_CAMPAIGN,
         RULE_WINDOW, RULE_ELIGIBLE)

MINUTE = 60.0
HOUR = 3600.0


class RuleSetError(ValueError):
    """A rule set that cannot be applied."""


@dataclasses.dataclass(frozen=True, slots=True)
class RetryRule:
    """After an outcome: whether to dial the lead again, and how many seconds later at the earliest."""

    retry: bool = True
    delay: float = HOUR


def default_retry_rules() -> dict[str, RetryRule]:
    return {
        BUSY: RetryRule(True, 10 * MINUTE),
        NO_ANSWER: RetryRule(True, 3 * HOUR),
        MACHINE: RetryRule(True, 4 * HOUR),
        ABANDONED: RetryRule(True, 24 * HOUR),
        FAILED: RetryRule(True, 30 * MINUTE),
        INVALID: RetryRule(False, 0.0),
    }


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """What makes a lead dialable now; ``version`` is recorded with every decision made under it.

    ``other_campaign_gap``: seconds a number rests after another campaign dialled it (0: no spacing).
    ``newest_first``: among equals, the newest lead first (default: the oldest, so every lead gets a turn).
    """

    version: str = "1"
    windows: WindowRules = dataclasses.field(default_factory=WindowRules)
    max_attempts: int = 6
    max_attempts_per_day: int = 3
    retry: Mapping[str, RetryRule] = dataclasses.field(default_factory=default_retry_rules)
    other_campaign_gap: float = 4 * HOUR
    newest_first: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.retry) - set(RETRYABLE)
        if unknown:
            raise RuleSetError(f"retry rules for unknown outcomes: {', '.join(sorted(unknown))}")
        if self.max_attempts < 1 or self.max_attempts_per_day < 1:
            raise RuleSetError("attempt limits must be at least 1")
        if self.other_campaign_gap < 0 or any(r.delay < 0 for r in self.retry.values()):
            raise RuleSetError("delays cannot be negative")
