"""What the agents' pages are told while a call is held, consulted about and handed over, and what a page that
reconnects or reloads gets back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from acd.events import (
    CallConnected,
    CallEnded,
    CallHeld,
    CallOffered,
    CallOfferFailed,
    CallResumed,
    ConsultEnded,
    ConsultStarted,
)
from agent_desktop.agent_feed import AgentFeeds, Message
from bus.events import DomainEvent
from ivr.caller import CallerData
from outbound.dial_events import ManualCallAnswered, ManualCallDisposed, ManualCallEnded, ManualCallPlaced

if TYPE_CHECKING:
    from conftest import Desk

CALL, CONSULT = "c1", "c1-consult-1"
NAMES = {"a1": "Ann", "a2": "Bob", "a3": "Cy"}


class Floor:
    """Feeds with every offered pop shown at once, recording what each agent's page is sent."""

    def __init__(self) -> None:
        self.feeds = AgentFeeds(agent_names=NAMES)
        self.sent: dict[str, list[Message]] = {}

    def __call__(self, *events: DomainEvent) -> None:
        for event in events:
            deliveries = self.feeds.apply(event)
            if isinstance(event, CallOffered):
                shown = self.feeds.complete_pop(event, None)
                deliveries += [shown] if shown else []
            for agent_id, message in deliveries:
                self.sent.setdefault(agent_id, []).append(message)

    def taken(self, agent_id: str) -> list[Message]:
        """What ``agent_id``'s page was sent since the last look."""
        return self.sent.pop(agent_id, [])

    def pop(self, agent_id: str, call_id: str) -> Message:
        """The pop a page that reloads now gets."""
        replay = self.feeds.replay(agent_id, 0)
        return next(m for m in replay if m["type"] == "call.offered" and m["call_id"] == call_id)


def talking_call(at: float = 10.0) -> tuple[DomainEvent, ...]:
    return (CallOffered(call_id=CALL, queue="support", agent_id="a1", caller=CallerData(customer_id="cust"), at=at),
            CallConnected(call_id=CALL, queue="support", agent_id="a1", wait_seconds=4.0, at=at + 1))


def consult_offer(agent_id: str = "a2", at: float = 31.0) -> CallOffered:
    return CallOffered(call_id=CONSULT, queue="support", agent_id=agent_id, caller=CallerData(customer_id="cust"),
                       consult_of=CALL,
                       at=at)


def states(messages: list[Message]) -> list[Any]:
    return [(m["consult"] or {}).get("state") if m["type"] == "call.consult" else m["type"] for m in messages]


def test_hold_and_resume_reach_the_agent_and_a_reloaded_page_shows_the_hold() -> None:
    floor = Floor()
    floor(*talking_call())
    floor.taken("a1")
    floor(CallHeld(call_id=CALL, queue="support", agent_id="a1", at=20.0))
    [update] = floor.taken("a1")
    assert (update["type"], update["held_since"]) == ("call.hold", 20.0)
    assert floor.pop("a1", CALL)["held_since"] == 20.0
    floor(CallResumed(call_id=CALL, queue="support", agent_id="a1", held_seconds=7.5, at=27.5))
    [update] = floor.taken("a1")
    assert (update["held_since"], update["held_seconds"]) == (None, 7.5)
    assert floor.pop("a1", CALL)["held_since"] is None


def test_a_page_that_missed_a_hold_gets_the_whole_pop_again_on_reconnect() -> None:
    floor = Floor()
    floor(*talking_call())
    seen = floor.taken("a1")[-1]["seq"]
    floor(CallHeld(call_id=CALL, queue="support", agent_id="a1", at=20.0))
    replay = floor.feeds.replay("a1", seen)
    assert [(m["type"], m.get("held_since")) for m in replay[1:]] == [("call.offered", 20.0), ("resync.done", None)]


def test_a_hold_of_somebody_elses_call_or_an_unknown_one_changes_nothing() -> None:
    floor = Floor()
    floor(*talking_call())
    floor.taken("a1")
    floor(CallHeld(call_id=CALL, queue="support", agent_id="a2", at=20.0),
          CallHeld(call_id="ghost", queue="support", agent_id="a1", at=20.0))
    assert floor.sent == {} and floor.pop("a1", CALL)["held_since"] is None


