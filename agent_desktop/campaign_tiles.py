"""The running campaigns' tiles for the supervisor wall and the campaign pages, kept fresh in the background.

The figures (:class:`reports.campaign_kpis.CampaignTile`) are read from the stores every ``interval``
seconds by :func:`reports.campaign_report.campaign_tiles`, never on a push: the wall's once-a-second push
sends the latest tiles as they are, and a slow database only makes them older, never the wall late. The dial
level comes from the dialer through :class:`agent_desktop.services.DialLevels`, when it is wired.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from reports.campaign_kpis import CampaignTile

log = logging.getLogger(__name__)
REFRESH_SECONDS = 5.0


class CampaignWall:
    """The latest tiles (:attr:`current`), refreshed by :meth:`run` or on demand by :meth:`refresh`."""

    def __init__(self, read: Callable[[], Awaitable[list[CampaignTile]]], *, interval: float = REFRESH_SECONDS
                 ) -> None:
        self._read = read
        self.interval = interval
        self.current: tuple[CampaignTile, ...] = ()
        self._task: asyncio.Task[None] | None = None

    def tile(self, campaign_id: int) -> CampaignTile | None:
        return next((t for t in self.current if t.campaign_id == campaign_id), None)

    def to_json(self) -> list[dict[str, object]]:
        return [tile.to_json() for tile in self.current]

    async def refresh(self) -> None:
        self.current = tuple(await self._read())

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # the wall keeps its older tiles; the next round tries again
                log.exception("campaign tiles could not be read")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
