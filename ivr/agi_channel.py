"""The FastAGI session seen as the IVR's :class:`~ivr.channel.CallChannel`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cti.agi import AgiApplicationNotFound, AgiHangup, AgiPlaybackFailed, AgiSession
from ivr.channel import ApplicationUnavailable, CallerHungUp, PromptUnavailable


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except AgiHangup as exc:
        raise CallerHungUp(str(exc)) from exc
    except AgiPlaybackFailed as exc:
        raise PromptUnavailable(str(exc)) from exc
    except AgiApplicationNotFound as exc:
        raise ApplicationUnavailable(str(exc)) from exc


class AgiCallChannel:
    """Adapts :class:`cti.agi.AgiSession` to the IVR; ``call_id`` is ``CTI_CALL_ID`` when the
    call carries one (set by whoever originated it), else the channel's Uniqueid."""

    def __init__(self, session: AgiSession, call_id: str | None = None) -> None:
        self.session = session
        self._call_id = call_id or session.uniqueid

    @property
    def call_id(self) -> str:
        return self._call_id

    @property
    def caller_number(self) -> str:
        return self.session.env.caller_number or ""

    @property
    def dialled_number(self) -> str:
        return self.session.query.get("dnis") or self.session.env.extension or ""

    async def answer(self) -> None:
        async with _translated():
            await self.session.answer()

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        async with _translated():
            digit, _ = await self.session.stream_file(name, escape_digits)
        return digit

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None:
        async with _translated():
            return await self.session.get_data(prompt, timeout_ms, max_digits)

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        async with _translated():
            return await self.session.say_digits(digits, escape_digits)

    async def set_variable(self, name: str, value: str) -> None:
        async with _translated():
            await self.session.set_variable(name, value)

    async def run_application(self, name: str, data: str) -> None:
        async with _translated():
            await self.session.exec(name, data)

    async def hangup(self) -> object:
        async with _translated():
            return await self.session.hangup()
