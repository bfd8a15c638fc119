"""The node's operations listener: ``/healthz``, ``/readyz`` and ``/metrics`` on a port of their own.

It starts before anything else that can wait or fail (a standby node waits for the ACD lead without
serving the desktop, and must still answer its health checks), and it asks nothing but the node's state.
``/healthz`` says the process answers; ``/readyz`` says whether this node can take calls now: it leads (or
runs alone), its PBX link is up and its database answers. A proxy in front of several nodes sends the
desk's traffic to the one whose ``/readyz`` is 200.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from callcenter.metrics import NodeMetrics

DATABASE_TIMEOUT = 2.0


@dataclasses.dataclass(frozen=True, slots=True)
class Readiness:
    """What ``/readyz`` answers."""

    role: str  # "leader", "standby" or "single"
    pbx: bool
    database: str  # "reachable" or why not

    @property
    def ready(self) -> bool:
        return self.role != "standby" and self.pbx and self.database == "reachable"

    def to_dict(self) -> dict[str, Any]:
        return {"ready": self.ready, "role": self.role, "pbx": "connected" if self.pbx else "not connected",
                "database": self.database}


class OpsServer:
    """Serves the three routes on ``host``:``port`` (0: any free port, see :attr:`port`)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        metrics: NodeMetrics,
        role: Callable[[], str],
        pbx_connected: Callable[[], bool],
        ping_database: Callable[[], None],
    ) -> None:
        self.host = host
        self.port = port
        self._metrics = metrics
        self._role = role
        self._pbx_connected = pbx_connected
        self._ping_database = ping_database
        self._runner: web.AppRunner | None = None

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._scrape)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def readiness(self) -> Readiness:
        try:
            await asyncio.wait_for(asyncio.to_thread(self._ping_database), DATABASE_TIMEOUT)
            database = "reachable"
        except TimeoutError:
            database = f"no answer within {DATABASE_TIMEOUT:g} s"
        except Exception as exc:  # any driver error means the same to a health check
            database = f"unreachable: {type(exc).__name__}"
        return Readiness(self._role(), self._pbx_connected(), database)

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def _readyz(self, request: web.Request) -> web.Response:
        state = await self.readiness()
        return web.json_response(state.to_dict(), status=200 if state.ready else 503)

    async def _scrape(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(generate_latest, self._metrics.registry)
        response = web.Response(body=body)
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response


