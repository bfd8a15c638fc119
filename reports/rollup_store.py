"""The report rollups in the database: kept up to date as interaction rows and agent states are written,
and read back summed over a period.

:func:`keep_rollups` hooks a session factory: whenever a session flushes an interaction row, the row's old
contribution (from the values it was loaded with) is taken out and its new one added, in the same
transaction, so the rollups always equal a recount of the rows (:mod:`reports.rollups`). A leg that is not
its call's first finds the call's outcome on the first leg, by its unique leg id (the call id). Agent states
go through :func:`record_agent_state`, which closes the agent's previous stretch.
:func:`rebuild_call_rollups` recounts the call rollups from the rows (after a change of what they count).
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, and_, event, func, insert, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from crm_core.interactions import UnsupportedDatabase
from crm_core.models import Interaction
from crm_core.rollup_tables import ROLLUP_AGENT_OPEN, ROLLUP_TABLES
from reports.definitions import KpiSettings
from reports.rollup_reports import RollupReader
from reports.rollups import (
    AGENT_TABLE,
    COUNTERS,
    DIMENSIONS,
    IVR_TABLE,
    QUARTER,
    QUEUE_TABLE,
    STATE_TABLE,
    UNTRACKED_STATES,
    CallOutcome,
    Contribution,
    KpisOf,
    LegFacts,
    RollupRow,
    Span,
    call_contributions,
    call_outcome,
    contributions,
    cover,
    delta,
    same_kpis,
    state_seconds,
)

TABLES: Mapping[str, Table] = {t.name: t for t in ROLLUP_TABLES}
_FACT_COLUMNS = ("call_id", "direction", "queue", "campaign", "agent_id", "enter_at", "answer_at", "end_at", "outcome",
                 "disposition", "wait_seconds", "talk_seconds", "hold_seconds", "wrap_up_seconds")
Filters = Mapping[str, str]  # dimension -> value; "" or absent: every value


def facts_of(values: Mapping[str, Any], leg_id: str) -> LegFacts:
    """A leg's facts from its column values."""
    ivr = values.get("ivr_data") or {}
    last_node = ivr.get("last_node") if isinstance(ivr, dict) else None
    columns: dict[str, Any] = {name: values.get(name) for name in _FACT_COLUMNS if name != "hold_seconds"}
    return LegFacts(leg_id=leg_id, **columns,
                    hold_seconds=values.get("hold_seconds") or 0.0,
                    ivr_last_node=last_node if isinstance(last_node, str) else None)


def _row_facts(leg: Interaction) -> LegFacts:
    return facts_of({name: getattr(leg, name) for name in (*_FACT_COLUMNS, "ivr_data")}, leg.leg_id)


def _outcome_of_call(session: Session, leg: LegFacts, kpis: KpisOf) -> CallOutcome | None:
    """The queue outcome of ``leg``'s call, from the call's first leg (``leg`` itself, or looked up)."""
    if leg.first_leg:
        return call_outcome(leg, kpis)
    with session.no_autoflush:
        first = session.scalars(select(Interaction).where(Interaction.leg_id == leg.call_id)).one_or_none()
    return call_outcome(_row_facts(first), kpis) if first is not None else None


def _loaded_and_current(leg: Interaction) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(leg)
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for name in (*_FACT_COLUMNS, "ivr_data"):
        new[name] = getattr(leg, name)  # loads an expired column first, so its history is complete
        history = state.attrs[name].history
        old[name] = history.deleted[0] if history.deleted else (
            history.unchanged[0] if history.unchanged else None)
    return old, new


_KEPT: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()


def keep_rollups(sessions: sessionmaker[Session], kpis: KpisOf | None = None) -> None:
    """Keep the rollups up to date with every interaction row that sessions of ``sessions`` write (once,
    however many writers share the factory), with each queue's KPI parameters from ``kpis`` (default: the
    defaults of :class:`KpiSettings`).

    A later leg is counted with its call's outcome as the first leg holds it when the later leg is written;
    the first leg's queue, time and result are settled by then (a transfer, a consultation or a call-back
    follows the outcome)."""
    if sessions in _KEPT:
        return
    _KEPT.add(sessions)
    kpis_of = kpis or same_kpis(KpiSettings())

    def before_flush(session: Session, _context: object, _instances: object) -> None:
        changes: list[RollupRow] = []
        for leg in [*session.new, *session.dirty]:
            if not isinstance(leg, Interaction):
                continue
            old, new = _loaded_and_current(leg)
            old_facts, new_facts = facts_of(old, leg.leg_id), facts_of(new, leg.leg_id)
            if not new_facts.closed:  # an open leg counts nowhere yet (and a closed one never reopens)
                continue
            new_call = _outcome_of_call(session, new_facts, kpis_of)
            # A later leg's call outcome is the first leg's, the same before and after this change.
            old_call = call_outcome(old_facts, kpis_of) if old_facts.first_leg else new_call
            before: list[Contribution] = [] if leg in session.new else contributions(old_facts, old_call)
            changes.extend(delta(before, contributions(new_facts, new_call)))
        add_rows(session, changes)

    event.listen(sessions, "before_flush", before_flush)


def rebuild_call_rollups(session: Session, kpis: KpisOf, batch: int = 20_000) -> None:
    """Count the call rollups (queue, agent, IVR) again from the interaction rows, call by call. The agents'
    state rollup is left as it is: it is kept from the agents' state changes, not from the rows."""
    for name in (QUEUE_TABLE, AGENT_TABLE, IVR_TABLE):
        session.execute(TABLES[name].delete())
    columns = [Interaction.__table__.c[name] for name in ("leg_id", *_FACT_COLUMNS, "ivr_data")]
    query = select(*columns).order_by(Interaction.call_id)
    changes: list[RollupRow] = []
    legs: list[LegFacts] = []
    for row in session.execute(query.execution_options(yield_per=batch)).mappings():
        facts = facts_of(dict(row), row["leg_id"])
        if legs and legs[-1].call_id != facts.call_id:
            changes.extend(delta([], call_contributions(legs, kpis)))
            legs = []
            if len(changes) >= batch:
                add_rows(session, changes)
                changes = []
        legs.append(facts)
    changes.extend(delta([], call_contributions(legs, kpis)))
    add_rows(session, changes)


