"""Helpers for browser tests on a real node with its PBX simulator: the digits a simulated caller keys in the
IVR, waiting for a condition of the node, a figure of the wall, and a page checked for sideways scroll and
photographed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WIDTHS = (390, 1366, 1920)
CODE = "100008"  # the code of the customer the admin tests ring in with
# The admin tests' contact centre: a support queue nobody can take yet (only an agent the admin adds can).
ADMIN_FLOOR: dict[str, Any] = {
    "skills": [{"name": "support"}, {"name": "sales"}],
    "queues": [
        {"name": "support", "skills": {"support": 1}, "dispositions": ["resolved"], "wrap_up_seconds": 30},
        {"name": "sales", "skills": {"sales": 1}},
    ],
    # Nobody who could take a support call: only the agent the admin adds can.
    "agents": [{"id": "1001", "name": "Ada Lovelace", "password": "pw-1001", "phone": "PJSIP/1001",
                "skills": {"sales": 5}, "queues": ["sales"]}],
    "users": [{"id": "root", "name": "Rita Root", "role": "admin", "password": "pw-root", "phone": "PJSIP/9002"}],
}


def keyed(code: str, choice: str = "1") -> tuple[tuple[float, str], ...]:
    """A caller script's digits: the customer ``code`` once the IVR listens, then the menu ``choice``
    (1 = support in the tests' contact centres)."""
    return ((1.0, code[0]), *((0.2, d) for d in code[1:]), (0.3, choice))


async def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll ``predicate`` on the event loop until it holds; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def figure(page: Any, queue: str, label: str) -> Any:
    """The value of the wall's figure ``label`` ("Waiting", "Answered"...) on ``queue``'s tile."""
    return page.locator(f'.tile[data-queue="{queue}"] .figure:has(.label:text-is("{label}")) .value')


async def no_sideways_scroll(page: Any, width: int, shots: Path, name: str) -> None:
    """At ``width`` px the page does not scroll sideways (naming what sticks out); a full-page screenshot."""
    await page.set_viewport_size({"width": width, "height": 900})
    sideways = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    # What sticks out (outside the tables that scroll by themselves), named so the fix knows where to look.
    wide = await page.evaluate("""[...document.querySelectorAll('body *')]
      .filter((e) => !e.closest('.grid-scroll') && e.getBoundingClientRect().right > window.innerWidth + 1)
      .map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)""")
    assert sideways <= 0, f"{name} scrolls sideways by {sideways} px at {width} px: {wide}"
    await page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)


async def at_each_width(page: Any, shots: Path, name: str) -> None:
    """:func:`no_sideways_scroll` at 390, 1366 and 1920 px, leaving the page at 1366 px."""
    for width in WIDTHS:
        await no_sideways_scroll(page, width, shots, name)
    await page.set_viewport_size({"width": 1366, "height": 900})
