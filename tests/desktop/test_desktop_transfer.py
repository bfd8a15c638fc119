"""Blind transfer on the desktop: the queue picker, and pops of a call that moves from agent to agent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from acd.events import CallConnected, CallDisposed, CallEnded, CallOffered
from agent_desktop.agent_feed import AgentFeeds

if TYPE_CHECKING:
    from conftest import Desk


async def test_the_desktop_offers_every_queue_as_a_transfer_target(desk: Desk) -> None:
    async with desk.session() as client:
        await desk.login(client, "agent1")
        async with client.get(desk.url("/desktop")) as response:
            html = await response.text()
    picker = html[html.index('id="transfer-target"'):html.index("</select>", html.index('id="transfer-target"'))]
    assert '<option value="queue:support">' in picker and '<option value="queue:sales">' in picker


def test_the_first_agent_keeps_the_transferred_call_for_wrap_up_while_the_next_is_offered_it() -> None:
    feeds = AgentFeeds()
    feeds.apply(CallOffered(at=1.0, call_id="c1", queue="support", agent_id="a1"))
    feeds.apply(CallConnected(at=2.0, call_id="c1", queue="support", agent_id="a1", wait_seconds=1.0))
    feeds.apply(CallEnded(at=9.0, call_id="c1", queue="support", agent_id="a1", talk_seconds=7.0,
                          outcome="transferred"))
    feeds.apply(CallOffered(at=12.0, call_id="c1", queue="sales", agent_id="a2"))

    first, second = feeds.pop_for("a1", "c1"), feeds.pop_for("a2", "c1")
    assert first is not None and (first.queue, first.status) == ("support", "ended")
    assert second is not None and (second.queue, second.status) == ("sales", "offered")
    assert feeds.active_call("c1") is second  # supervisors act on the call where it is now

    feeds.apply(CallDisposed(at=13.0, call_id="c1", agent_id="a1", disposition="resolved"))
    assert feeds.pop_for("a1", "c1") is None and feeds.pop_for("a2", "c1") is second
    feeds.apply(CallConnected(at=14.0, call_id="c1", queue="sales", agent_id="a2", wait_seconds=2.0))
    assert second.status == "connected"
