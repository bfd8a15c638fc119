"""Fixtures of the integration tests: a bus with a recorder, and a spy on the simulator's AMI actions."""

from __future__ import annotations

import pytest
from integration_kit import ActionSpy, BusRecorder

from bus.eventbus import EventBus
from cti.ami.protocol import AmiMessage
from cti.sim.ami_server import AmiServer, AmiSession


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(bus: EventBus) -> BusRecorder:
    return BusRecorder(bus)


@pytest.fixture
def action_spy(monkeypatch: pytest.MonkeyPatch) -> ActionSpy:
    """Record every action any simulator AMI server receives, before it is handled."""
    spy = ActionSpy()
    dispatch = AmiServer.dispatch

    async def recording_dispatch(self: AmiServer, session: AmiSession, action: AmiMessage) -> None:
        spy.record(action)
        await dispatch(self, session, action)

    monkeypatch.setattr(AmiServer, "dispatch", recording_dispatch)
    return spy
