"""Do-not-call lists in the CRM database: entries, their audit trail, and the national registry's file.

Adding and removing go through the core's :class:`DncBook` (a removal needs a role in
:data:`outbound.dnc.REMOVER_ROLES` and a reason) and write the entry and a ``dnc_changes`` row in the
caller's transaction. A process keeps its :class:`DncList` current with :func:`apply_changes`: at once for
its own changes, and by polling :func:`changes_since` for those of other processes (the web, the command
line), so an entry made anywhere takes effect everywhere within the polling interval.

The registry: :func:`import_registry` builds the compact file (:mod:`outbound.registry_file`) under the
data folder and records it as the active one; every process maps the active file.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm_core.campaign_tables import DncChangeRow, DncEntry, RegistryFile
from outbound.dnc import ADD, INTERNAL, REMOVE, DncBook, DncChange, DncError, DncList
from outbound.dnc import DncEntry as CoreEntry
from outbound.numbers import DialNumber, parse_number
from outbound.registry import NationalRegistry
from outbound.registry_file import RegistryBuild, build_registry, load_registry

REGISTRY_FOLDER = "dnc"


def list_key(campaign_id: int | None) -> str:
    """How the tables name a list: ``internal`` or ``campaign:<id>``."""
    return INTERNAL if campaign_id is None else f"campaign:{campaign_id}"


@dataclasses.dataclass(frozen=True, slots=True)
class Listing:
    """A number on a list, as the pages and the story show it."""

    campaign_id: int | None
    e164: str
    added_at: float
    added_by: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class StoredChange:
    """One row of the lists' audit trail."""

    id: int
    campaign_id: int | None
    action: str
    e164: str
    at: float
    actor: str
    role: str | None
    reason: str


def _core_entry(row: DncEntry) -> CoreEntry:
    return CoreEntry(row.e164, row.added_at, row.added_by, row.reason)


def _book(dnc: DncList, campaign_id: int | None) -> DncBook:
    return dnc.internal if campaign_id is None else dnc.campaign(str(campaign_id))


def load_lists(session: Session, registry: NationalRegistry | None = None) -> tuple[DncList, int]:
    """Every list as stored, with ``registry``; and the id of the newest change (to poll from)."""
    dnc = DncList(registry)
    query = select(DncEntry).order_by(DncEntry.id)
    for row in session.scalars(query).yield_per(10_000):
        _book(dnc, row.campaign_id).restore([_core_entry(row)])
    return dnc, session.scalar(select(func.max(DncChangeRow.id))) or 0


def add_number(session: Session, number: DialNumber, *, campaign_id: int | None, actor: str, reason: str,
               at: float) -> StoredChange:
    """Put ``number`` on the internal list (or the campaign's): the entry, unless there is one, and the audit row."""
    if not reason.strip():
        raise DncError("adding a number to a do-not-call list needs a reason")
    change = DncBook(list_key(campaign_id)).add(number, at=at, by=actor, reason=reason.strip())
    key = list_key(campaign_id)
    present = session.scalar(select(DncEntry.id).where(DncEntry.list_key == key, DncEntry.digits == number.digits))
    if present is None:
        session.add(DncEntry(list_key=key, campaign_id=campaign_id, digits=number.digits, e164=number.e164,
                             added_at=at, added_by=actor, reason=change.reason))
    return _audit(session, change, campaign_id, number.digits)


def remove_number(session: Session, number: DialNumber, *, campaign_id: int | None, actor: str, role: str,
                  reason: str, at: float) -> StoredChange:
    """Take ``number`` off a list: :class:`DncPermissionError` without the role, :class:`DncError` without a
    reason or when the number is not on that list."""
    key = list_key(campaign_id)
    row = session.scalar(select(DncEntry).where(DncEntry.list_key == key, DncEntry.digits == number.digits))
    book = DncBook(key)
    if row is not None:
        book.restore([_core_entry(row)])
    change = book.remove(number, at=at, by=actor, role=role, reason=reason.strip())
    session.delete(row)
    return _audit(session, change, campaign_id, number.digits)


def _audit(session: Session, change: DncChange, campaign_id: int | None, digits: int) -> StoredChange:
    row = DncChangeRow(list_key=list_key(campaign_id), campaign_id=campaign_id, action=change.action, digits=digits,
                       e164=change.e164, at=change.at, actor=change.actor, role=change.role, reason=change.reason)
    session.add(row)
    session.flush()
    return _change(row)