def rebuild_if_missing(session: Session, kpis: KpisOf) -> bool:
    """Count the call rollups again when they hold nothing while ended calls are in the rows (an upgrade to a
    new way of counting empties them); whether it did. Run before calls flow: a node's start."""
    if session.execute(select(TABLES[QUEUE_TABLE]).limit(1)).first() is not None:
        return False
    if session.execute(select(Interaction.leg_id).where(Interaction.end_at.is_not(None)).limit(1)).first() is None:
        return False
    rebuild_call_rollups(session, kpis)
    return True


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    keys = [c.name for c in table.primary_key.columns]
    counters = [c.name for c in table.columns if c.name not in keys]
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        statement: Any = lite.on_conflict_do_update(
            index_elements=keys, set_={c: table.c[c] + lite.excluded[c] for c in counters})
    elif dialect == "postgresql":
        pg = postgresql.insert(table)
        statement = pg.on_conflict_do_update(
            index_elements=keys, set_={c: table.c[c] + pg.excluded[c] for c in counters})
    else:
        raise UnsupportedDatabase(f"no upsert for {dialect}")
    session.connection().execute(statement, rows)


def add_rows(session: Session, rows: Iterable[RollupRow]) -> None:
    """Add counter changes to the rollups (an upsert per row, by table)."""
    by_table: dict[str, dict[tuple[int, int, tuple[str, ...]], list[float]]] = defaultdict(dict)
    for table, grain, bucket, key, counters in rows:
        summed = by_table[table].setdefault((grain, bucket, key), [0.0] * len(counters))
        for i, value in enumerate(counters):
            summed[i] += value
    for name, summed_rows in by_table.items():
        dims, names = DIMENSIONS[name], COUNTERS[name]
        _upsert(session, TABLES[name], [
            {"grain": grain, "bucket": bucket, **dict(zip(dims, key, strict=True)),
             **dict(zip(names, counters, strict=True))}
            for (grain, bucket, key), counters in sorted(summed_rows.items())
        ])


def record_agent_state(session: Session, agent_id: str, state: str, reason: str | None, at: float) -> None:
    """The agent is in ``state`` from ``at``: its previous stretch goes into the rollup. An event not newer
    than the stretch it would close (a replay) changes nothing."""
    table = ROLLUP_AGENT_OPEN
    row = session.connection().execute(select(table).where(table.c.agent_id == agent_id)).first()
    if row is not None and at <= row.since:
        return
    if row is not None:
        add_rows(session, state_seconds(agent_id, row.state, row.reason or None, row.since, at))
        session.connection().execute(table.update().where(table.c.agent_id == agent_id).values(
            state=state, reason=reason or "", since=at))
    else:
        session.connection().execute(insert(table).values(agent_id=agent_id, state=state, reason=reason or "",
                                                          since=at))


def _in_spans(table: Table, spans: Sequence[Span]) -> ColumnElement[bool]:
    return or_(*(and_(table.c.grain == s.grain, table.c.bucket >= s.start, table.c.bucket < s.end)
                 for s in spans))


def read_rollup(session: Session, name: str, start: int, end: int, group_by: Sequence[str],
                filters: Filters | None = None, *, by_quarter: bool = False) -> list[tuple[Any, ...]]:
    """Sum a rollup's counters over ``[start, end)`` grouped by ``group_by`` dimensions (led by the
    quarter-hour bucket when ``by_quarter``): rows of the group values then the counters' sums."""
    table = TABLES[name]
    spans = [Span(QUARTER, start, end)] if by_quarter else cover(start, end)
    if not spans:
        return []
    groups = [table.c.bucket] if by_quarter else []
    groups += [table.c[d] for d in group_by]
    query = (select(*groups, *(func.sum(table.c[c]) for c in COUNTERS[name]))
             .where(_in_spans(table, spans), *(table.c[d] == v for d, v in (filters or {}).items() if v))
             .group_by(*groups))
    return [tuple(row) for row in session.execute(query)]


def open_stretches(session: Session, until: float) -> list[tuple[str, str, str, float]]:
    """Each agent's current stretch (agent, state, reason, since), which the rollup holds once it ends."""
    table = ROLLUP_AGENT_OPEN
    query = select(table.c.agent_id, table.c.state, table.c.reason, table.c.since).where(table.c.since < until)
    return [tuple(row) for row in session.execute(query)]


def store_reader(session: Session, now: float) -> RollupReader:
    """A reader of the stored rollups; agents' current stretches count up to ``now``."""

    def read(name: str, start: int, end: int, group_by: Sequence[str], filters: Mapping[str, str], *,
             by_quarter: bool = False) -> list[tuple[Any, ...]]:
        rows = read_rollup(session, name, start, end, group_by, filters, by_quarter=by_quarter)
        if name != STATE_TABLE:
            return rows
        wanted = filters.get("agent_id", "")
        for agent_id, state, reason, since in open_stretches(session, min(now, end)):
            seconds = min(now, end) - max(since, start)
            if seconds > 0 and state not in UNTRACKED_STATES and wanted in ("", agent_id):
                values = {"agent_id": agent_id, "state": state, "reason": reason}
                rows.append((*(values[d] for d in group_by), seconds))
        return rows

    return read
