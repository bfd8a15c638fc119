"""A campaign's settings as one checked value, read from and written to JSON (the API's and the store's shape).

:meth:`CampaignSettings.from_json` checks every field and raises :class:`CampaignError` naming the first
bad one; :meth:`CampaignSettings.rule_set` is the eligibility :class:`RuleSet` the campaign runs under,
versioned by the store (the version goes up whenever a field that decides eligibility changes).

The JSON shape::

    {"name": "Spring renewals", "mode": "progressive", "caller_id": "+12125550100", "queue": "sales",
     "skills": ["english"], "default_region": "US",
     "calling_hours": {"hours": [{"days": "mon-sun", "open": "08:00", "close": "21:00"}], "on_holidays": false,
                       "overrides": {"US-FL": {"hours": [{"days": "mon-sat", "open": "08:00", "close": "20:00"}]}}},
     "retry": {"busy": {"retry": true, "delay": 600}, ...}, "max_attempts": 6, "max_attempts_per_day": 3,
     "other_campaign_gap": 14400, "dispositions": [{"name": "sale", "kind": "final"}, ...],
     "abandon_target": 0.03, "abandon_formula": "us", "amd_false_positive": 0.03, "machine_rule": "hangup",
     "machine_message": "", "abandon_message": "", "preview_dial_seconds": null}

``abandon_formula`` is the rule predictive pacing keeps the abandon rate under (``us``: 30 days over live
answers; ``ofcom``: 24 hours, AMD-adjusted with ``amd_false_positive``, the campaign's reasoned estimate of the
share of people AMD calls machines); ``machine_rule`` is what a call AMD judges a machine gets (hang up,
the recorded message once the greeting is over, or an agent as if a person). ``machine_message`` and
``abandon_message`` are the campaign's recordings (sound names) for machines and for people no agent was free
for; empty, the node's ``[dialer]`` ones play. ``preview_dial_seconds``: in preview mode, the card's lead is
dialled by itself after that many seconds unless the agent skips it (null: only when the agent dials).

Statuses move along :data:`TRANSITIONS`: a draft starts running; a running campaign pauses, stops or
finishes; a stopped one may run again; a finished one is over.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

import phonenumbers

from acd.hours import WEEKDAYS, HoursError, OpeningRange, parse_opening_hours
from outbound.abandon import FORMULAS, US
from outbound.numbers import NumberError, parse_number
from outbound.rules import RETRYABLE, RetryRule, RuleSet, default_retry_rules
from outbound.windows import CallingWindow, WindowRules

PREVIEW, PROGRESSIVE, PREDICTIVE = "preview", "progressive", "predictive"
MODES = (PREVIEW, PROGRESSIVE, PREDICTIVE)
DRAFT, RUNNING, PAUSED, STOPPED, FINISHED = "draft", "running", "paused", "stopped", "finished"
STATUSES = (DRAFT, RUNNING, PAUSED, STOPPED, FINISHED)
TRANSITIONS: Mapping[str, frozenset[str]] = {
    DRAFT: frozenset({RUNNING, STOPPED}),
    RUNNING: frozenset({PAUSED, STOPPED, FINISHED}),
    PAUSED: frozenset({RUNNING, STOPPED, FINISHED}),
    STOPPED: frozenset({RUNNING, FINISHED}),
    FINISHED: frozenset(),
}
#: What a disposition does to its lead: done, dial again by the retry rules, call back when the customer
#: asked, or never call the number again (the internal do-not-call list).
FINAL, RETRY, CALLBACK, DO_NOT_CALL = "final", "retry", "callback", "do_not_call"
#: What a call AMD judges an answering machine gets (the dialplan's ``CC_MACHINE_RULE``): hang up, the
#: campaign's recorded message once the greeting is over, or an agent as if it were a person.
HANGUP, MESSAGE, AGENT = "hangup", "message", "agent"
MACHINE_RULES = (HANGUP, MESSAGE, AGENT)
DISPOSITION_KINDS = (FINAL, RETRY, CALLBACK, DO_NOT_CALL)
#: A sound Asterisk's Playback finds in its sounds folder: no spaces, dots or separators a dialplan reads.
SOUND_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_/-]{0,63}")
#: The shortest and longest wait before a preview card's lead is dialled by itself.
PREVIEW_DIAL_SECONDS = (5, 600)
#: The fields whose change makes a new rule set version.
RULE_FIELDS = ("calling_hours", "retry", "max_attempts", "max_attempts_per_day", "other_campaign_gap")
MAX_NAME = 100
MAX_LABEL = 64
MAX_DAY_SECONDS = 30 * 86400


class CampaignError(ValueError):
    """A campaign field that cannot be accepted; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


