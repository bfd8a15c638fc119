"""Every page, for every role, in a real browser (Debian's chromium) at a phone, a laptop and a wall display:
the page never scrolls sideways, every control the keyboard reaches shows a focus ring, text and buttons keep
4.5:1 contrast against what is really behind them, and nothing is fetched from anywhere but our own server
(the CSS foundation is vendored under /static/vendor/)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from acd.events import CallConnected, CallDisposed, CallEnded, CallOffered
from ivr.caller import CallerData

if TYPE_CHECKING:
    from conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
TIMEOUT_MS = 15000
WIDTHS = (390, 1366, 1920)
MIN_CONTRAST = 4.5
CAMPAIGN = {"name": "Look check", "caller_id": "+12125550199", "queue": "sales"}
CALL = "look-1"

# The contrast of each visible text against the colour really behind it (backgrounds composited up the
# tree, opacity folded in). Disabled controls are exempt (WCAG 1.4.3), as is text drawn in SVG (fill).
LOW_CONTRAST = """(minimum) => {
  const rgba = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3] + under[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    return [0, 1, 2].map((i) => (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) / a).concat([a]);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) layers.push(rgba(getComputedStyle(node).backgroundColor));
    let colour = [255, 255, 255, 1];  // the canvas
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const opacity = (el) => {
    let value = 1;
    for (let node = el; node; node = node.parentElement) value *= Number(getComputedStyle(node).opacity);
    return value;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const elements = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.textContent.trim() && node.parentElement) elements.add(node.parentElement);
  }
  for (const button of document.querySelectorAll("button")) elements.add(button);
  const bad = [];
  for (const el of elements) {
    if (el.closest("script, style, svg, option, optgroup, [disabled]")) continue;
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    const back = background(el);
    const text = rgba(getComputedStyle(el).color);
    const seen = over([text[0], text[1], text[2], text[3] * opacity(el)], back);
    const value = ratio(seen, back);
    const what = `${el.tagName.toLowerCase()}#${el.id}.${el.className} "${el.textContent.trim().slice(0, 40)}"`;
    if (value < minimum) bad.push(`${what}: ${value.toFixed(2)}`);
  }
  return bad;
}"""

# A control's name that survives a live page redrawing its rows: tag, id, text, and the row's first cell (its
# name: the rest of a live row, such as a state or a timer, changes while the keyboard walks the page).
KEY = """(el) => [el.tagName, el.id, el.getAttribute("name"), el.getAttribute("aria-label"), el.textContent.trim(),
  ((el.closest("tr") || {cells: []}).cells[0] || {textContent: ""}).textContent.trim()].join("|")"""
# The controls a keyboard user must be able to reach: visible, enabled, not taken out of the Tab order.
FOCUSABLE = """() => {
  const key = """ + KEY + """;
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]";
  return [...document.querySelectorAll(selector)]
    .filter((el) => !el.disabled && el.tabIndex >= 0 && !el.closest("[inert]"))
    .filter((el) => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}))
    .map(key);
}"""

# What the focused element shows: a ring (outline) or a focus shadow, and whether it is off-screen by design.
FOCUSED = """() => {
  const key = """ + KEY + """;
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
    && !/rgba\\([^)]*,\\s*0\\)/.test(style.outlineColor);
  return {id: key(el), name: `${el.tagName.toLowerCase()}#${el.id}`, ring: outline};
}"""


async def _pages_of(page: Any, live_server: LiveServer, sign_in: Any, user: str | None) -> list[str]:
    """Sign ``user`` in (None: nobody) and name the pages that user works with."""
    base_url = live_server.base_url
    if user is None:
        return ["/login"]
    await sign_in(page, base_url, user)
    await page.wait_for_load_state("networkidle")
    if user == "agent1":
        await page.click("#btn-ready")  # a coloured state badge to measure
        await page.wait_for_function("() => document.getElementById('state').classList.contains('state-ready')")
        # A connected VIP caller: the pop, its badges, the talk controls and the wrap-up form (replayed on reload).
        live_server.bus.publish(CallOffered(call_id=CALL, queue="support", agent_id="a1", at=time.time(),
                                            caller=CallerData(ani="+441632960001", customer_id="c1", tier="vip")))
        live_server.bus.publish(CallConnected(call_id=CALL, queue="support", agent_id="a1", wait_seconds=2.0,
                                              at=time.time()))
        return ["/desktop", "/api/docs", "/no-such-page"]
    if user == "super":
        return ["/wall", "/api/docs"]
    if user == "root":
        return ["/admin", "/wall"]
    token = await page.get_attribute('meta[name="csrf-token"]', "content")
    answer = await page.request.post(base_url + "/api/campaigns", data=CAMPAIGN, headers={"X-CSRF-Token": token})
    assert answer.status == 201, await answer.text()
    campaign_id = (await answer.json())["id"]
    return ["/campaigns", "/campaigns/new", f"/campaigns/{campaign_id}", "/dnc", "/numbers?number=%2B12125550123"]


async def _tab_walk(page: Any) -> tuple[set[str], list[str]]:
    """Tab through the page from its top: the controls reached, and those that showed no focus ring."""
    wanted = await page.evaluate(FOCUSABLE)
    reached: set[str] = set()
    ringless: list[str] = []
    await page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    for _ in range(len(wanted) + 5):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        if focused is None:
            continue
        reached.add(focused["id"])
        if not focused["ring"]:
            ringless.append(focused["name"])
    return set(wanted) - reached, ringless


@pytest.mark.parametrize("user", [None, "agent1", "super", "root", "camp"],
                         ids=["anonymous", "agent", "supervisor", "admin", "campaign_manager"])
async def test_every_page_is_usable_by_keyboard_readable_and_self_hosted(
        browser: Any, live_server: LiveServer, screenshot_dir: Path, sign_in: Any, user: str | None) -> None:
    origin = urlsplit(live_server.base_url).netloc
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, reduced_motion="reduce")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("websocket", lambda socket: requested.append(socket.url))
    try:
        for path in await _pages_of(page, live_server, sign_in, user):
            name = path.strip("/").split("?")[0].replace("/", "-").replace("api-", "") or "home"
            for width in WIDTHS:
                await page.set_viewport_size({"width": width, "height": 900})
                await page.goto(live_server.base_url + path)
                await page.wait_for_load_state("networkidle")
                if path == "/desktop":
                    await page.locator("#wrapup").wait_for(state="visible")
                where = f"{path} as {user} at {width} px"
                assert await page.locator('link[href="/static/vendor/pico/pico.classless.min.css"]').count() == 1
                sideways = await page.evaluate(
                    "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert sideways <= 0, f"{where}: the page scrolls sideways by {sideways} px"
                moving = await page.evaluate("""() => [...document.querySelectorAll("a, button, input, select")]
                    .map((el) => getComputedStyle(el).transitionDuration).filter((d) => d !== "0s")""")
                assert moving == [], f"{where}: transitions despite prefers-reduced-motion: {moving[:3]}"
                low = await page.evaluate(LOW_CONTRAST, MIN_CONTRAST)
                assert low == [], f"{where}: text below {MIN_CONTRAST}:1: {low}"
                if width == 1920:  # the wall display: the content uses the width
                    used = await page.evaluate("() => document.querySelector('main').getBoundingClientRect().width")
                    assert used >= (1800 if path == "/wall" else 1400), f"{where}: main is only {used} px wide"
                await page.screenshot(path=str(screenshot_dir / f"look-{name}-{user or 'anonymous'}-{width}.png"),
                                      full_page=True)
            missed, ringless = await _tab_walk(page)  # at 1920 px, the last width: everything is laid out
            assert not missed, f"{path} as {user}: {len(missed)} controls never reached by Tab"
            assert ringless == [], f"{path} as {user}: focus without a visible ring on {ringless}"
        await page.goto(live_server.base_url + "/login" if user is None else live_server.base_url + "/")
        await page.keyboard.press("Tab")
        first = await page.evaluate("() => document.activeElement.className")
        assert first == "skip-link", "the first Tab stop skips to the content"
        await page.keyboard.press("Enter")
        assert await page.evaluate("() => document.activeElement.id") == "main"
    finally:
        if user == "agent1":  # the live server is shared: leave the agent as the other tests expect it
            live_server.bus.publish(CallDisposed(call_id=CALL, agent_id="a1", disposition="resolved", at=time.time()))
            live_server.bus.publish(CallEnded(call_id=CALL, queue="support", agent_id="a1", talk_seconds=5,
                                              at=time.time()))
            await live_server.control.logout("a1")
        await context.close()
    foreign = [url for url in requested
               if not url.startswith("data:") and urlsplit(url).netloc != origin]
    assert foreign == [], f"requests to other origins: {foreign}"
    assert any("/static/vendor/pico/" in url for url in requested)