@pytest.mark.parametrize("offer_first", [False, True], ids=["consult started first", "offered first"])
def test_an_attended_transfer_to_an_agent_from_ringing_to_the_colleague_having_the_caller(offer_first: bool) -> None:
    floor = Floor()
    floor(*talking_call())
    started = ConsultStarted(call_id=CALL, agent_id="a1", consult_id=CONSULT, target_agent="a2", at=30.0)
    floor(*((consult_offer(), started) if offer_first else (started, consult_offer())))
    floor(CallHeld(call_id=CALL, queue="support", agent_id="a1", at=30.0))

    consult = floor.pop("a1", CALL)["consult"]
    assert consult == {"consult_id": CONSULT, "target_agent": "a2", "target_queue": None, "target_name": "Bob",
                       "state": "ringing", "since": 30.0, "colleague": "a2", "colleague_name": "Bob"}
    assert floor.pop("a1", CALL)["held_since"] == 30.0
    colleague = floor.pop("a2", CONSULT)
    assert colleague["consultation"] == {"call_id": CALL, "agent_id": "a1", "agent_name": "Ann"}
    assert colleague["status"] == "offered"
    floor.taken("a1"), floor.taken("a2")

    floor(CallConnected(call_id=CONSULT, queue="support", agent_id="a2", wait_seconds=0.0, at=35.0))
    assert states(floor.taken("a1")) == ["talking"]
    assert [m["status"] for m in floor.taken("a2")] == ["connected"]

    # as the ACD does it: the consulting agent's part ends, then the consultation is over
    floor(CallEnded(call_id=CALL, queue="support", agent_id="a1", talk_seconds=25, outcome="transferred", at=50.0),
          ConsultEnded(call_id=CALL, agent_id="a1", consult_id=CONSULT, outcome="completed", at=50.0))
    told = floor.taken("a1")
    assert [(m["type"], m.get("status"), m.get("outcome")) for m in told] == [
        ("call.update", "ended", None), ("call.consult", None, "completed")]
    ended = floor.pop("a1", CALL)
    assert (ended["status"], ended["held_since"], ended["consult"]) == ("ended", None, None)
    [handed] = floor.taken("a2")
    assert (handed["type"], handed["consultation"], handed["outcome"]) == ("call.consultation", None, "completed")
    assert floor.pop("a2", CONSULT)["consultation"] is None  # a reload shows the caller's call


def test_a_consultation_with_a_queue_names_the_colleague_who_rings_once_offered() -> None:
    floor = Floor()
    floor(*talking_call())
    floor(ConsultStarted(call_id=CALL, agent_id="a1", consult_id=CONSULT, target_queue="sales", at=30.0))
    assert floor.pop("a1", CALL)["consult"]["target_name"] == "sales"
    assert floor.pop("a1", CALL)["consult"]["colleague"] is None
    floor.taken("a1")
    floor(consult_offer("a3"),
          CallOfferFailed(call_id=CONSULT, queue="sales", agent_id="a3", reason="no_answer", at=40.0),
          consult_offer("a2", at=41.0))
    told = [(m["consult"]["state"], m["consult"]["colleague_name"]) for m in floor.taken("a1")]
    assert told == [("ringing", "Cy"), ("ringing", None), ("ringing", "Bob")]
    assert [m["status"] for m in floor.taken("a3") if m["type"] == "call.update"] == ["withdrawn"]
    assert floor.feeds.pop_for("a3", CONSULT) is None


@pytest.mark.parametrize("outcome", ["cancelled", "failed"])
def test_a_consultation_called_off_takes_the_colleagues_pop_away_and_the_caller_comes_back(outcome: str) -> None:
    floor = Floor()
    floor(*talking_call())
    floor(ConsultStarted(call_id=CALL, agent_id="a1", consult_id=CONSULT, target_agent="a2", at=30.0),
          CallHeld(call_id=CALL, queue="support", agent_id="a1", at=30.0),
          consult_offer(),
          CallConnected(call_id=CONSULT, queue="support", agent_id="a2", wait_seconds=0.0, at=35.0))
    floor.taken("a1"), floor.taken("a2")

    floor(ConsultEnded(call_id=CALL, agent_id="a1", consult_id=CONSULT, outcome=outcome, at=40.0),
          CallResumed(call_id=CALL, queue="support", agent_id="a1", held_seconds=10.0, at=40.0))
    told = floor.taken("a1")
    assert [(m["type"], m.get("outcome"), m.get("consult"), m.get("held_since")) for m in told] == [
        ("call.consult", outcome, None, None), ("call.hold", None, None, None)]
    back = floor.pop("a1", CALL)
    assert (back["status"], back["consult"], back["held_since"]) == ("connected", None, None)
    assert [(m["type"], m["status"]) for m in floor.taken("a2")] == [("call.update", "withdrawn")]
    assert floor.feeds.pop_for("a2", CONSULT) is None
    # the ACD ends the colleague's side its own way: nothing is left to show
    floor(CallEnded(call_id=CONSULT, queue="support", agent_id="a2", talk_seconds=5, at=40.0))
    assert floor.sent == {}


