"""The wall's time zone setting (``[wall] time_zone``): checked when the node starts, and the day "service
level today" covers, and the time the wall shows, are that zone's whatever the server's own zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from process_zone import process_time_zone

from acd.events import CallConnected, CallQueued
from agent_desktop.config import DesktopConfig, DesktopConfigError, desktop_config_from_raw
from agent_desktop.handling import HUB
from callcenter.node import NodeStartError
from callcenter.settings import Settings
from callcenter.wiring import desktop_app

if TYPE_CHECKING:
    from conftest import ManualClock

NEW_YORK = ZoneInfo("America/New_York")


def test_the_zone_is_an_iana_name_or_the_servers_own_by_default() -> None:
    assert desktop_config_from_raw({}).time_zone is None
    assert desktop_config_from_raw({"wall": {"time_zone": "Europe/Paris"}}).time_zone == ZoneInfo("Europe/Paris")
    for wrong in ("Mars/Olympus_Mons", "Europe", "../../etc/passwd", "", 2, "zone.tab"):
        with pytest.raises(DesktopConfigError, match=r"wall\.time_zone"):
            desktop_config_from_raw({"wall": {"time_zone": wrong}})
    with pytest.raises(DesktopConfigError, match="wall: expected a table"):
        desktop_config_from_raw({"wall": "Europe/Paris"})


def test_a_node_with_a_wrong_zone_does_not_start_and_says_why() -> None:
    node = SimpleNamespace(sessions=object(), settings=Settings(raw={"wall": {"time_zone": "Mars/Olympus_Mons"}}))
    with pytest.raises(NodeStartError, match=r"wall\.time_zone: no time zone 'Mars/Olympus_Mons'"):
        desktop_app(node)  # type: ignore[arg-type]


@pytest.fixture
def server_in_tokyo() -> Iterator[None]:
    """The process's own zone far from the wall's, so a wall that used it would roll its day elsewhere."""
    with process_time_zone("Asia/Tokyo"):
        yield


def new_york(*when: int) -> float:
    return dt.datetime(*when, tzinfo=NEW_YORK).timestamp()


@pytest.mark.usefixtures("server_in_tokyo")
@pytest.mark.parametrize(("early", "late_evening", "after_midnight", "offsets"), [
    # 8 March 2026 has 23 hours in New York (clocks go forward), 1 November 2026 has 25 (they go back).
    ((2026, 3, 8, 0, 30), (2026, 3, 8, 23, 50), (2026, 3, 9, 0, 10), (-5, -4)),
    ((2026, 11, 1, 0, 30), (2026, 11, 1, 23, 50), (2026, 11, 2, 0, 10), (-4, -5)),
], ids=["23-hour day", "25-hour day"])
async def test_the_walls_today_ends_at_midnight_in_its_zone_across_a_dst_change(
    app_for: Any, clock: ManualClock, early: tuple[int, ...], late_evening: tuple[int, ...],
    after_midnight: tuple[int, ...], offsets: tuple[int, int],
) -> None:
    clock.now = new_york(*early)
    config = desktop_config_from_raw({"queues": [{"name": "support"}], "wall": {"time_zone": "America/New_York"}})
    wall = app_for(config, clock)[HUB].wall
    wall.apply(CallQueued(call_id="a", queue="support", priority=1, enter_time=clock(), at=clock()))
    wall.apply(CallConnected(call_id="a", queue="support", agent_id="a1", wait_seconds=3, at=clock()))
    assert wall.snapshot().utc_offset == offsets[0] * 3600

    clock.now = new_york(*late_evening)
    evening = wall.snapshot()
    assert evening.queues[0].today.answered == 1
    assert (evening.day, evening.time_zone) == (dt.date(*late_evening[:3]).isoformat(), "America/New_York")
    assert evening.utc_offset == offsets[1] * 3600  # the wall shows New York's time of day, DST and all

    clock.now = new_york(*after_midnight)
    morning = wall.snapshot()
    assert (morning.queues[0].today.answered, morning.day) == (0, dt.date(*after_midnight[:3]).isoformat())


@pytest.mark.usefixtures("server_in_tokyo")
def test_without_the_setting_the_wall_keeps_the_servers_zone_and_shows_its_offset(
    app_for: Any, clock: ManualClock
) -> None:
    clock.now = dt.datetime(2026, 3, 8, 23, 30, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()
    snapshot = app_for(DesktopConfig(), clock)[HUB].wall.snapshot()
    assert (snapshot.day, snapshot.time_zone, snapshot.utc_offset) == ("2026-03-08", None, 9 * 3600)