class StatusError(ValueError):
    """A status change :data:`TRANSITIONS` does not allow."""


@dataclasses.dataclass(frozen=True, slots=True)
class Disposition:
    """An outcome an agent picks for a campaign call, and what it does to the lead."""

    name: str
    kind: str


@dataclasses.dataclass(frozen=True)
class CampaignSettings:
    """Everything a campaign manager sets; see the module doc for the JSON shape."""

    name: str
    caller_id: str
    queue: str
    mode: str = PROGRESSIVE
    skills: tuple[str, ...] = ()
    default_region: str = "US"
    windows: WindowRules = dataclasses.field(default_factory=WindowRules)
    retry: Mapping[str, RetryRule] = dataclasses.field(default_factory=default_retry_rules)
    max_attempts: int = 6
    max_attempts_per_day: int = 3
    other_campaign_gap: float = 4 * 3600.0
    dispositions: tuple[Disposition, ...] = (
        Disposition("sale", FINAL), Disposition("not interested", FINAL), Disposition("call back", CALLBACK),
        Disposition("no answer", RETRY), Disposition("do not call", DO_NOT_CALL),
    )
    abandon_target: float = 0.03
    abandon_formula: str = US
    amd_false_positive: float = 0.03
    machine_rule: str = HANGUP
    machine_message: str = ""
    abandon_message: str = ""
    preview_dial_seconds: int | None = None

    def rule_set(self, version: int | str) -> RuleSet:
        return RuleSet(version=str(version), windows=self.windows, max_attempts=self.max_attempts,
                       max_attempts_per_day=self.max_attempts_per_day, retry=dict(self.retry),
                       other_campaign_gap=self.other_campaign_gap)

    def disposition(self, name: str) -> Disposition | None:
        return next((d for d in self.dispositions if d.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "mode": self.mode, "caller_id": self.caller_id, "queue": self.queue,
            "skills": list(self.skills), "default_region": self.default_region,
            **self.rules_json(),
            "dispositions": [{"name": d.name, "kind": d.kind} for d in self.dispositions],
            "abandon_target": self.abandon_target, "abandon_formula": self.abandon_formula,
            "amd_false_positive": self.amd_false_positive, "machine_rule": self.machine_rule,
            "machine_message": self.machine_message, "abandon_message": self.abandon_message,
            "preview_dial_seconds": self.preview_dial_seconds,
        }

    def rules_json(self) -> dict[str, Any]:
        """The fields of :data:`RULE_FIELDS` as JSON (what the store keeps in ``campaigns.rules``)."""
        windows = self.windows
        return {
            "calling_hours": {**_window_json(windows.default),
                              "overrides": {key: _window_json(w) for key, w in sorted(windows.overrides.items())}},
            "retry": {outcome: {"retry": rule.retry, "delay": rule.delay} for outcome, rule in self.retry.items()},
            "max_attempts": self.max_attempts, "max_attempts_per_day": self.max_attempts_per_day,
            "other_campaign_gap": self.other_campaign_gap,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CampaignSettings:
        """Check and read a campaign's JSON; absent optional fields take their defaults."""
        if not isinstance(data, Mapping):
            raise CampaignError("campaign", "expected an object")
        default = cls("", "", "")
        region = _region(data.get("default_region", default.default_region))
        return cls(
            name=_text(data, "name", MAX_NAME),
            mode=_choice(data, "mode", MODES, default.mode),
            caller_id=_caller_id(data.get("caller_id"), region),
            queue=_text(data, "queue", MAX_LABEL),
            skills=_labels(data.get("skills", []), "skills"),
            default_region=region,
            windows=_windows(data.get("calling_hours", {})),
            retry=_retry(data.get("retry", {})),
            max_attempts=_count(data, "max_attempts", default.max_attempts, 100),
            max_attempts_per_day=_count(data, "max_attempts_per_day", default.max_attempts_per_day, 50),
            other_campaign_gap=_seconds(data.get("other_campaign_gap", default.other_campaign_gap),
                                        "other_campaign_gap"),
            dispositions=_dispositions(data.get("dispositions", None), default.dispositions),
            abandon_target=_share(data.get("abandon_target", default.abandon_target), "abandon_target",
                                  "a share of answered calls from 0 to 0.5 (0.03 is 3%)"),
            abandon_formula=_choice(data, "abandon_formula", FORMULAS, default.abandon_formula),
            amd_false_positive=_share(data.get("amd_false_positive", default.amd_false_positive),
                                      "amd_false_positive", "a share of AMD's machines from 0 to 0.5 (0.03 is 3%)"),
            machine_rule=_choice(data, "machine_rule", MACHINE_RULES, default.machine_rule),
            machine_message=_sound(data.get("machine_message", ""), "machine_message"),
            abandon_message=_sound(data.get("abandon_message", ""), "abandon_message"),
            preview_dial_seconds=_preview_dial_seconds(data.get("preview_dial_seconds")),
        )


def check_transition(current: str, wanted: str) -> None:
    """Raise :class:`StatusError` unless a campaign may go from ``current`` to ``wanted``."""
    if wanted not in STATUSES:
        raise StatusError(f"unknown status {wanted!r}; one of {', '.join(STATUSES)}")
    if wanted not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none (it is over)"
        raise StatusError(f"a {current} campaign cannot become {wanted}; it may become: {allowed}")


# --- reading JSON ----------------------------------------------------------------------------------------


def _text(data: Mapping[str, Any], field: str, limit: int) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise CampaignError(field, "required text")
    text = " ".join(value.split())
    if len(text) > limit:
        raise CampaignError(field, f"at most {limit} characters")
    return text


def _choice(data: Mapping[str, Any], field: str, choices: Sequence[str], default: str) -> str:
    value = data.get(field, default)
    if value not in choices:
        raise CampaignError(field, f"one of {', '.join(choices)}")
    return str(value)


def _region(value: object) -> str:
    if not isinstance(value, str) or value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise CampaignError("default_region", "a two-letter region code such as US or CN")
    return value.upper()


def _caller_id(value: object, region: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CampaignError("caller_id", "required: the number callees see, e.g. +12125550100")
    try:
        return parse_number(value, region).e164
    except NumberError:
        raise CampaignError("caller_id", f"{value!r} is not a valid phone number") from None


def _labels(value: object, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CampaignError(field, "a list of names")
    labels = tuple(dict.fromkeys(v.strip() for v in value))
    if any(len(v) > MAX_LABEL for v in labels):
        raise CampaignError(field, f"names of at most {MAX_LABEL} characters")
    return labels


def _count(data: Mapping[str, Any], field: str, default: int, limit: int) -> int:
    value = data.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise CampaignError(field, f"a whole number from 1 to {limit}")
    return value


def _seconds(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_DAY_SECONDS:
        raise CampaignError(field, f"seconds from 0 to {MAX_DAY_SECONDS}")
    return float(value)


def _share(value: object, field: str, reason: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 0.5:
        raise CampaignError(field, reason)
    return float(value)


def _sound(value: object, field: str) -> str:
    if not isinstance(value, str) or (value.strip() and not SOUND_NAME.fullmatch(value.strip())):
        raise CampaignError(field, "a sound name of letters, digits, _ / - only (empty: the dialer's own)")
    return value.strip()


def _preview_dial_seconds(value: object) -> int | None:
    low, high = PREVIEW_DIAL_SECONDS
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CampaignError("preview_dial_seconds", f"a whole number of seconds from {low} to {high}, or null")
    return value


def _window(value: object, field: str) -> CallingWindow:
    if not isinstance(value, Mapping):
        raise CampaignError(field, "an object with hours and on_holidays")
    hours = value.get("hours", [{"days": "mon-sun", "open": "08:00", "close": "21:00"}])
    if not isinstance(hours, list) or not all(
            isinstance(h, Mapping) and all(isinstance(h.get(k), str) for k in ("days", "open", "close"))
            for h in hours):
        raise CampaignError(field, 'hours: a list of {"days": "mon-fri", "open": "08:00", "close": "21:00"}')
    try:
        ranges = parse_opening_hours("UTC", [dict(h) for h in hours]).ranges
    except HoursError as exc:
        raise CampaignError(field, str(exc)) from None
    on_holidays = value.get("on_holidays", False)
    if not isinstance(on_holidays, bool):
        raise CampaignError(field, "on_holidays: true or false")
    return CallingWindow(ranges, on_holidays)


def _windows(value: object) -> WindowRules:
    if not isinstance(value, Mapping):
        raise CampaignError("calling_hours", "an object")
    overrides = value.get("overrides", {})
    if not isinstance(overrides, Mapping):
        raise CampaignError("calling_hours", 'overrides: an object such as {"US-FL": {"hours": [...]}}')
    parsed = {}
    for key, window in overrides.items():
        region, _, subdivision = str(key).partition("-")
        if region not in phonenumbers.SUPPORTED_REGIONS or len(subdivision) > 3:
            raise CampaignError("calling_hours", f"override {key!r}: a region (US) or region-state (US-FL)")
        parsed[str(key)] = _window(window, f"calling_hours.overrides.{key}")
    return WindowRules(_window(value, "calling_hours"), parsed)


def _retry(value: object) -> dict[str, RetryRule]:
    if not isinstance(value, Mapping):
        raise CampaignError("retry", "an object by outcome")
    rules = default_retry_rules()
    for outcome, rule in value.items():
        if outcome not in RETRYABLE:
            raise CampaignError("retry", f"unknown outcome {outcome!r}; one of {', '.join(RETRYABLE)}")
        if not isinstance(rule, Mapping) or not isinstance(rule.get("retry", True), bool):
            raise CampaignError(f"retry.{outcome}", 'an object such as {"retry": true, "delay": 600}')
        delay = _seconds(rule.get("delay", rules[outcome].delay), f"retry.{outcome}.delay")
        rules[outcome] = RetryRule(bool(rule.get("retry", True)), delay)
    return rules


def _dispositions(value: object, default: tuple[Disposition, ...]) -> tuple[Disposition, ...]:
    if value is None:
        return default
    if not isinstance(value, list) or not value:
        raise CampaignError("dispositions", "a non-empty list")
    found: dict[str, Disposition] = {}
    for entry in value:
        if not isinstance(entry, Mapping):
            raise CampaignError("dispositions", 'each an object such as {"name": "sale", "kind": "final"}')
        name = _text(entry, "name", MAX_LABEL)
        kind = entry.get("kind")
        if kind not in DISPOSITION_KINDS:
            raise CampaignError("dispositions", f"{name}: kind is one of {', '.join(DISPOSITION_KINDS)}")
        if name in found:
            raise CampaignError("dispositions", f"{name} appears twice")
        found[name] = Disposition(name, str(kind))
    return tuple(found.values())


# --- writing JSON ----------------------------------------------------------------------------------------


def _days_text(days: frozenset[int]) -> str:
    """``"mon-fri,sun"``: weekdays as the hours syntax writes them."""
    runs: list[tuple[int, int]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return ",".join(WEEKDAYS[a] if a == b else f"{WEEKDAYS[a]}-{WEEKDAYS[b]}" for a, b in runs)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _range_json(r: OpeningRange) -> dict[str, str]:
    return {"days": _days_text(r.days), "open": _clock(r.start), "close": _clock(r.end)}


def _window_json(window: CallingWindow) -> dict[str, Any]:
    return {"hours": [_range_json(r) for r in window.ranges], "on_holidays": window.on_holidays}
