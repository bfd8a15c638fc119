"""The telephony operations the IVR needs from a call, as a Protocol the FastAGI session satisfies."""

from __future__ import annotations

from typing import Protocol


class CallerHungUp(Exception):
    """The caller is gone: raised by any :class:`CallChannel` operation on a hung-up channel
    (AGI ``200 result=-1``, a ``HANGUP`` line or ``511`` on a dead channel)."""


class PromptUnavailable(Exception):
    """The PBX could not play a sound at all (AGI ``STREAM FILE`` ``result=-1 endpos=0``)."""


class ApplicationUnavailable(Exception):
    """The PBX has no such dialplan application (its module is not loaded)."""


class CallChannel(Protocol):
    """One inbound call under IVR control."""

    @property
    def call_id(self) -> str:
        """Our id for the call (e.g. the ``CTI_CALL_ID`` variable or the channel's Uniqueid)."""
        ...

    @property
    def caller_number(self) -> str:
        """The ANI as Asterisk gives it (``agi_callerid``; may be ``unknown`` or empty)."""
        ...

    @property
    def dialled_number(self) -> str:
        """The DNIS (``agi_extension``)."""
        ...

    async def answer(self) -> None:
        """Answer the channel."""
        ...

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        """Play a sound (name or absolute path, no extension); the escape digit pressed, or None.
        Raises :class:`PromptUnavailable` when the PBX has no such sound."""
        ...

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None:
        """Play ``prompt`` (several files joined with ``&``) and read digits until ``max_digits``,
        ``#`` or the timeout; None or ``""`` when nothing was keyed."""
        ...

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        """Say each digit with the channel language's digit prompts."""
        ...

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable (the AGI layer refuses CR/LF in values)."""
        ...

    async def run_application(self, name: str, data: str) -> None:
        """Run a dialplan application on the call until it returns (``EXEC``); raises
        :class:`ApplicationUnavailable` when the PBX lacks it."""
        ...

    async def hangup(self) -> object:
        """Hang the call up (any return value is ignored)."""
        ...
