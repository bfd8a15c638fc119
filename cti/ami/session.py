"""One TCP session of the AMI client: it reads what Asterisk sends, hands events on, and completes the
actions waiting on it.

Each action waits under its ActionID for the matching Response or, for list actions (``EventList:
start``), for the ``...Complete`` event, with the item events collected. When the session ends every
action waiting on it fails with :class:`AmiDisconnected`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from cti.ami.protocol import AmiMessage, AmiParser, AmiProtocolError, MessageKind

log = logging.getLogger(__name__)

READ_SIZE = 65536


class AmiError(Exception):
    """Base of the AMI client's errors."""


class AmiDisconnected(AmiError):
    """There is no session to the PBX, or it ended while the action waited for its response."""


class AmiActionTimeout(AmiError, TimeoutError):
    """No response came within the action's timeout (the session itself may be fine)."""


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error`` (or another failure status)."""

    def __init__(self, response: AmiResponse) -> None:
        super().__init__(f"{response.action} failed: {response.status} {response.text}".rstrip())
        self.response = response


@dataclass(frozen=True, slots=True)
class AmiResponse:
    """The answer to one action: its Response, plus the item events and ``...Complete`` of a list."""

    action: str
    action_id: str
    message: AmiMessage
    events: tuple[AmiMessage, ...] = ()
    complete: AmiMessage | None = None

    @property
    def status(self) -> str:
        return self.message.name

    @property
    def ok(self) -> bool:
        return self.status.lower() in ("success", "goodbye", "follows")

    @property
    def text(self) -> str:
        """The ``Message:`` header ("" if none)."""
        return self.message.get("Message") or ""

    def get(self, key: str) -> str | None:
        return self.message.get(key)


@dataclass(eq=False, slots=True)
class _PendingAction:
    action: str
    action_id: str
    future: asyncio.Future[AmiResponse]
    list_start: AmiMessage | None = None
    events: list[AmiMessage] = field(default_factory=list)


class Session:
    """One TCP session: reads and dispatches what Asterisk sends, owns the actions waiting on it."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_event: Callable[[AmiMessage], None],
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._on_event = on_event
        self._parser = AmiParser(expect_banner=True, readable=True)
        self._pending: dict[str, _PendingAction] = {}
        self.banner: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.reason = ""
        self.closed = asyncio.Event()
        self._reader_task = asyncio.create_task(self._read_loop(), name="ami-reader")

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    async def send(self, action: str, action_id: str, data: bytes, timeout: float) -> AmiResponse:
        """Write the encoded action ``data`` and wait up to ``timeout`` seconds for its answer."""
        if self.closed.is_set():
            raise AmiDisconnected(self.reason)
        future: asyncio.Future[AmiResponse] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = _PendingAction(action, action_id, future)
        try:
            self._writer.write(data)
            await self._writer.drain()
            # asyncio.timeout, unlike wait_for, never turns a cancellation into a result.
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise AmiActionTimeout(f"{action} ({action_id}): no response within {timeout:g} s") from None
        except ConnectionError as exc:
            self.abort(f"write failed: {exc}")
            raise AmiDisconnected(self.reason) from exc
        finally:
            self._pending.pop(action_id, None)

    def abort(self, reason: str) -> None:
        """End the session now: drop the socket and fail every waiting action."""
        if self.closed.is_set():
            return
        self.reason = reason
        self.closed.set()
        pending, self._pending = self._pending, {}
        for item in pending.values():
            if not item.future.done():
                item.future.set_exception(AmiDisconnected(reason))
        if not self.banner.done():
            self.banner.set_exception(AmiDisconnected(reason))
        self._writer.transport.abort()

    async def wait_closed(self) -> None:
        await asyncio.wait([self._reader_task])

    async def _read_loop(self) -> None:
        reason = "connection closed by the PBX"
        try:
            while not self.closed.is_set():
                data = await self._reader.read(READ_SIZE)
                if not data:
                    break
                self._parser.receive_data(data)
                self._drain()
        except OSError as exc:
            reason = f"connection error: {exc}"
        finally:
            self.abort(reason)

    def _drain(self) -> None:
        while not self.closed.is_set():
            try:
                message = self._parser.next_message()
            except AmiProtocolError as exc:
                log.warning("AMI: skipped unreadable data: %s", exc)
                continue
            if message is None:
                return
            self._dispatch(message)

    def _dispatch(self, message: AmiMessage) -> None:
        if message.kind is MessageKind.RESPONSE:
            self._on_response(message)
        elif message.kind is MessageKind.EVENT:
            action_id = message.action_id
            pending = self._pending.get(action_id) if action_id is not None else None
            if pending is not None and pending.list_start is not None:
                if message.is_list_complete:
                    self._resolve(pending, message)
                else:
                    pending.events.append(message)
            else:
                self._on_event(message)
        elif message.kind is MessageKind.BANNER and not self.banner.done():
            self.banner.set_result(message.name)

    def _on_response(self, message: AmiMessage) -> None:
        action_id = message.action_id
        if action_id is None:
            # Asterisk answers ID-less actions (someone else's, or injected ones) without an ID.
            log.warning(
                "AMI: ignored a response without ActionID: %s %r", message.name, message.get("Message")
            )
            return
        pending = self._pending.get(action_id)
        if pending is None:
            log.warning("AMI: ignored a response to unknown or expired ActionID %r", action_id)
            return
        if message.is_list_start:
            pending.list_start = message
        else:
            self._pending.pop(action_id, None)
            if not pending.future.done():
                pending.future.set_result(AmiResponse(pending.action, action_id, message))

    def _resolve(self, pending: _PendingAction, complete: AmiMessage) -> None:
        assert pending.list_start is not None
        self._pending.pop(pending.action_id, None)
        if not pending.future.done():
            events = tuple(pending.events)
            response = AmiResponse(pending.action, pending.action_id, pending.list_start, events, complete)
            pending.future.set_result(response)
