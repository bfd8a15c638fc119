"""Fixtures of the AMI client tests: a scripted PBX per test, a bus, and a client factory."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from scripted_ami import SECRET, USERNAME, ClientFactory, ScriptedAmi, scenario05_channels

from bus.eventbus import EventBus
from cti.ami.backoff import Backoff
from cti.ami.client import AmiClient, AmiConfig


@pytest.fixture
async def pbx() -> AsyncIterator[ScriptedAmi]:
    server = ScriptedAmi(scenario05_channels())
    await server.start()
    yield server
    if server._server is not None:
        await server.kill()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
async def make_client(pbx: ScriptedAmi, bus: EventBus) -> AsyncIterator[ClientFactory]:
    """Build clients aimed at ``pbx`` with test-sized timings; all are closed at teardown."""
    clients: list[AmiClient] = []

    def factory(**overrides: object) -> AmiClient:
        settings: dict[str, object] = {
            "host": "127.0.0.1",
            "port": pbx.port,
            "username": USERNAME,
            "secret": SECRET,
            "connect_timeout": 1.0,
            "action_timeout": 2.0,
            "ping_interval": 30.0,
            "backoff": Backoff(initial=0.05, maximum=1.0, jitter=0.5),
        }
        settings.update(overrides)
        client = AmiClient(AmiConfig(**settings), bus)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()
