"""A small hand-made day of events: blind and attended transfers, holds, a consultation, a call-back,
short and long abandons, an IVR hang-up. ``T0`` is 08:00 UTC; times below are seconds after it.

The calls (queue SL threshold 20 s, short abandons under 5 s):

* c1 support, customer C1: waits 10 s, a1 talks 120 s of which 30 on hold, wrap-up 30 s (by its timer).
* c2 support, customer C2: waits 30 s, a2 talks 60 s and blind-transfers it to sales (wrap-up 10 s);
  there a3 answers after 10 s, talks 60 s, wrap-up 10 s.
* c3 sales, customer C3: waits 5 s, a3 consults support (a1 takes the consultation k1 after 10 s), then
  hands the caller over (attended transfer): a3 talked 45 s of which 30 on hold, wrap-up 15 s; a1 talks
  80 s in all, wrap-up 10 s.
* c4 support: hangs up after 3 s (short abandon). c5 support: hangs up after 60 s (abandon).
* c6 sales, customer C1: asks for a call-back after 30 s; a2 rings back at 1000 s, talks 60 s, wrap-up 10 s.
* c7 support, customer C3: waits 15 s at 950 s, a1 talks 100 s, wrap-up 10 s ended by the disposition.
* i1: hangs up in the IVR (never queued).

Below the events, the figures worked out by hand from this story: every report (the definitions' tables,
the report pages' rollups) and the live wall must give them.
"""

from __future__ import annotations

import datetime as dt

from acd.events import (
    AgentStateChanged,
    CallAbandoned,
    CallbackRequested,
    CallConnected,
    CallDisposed,
    CallEnded,
    CallHeld,
    CallOffered,
    CallQueued,
    CallResumed,
    ConsultEnded,
    ConsultStarted,
)
from bus.events import DomainEvent
from ivr.caller import CallerData
from ivr.events import IvrFinished
from reports.definitions import KpiSettings

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC).timestamp()
END = T0 + 1200


def _q(at: float, call_id: str, queue: str, customer: str | None = None, consult_of: str | None = None,
       enter: float | None = None) -> CallQueued:
    return CallQueued(at=T0 + at, call_id=call_id, queue=queue, priority=0, enter_time=T0 + (at if enter is None
                      else enter), caller=CallerData(customer_code=customer), consult_of=consult_of)


def _state(at: float, agent: str, previous: str, state: str, reason: str | None = None) -> AgentStateChanged:
    return AgentStateChanged(at=T0 + at, agent_id=agent, state=state, previous=previous, reason=reason)


def _connect(at: float, call_id: str, queue: str, agent: str, wait: float) -> list[DomainEvent]:
    return [CallOffered(at=T0 + at, call_id=call_id, queue=queue, agent_id=agent, wait_seconds=wait),
            CallConnected(at=T0 + at, call_id=call_id, queue=queue, agent_id=agent, wait_seconds=wait)]


def _end(at: float, call_id: str, queue: str, agent: str, talk: float, held: float = 0.0,
         outcome: str = "answered") -> CallEnded:
    return CallEnded(at=T0 + at, call_id=call_id, queue=queue, agent_id=agent, talk_seconds=talk,
                     held_seconds=held, outcome=outcome)


