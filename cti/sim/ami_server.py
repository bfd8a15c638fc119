"""The simulator's AMI server: Asterisk's manager protocol, responses and events as in the traces.

Actions are read with :class:`~cti.ami.protocol.AmiActionParser` (LF ends a line, the first of a
repeated header wins), exactly like Asterisk. Responses put ``ActionID`` second; list items carry
it (and no ``Privilege``) as Asterisk does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import re
import time
from collections.abc import Awaitable, Callable
from typing import NoReturn

from cti.ami.protocol import AmiActionParser, AmiMessage, AmiProtocolError, format_headers
from cti.sim.channel import STATE_DESC, Channel, parse_caller_id
from cti.sim.dialing import OriginateRequest
from cti.sim.pbx import Pbx
from cti.sim.ports import Headers

BANNER = b"Asterisk Call Manager/13.0.0\r\n"
NO_AUTH_ACTIONS = frozenset({"login", "challenge", "logoff"})


class ActionRefused(Exception):
    """An action handler answered with an error response and stops there."""


def _number(value: str | None, default: int) -> int:
    """A non-negative integer header, or ``default`` when it is missing or not all ASCII digits."""
    return int(value) if value is not None and value.isascii() and value.isdigit() else default


def _tv(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}+0000"


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


class AmiSession:
    """One manager connection."""

    def __init__(self, server: AmiServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.parser = AmiActionParser()
        self.authenticated = False
        self.events_on = True
        self.challenge = ""
        self.session_id = f"0x{random.getrandbits(44):x}"
        self.started = server.pbx.clock.now()
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        local = writer.get_extra_info("sockname") or ("127.0.0.1", server.port)
        self.remote = f"IPV4/TCP/{peer[0]}/{peer[1]}"
        self.local = f"IPV4/TCP/{local[0]}/{local[1]}"
        self.closing = False

    def send(self, headers: Headers) -> None:
        if not self.writer.is_closing():
            self.writer.write(format_headers(headers, check=False))

    def refuse(self, action: AmiMessage, message: str) -> NoReturn:
        """Answer ``action`` with an error saying ``message`` and stop its handler."""
        self.respond(action, "Error", ("Message", message))
        raise ActionRefused(message)

    def complete_list(self, action: AmiMessage, event: str, count: int, *fields: tuple[str, str]) -> None:
        """Send the ``...Complete`` event that closes the list of ``count`` items answering ``action``."""
        self.send(
            [
                ("Event", event),
                ("ActionID", action.get("ActionID") or ""),
                ("EventList", "Complete"),
                ("ListItems", str(count)),
                *fields,
            ]
        )

    def respond(self, action: AmiMessage, status: str, *fields: tuple[str, str]) -> None:
        headers: Headers = [("Response", status)]
        action_id = action.get("ActionID")
        if action_id is not None:
            headers.append(("ActionID", action_id))
        headers.extend(fields)
        self.send(headers)

    async def serve(self) -> None:
        self.writer.write(BANNER)
        try:
            while not self.closing:
                data = await self.reader.read(65536)
                if not data:
                    break
                self.parser.receive_data(data)
                while not self.closing:
                    try:
                        action = self.parser.next_message()
                    except AmiProtocolError:
                        continue
                    if action is None:
                        break
                    await self.server.dispatch(self, action)
                await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.server.sessions.discard(self)
            self.writer.close()


Handler = Callable[[AmiSession, AmiMessage], Awaitable[None]]


class AmiServer:
    """Asyncio AMI server bound to one :class:`Pbx`; every event the PBX emits reaches every session
    that is logged in with events on."""

    def __init__(
        self, pbx: Pbx, host: str, port: int, user: str, secret: str, *, auth_delay: float = 1.0
    ) -> None:
        self.pbx = pbx
        self.host = host
        self.port = port
        self.user = user
        self.secret = secret
        self.auth_delay = auth_delay
        self.sessions: set[AmiSession] = set()
        self._server: asyncio.Server | None = None
        self._handlers: dict[str, Handler] = {
            name[len("_act_") :].lower(): getattr(self, name)
            for name in dir(self)
            if name.startswith("_act_")
        }
        self._session_tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self.pbx.sinks.append(self.broadcast)

    async def stop(self) -> None:
        """Close the listener and every connection (the calls in the PBX stay up)."""
        if self.broadcast in self.pbx.sinks:
            self.pbx.sinks.remove(self.broadcast)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for session in list(self.sessions):
            session.closing = True
            session.writer.close()
        if self._session_tasks:
            # Closing the transports ends every session's read loop; wait for them to finish.
            await asyncio.wait(list(self._session_tasks), timeout=2)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = AmiSession(self, reader, writer)
        self.sessions.add(session)
        task = asyncio.current_task()
        if task is not None:
            self._session_tasks.add(task)
            task.add_done_callback(self._session_tasks.discard)
        await session.serve()

    def broadcast(self, headers: Headers) -> None:
        for session in list(self.sessions):
            if session.authenticated and session.events_on:
                session.send(headers)

    def security_event(
        self,
        name: str,
        session: AmiSession,
        lead: Headers,
        middle: Headers,
        trailer: Headers | None = None,
        *,
        severity: str = "Error",
        version: str = "1",
    ) -> None:
        """A security event: ``lead`` goes before SessionID, ``middle`` after the addresses."""
        now = self.pbx.clock.now()
        session_tv = _tv(session.started) if session.authenticated else "1970-01-01T00:00:00.000+0000"
        self.pbx.emit(
            name,
            "security,all",
            [
                ("EventTV", _tv(now)),
                ("Severity", severity),
                ("Service", "AMI"),
                ("EventVersion", version),
                *lead,
                ("SessionID", session.session_id),
                ("LocalAddress", session.local),
                ("RemoteAddress", session.remote),
                *middle,
                ("SessionTV", session_tv),
                *(trailer or []),
            ],
        )

    async def dispatch(self, session: AmiSession, action: AmiMessage) -> None:
        name = action.name.lower()
        if not session.authenticated and name not in NO_AUTH_ACTIONS:
            self.security_event(
                "RequestNotAllowed", session, [("AccountID", "")], [("RequestType", f"Action: {action.name}")]
            )
            session.respond(action, "Error", ("Message", "Permission denied"))
            return
        handler = self._handlers.get(name)
        if handler is None:
            session.respond(
                action,
                "Error",
                (
                    "Message",
                    f"Invalid/unknown command: {action.name}. "
                    "Use Action: ListCommands to show available commands.",
                ),
            )
            self.security_event(
                "RequestBadFormat",
                session,
                [],
                [("RequestType", f"Action: {action.name}")],
                [("AccountID", self.user)],
            )
            return
        with contextlib.suppress(ActionRefused):
            await handler(session, action)

    # ---- session actions ------------------------------------------------------------------------

    async def _act_challenge(self, session: AmiSession, action: AmiMessage) -> None:
        if (action.get("AuthType") or "").lower() != "md5":
            session.refuse(action, "Must specify AuthType")
        session.challenge = session.challenge or str(random.randrange(10**8, 10**9))
        session.respond(action, "Success", ("Challenge", session.challenge))

    async def _act_login(self, session: AmiSession, action: AmiMessage) -> None:
        if session.authenticated:
            session.respond(action, "Success", ("Message", "Already authenticated"))
            return
        username = action.get("Username") or ""
        if (action.get("AuthType") or "").lower() == "md5":
            expected = hashlib.md5((session.challenge + self.secret).encode()).hexdigest()
            good = bool(session.challenge) and (action.get("Key") or "").lower() == expected
        else:
            good = action.get("Secret") == self.secret
        if username != self.user or not good:
            if username != self.user:
                self.security_event("InvalidAccountID", session, [("AccountID", username)], [])
            else:
                self.security_event("InvalidPassword", session, [("AccountID", username)], [], version="2")
            await asyncio.sleep(self.auth_delay)
            session.respond(action, "Error", ("Message", "Authentication failed"))
            session.closing = True
            return
        session.events_on = (action.get("Events") or "on").lower() != "off"
        session.authenticated = True
        session.started = self.pbx.clock.now()
        session.respond(action, "Success", ("Message", "Authentication accepted"))
        if session.events_on:
            uptime = str(int(self.pbx.clock.now() - self.pbx.started))
            session.send(
                [
                    ("Event", "FullyBooted"),
                    ("Privilege", "system,all"),
                    ("Uptime", uptime),
                    ("LastReload", uptime),
                    ("Status", "Fully Booted"),
                ]
            )
        self.security_event(
            "SuccessfulAuth",
            session,
            [("AccountID", username)],
            [("UsingPassword", "0")],
            severity="Informational",
        )

    async def _act_logoff(self, session: AmiSession, action: AmiMessage) -> None:
        session.respond(action, "Goodbye", ("Message", "Thanks for all the fish."))
        session.closing = True

    async def _act_ping(self, session: AmiSession, action: AmiMessage) -> None:
        session.respond(action, "Success", ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))

    async def _act_events(self, session: AmiSession, action: AmiMessage) -> None:
        mask = (action.get("EventMask") or "").lower()
        session.events_on = mask not in ("off", "none", "")
        session.respond(action, "Success", ("Events", "On" if session.events_on else "Off"))

    # ---- call actions ---------------------------------------------------------------------------

    def _channel(self, session: AmiSession, action: AmiMessage, key: str = "Channel") -> Channel:
        """The channel the action names under ``key``; refused when there is no such channel."""
        chan = self.pbx.find(action.get(key) or "")
        if chan is None:
            session.refuse(action, "No such channel")
        return chan

    def _optional_channel(self, session: AmiSession, action: AmiMessage) -> Channel | None:
        """None when the action names no channel (it then means all channels, or a global)."""
        return self._channel(session, action) if action.get("Channel") else None

    def _variable(self, session: AmiSession, action: AmiMessage) -> str:
        variable = action.get("Variable")
        if not variable:
            session.refuse(action, "No variable specified")
        return variable

    async def _act_originate(self, session: AmiSession, action: AmiMessage) -> None:
        dial_string = action.get("Channel") or ""
        if not dial_string:
            session.refuse(action, "Channel not specified")
        num, name = parse_caller_id(action.get("CallerID") or "")
        variables: list[tuple[str, str]] = []
        for value in action.get_all("Variable"):
            for item in value.split(","):
                key, sep, val = item.partition("=")
                if sep:
                    variables.append((key, val))
        req = OriginateRequest(
            dial_string=dial_string,
            context=action.get("Context") or "",
            exten=action.get("Exten") or "",
            priority=_number(action.get("Priority"), 1),
            application=action.get("Application") or "",
            data=action.get("Data") or "",
            caller_num=num,
            caller_name=name,
            timeout=_number(action.get("Timeout"), 30_000) / 1000,
            account=action.get("Account") or "",
            variables=variables,
            channel_id=action.get("ChannelId") or "",
            other_channel_id=action.get("OtherChannelId") or "",
        )
        if (action.get("Async") or "").lower() in ("true", "yes", "1", "on"):
            session.respond(action, "Success", ("Message", "Originate successfully queued"))
            self.pbx.spawn(lambda: self._async_originate(action, req))
            return
        result = await self.pbx.dialer.originate(req)
        if result.channel is None:
            session.respond(action, "Error", ("Message", "Originate failed"))
        else:
            session.respond(action, "Success", ("Message", "Originate successfully queued"))

    async def _async_originate(self, action: AmiMessage, req: OriginateRequest) -> None:
        result = await self.pbx.dialer.originate(req)
        headers: Headers = [("Event", "OriginateResponse"), ("Privilege", "call,all")]
        action_id = action.get("ActionID")
        if action_id is not None:
            headers.append(("ActionID", action_id))
        ok = result.channel is not None
        headers += [
            ("Response", "Success" if ok else "Failure"),
            ("Channel", result.channel.name if result.channel is not None else req.dial_string),
            ("Context", req.context),
            ("Exten", req.exten),
            ("Reason", str(result.reason)),
            ("Uniqueid", result.channel.uniqueid if result.channel is not None else "<unknown>"),
            ("CallerIDNum", req.caller_num or "<unknown>"),
            ("CallerIDName", req.caller_name or "<unknown>"),
        ]
        self.broadcast(headers)

    async def _act_hangup(self, session: AmiSession, action: AmiMessage) -> None:
        name = action.get("Channel") or ""
        cause = _number(action.get("Cause"), 0)
        if len(name) > 2 and name.startswith("/") and name.endswith("/"):
            await self._hangup_regex(session, action, name[1:-1], cause)
            return
        self.pbx.request_hangup(self._channel(session, action), cause)
        session.respond(action, "Success", ("Message", "Channel Hungup"))

    async def _hangup_regex(self, session: AmiSession, action: AmiMessage, pattern: str, cause: int) -> None:
        try:
            regex = re.compile(pattern)
        except re.error:
            session.refuse(action, "Invalid regex")
        session.respond(
            action, "Success", ("EventList", "start"), ("Message", "Channels hung up will follow")
        )
        action_id = action.get("ActionID") or ""
        matched = [c for c in list(self.pbx.channels.values()) if regex.search(c.name)]
        for chan in matched:
            self.pbx.request_hangup(chan, cause)
            session.send([("Event", "ChannelHungup"), ("Channel", chan.name), ("ActionID", action_id)])
        session.complete_list(action, "ChannelsHungupListComplete", len(matched))

    async def _act_redirect(self, session: AmiSession, action: AmiMessage) -> None:
        chan = self._channel(session, action)
        extra = self._channel(session, action, "ExtraChannel") if action.get("ExtraChannel") else None
        place = (action.get("Context") or chan.context, action.get("Exten") or chan.exten,
                 _number(action.get("Priority"), 1))
        # Asterisk answers before the events of the redirect reach the manager (traces 06 and 11).
        if extra is None:
            session.respond(action, "Success", ("Message", "Redirect successful"))
            self.pbx.redirect(chan, place)
            return
        extra_place = (
            action.get("ExtraContext") or action.get("Context") or extra.context,
            action.get("ExtraExten") or action.get("Exten") or extra.exten,
            _number(action.get("ExtraPriority") or action.get("Priority"), 1),
        )
        session.respond(action, "Success", ("Message", "Dual Redirect successful"))
        self.pbx.redirect_both(chan, place, extra, extra_place)

    async def _act_bridge(self, session: AmiSession, action: AmiMessage) -> None:
        names = (action.get("Channel1") or "", action.get("Channel2") or "")
        if not all(names):
            session.refuse(action, "Missing channel parameter in request")
        found: list[Channel] = []
        for number, name in enumerate(names, 1):
            chan = self.pbx.find_prefix(name)
            if chan is None:
                session.refuse(action, f"Channel{number} does not exist: {name}")
            found.append(chan)
        one, two = found
        for number, chan in enumerate(found, 1):
            if not self.pbx.bridges.takeable(chan) or (number == 2 and two is one):
                session.refuse(action, f"Unable to add Channel{number} to bridge: {chan.name}")
        session.respond(action, "Success", ("Message", "Channels have been bridged"))
        self.pbx.bridges.pair(one, two)

    async def _act_setvar(self, session: AmiSession, action: AmiMessage) -> None:
        variable = self._variable(session, action)
        self.pbx.set_variable(self._optional_channel(session, action), variable, action.get("Value") or "")
        session.respond(action, "Success", ("Message", "Variable Set"))

    async def _act_getvar(self, session: AmiSession, action: AmiMessage) -> None:
        variable = self._variable(session, action)
        value = self.pbx.get_variable(self._optional_channel(session, action), variable)
        session.respond(action, "Success", ("Variable", variable), ("Value", value or ""))

    async def _act_playdtmf(self, session: AmiSession, action: AmiMessage) -> None:
        digit = (action.get("Digit") or "")[:1]
        if not digit:
            session.refuse(action, "No digit specified")
        chan = self._channel(session, action)
        duration = _number(action.get("Duration"), 100)
        # Asterisk blocks for the tone's length before it answers.
        await self.pbx.clock.sleep(duration / 1000)
        session.respond(action, "Success", ("Message", "DTMF successfully queued"))
        self.pbx.deliver_dtmf(chan, digit, duration)

    async def _act_coreshowchannels(self, session: AmiSession, action: AmiMessage) -> None:
        action_id = action.get("ActionID") or ""
        session.respond(action, "Success", ("EventList", "start"), ("Message", "Channels will follow"))
        now = self.pbx.clock.now()
        chans = list(reversed(self.pbx.channels.values()))
        for chan in chans:
            bridge = chan.bridge.uniqueid if chan.bridge is not None else ""
            session.send(
                [
                    ("Event", "CoreShowChannel"),
                    ("ActionID", action_id),
                    *chan.snapshot(),
                    ("Application", chan.application),
                    ("ApplicationData", chan.app_data),
                    ("Duration", _duration(now - chan.created)),
                    ("BridgeId", bridge),
                ]
            )
        session.complete_list(action, "CoreShowChannelsComplete", len(chans))

    async def _act_status(self, session: AmiSession, action: AmiMessage) -> None:
        action_id = action.get("ActionID") or ""
        chan = self._optional_channel(session, action)
        chans = [chan] if chan is not None else list(reversed(self.pbx.channels.values()))
        wanted = [v for v in (action.get("Variables") or "").split(",") if v]
        all_vars = (action.get("AllVariables") or "").lower() in ("true", "yes", "1")
        session.respond(action, "Success", ("EventList", "start"), ("Message", "Channel status will follow"))
        now = self.pbx.clock.now()
        for chan in chans:
            headers: Headers = [
                ("Event", "Status"),
                ("Privilege", "Call"),
                *chan.snapshot(),
                ("Type", chan.tech),
                ("DNID", ""),
                ("EffectiveConnectedLineNum", chan.connected_num or "<unknown>"),
                ("EffectiveConnectedLineName", chan.connected_name or "<unknown>"),
                ("TimeToHangup", "0"),
                ("BridgeID", chan.bridge.uniqueid if chan.bridge is not None else ""),
                ("Application", chan.application),
                ("Data", chan.app_data),
                ("Nativeformats", "(slin)"),
                ("Readformat", "slin"),
                ("Readtrans", ""),
                ("Writeformat", "slin"),
                ("Writetrans", ""),
                ("Callgroup", "0"),
                ("Pickupgroup", "0"),
                ("Seconds", str(int(now - chan.created))),
            ]
            for name in wanted:
                value = chan.get_variable(name)
                headers.append(("Variable", f"{name}={'(null)' if value is None else value}"))
            if all_vars:
                headers += [("Variable", f"{k}={v}") for k, v in chan.variables.items()]
            headers.append(("ActionID", action_id))
            session.send(headers)
        session.complete_list(action, "StatusComplete", len(chans), ("Items", str(len(chans))))

    async def _act_corestatus(self, session: AmiSession, action: AmiMessage) -> None:
        started = time.localtime(self.pbx.started)
        session.respond(
            action,
            "Success",
            ("CoreStartupDate", time.strftime("%Y-%m-%d", started)),
            ("CoreStartupTime", time.strftime("%H:%M:%S", started)),
            ("CoreReloadDate", time.strftime("%Y-%m-%d", started)),
            ("CoreReloadTime", time.strftime("%H:%M:%S", started)),
            (
                "CoreCurrentCalls",
                str(sum(1 for c in self.pbx.channels.values() if STATE_DESC.get(c.state) == "Up") // 2),
            ),
            ("CoreProcessedCalls", str(self.pbx.dialer.processed_calls)),
        )
