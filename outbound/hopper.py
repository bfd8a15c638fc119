"""The hopper: one campaign's ordered supply of next leads, kept up to date without scanning.

The dialer asks :meth:`Hopper.next` for a lead, dials it, and reports :meth:`Hopper.outcome`. In between,
the hopper never looks at every lead; each lead sits in exactly one place:

- **ready**: in a bucket of its *locale* (region, subdivision, time zones: everything its calling window
  depends on) and its class (a call-back due, or a customer tier). Each bucket is a heap by age (by due
  time for call-backs). A lead is here when every rule but possibly the window passes.
- **waiting**: in the wake-up queue, by the time its deciding rule stops blocking (retry delay, call-back
  time, next local day, other campaign's spacing). Time passing moves due leads in; at most
  ``wakeups_per_call`` per call so one busy moment does not stall a selection.
- **parked**: on a do-not-call list, until a number is taken off a list or a new registry arrives.
- **out**: released to the dialer, until its outcome; or **done** (no attempts left, no retry).

A locale's window is a *gate*: closed buckets are not offered, and when the window opens (08:00 in the
callee's zones) every bucket of that locale becomes selectable at once, at the cost of one heap push
per bucket instead of one per lead. Selection takes the best open bucket head in the order: call-backs
due (earliest first), then customer tier (``Lead.tier_priority``, larger first), then the locale's
best-time score for the current local hour of week (:mod:`outbound.best_time`, re-read each quarter of an
hour, when every zone's hour of week may change), then age.

Safety does not rest on these structures: the chosen lead is decided again in full at the moment of
release (:meth:`Eligibility.decide`), so a number added to a do-not-call list, dialled by another
campaign, or outside its window is never released, however long it had been ready. A lead the dialer
holds but has not dialled yet can be checked again with :meth:`Hopper.confirm`.

The story: every release and every skip whose rule differs from the lead's previous recorded skip goes to
``recorder``, so a lead re-checked every few minutes for the same reason costs one record, not thousands;
leads released at load or after a wake-up are not recorded until they are actually released.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections.abc import Callable, Iterable
from typing import Any

from bus.clock import Clock
from outbound.best_time import BestTime, hour_of_week, reference_zone
from outbound.dnc import DncChange
from outbound.eligibility import Decision, Eligibility
from outbound.leads import Lead, LeadHistory
from outbound.rules import DO_NOT_CALL, OUTCOMES, RULE_DNC, RULE_WINDOW
from outbound.windows import DAY, HORIZON_DAYS

Recorder = Callable[[Decision], None]
READY, WAITING, PARKED, OUT, DONE = "ready", "waiting", "parked", "out", "done"
PLACES = (READY, WAITING, PARKED, OUT, DONE)
DNC_DISPOSITION = "do-not-call disposition"  # the internal list's reason for a number a callee asked off
SCORE_REFRESH = 900.0  # every zone's hour of week changes on a quarter of an hour (UTC+5:45 included)
_CALLBACK_CLASS, _TIER_CLASS = 0, 1


class HopperError(ValueError):
    """A request about a lead the hopper does not hold in the state the request needs."""


@dataclasses.dataclass(frozen=True, slots=True)
class OutcomeEffects:
    """What an outcome changed: the lead's new history, and the do-not-call audit record if it added one."""

    history: LeadHistory
    dnc_change: DncChange | None = None


class _Slot:
    __slots__ = ("dialed_at", "history", "last_rule", "lead", "locale", "place", "version")

    def __init__(self, lead: Lead, history: LeadHistory, locale: _Locale) -> None:
        self.lead = lead
        self.history = history
        self.locale = locale
        self.place = ""
        self.version = 0
        self.last_rule = ""
        self.dialed_at = 0.0


class _Bucket:
    __slots__ = ("callback", "heap", "index", "locale", "tier", "token")

    def __init__(self, locale: _Locale, callback: bool, tier: int, index: int) -> None:
        self.locale = locale
        self.callback = callback
        self.tier = tier
        self.index = index
        self.heap: list[tuple[float, int, int, int]] = []  # (order key, seq, lead id, lead version)
        self.token = 0  # bumped whenever the bucket's entry in the selectable heap goes stale


class _Locale:
    __slots__ = ("buckets", "gate_version", "index", "key", "open", "score", "zone")

    def __init__(self, key: tuple[str | None, str | None, tuple[str, ...]], index: int) -> None:
        self.key = key
        self.index = index
        self.zone = reference_zone(key[2])
        self.buckets: dict[tuple[bool, int], _Bucket] = {}
        self.open = False
        self.gate_version = 0
        self.score = 0.0