DAY: list[DomainEvent] = [
    _state(0, "a1", "logged_out", "ready"), _state(0, "a2", "logged_out", "ready"),
    _state(0, "a3", "logged_out", "ready"),
    IvrFinished(at=T0 + 5, call_id="i1", outcome="hangup", caller=CallerData(), last_node="menu",
                entered_at=T0 + 1),
    _q(0, "c1", "support", "C1"), *_connect(10, "c1", "support", "a1", 10), _state(10, "a1", "ready", "on_call"),
    CallHeld(at=T0 + 40, call_id="c1", queue="support", agent_id="a1"),
    CallResumed(at=T0 + 70, call_id="c1", queue="support", agent_id="a1", held_seconds=30),
    _q(100, "c2", "support", "C2"),
    _end(130, "c1", "support", "a1", 120, held=30), _state(130, "a1", "on_call", "wrap_up"),
    *_connect(130, "c2", "support", "a2", 30), _state(130, "a2", "ready", "on_call"),
    CallDisposed(at=T0 + 150, call_id="c1", agent_id="a1", disposition="info"),
    _state(160, "a1", "wrap_up", "ready"),
    _end(190, "c2", "support", "a2", 60, outcome="transferred"), _state(190, "a2", "on_call", "wrap_up"),
    _q(191, "c2", "sales", "C2"),
    _state(200, "a2", "wrap_up", "ready"),
    *_connect(201, "c2", "sales", "a3", 10), _state(201, "a3", "ready", "on_call"),
    _end(261, "c2", "sales", "a3", 60), _state(261, "a3", "on_call", "wrap_up"),
    _state(271, "a3", "wrap_up", "ready"),
    _q(300, "c3", "sales", "C3"), *_connect(305, "c3", "sales", "a3", 5), _state(305, "a3", "ready", "on_call"),
    ConsultStarted(at=T0 + 320, call_id="c3", agent_id="a3", consult_id="k1", target_queue="support"),
    _q(320, "k1", "support", "C3", consult_of="c3"),
    *_connect(330, "k1", "support", "a1", 10), _state(330, "a1", "ready", "on_call"),
    _end(350, "c3", "sales", "a3", 45, held=30, outcome="transferred"), _state(350, "a3", "on_call", "wrap_up"),
    ConsultEnded(at=T0 + 350, call_id="c3", agent_id="a3", consult_id="k1", outcome="completed"),
    _state(365, "a3", "wrap_up", "ready"),
    _end(410, "k1", "support", "a1", 80), _state(410, "a1", "on_call", "wrap_up"),
    _state(420, "a1", "wrap_up", "ready"),
    _q(500, "c4", "support"), CallAbandoned(at=T0 + 503, call_id="c4", queue="support", wait_seconds=3),
    _q(600, "c5", "support"), CallAbandoned(at=T0 + 660, call_id="c5", queue="support", wait_seconds=60),
    _q(700, "c6", "sales", "C1"),
    CallbackRequested(at=T0 + 730, call_id="c6", queue="sales", number="+15550100", enter_time=T0 + 700),
    _q(950, "c7", "support", "C3"), *_connect(965, "c7", "support", "a1", 15), _state(965, "a1", "ready", "on_call"),
    *_connect(1000, "c6", "sales", "a2", 300), _state(1000, "a2", "ready", "on_call"),
    _end(1060, "c6", "sales", "a2", 60), _state(1060, "a2", "on_call", "wrap_up"),
    _end(1065, "c7", "support", "a1", 100), _state(1065, "a1", "on_call", "wrap_up"),
    _state(1070, "a2", "wrap_up", "ready"),
    CallDisposed(at=T0 + 1075, call_id="c7", agent_id="a1", disposition="resolved"),
    _state(1075, "a1", "wrap_up", "ready"),
    _state(1100, "a1", "ready", "not_ready", reason="lunch"),
]

SETTINGS = KpiSettings(sl_seconds=20, short_abandon_seconds=5)

# queue: offered, answered, in SL, abandoned, short, call-backs (answered), SL, ASA, abandon %, AHT,
# transfers, consultations, attended transfers
EXPECTED = {
    # c1 10 s in SL, c2 30 s out, c7 15 s in; c4 short, c5 long. SL 2/(5-1); ASA 55/3; AHT (150+140+110)/3
    "support": (5, 3, 2, 1, 1, 0, 0, 2 / 4, 55 / 3, 1 / 4, 400 / 3, 1, 0, 0),
    # c3 5 s in SL; c6 call-back. SL 1/2; AHT c3 (95 talk + 30 hold + 25 ACW) and c6 (60 + 10): 220/2
    "sales": (2, 1, 1, 0, 0, 1, 1, 1 / 2, 5.0, 0.0, 110.0, 1, 1, 1),
    "*": (7, 4, 3, 1, 1, 1, 1, 3 / 6, 60 / 4, 1 / 6, 620 / 5, 2, 1, 1),
}
QUEUE_FIGURES = ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned", "callbacks",
                 "callbacks_answered", "service_level", "asa", "abandon_rate", "aht", "transfers", "consultations",
                 "attended_transfers")
# 15-minute intervals (start after T0, offered, answered, in SL, SL): 08:00-08:15 c1..c6 decided (c3 in SL
# with c1); 08:15-08:30 c7 only.
EXPECTED_INTERVALS_15 = [(0, 6, 3, 2, 2 / 5), (900, 1, 1, 1, 1.0)]
# agent: seconds by state, not ready by reason, calls, AHT, occupancy, utilisation. a1 took c1, c3 (handed
# over by a3) and c7; a2 took c2 and c6's call-back; a3 took c2 and c3.
EXPECTED_AGENTS = {
    "a1": ({"ready": 750, "on_call": 300, "wrap_up": 50, "not_ready": 100}, {"lunch": 100}, 3, 350 / 3,
           350 / 1100, 350 / 1200),
    "a2": ({"ready": 1060, "on_call": 120, "wrap_up": 20}, {}, 2, 140 / 2, 140 / 1200, 140 / 1200),
    "a3": ({"ready": 1070, "on_call": 105, "wrap_up": 25}, {}, 2, 130 / 2, 130 / 1200, 130 / 1200),
}
# handled calls by (queue first entered, agent who answered them or rang back, disposition)
EXPECTED_DISPOSITIONS = {
    ("support", "a1", "info"): 1, ("support", "a2", ""): 1, ("support", "a1", "resolved"): 1,
    ("sales", "a3", ""): 1, ("sales", "a2", ""): 1,
}
