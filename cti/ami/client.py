"""Asyncio AMI client: login, correlated actions, keepalive, reconnect and resync.

One :class:`AmiClient` keeps one logged-in session to Asterisk alive. A supervisor task connects,
logs in (MD5 challenge or plain), rebuilds the live channel set from ``CoreShowChannels`` and then
serves until the link dies (EOF, socket error, or a Ping left unanswered); it then reconnects with
capped exponential backoff. A refused login stops the client with :class:`AmiAuthenticationError`:
retrying a wrong secret only fills Asterisk's security log.

Every action gets a fresh ActionID and a timeout, and the session (:mod:`cti.ami.session`) completes it
with the matching Response, or the whole list of a list action. Every action is encoded by
:func:`cti.ami.protocol.encode_action`, so a CR or LF anywhere raises :class:`AmiInjectionError` before a
byte is written. When a session ends every action waiting on it fails with :class:`AmiDisconnected`.

AMI events are translated (:func:`cti.ami.translate.translate`), applied to :attr:`AmiClient.channels`
and published on the injected :class:`~bus.eventbus.EventBus`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import itertools
import logging
import random
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bus.clock import Clock
from bus.eventbus import EventBus
from bus.events import DomainEvent
from cti.ami.backoff import Backoff
from cti.ami.channels import ChannelInfo, LiveChannels, channel_from_snapshot
from cti.ami.events import (
    ChannelAppeared,
    ChannelHungUp,
    ChannelStateChanged,
    PbxConnected,
    PbxDisconnected,
    PbxResynced,
)
from cti.ami.protocol import AmiMessage, HeaderInput, encode_action
from cti.ami.session import (
    AmiActionError,
    AmiActionTimeout,
    AmiDisconnected,
    AmiError,
    AmiResponse,
    Session,
)
from cti.ami.translate import translate

__all__ = [
    "AmiActionError",
    "AmiActionTimeout",
    "AmiAuthenticationError",
    "AmiClient",
    "AmiConfig",
    "AmiDisconnected",
    "AmiError",
    "AmiResponse",
]

log = logging.getLogger(__name__)

AuthMethod = Literal["md5", "plain"]


class AmiAuthenticationError(AmiError):
    """Asterisk refused the login; the client does not retry."""


@dataclass(frozen=True, slots=True)
class AmiConfig:
    """Where and how to reach Asterisk, and the client's timings (seconds)."""

    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "callcenter"
    secret: str = "callcenter"
    auth: AuthMethod = "md5"
    # Sent as the Login's ``Events`` header: "on", "off" or a class list such as "call,dtmf,user".
    events: str = "on"
    connect_timeout: float = 5.0
    action_timeout: float = 10.0
    ping_interval: float = 10.0
    ping_timeout: float = 5.0
    backoff: Backoff = field(default_factory=Backoff)
    # Channel variables fetched with ``Status`` during resync (e.g. ("CTI_CALL_ID",)).
    resync_variables: tuple[str, ...] = ()