class Hopper:
    """One campaign's next leads; see the module doc."""

    def __init__(self, campaign: str, eligibility: Eligibility, clock: Clock, *,
                 best_time: BestTime | None = None, recorder: Recorder | None = None,
                 wakeups_per_call: int = 64) -> None:
        self.campaign = campaign
        self.eligibility = eligibility
        self.best_time = best_time if best_time is not None else BestTime()
        self._clock = clock
        self._record: Recorder = recorder if recorder is not None else _ignore
        self._wakeups_per_call = wakeups_per_call
        self._slots: dict[int, _Slot] = {}
        self._locales: dict[tuple[str | None, str | None, tuple[str, ...]], _Locale] = {}
        self._buckets: list[_Bucket] = []
        self._selectable: list[tuple[Any, ...]] = []
        self._gates: list[tuple[float, int, int]] = []  # (when, locale index, gate version)
        self._locale_list: list[_Locale] = []
        self._wakeups: list[tuple[float, int, int, int]] = []  # (when, seq, lead id, version)
        self._parked: dict[int, set[int]] = {}  # number key -> lead ids parked for do-not-call
        self._counts = dict.fromkeys(PLACES, 0)
        self._seq = 0
        self._next_refresh = -math.inf
        self._cleared_seen, _ = eligibility.dnc.cleared_since(0)
        self._registry_generation = eligibility.dnc.registry_generation

    # ---- the dialer's side -------------------------------------------------------------------------

    def next(self) -> Lead | None:
        """The best lead to dial now (taken out until its outcome), or ``None`` when none may be dialled."""
        now = self._clock()
        self._advance(now, self._wakeups_per_call)
        while True:
            lead = self._release_best(now)
            if lead is not None or not self._wakeups or self._wakeups[0][0] > now:
                return lead
            self._wake(now, self._wakeups_per_call)  # nothing ready, but more leads are due: take them in

    def confirm(self, lead_id: int) -> Decision:
        """Decide again, now, about a lead released and not yet dialled; a skip takes it back."""
        slot = self._slot(lead_id, OUT)
        now = self._clock()
        decision = self.eligibility.decide(slot.lead, slot.history, now)
        if not decision.released:
            slot.version += 1
            self._place(slot, decision, now)
        return decision

    def put_back(self, lead_id: int) -> None:
        """Take back a released lead that was not dialled: decided again now, as if never released."""
        slot = self._slot(lead_id, OUT)
        slot.version += 1
        self._evaluate(slot, self._clock())

    def adopt(self, lead_id: int, dialed_at: float) -> Lead:
        """Take out a lead whose dial began before the hopper was loaded (a node restarted while its call was
        on): out until its outcome, wherever it was; a lead with nothing left to do cannot be."""
        slot = self._slot(lead_id)
        if slot.place == DONE:
            raise HopperError(f"lead {lead_id} is done")
        if slot.place != OUT:
            slot.version += 1  # its entry in a bucket or the wake-up queue goes stale
            self._unpark(slot)
            self._set_place(slot, OUT)
            slot.dialed_at = dialed_at
        return slot.lead

    def outcome(self, lead_id: int, outcome: str, *, at: float | None = None, callback_at: float | None = None,
                by: str = "dialer") -> OutcomeEffects:
        """Take in how a released lead's dial ended; ``do_not_call`` puts its number on the internal list."""
        if outcome not in OUTCOMES:
            raise HopperError(f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}")
        slot = self._slot(lead_id, OUT)
        now = self._clock() if at is None else at
        rules = self.eligibility.rules
        slot.history = slot.history.after(outcome, dialed_at=slot.dialed_at, at=now, callback_at=callback_at,
                                          keep=rules.max_attempts_per_day)
        slot.version += 1
        self.best_time.learn(hour_of_week(slot.dialed_at, slot.locale.zone), outcome)
        change = None
        if outcome == DO_NOT_CALL:
            change = self.eligibility.dnc.internal.add(slot.lead.number, at=now, by=by, reason=DNC_DISPOSITION)
        self._evaluate(slot, now)
        return OutcomeEffects(slot.history, change)

    # ---- the list's side ---------------------------------------------------------------------------

    def add(self, lead: Lead, history: LeadHistory | None = None) -> None:
        """Take in a lead (new, or restored from storage with its history)."""
        self.load([(lead, history if history is not None else LeadHistory())])

    def load(self, leads: Iterable[tuple[Lead, LeadHistory]]) -> None:
        """Take in many leads at once (heaps are rebuilt once, not pushed into lead by lead)."""
        now = self._clock()
        self._advance(now, 0)
        touched: set[int] = set()
        for lead, history in leads:
            if lead.campaign != self.campaign:
                raise HopperError(f"lead {lead.id} is for campaign {lead.campaign!r}, not {self.campaign!r}")
            if lead.id in self._slots:
                raise HopperError(f"lead {lead.id} is already in the hopper")
            slot = _Slot(lead, history, self._locale(lead, now))
            self._slots[lead.id] = slot
            decision = self.eligibility.decide(lead, history, now)
            if decision.released or decision.rule == RULE_WINDOW:
                if not decision.released:
                    slot.last_rule = decision.rule
                    self._record(decision)
                self._set_place(slot, READY)
                bucket = self._bucket_of(slot)
                bucket.heap.append(self._entry(slot))
                touched.add(bucket.index)
            else:
                self._place(slot, decision, now)
        for index in touched:
            bucket = self._buckets[index]
            heapq.heapify(bucket.heap)
            self._offer(bucket)

    def remove(self, lead_id: int) -> None:
        """Forget a lead (taken off the campaign); its stale heap entries are dropped when met."""
        slot = self._slots.pop(lead_id, None)
        if slot is None:
            raise HopperError(f"lead {lead_id} is not in the hopper")
        self._unpark(slot)
        self._counts[slot.place] -= 1

    def tick(self) -> None:
        """Do all due work (wake-ups, gates, scores) now; for an idle moment of the dialer's loop."""
        self._advance(self._clock(), len(self._wakeups))

    # ---- what the hopper holds ---------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """How many leads are in each place (ready, waiting, parked, out, done)."""
        return dict(self._counts)

    def history(self, lead_id: int) -> LeadHistory:
        return self._slot(lead_id).history

    def lead(self, lead_id: int) -> Lead:
        return self._slot(lead_id).lead

    def __contains__(self, lead_id: object) -> bool:
        return lead_id in self._slots

    def place(self, lead_id: int) -> str:
        return self._slot(lead_id).place

    # ---- inside ------------------------------------------------------------------------------------

    def _slot(self, lead_id: int, place: str | None = None) -> _Slot:
        slot = self._slots.get(lead_id)
        if slot is None:
            raise HopperError(f"lead {lead_id} is not in the hopper")
        if place is not None and slot.place != place:
            raise HopperError(f"lead {lead_id} is {slot.place}, not {place}")
        return slot

    def _set_place(self, slot: _Slot, place: str) -> None:
        if slot.place:
            self._counts[slot.place] -= 1
        slot.place = place
        self._counts[place] += 1

    def _locale(self, lead: Lead, now: float) -> _Locale:
        number = lead.number
        key = (number.region, number.subdivision, number.time_zones)
        locale = self._locales.get(key)
        if locale is None:
            locale = self._locales[key] = _Locale(key, len(self._locale_list))
            self._locale_list.append(locale)
            locale.score = self._score(locale, now)
            self._gate(locale, now)
        return locale

    def _gate(self, locale: _Locale, now: float) -> None:
        """Read the locale's window at ``now``; open or close its buckets; schedule the next look."""
        state = self.eligibility.windows.locale_state(*locale.key, now)
        locale.gate_version += 1
        if state.open != locale.open:
            locale.open = state.open
            for bucket in locale.buckets.values():
                bucket.token += 1
                if state.open:
                    self._offer(bucket)
        again = state.until if state.until is not None else now + HORIZON_DAYS * DAY
        heapq.heappush(self._gates, (again, locale.index, locale.gate_version))

    def _score(self, locale: _Locale, now: float) -> float:
        return self.best_time.score(hour_of_week(now, locale.zone))

    def _bucket_of(self, slot: _Slot) -> _Bucket:
        callback = slot.history.callback_at is not None
        tier = 0 if callback else slot.lead.tier_priority
        locale = slot.locale
        bucket = locale.buckets.get((callback, tier))
        if bucket is None:
            bucket = locale.buckets[(callback, tier)] = _Bucket(locale, callback, tier, len(self._buckets))
            self._buckets.append(bucket)
        return bucket

    def _entry(self, slot: _Slot) -> tuple[float, int, int, int]:
        history = slot.history
        if history.callback_at is not None:
            key = history.callback_at
        else:
            created = slot.lead.created_at
            key = -created if self.eligibility.rules.newest_first else created
        self._seq += 1
        return (key, self._seq, slot.lead.id, slot.version)

    def _offer(self, bucket: _Bucket) -> None:
        """Put the bucket's current head up for selection (if its gate is open and it holds any lead)."""
        if not bucket.heap or not bucket.locale.open:
            return
        key, seq, _, _ = bucket.heap[0]
        if bucket.callback:
            rank: tuple[Any, ...] = (_CALLBACK_CLASS, 0, 0.0, key, seq)
        else:
            rank = (_TIER_CLASS, -bucket.tier, -bucket.locale.score, key, seq)
        heapq.heappush(self._selectable, (*rank, bucket.index, bucket.token))

    def _enqueue(self, slot: _Slot) -> None:
        self._set_place(slot, READY)
        bucket = self._bucket_of(slot)
        entry = self._entry(slot)
        heapq.heappush(bucket.heap, entry)
        if bucket.heap[0] is entry:
            bucket.token += 1
            self._offer(bucket)

    def _release_best(self, now: float) -> Lead | None:
        selectable = self._selectable
        buckets = self._buckets
        slots = self._slots
        while selectable:
            top = selectable[0]
            bucket = buckets[top[-2]]
            if top[-1] != bucket.token:
                heapq.heappop(selectable)
                continue
            _, _, lead_id, version = heapq.heappop(bucket.heap)
            bucket.token += 1
            heapq.heappop(selectable)
            self._offer(bucket)
            slot = slots.get(lead_id)
            if slot is None or slot.version != version:
                continue
            decision = self.eligibility.decide(slot.lead, slot.history, now)
            slot.version += 1
            if decision.released:
                self._set_place(slot, OUT)
                slot.dialed_at = now
                slot.last_rule = decision.rule
                self.eligibility.contacts.dialed(slot.lead.number.digits, self.campaign, now)
                self._record(decision)
                return slot.lead
            self._place(slot, decision, now)
        return None

    def _evaluate(self, slot: _Slot, now: float) -> None:
        decision = self.eligibility.decide(slot.lead, slot.history, now)
        if decision.released:
            self._enqueue(slot)
        else:
            self._place(slot, decision, now)

    def _place(self, slot: _Slot, decision: Decision, now: float) -> None:
        """Put a skipped lead where its deciding rule says, recording the skip if its rule changed."""
        if decision.rule != slot.last_rule:
            slot.last_rule = decision.rule
            self._record(decision)
        self._unpark(slot)
        if decision.rule == RULE_WINDOW and not slot.locale.open:
            self._enqueue(slot)
        elif decision.rule == RULE_DNC:
            self._set_place(slot, PARKED)
            self._parked.setdefault(slot.lead.number.digits, set()).add(slot.lead.id)
        elif decision.next_at is not None or decision.rule == RULE_WINDOW:
            # A window skip under an open gate cannot happen (both read the same windows); if it did,
            # looking again a minute later keeps the lead out rather than spinning on it.
            self._set_place(slot, WAITING)
            self._seq += 1
            wake = decision.next_at if decision.next_at is not None else now + 60.0
            heapq.heappush(self._wakeups, (max(wake, now), self._seq, slot.lead.id, slot.version))
        else:
            self._set_place(slot, DONE)

    def _unpark(self, slot: _Slot) -> None:
        if slot.place == PARKED:
            digits = slot.lead.number.digits
            parked = self._parked[digits]
            parked.discard(slot.lead.id)
            if not parked:
                del self._parked[digits]

    def _advance(self, now: float, wakeups: int) -> None:
        self._dnc_changes(now)
        gates = self._gates
        while gates and gates[0][0] <= now:
            _, index, version = heapq.heappop(gates)
            locale = self._locale_list[index]
            if version == locale.gate_version:
                self._gate(locale, now)
        if now >= self._next_refresh:
            self._refresh_scores(now)
        self._wake(now, wakeups)

    def _wake(self, now: float, budget: int) -> None:
        wakeups = self._wakeups
        slots = self._slots
        while budget > 0 and wakeups and wakeups[0][0] <= now:
            _, _, lead_id, version = heapq.heappop(wakeups)
            slot = slots.get(lead_id)
            if slot is not None and slot.version == version:
                budget -= 1
                slot.version += 1
                self._evaluate(slot, now)

    def _dnc_changes(self, now: float) -> None:
        dnc = self.eligibility.dnc
        self._cleared_seen, cleared = dnc.cleared_since(self._cleared_seen)
        if dnc.registry_generation != self._registry_generation:
            self._registry_generation = dnc.registry_generation
            cleared = list(self._parked)
        for digits in cleared:
            for lead_id in list(self._parked.get(digits, ())):
                slot = self._slots[lead_id]
                slot.version += 1
                self._evaluate(slot, now)

    def _refresh_scores(self, now: float) -> None:
        """Re-read each locale's best-time score and rebuild the selectable heap with it."""
        self._next_refresh = (now // SCORE_REFRESH + 1) * SCORE_REFRESH
        for locale in self._locale_list:
            locale.score = self._score(locale, now)
        self._selectable = []
        for bucket in self._buckets:
            bucket.token += 1
            self._offer(bucket)


def _ignore(decision: Decision) -> None:
    """The recorder of a hopper nobody listens to."""
