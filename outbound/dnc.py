"""Do-not-call: the internal list, per-campaign lists and the national registry, asked as one.

- :class:`DncBook` is one editable list (the system-wide internal list, or one campaign's): entries say
  who put the number there, when and why. An agent's "do not call" disposition or a manager's entry adds
  at once. Removal needs a role in :data:`REMOVER_ROLES` and a reason, and returns a :class:`DncChange`,
  the audit record the storage edge persists (adding returns one too).
- :class:`outbound.registry.NationalRegistry` is the national list: read-only, compact, replaced whole
  when a new file is published (:meth:`DncList.replace_registry`).
- :class:`DncList` asks all of them: :meth:`DncList.blocks` returns a :class:`DncHit` naming the list
  that blocks a number, or ``None``. The hopper asks it again at the moment it releases a lead, so a
  number added a moment ago is never released afterwards.

Numbers taken off a list are announced through :meth:`DncList.cleared_since` (a sequence number and the
keys cleared since), which the hoppers poll to re-consider leads they had parked for do-not-call. A new
registry bumps :attr:`DncList.registry_generation` the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from outbound.numbers import DialNumber, digits_of
from outbound.registry import NationalRegistry

INTERNAL = "internal"
#: Roles that may take a number off a list (the role names of ``agent_desktop.catalogue``; an admin may
#: do whatever a campaign manager may).
REMOVER_ROLES = frozenset({"campaign_manager", "admin"})
ADD, REMOVE = "add", "remove"


class DncError(ValueError):
    """A do-not-call change that is not allowed."""


class DncPermissionError(DncError):
    """The actor's role may not take numbers off a do-not-call list."""


@dataclasses.dataclass(frozen=True, slots=True)
class DncEntry:
    """A number on a list: who put it there, when and why."""

    e164: str
    added_at: float
    added_by: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class DncChange:
    """The audit record of one change to a list."""

    list_name: str
    action: str
    e164: str
    at: float
    actor: str
    reason: str
    role: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class DncHit:
    """Why a number may not be called: the list that holds it, and its entry when the list keeps one."""

    list_name: str
    entry: DncEntry | None = None

    def describe(self) -> str:
        if self.entry is None:
            return f"on the {self.list_name}"
        return f"on the {self.list_name} do-not-call list (by {self.entry.added_by}: {self.entry.reason})"


def campaign_list_name(campaign: str) -> str:
    return f"campaign {campaign}"


class DncBook:
    """One editable do-not-call list, keyed by :attr:`DialNumber.digits`."""

    def __init__(self, name: str, *, cleared: list[int] | None = None) -> None:
        self.name = name
        self._entries: dict[int, DncEntry] = {}
        # The owning DncList's log of removed keys, which hoppers poll.
        self._cleared = cleared if cleared is not None else []

    def __contains__(self, digits: object) -> bool:
        return digits in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, digits: int) -> DncEntry | None:
        return self._entries.get(digits)

    def restore(self, entries: Iterable[DncEntry]) -> None:
        """Fill the list from storage (no audit records: each was audited when it was made)."""
        for entry in entries:
            self._entries.setdefault(digits_of(entry.e164), entry)

    def add(self, number: DialNumber, *, at: float, by: str, reason: str) -> DncChange:
        """Put ``number`` on the list at once (again: the first entry is kept, the change is still audited)."""
        self._entries.setdefault(number.digits, DncEntry(number.e164, at, by, reason))
        return DncChange(self.name, ADD, number.e164, at, by, reason)

    def remove(self, number: DialNumber, *, at: float, by: str, role: str, reason: str) -> DncChange:
        """Take ``number`` off; needs a role in :data:`REMOVER_ROLES` and a non-blank reason."""
        if role not in REMOVER_ROLES:
            raise DncPermissionError(f"role {role!r} may not remove numbers from the {self.name} list")
        if not reason.strip():
            raise DncError("removing a number from a do-not-call list needs a reason")
        if number.digits not in self._entries:
            raise DncError(f"{number.e164} is not on the {self.name} list")
        del self._entries[number.digits]
        self._cleared.append(number.digits)
        return DncChange(self.name, REMOVE, number.e164, at, by, reason, role)


class DncList:
    """Every do-not-call list, asked as one."""

    def __init__(self, registry: NationalRegistry | None = None) -> None:
        self._cleared: list[int] = []
        self.internal = DncBook(INTERNAL, cleared=self._cleared)
        self.registry = registry
        self.registry_generation = 0
        self._campaigns: dict[str, DncBook] = {}

    def campaign(self, campaign: str) -> DncBook:
        """The campaign's own list (created empty on first use; the storage edge fills it with ``add``)."""
        book = self._campaigns.get(campaign)
        if book is None:
            book = self._campaigns[campaign] = DncBook(campaign_list_name(campaign), cleared=self._cleared)
        return book

    def blocks(self, digits: int, campaign: str | None = None) -> DncHit | None:
        """The list that forbids calling ``digits`` (for ``campaign``), or ``None`` when none does."""
        entry = self.internal.entry(digits)
        if entry is not None:
            return DncHit(self.internal.name, entry)
        if campaign is not None:
            book = self._campaigns.get(campaign)
            if book is not None:
                entry = book.entry(digits)
                if entry is not None:
                    return DncHit(book.name, entry)
        if self.registry is not None and digits in self.registry:
            return DncHit(self.registry.name)
        return None

    def replace_registry(self, registry: NationalRegistry | None) -> None:
        """Swap in a newly published registry; hoppers re-consider every lead they parked for do-not-call."""
        self.registry = registry
        self.registry_generation += 1

    def cleared_since(self, seen: int) -> tuple[int, list[int]]:
        """Keys taken off a list after the first ``seen`` removals, and the count to pass next time."""
        return len(self._cleared), self._cleared[seen:]