def _change(row: DncChangeRow) -> StoredChange:
    return StoredChange(row.id, row.campaign_id, row.action, row.e164, row.at, row.actor, row.role, row.reason)


def changes_since(session: Session, last_id: int) -> list[StoredChange]:
    """Changes after ``last_id``, oldest first."""
    query = select(DncChangeRow).where(DncChangeRow.id > last_id).order_by(DncChangeRow.id)
    return [_change(row) for row in session.scalars(query)]


def apply_changes(dnc: DncList, changes: Iterable[StoredChange]) -> None:
    """Bring a process's lists up to date with stored changes (each applied once, in order)."""
    for change in changes:
        book = _book(dnc, change.campaign_id)
        number = parse_number(change.e164)
        if change.action == ADD:
            book.restore([CoreEntry(change.e164, change.at, change.actor, change.reason)])
        elif change.action == REMOVE and number.digits in book:
            book.remove(number, at=change.at, by=change.actor, role=change.role or "", reason=change.reason)


def number_listings(session: Session, digits: int) -> list[Listing]:
    """The lists that hold ``digits`` now."""
    query = select(DncEntry).where(DncEntry.digits == digits).order_by(DncEntry.id)
    return [Listing(r.campaign_id, r.e164, r.added_at, r.added_by, r.reason) for r in session.scalars(query)]


def number_changes(session: Session, digits: int) -> list[StoredChange]:
    query = select(DncChangeRow).where(DncChangeRow.digits == digits).order_by(DncChangeRow.id)
    return [_change(row) for row in session.scalars(query)]


def listings(session: Session, *, campaign_id: int | None = None, every_list: bool = True, limit: int = 100,
             offset: int = 0) -> tuple[int, list[Listing]]:
    """Entries newest first (all lists, or one: the internal one when ``campaign_id`` is None), and the total."""
    query = select(DncEntry)
    if not every_list:
        query = query.where(DncEntry.list_key == list_key(campaign_id))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(DncEntry.added_at.desc(), DncEntry.id.desc()).limit(limit).offset(offset))
    return total, [Listing(r.campaign_id, r.e164, r.added_at, r.added_by, r.reason) for r in rows]


def recent_changes(session: Session, *, limit: int = 50) -> list[StoredChange]:
    query = select(DncChangeRow).order_by(DncChangeRow.id.desc()).limit(limit)
    return [_change(row) for row in session.scalars(query)]


# --- the national registry -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class RegistryInfo:
    """The registry in force: where its file is and what went into it."""

    id: int
    path: str
    source_name: str
    region: str
    lines: int
    numbers: int
    skipped: int
    imported_by: str
    imported_at: float


def import_registry(session: Session, source: str | os.PathLike[str] | Iterable[bytes], data_dir: str | Path, *,
                    source_name: str, region: str, actor: str, at: float) -> tuple[RegistryInfo, RegistryBuild]:
    """Build the registry file from the published list and make it the active one (the caller commits).

    Files of registries it replaces are deleted (a process that maps one keeps its pages until it reloads).
    """
    folder = Path(data_dir) / REGISTRY_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    row = RegistryFile(path="", source_name=source_name[-255:], region=region, lines=0, numbers=0, skipped=0,
                       imported_by=actor, imported_at=at, active=False)
    session.add(row)
    session.flush()
    target = folder / f"registry-{row.id}.bin"
    built = build_registry(source, target, region=region)
    old = list(session.scalars(select(RegistryFile.path).where(RegistryFile.active.is_(True))))
    session.execute(update(RegistryFile).where(RegistryFile.active.is_(True)).values(active=False))
    row.path, row.lines, row.numbers, row.skipped, row.active = str(target), built.lines, built.numbers, \
        built.skipped, True
    session.flush()
    for path in old:
        if path != str(target):
            Path(path).unlink(missing_ok=True)
    return _registry_info(row), built


def _registry_info(row: RegistryFile) -> RegistryInfo:
    return RegistryInfo(row.id, row.path, row.source_name, row.region, row.lines, row.numbers, row.skipped,
                        row.imported_by, row.imported_at)


def active_registry(session: Session) -> RegistryInfo | None:
    row = session.scalar(select(RegistryFile).where(RegistryFile.active.is_(True)).order_by(RegistryFile.id.desc()))
    return None if row is None else _registry_info(row)


def load_active_registry(session: Session) -> tuple[int | None, NationalRegistry | None]:
    """The active registry's id and its mapped file (None, None when no registry was imported)."""
    info = active_registry(session)
    if info is None:
        return None, None
    return info.id, load_registry(info.path)
