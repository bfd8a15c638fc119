"""The service's timer and background work survive failures, and a logged call-back to a number we may
not dial is dropped instead of dialled. A scripted stand-in plays the core, so no PBX is needed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import pytest

from acd import service as service_module
from acd.core import Acd
from acd.decisions import Decision, Effects, Offer, OriginateCallback
from acd.errors import AcdError
from acd.service import AcdService
from bus.eventbus import EventBus
from cti.agi import AgiServer
from cti.ami.client import AmiClient


class ScriptedCore:
    """Has a deadline due at once until its script of tick results runs out; then none."""

    def __init__(self, script: list[Callable[[], Effects]]) -> None:
        self.script = script
        self.ticks = 0
        self.hangups: list[str] = []

    def next_deadline(self) -> float | None:
        return 0.0 if self.ticks < len(self.script) else None

    def tick(self) -> Effects:
        self.ticks += 1
        return self.script[self.ticks - 1]()

    def hangup(self, call_id: str) -> Effects:
        self.hangups.append(call_id)
        raise AcdError(f"unknown call {call_id}")


class RecordingAmi:
    def __init__(self) -> None:
        self.originated: list[str] = []

    async def originate(self, channel: str, **_: Any) -> str:
        self.originated.append(channel)
        return "action-1"


def fails() -> Effects:
    raise RuntimeError("core bug")


def decides(*decisions: Decision) -> Callable[[], Effects]:
    return lambda: Effects(decisions=list(decisions))


Make = Callable[[ScriptedCore], AcdService]


@pytest.fixture
async def make(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Make]:
    monkeypatch.setattr(service_module, "TIMER_RETRY_SECONDS", 0.01)
    started: list[AcdService] = []

    def factory(core: ScriptedCore) -> AcdService:
        service = AcdService(cast(Acd, core), EventBus(), cast(AmiClient, RecordingAmi()),
                             cast(AgiServer, object()), clock=time.monotonic)
        started.append(service)
        return service

    yield factory
    for service in started:
        await service.close()


async def until(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_a_failing_tick_is_logged_and_later_deadlines_still_run(
    make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    core = ScriptedCore([fails, decides(), decides()])
    service = make(core)
    await service.start()
    await until(lambda: core.ticks == 3)
    assert any("a tick failed" in r.message and r.exc_info for r in caplog.records if r.levelno == logging.ERROR)


async def test_a_failing_background_task_is_logged(make: Make, caplog: pytest.LogCaptureFixture) -> None:
    # An offer for a call with no channel here is handed back to the core in a task; the core refuses.
    core = ScriptedCore([decides(Offer("c-9", "support", "a1", "PJSIP/a1", 3.0))])
    service = make(core)
    await service.start()
    await until(lambda: core.hangups == ["c-9"])
    await until(lambda: any("failed" in r.message and r.exc_info for r in caplog.records
                            if r.name == "acd.service" and r.levelno == logging.ERROR))


@pytest.mark.parametrize("number", ["0044@from-internal/", "1,2", "+1 (555) 123-4567"])
async def test_a_logged_call_back_to_a_number_we_may_not_dial_is_dropped(make: Make, number: str) -> None:
    # A request from an event log written before numbers were checked, restored after an upgrade.
    core = ScriptedCore([decides(OriginateCallback("c-1", "support", "a1", "PJSIP/a1", number))])
    service = make(core)
    await service.start()
    await until(lambda: core.hangups == ["c-1"])
    assert cast(RecordingAmi, service.ami).originated == []
