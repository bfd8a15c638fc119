"""A caller ID in Latin-1 bytes through a real Asterisk (``ASTERISK_BIN``) into our FastAGI server and AMI
client: what reaches the rest of the product is valid Unicode, and it can be logged and sent as JSON."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from real_asterisk import SECRET, free_port, running_asterisk

from asterisk_conf.site import SiteConfig
from bus.eventbus import EventBus
from bus.events import DomainEvent
from crm_core.db import make_engine, make_session_factory, migrate
from crm_core.eventlog import SqlEventLog, read_events
from cti.agi import AgiServer, AgiSession
from cti.ami.client import AmiClient, AmiConfig

pytestmark = pytest.mark.asterisk

# What a Latin-1 trunk delivers, as the lone surrogates our AMI encoder sends back out as the raw bytes.
NAME = "Ren\udce9e O'\udcc5str\udcf6m"
NUMBER = "3125550\udce9179"


async def test_a_latin1_caller_reaches_our_fastagi_and_ami_as_text(tmp_path: Path) -> None:
    site = SiteConfig(agi_port=free_port(), ami_port=free_port(), ami_secret=SECRET)
    with running_asterisk(site):
        bus = EventBus()
        published: list[DomainEvent] = []
        bus.add_listener(published.append)
        ami = AmiClient(AmiConfig(port=site.ami_port, username=site.ami_user, secret=SECRET), bus)
        agi = AgiServer("127.0.0.1", site.agi_port)
        seen: asyncio.Queue[AgiSession] = asyncio.Queue()
        checked = asyncio.Event()

        async def inbound(session: AgiSession) -> None:
            await seen.put(session)
            await checked.wait()
            await session.hangup()

        agi.route("inbound", inbound)
        await agi.start()
        await ami.connect(timeout=15)
        try:
            await ami.originate("Local/5551000@callcenter-inbound", application="Wait", data="5",
                                caller_id=f'"{NAME}" <{NUMBER}>')
            session = await asyncio.wait_for(seen.get(), 15)
            assert session.env.caller_name == "Renée O'Åström"
            assert session.env.caller_number == "3125550é179"
            assert session.env.raw("calleridname") == b"Ren\xe9e O'\xc5str\xf6m"
            # AMI's channel snapshot escapes the apostrophe and keeps the Latin-1 bytes.
            live = {c.channel: c for c in await ami.status()}
            assert live[session.channel].caller_id_name == "Renée O'Åström"
            assert live[session.channel].caller_id_num == "3125550é179"
            checked.set()
            await asyncio.sleep(1.0)  # the hang-up's events arrive
        finally:
            await ami.close()
            await agi.close()
    assert published
    engine = make_engine(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    migrate(engine)
    sessions = make_session_factory(engine)
    SqlEventLog(sessions).append(published)  # refused before: a lone surrogate cannot be stored
    with sessions() as db:
        assert len(read_events(db)) == len(published)
