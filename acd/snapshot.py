"""A core's snapshot: all state a restarted service needs, as a JSON-able record, and reading it back."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from acd.agents import AgentState, AgentStatus
from acd.calls import Call
from acd.errors import AcdError

SNAPSHOT_VERSION = 1


class UnsupportedSnapshot(AcdError, ValueError):
    """A snapshot record of another version than this code writes."""


@dataclasses.dataclass(frozen=True, slots=True)
class Snapshot:
    """The calls (in queueing order), the agents' states and the queues' handle times of one core."""

    seq: int
    calls: tuple[Call, ...]
    agents: tuple[AgentStatus, ...]
    handle_seconds: Mapping[str, float]

    def to_record(self) -> dict[str, Any]:
        return {
            "version": SNAPSHOT_VERSION,
            "seq": self.seq,
            "calls": [c.to_record() for c in self.calls],
            "agents": [dataclasses.asdict(s) | {"state": s.state.value} for s in self.agents],
            "handle_seconds": dict(self.handle_seconds),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Snapshot:
        if record.get("version") != SNAPSHOT_VERSION:
            raise UnsupportedSnapshot(f"unsupported snapshot version {record.get('version')!r}")
        return cls(
            seq=int(record["seq"]),
            calls=tuple(Call.from_record(r) for r in record["calls"]),
            agents=tuple(_agent_status(r) for r in record["agents"]),
            handle_seconds={str(q): float(s) for q, s in record.get("handle_seconds", {}).items()},
        )


def _agent_status(record: Mapping[str, Any]) -> AgentStatus:
    state = AgentState(record["state"])
    return AgentStatus(
        agent_id=record["agent_id"], state=state, reason=record["reason"], since=float(record["since"]),
        call_id=record["call_id"], pending_pause=record["pending_pause"],
        wrap_up_until=float(record["wrap_up_until"]) if state is AgentState.WRAP_UP else None,
    )
