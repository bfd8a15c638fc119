"""A real Asterisk (``ASTERISK_BIN``) started from a temporary directory with the configuration we ship
(see :mod:`asterisk_conf.local_pbx`). Without ``ASTERISK_BIN`` the tests using it are skipped."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator, Mapping, Sequence

import pytest

from acd.pbx_moves import CONNECT_CONTEXT
from asterisk_conf import local_pbx
from asterisk_conf.local_pbx import AsteriskBootError, LocalAsterisk, free_port
from asterisk_conf.site import SiteConfig
from bus.eventbus import EventBus
from bus.events import DomainEvent
from cti.agi import AgiServer
from cti.ami.client import AmiClient, AmiConfig

ASTERISK_BIN = os.environ.get("ASTERISK_BIN", "")
SECRET = "test-secret-42"
Instance = LocalAsterisk

__all__ = ["ASTERISK_BIN", "SECRET", "Edges", "Instance", "asterisk_binary", "free_port", "open_edges",
           "running_asterisk"]


def asterisk_binary() -> str:
    """``ASTERISK_BIN``; skips the test when it names no executable."""
    if not ASTERISK_BIN:
        pytest.skip("ASTERISK_BIN is not set: no real Asterisk to load the rendered configuration into")
    if not os.access(ASTERISK_BIN, os.X_OK):
        pytest.skip(f"ASTERISK_BIN={ASTERISK_BIN!r} is not an executable file")
    return ASTERISK_BIN


@contextlib.contextmanager
def running_asterisk(
    site: SiteConfig,
    extra_dialplan: str = "",
    *,
    extra_modules: Sequence[str] = (),
    extra_files: Mapping[str, str] | None = None,
) -> Iterator[LocalAsterisk]:
    """A real Asterisk (``ASTERISK_BIN``) on loopback with our configuration for ``site`` (and what
    :func:`asterisk_conf.local_pbx.layout` adds); skips the test when there is none."""
    binary = asterisk_binary()
    try:
        with local_pbx.running_asterisk(binary, site, extra_dialplan, extra_modules=extra_modules,
                                        extra_files=extra_files) as instance:
            yield instance
    except AsteriskBootError as exc:
        pytest.fail(str(exc))


@dataclasses.dataclass
class Edges:
    """Our AMI client and FastAGI server on a running Asterisk, and every event their bus carried."""

    bus: EventBus
    events: list[DomainEvent]
    ami: AmiClient
    agi: AgiServer


async def open_edges(site: SiteConfig, *, timeout: float) -> Edges:
    """Connect to ``site``'s Asterisk as the node does: a call the ACD gives an agent while a FastAGI script
    holds it is moved there by an AMI Redirect."""
    bus = EventBus()
    events: list[DomainEvent] = []
    bus.add_listener(events.append)
    ami = AmiClient(AmiConfig(port=site.ami_port, username=site.ami_user, secret=SECRET, ping_interval=60.0), bus)

    async def interrupter(channel: str, agent_id: str) -> None:
        await ami.redirect(channel, CONNECT_CONTEXT, agent_id, 1)

    agi = AgiServer("127.0.0.1", site.agi_port, interrupter=interrupter, shutdown_grace=0.5)
    await agi.start()
    await ami.connect(timeout=timeout)
    return Edges(bus, events, ami, agi)