class AmiClient:
    """A self-healing AMI session that publishes domain events on ``bus``.

    ``clock`` stamps published events; ``rng`` drives the backoff jitter (inject both in tests).
    """

    def __init__(
        self,
        config: AmiConfig,
        bus: EventBus,
        *,
        clock: Clock = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self._bus = bus
        self._clock = clock
        self._rng = rng or random.Random()
        # A random prefix keeps ActionIDs unique across clients sharing one Asterisk.
        self._id_prefix = f"cc{secrets.token_hex(3)}"
        self._ids = itertools.count(1)
        self.channels = LiveChannels()
        self._session: Session | None = None
        self._ready = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False
        self.connects = 0
        self.last_round_trip: float | None = None  # seconds, of the latest keepalive Ping

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Logged in and resynced."""
        return self._ready.is_set()

    @property
    def pending_actions(self) -> int:
        """Actions waiting for their response on the current session."""
        return 0 if self._session is None else self._session.pending_count

    def start(self) -> None:
        """Start connecting (and reconnecting) in the background."""
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name="ami-client")

    async def connect(self, timeout: float | None = None) -> None:
        """Start and wait until logged in and resynced (see :meth:`wait_ready`)."""
        self.start()
        await self.wait_ready(timeout)

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Wait for a logged-in, resynced session.

        Raises :class:`AmiAuthenticationError` if the login was refused, :class:`AmiDisconnected`
        if the client was closed, ``TimeoutError`` after ``timeout`` seconds.
        """
        supervisor = self._supervisor
        if supervisor is None:
            raise AmiDisconnected("client not started")
        if not self._ready.is_set():
            waiter = asyncio.create_task(self._ready.wait())
            try:
                await asyncio.wait({waiter, supervisor}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
        if self._ready.is_set():
            return
        if supervisor.done():
            error = None if supervisor.cancelled() else supervisor.exception()
            raise error if error is not None else AmiDisconnected("client closed")
        raise TimeoutError(f"PBX not ready within {timeout} s")

    async def close(self) -> None:
        """Stop for good: end the session (failing what waits on it) and the reconnect loop."""
        supervisor = self._supervisor
        if supervisor is None:
            return
        self._closing = True
        if self._session is not None:
            self._session.abort("client closed")
        supervisor.cancel()
        await asyncio.wait([supervisor])
        if not supervisor.cancelled():
            supervisor.exception()  # already reported by wait_ready or the log

    async def __aenter__(self) -> AmiClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- actions -------------------------------------------------------------------------------

    async def send_action(
        self, action: str, fields: HeaderInput = (), *, timeout: float | None = None, check: bool = True
    ) -> AmiResponse:
        """Send ``action`` with a fresh ActionID and wait for its response (a whole list for list actions).

        Raises :class:`AmiInjectionError` (CR/LF in any key or value; nothing is sent),
        :class:`AmiDisconnected`, :class:`AmiActionTimeout`, and with ``check`` :class:`AmiActionError`.
        """
        return await self._request(self._session, action, fields, timeout=timeout, check=check)

    async def _request(
        self,
        session: Session | None,
        action: str,
        fields: HeaderInput = (),
        *,
        timeout: float | None = None,
        check: bool = True,
    ) -> AmiResponse:
        action_id = f"{self._id_prefix}-{next(self._ids)}"
        data = encode_action(action, fields, action_id=action_id)
        if session is None:
            raise AmiDisconnected("not connected to the PBX")
        response = await session.send(action, action_id, data, timeout or self.config.action_timeout)
        if check and not response.ok:
            raise AmiActionError(response)
        return response

    async def ping(self) -> float:
        """Round-trip time of a Ping, in seconds."""
        started = time.perf_counter()
        await self.send_action("Ping")
        return time.perf_counter() - started

    async def originate(
        self,
        channel: str,
        *,
        context: str | None = None,
        exten: str | None = None,
        priority: int = 1,
        application: str | None = None,
        data: str | None = None,
        caller_id: str | None = None,
        timeout_ms: int | None = None,
        variables: Mapping[str, str] | None = None,
        account: str | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        run_async: bool = True,
    ) -> str:
        """Originate a call to ``channel`` into ``context``/``exten`` or ``application``.

        Returns the ActionID; with ``run_async`` the outcome arrives later as an
        :class:`~cti.ami.events.OriginateResult` carrying that ``action_id``.
        """
        fields: list[tuple[str, str]] = [("Channel", channel)]
        if application is not None:
            if context is not None or exten is not None:
                raise ValueError("originate: give either context/exten or application, not both")
            fields.append(("Application", application))
            if data is not None:
                fields.append(("Data", data))
        elif context is not None and exten is not None:
            fields += [("Context", context), ("Exten", exten), ("Priority", str(priority))]
        else:
            raise ValueError("originate: needs context and exten, or an application")
        optional = {
            "CallerID": caller_id,
            "Timeout": None if timeout_ms is None else str(timeout_ms),
            "Account": account,
            "ChannelId": channel_id,
            "OtherChannelId": other_channel_id,
        }
        fields += [(key, value) for key, value in optional.items() if value is not None]
        for name, value in (variables or {}).items():
            if not name or "=" in name:
                raise ValueError(f"originate: bad variable name {name!r}")
            fields.append(("Variable", f"{name}={value}"))
        fields.append(("Async", "true" if run_async else "false"))
        response = await self.send_action("Originate", fields)
        return response.action_id

    async def hangup(self, channel: str, cause: int | None = None) -> None:
        fields = {"Channel": channel} if cause is None else {"Channel": channel, "Cause": str(cause)}
        await self.send_action("Hangup", fields)

    async def redirect(
        self,
        channel: str,
        context: str,
        exten: str,
        priority: int = 1,
        extra_channel: str | None = None,
        *,
        extra_context: str | None = None,
        extra_exten: str | None = None,
        extra_priority: int | None = None,
    ) -> None:
        """Move ``channel`` in the dialplan; ``extra_channel`` goes too (same place by default)."""
        fields: list[tuple[str, str]] = [
            ("Channel", channel),
            ("Context", context),
            ("Exten", exten),
            ("Priority", str(priority)),
        ]
        if extra_channel is not None:
            fields += [
                ("ExtraChannel", extra_channel),
                ("ExtraContext", extra_context or context),
                ("ExtraExten", extra_exten or exten),
                ("ExtraPriority", str(priority if extra_priority is None else extra_priority)),
            ]
        await self.send_action("Redirect", fields)

    async def setvar(self, name: str, value: str, channel: str | None = None) -> None:
        """Set a channel variable (a global one without ``channel``); functions like CALLERID(name) too."""
        fields = [("Variable", name), ("Value", value)]
        if channel is not None:
            fields.insert(0, ("Channel", channel))
        await self.send_action("Setvar", fields)

    async def getvar(self, name: str, channel: str | None = None) -> str | None:
        """A channel (or global) variable's value; None when Asterisk returns no value."""
        fields = [("Variable", name)]
        if channel is not None:
            fields.insert(0, ("Channel", channel))
        response = await self.send_action("Getvar", fields)
        return response.get("Value")

    async def play_dtmf(self, channel: str, digit: str, duration_ms: int | None = None) -> None:
        fields = [("Channel", channel), ("Digit", digit)]
        if duration_ms is not None:
            fields.append(("Duration", str(duration_ms)))
        await self.send_action("PlayDTMF", fields)

    async def core_show_channels(self) -> list[ChannelInfo]:
        return await self._channel_list(self._session, "CoreShowChannels")

    async def status(self, channel: str | None = None, variables: tuple[str, ...] = ()) -> list[ChannelInfo]:
        """``Status`` of one or all channels, with the named variables (unset ones left out)."""
        fields: list[tuple[str, str]] = []
        if channel is not None:
            fields.append(("Channel", channel))
        if variables:
            fields.append(("Variables", ",".join(variables)))
        return await self._channel_list(self._session, "Status", fields)

    async def _channel_list(
        self, session: Session | None, action: str, fields: HeaderInput = ()
    ) -> list[ChannelInfo]:
        response = await self._request(session, action, fields)
        return [info for event in response.events if (info := channel_from_snapshot(event)) is not None]

    # -- the session loop ------------------------------------------------------------------------

    async def _supervise(self) -> None:
        attempt = 0
        config = self.config
        while not self._closing:
            try:
                session = await self._open()
            except AmiAuthenticationError as exc:
                log.error("AMI login to %s:%d refused (%s); not retrying", config.host, config.port, exc)
                raise
            except (OSError, TimeoutError, AmiError) as exc:
                if self._closing:
                    return
                reason = str(exc)
            else:
                if await self._serve(session):
                    attempt = 0
                    continue  # a link that worked and then died: try again at once
                reason = session.reason
            delay = config.backoff.delay(attempt, self._rng)
            attempt += 1
            log.info("AMI %s:%d unavailable (%s); retry in %.2f s", config.host, config.port, reason, delay)
            await asyncio.sleep(delay)

    async def _open(self) -> Session:
        config = self.config
        async with asyncio.timeout(config.connect_timeout):
            reader, writer = await asyncio.open_connection(config.host, config.port)
        session = Session(reader, writer, self._on_event)
        try:
            async with asyncio.timeout(config.connect_timeout):
                await session.banner
            await self._login(session)
        except BaseException:
            session.abort("login did not complete")
            await session.wait_closed()
            raise
        return session

    async def _login(self, session: Session) -> None:
        config = self.config
        fields: list[tuple[str, str]] = [("Username", config.username)]
        if config.auth == "md5":
            challenge = await self._request(session, "Challenge", {"AuthType": "MD5"}, check=False)
            if not challenge.ok or not challenge.get("Challenge"):
                raise AmiAuthenticationError(f"MD5 challenge refused: {challenge.text}")
            digest = hashlib.md5(f"{challenge.get('Challenge')}{config.secret}".encode()).hexdigest()
            fields += [("AuthType", "MD5"), ("Key", digest)]
        else:
            fields.append(("Secret", config.secret))
        fields.append(("Events", config.events))
        response = await self._request(session, "Login", fields, check=False)
        if not response.ok:
            raise AmiAuthenticationError(f"login as {config.username!r} refused: {response.text}")

    async def _serve(self, session: Session) -> bool:
        """Resync and serve until the session ends; False if the resync failed."""
        config = self.config
        self._session = session
        self.connects += 1
        banner = session.banner.result()
        self._publish(PbxConnected(at=self._clock(), host=config.host, port=config.port, banner=banner))
        keepalive = asyncio.create_task(self._keepalive(session), name="ami-keepalive")
        resynced = False
        try:
            try:
                await self._resync(session)
                resynced = True
                self._ready.set()
            except AmiError as exc:
                session.abort(f"resync failed: {exc}")
            await session.closed.wait()
        finally:
            self._ready.clear()
            self._session = None
            keepalive.cancel()
            session.abort("client closed")
            await asyncio.wait([keepalive])
            await session.wait_closed()
            self._publish(
                PbxDisconnected(at=self._clock(), host=config.host, port=config.port, reason=session.reason)
            )
        return resynced

    async def _keepalive(self, session: Session) -> None:
        """Ping every ``ping_interval``; an unanswered Ping means the link is dead."""
        config = self.config
        while not session.closed.is_set():
            await asyncio.sleep(config.ping_interval)
            started = time.perf_counter()
            try:
                await self._request(session, "Ping", timeout=config.ping_timeout, check=False)
                self.last_round_trip = time.perf_counter() - started
            except AmiActionTimeout:
                log.warning("AMI: no Pong within %g s; dropping the link", config.ping_timeout)
                session.abort(f"keepalive: no Pong within {config.ping_timeout:g} s")
            except AmiDisconnected:
                return

    async def _resync(self, session: Session) -> None:
        """Rebuild :attr:`channels` from the PBX and publish the differences."""
        self.channels.begin_resync()
        try:
            snapshot = await self._channel_list(session, "CoreShowChannels")
            if self.config.resync_variables:
                fields = {"Variables": ",".join(self.config.resync_variables)}
                statuses = await self._channel_list(session, "Status", fields)
                found = {info.uniqueid: info.variables for info in statuses}
                snapshot = [dataclasses.replace(i, variables=found.get(i.uniqueid, ())) for i in snapshot]
        except BaseException:
            self.channels.abort_resync()
            raise
        at = self._clock()
        differences = self.channels.finish_resync(snapshot, at=at)
        for event in differences:
            self._publish(event)
        self._publish(
            PbxResynced(
                at=at,
                uniqueids=tuple(info.uniqueid for info in self.channels),
                appeared=sum(isinstance(e, ChannelAppeared) for e in differences),
                vanished=sum(isinstance(e, ChannelHungUp) for e in differences),
                changed=sum(isinstance(e, ChannelStateChanged) for e in differences),
            )
        )

    def _on_event(self, message: AmiMessage) -> None:
        event = translate(message, at=self._clock())
        if event is not None:
            self.channels.apply(event)
            self._publish(event)

    def _publish(self, event: DomainEvent) -> None:
        self._bus.publish(event)
