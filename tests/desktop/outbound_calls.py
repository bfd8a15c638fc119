"""Campaigns with leads for the desktop's outbound tests, and the events a connected campaign call produces."""

from __future__ import annotations

import asyncio
from typing import Any

from acd.events import CallConnected, CallOffered
from bus.eventbus import EventBus
from ivr.caller import CAMPAIGN_ID_KEY, LEAD_ID_KEY, CallerData
from outbound.campaigns import RUNNING
from outbound.leads import Lead
from outbound.service import OutboundService

# Open round the clock: the browser tests run on the wall clock, at any hour of New York's day.
CAMPAIGN = {"name": "Spring renewals", "caller_id": "+12125550199", "queue": "sales", "default_region": "US",
            "calling_hours": {"hours": [{"days": "mon-sun", "open": "00:00", "close": "24:00"}], "on_holidays": True}}
LIST = "name,phone,plan\r\nAda,212 234 5600,gold\r\nBob,212 234 5601,silver\r\nCy,212 234 5602,\r\n"


async def running_campaign(service: OutboundService, rows: str = LIST, **settings: Any) -> int:
    """A running campaign of the leads in ``rows`` (three in New York), ``settings`` changing its JSON."""
    campaign = await service.create_campaign({**CAMPAIGN, **settings}, actor="camp")
    upload = service.upload_path("spring.csv")
    upload.write_text(rows)
    job = await service.start_import(campaign.id, upload, file_name="spring.csv", actor="camp")
    for _ in range(200):
        if (job := await service.import_job(job.id)).over and not upload.exists():
            break
        await asyncio.sleep(0.02)
    await service.set_status(campaign.id, RUNNING, actor="camp")
    return campaign.id


def connect_campaign_call(bus: EventBus, at: float, call_id: str, agent_id: str, campaign_id: int, lead: Lead,
                          customer_id: str | None = None) -> None:
    """What the dialer publishes when a callee is put through to an agent: the offer, with the campaign and
    lead in the caller data, and the connection."""
    caller = CallerData(ani=lead.number.e164, customer_id=customer_id,
                        ivr_data=((CAMPAIGN_ID_KEY, str(campaign_id)), (LEAD_ID_KEY, str(lead.id))))
    bus.publish(CallOffered(call_id=call_id, queue="sales", agent_id=agent_id, caller=caller, at=at))
    bus.publish(CallConnected(call_id=call_id, queue="sales", agent_id=agent_id, wait_seconds=0.0, at=at))