def test_a_call_that_ends_while_held_and_consulting_shows_neither_in_its_wrap_up() -> None:
    floor = Floor()
    floor(*talking_call())
    floor(ConsultStarted(call_id=CALL, agent_id="a1", consult_id=CONSULT, target_agent="a2", at=30.0),
          CallHeld(call_id=CALL, queue="support", agent_id="a1", at=30.0),
          CallEnded(call_id=CALL, queue="support", agent_id="a1", talk_seconds=25, at=33.0))
    ended = floor.pop("a1", CALL)
    assert (ended["status"], ended["held_since"], ended["consult"]) == ("ended", None, None)
    floor.taken("a1")
    floor(CallConnected(call_id=CONSULT, queue="support", agent_id="a2", wait_seconds=0.0, at=35.0),
          ConsultEnded(call_id=CALL, agent_id="a1", consult_id=CONSULT, outcome="failed", at=36.0))
    assert floor.taken("a1") == []  # no "back with the caller": the caller is gone


async def test_a_reloaded_desktop_gets_the_hold_and_the_consultation_back(desk: Desk) -> None:
    for event in talking_call(desk.clock()):
        desk.bus.publish(event)
    async with desk.session() as client:
        await desk.login(client, "agent1")
        ws = await client.ws_connect(desk.ws_url())
        await ws.send_json({"type": "resync", "last_seq": 0})
        pop = next(m for m in await desk.messages_until(ws, "resync.done") if m["type"] == "call.offered")
        desk.bus.publish(ConsultStarted(call_id=CALL, agent_id="a1", consult_id=CONSULT, target_agent="a2",
                                        at=desk.clock()))
        desk.bus.publish(CallHeld(call_id=CALL, queue="support", agent_id="a1", at=desk.clock()))
        pushed = [m["type"] for m in await desk.replies_to(ws, {"type": "ping"}) if m["type"] != "pong"]
        assert pushed == ["call.consult", "call.hold"]
        await ws.close()

        ws = await client.ws_connect(desk.ws_url())  # a reload
        await ws.send_json({"type": "resync", "last_seq": 0})
        replay = await desk.messages_until(ws, "resync.done")
        [again] = [m for m in replay if m["type"] == "call.offered"]
        assert again["seq"] > pop["seq"]
        assert again["held_since"] == desk.clock()
        assert (again["consult"]["target_name"], again["consult"]["state"]) == ("Agent Two", "ringing")
        await ws.close()


def test_a_call_placed_by_hand_pops_with_its_customer_and_is_wrapped_up_once_answered() -> None:
    floor = Floor()
    placed = ManualCallPlaced(call_id="m1", agent_id="a1", number="+12125550142", customer_id="7", at=10.0)
    floor.feeds.apply(placed)
    [(agent_id, pop)] = [floor.feeds.complete_pop(placed, {"customer_id": "7", "code": "123456", "tier": "vip"})]
    assert agent_id == "a1"
    assert (pop["status"], pop["manual"], pop["ani"], pop["customer_code"], pop["tier"], pop["queue"]) == (
        "dialling", True, "+12125550142", "123456", "vip", "")
    assert pop["dispositions"] == list(floor.feeds.dispositions_for(""))  # the default ones
    floor(ManualCallAnswered(call_id="m1", agent_id="a1", at=19.0))
    assert [m["status"] for m in floor.taken("a1")] == ["connected"]
    floor(ManualCallEnded(call_id="m1", agent_id="a1", outcome="answered", ring_seconds=9.0, answered_at=19.0, at=80.0,
                          wrap_up_until=140.0))
    # a page that reloads gets the wrap-up back, with its countdown
    assert (floor.pop("a1", "m1")["status"], floor.pop("a1", "m1")["wrap_up_until"]) == ("ended", 140.0)
    floor(ManualCallDisposed(call_id="m1", agent_id="a1", disposition="resolved", at=90.0))
    updates = floor.taken("a1")
    assert [m["status"] for m in updates] == ["ended", "disposed"]
    assert updates[0]["wrap_up_until"] == 140.0
    assert floor.feeds.pop_for("a1", "m1") is None


def test_a_call_placed_by_hand_that_nobody_answered_goes_saying_what_it_came_to() -> None:
    floor = Floor()
    placed = ManualCallPlaced(call_id="m2", agent_id="a1", number="+12125550142", at=10.0)
    floor.feeds.apply(placed)
    floor.feeds.complete_pop(placed, None)
    floor(ManualCallEnded(call_id="m2", agent_id="a1", outcome="busy", ring_seconds=3.0, at=13.0))
    [update] = floor.taken("a1")
    assert (update["status"], update["outcome"]) == ("withdrawn", "busy")
    assert floor.feeds.pop_for("a1", "m2") is None
