"""The screen-pop benchmark runs end to end at a tiny scale: node, simulator and agents' WebSockets in
processes of their own, every offered call popping on its agent's socket."""

from __future__ import annotations

from callcenter.screenpop_bench import run_screenpop


async def test_a_tiny_screenpop_run_pops_every_offered_call() -> None:
    figures = await run_screenpop(agents=3, rate=2.0, seconds=1.5, codes=2)
    assert figures["agents_connected"] == 3 and figures["client_errors"] == []
    assert figures["calls"] == figures["offered"] == figures["pops_received"] == 3
    assert figures["p50_ms"] is not None and figures["p99_ms"] >= figures["p50_ms"]
