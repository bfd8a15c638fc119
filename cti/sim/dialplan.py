"""The simulator's dialplan: extensions.conf contexts interpreted step by step, as Asterisk runs them.

The contexts come from text in Asterisk's own syntax, read by :mod:`asterisk_conf.checker`: the dialplan
``asterisk_conf`` renders for a site (so the simulator runs exactly what we ship) and any extra contexts a
test or tool gives. Only the applications in :data:`APPLICATIONS` are simulated; a dialplan naming
another is refused when loaded. Expressions know ``${VAR}``, ``${FUNC(...)}`` (``URIENCODE`` and the
channel functions the PBX knows) and ``$["a" = "b"]`` / ``!=`` comparisons.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from asterisk_conf.checker import Dialplan, Extension, check_dialplan, parse_config
from asterisk_conf.render import render_site
from asterisk_conf.site import SiteConfig
from cti.sim.agi_client import DEFAULT_AGI_PORT, run_fastagi
from cti.sim.callees import amd_verdict
from cti.sim.channel import STATE_UP, Channel, Place
from cti.sim.media import music_on_hold, playback, wait
from cti.sim.ports import SimPbx

SHIPPED_FILE = "extensions_callcenter.conf"
APPLICATIONS = frozenset(
    {"agi", "amd", "answer", "bridge", "goto", "gotoif", "hangup", "musiconhold", "noop", "playback", "set", "wait",
     "waitforsilence"}
)
_COMPARISON = re.compile(r'\s*("[^"]*"|[^\s"!=]*)\s*(!=|=)\s*("[^"]*"|[^\s"!=]*)\s*\Z')
_FUNCTION = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\((.*)\)\Z", re.DOTALL)


class SimDialplanError(ValueError):
    """A dialplan the simulator cannot run: an unknown application, expression or jump target."""


def load_dialplan(text: str, filename: str = "extensions.conf") -> Dialplan:
    """Parse ``text`` (extensions.conf syntax) strictly and check that every application is simulated."""
    dialplan = check_dialplan(parse_config(text, filename))
    for context, extensions in dialplan.contexts.items():
        for extension in extensions:
            for step in extension.steps:
                if step.application.lower() not in APPLICATIONS:
                    raise SimDialplanError(
                        f"{filename}:{step.line}: [{context}] uses {step.application}(), "
                        "which the simulator does not run"
                    )
    return dialplan


def shipped_dialplan(agi_url: str) -> Dialplan:
    """The callcenter contexts ``asterisk_conf`` renders for a FastAGI server at ``agi_url``'s host/port."""
    parts = urlsplit(agi_url)
    site = SiteConfig(agi_host=parts.hostname or "127.0.0.1", agi_port=parts.port or DEFAULT_AGI_PORT)
    return load_dialplan(render_site(site)[SHIPPED_FILE], SHIPPED_FILE)


def merge(*dialplans: Dialplan) -> Dialplan:
    """One dialplan with the contexts of all; a later one's context replaces an earlier one's."""
    merged = Dialplan()
    for dialplan in dialplans:
        merged.contexts.update(dialplan.contexts)
    return merged


def _closing(text: str, start: int, opener: str, closer: str) -> int:
    """Index of the ``closer`` matching the ``opener`` just before ``start`` (nesting counted)."""
    depth = 1
    for index in range(start, len(text)):
        if text[index] == opener:
            depth += 1
        elif text[index] == closer:
            depth -= 1
            if depth == 0:
                return index
    raise SimDialplanError(f"unclosed {opener!r} in {text!r}")


def evaluate(expression: str) -> str:
    """``$[...]`` with one string comparison: ``"1"`` when it holds, else ``"0"``."""
    match = _COMPARISON.match(expression)
    if match is None:
        raise SimDialplanError(f"expression not simulated: {expression!r}")
    left, operator, right = (part.strip('"') for part in match.groups())
    return "1" if (left == right) == (operator == "=") else "0"


class DialplanRunner:
    """Runs channels through a :class:`Dialplan` on a PBX."""

    def __init__(self, pbx: SimPbx, dialplan: Dialplan) -> None:
        self.pbx = pbx
        self.dialplan = dialplan

    def extension(self, context: str, exten: str) -> Extension | None:
        found = self.dialplan.matching(context, exten)
        return found[0] if found else None

    def has_step(self, place: Place) -> bool:
        """Whether the dialplan has this priority (Asterisk's ``ast_exists_extension``)."""
        context, exten, priority = place
        extension = self.extension(context, exten)
        return extension is not None and 1 <= priority <= len(extension.steps)

    def expand(self, chan: Channel, text: str) -> str:
        """Substitute ``${...}`` and ``$[...]`` (innermost first, as Asterisk does)."""
        out: list[str] = []
        index = 0
        while (start := text.find("$", index)) >= 0 and start + 1 < len(text):
            kind = text[start + 1]
            if kind not in "{[":
                out.append(text[index : start + 1])
                index = start + 1
                continue
            end = _closing(text, start + 2, kind, "}" if kind == "{" else "]")
            inner = self.expand(chan, text[start + 2 : end])
            out.append(text[index:start])
            out.append(self._lookup(chan, inner) if kind == "{" else evaluate(inner))
            index = end + 1
        out.append(text[index:])
        return "".join(out)

    def _lookup(self, chan: Channel, name: str) -> str:
        function = _FUNCTION.match(name)
        if function is not None and function.group(1).upper() == "URIENCODE":
            return quote(function.group(2), safe="")
        return self.pbx.get_variable(chan, name) or ""

    async def run(self, chan: Channel) -> None:
        """Run ``chan`` from its place until it hangs up, is redirected or pulled into a bridge, or runs off its
        extension."""
        pbx = self.pbx
        while not chan.dead and not chan.pulled:
            extension = self.extension(chan.context, chan.exten)
            if extension is None or not 1 <= chan.priority <= len(extension.steps):
                pbx.hangup(chan, 16)  # Asterisk's autofallthrough: no step left, the call ends
                return
            step = extension.steps[chan.priority - 1]
            data = self.expand(chan, step.data)
            pbx.newexten(chan, step.application, data, step=False)
            jump = await self._execute(chan, extension, step.application.lower(), data)
            if chan.dead or chan.imparted:  # it ends, or goes on after the bridge, from where it is now
                return
            if jump is None:
                chan.priority += 1
            else:
                chan.context, chan.exten, chan.priority = jump

    async def _execute(self, chan: Channel, extension: Extension, app: str, data: str) -> Place | None:
        """Run one application; returns where to go next when it jumps."""
        pbx = self.pbx
        if app == "set":
            name, _, value = data.partition("=")
            pbx.set_variable(chan, name, value)
        elif app == "answer":
            if chan.state != STATE_UP:
                pbx.answer(chan)
        elif app == "agi":
            status = await run_fastagi(pbx, chan, data)
            chan.application = ""
            if not chan.gone:
                pbx.set_variable(chan, "AGISTATUS", status.value)
        elif app == "musiconhold":
            music_class, _, seconds = data.partition(",")
            await music_on_hold(pbx, chan, music_class, _seconds(seconds))
        elif app == "playback":
            await playback(pbx, chan, data.split(",", 1)[0].split("&"))
        elif app == "wait":
            await wait(pbx.clock, [chan], _seconds(data) or 0.0)
        elif app == "amd":
            await self._amd(chan)
        elif app == "waitforsilence":
            # Until the answerer's greeting is over and 1.5 s of silence followed (at most the timeout).
            parts = data.split(",")
            silence = (_seconds(parts[0]) or 0.0) / 1000
            limit = _seconds(parts[2]) if len(parts) > 2 else None
            spoken = 0.0 if chan.answered_at is None else pbx.clock.now() - chan.answered_at
            left = max(0.0, (chan.greeting or 0.0) - spoken) + silence
            await wait(pbx.clock, [chan], left if limit is None else min(left, limit))
        elif app == "bridge":
            await pbx.bridges.application(chan, data)
        elif app == "hangup":
            pbx.hangup(chan, int(data) if data.isdigit() else 16)
        elif app == "goto":
            return self._target(chan, extension, data)
        elif app == "gotoif":
            condition, _, targets = data.partition("?")
            when_true, _, when_false = targets.partition(":")
            chosen = when_true if condition.strip() not in ("", "0") else when_false
            return self._target(chan, extension, chosen) if chosen else None
        return None  # NoOp

    async def _amd(self, chan: Channel) -> None:
        """``AMD()``: listen to the answerer's greeting, then set ``AMDSTATUS`` and ``AMDCAUSE``."""
        if chan.greeting is None:  # nobody simulated speaks: AMD hears its initial silence run out
            status, cause, seconds = "MACHINE", "INITIALSILENCE-2500-2500", 2.5
        else:
            status, cause, seconds = amd_verdict(chan.greeting)
        if await wait(self.pbx.clock, [chan], seconds) is not None:
            status, cause = "HANGUP", ""
        if not chan.gone:
            self.pbx.set_variable(chan, "AMDSTATUS", status)
            self.pbx.set_variable(chan, "AMDCAUSE", cause)

    def _target(self, chan: Channel, extension: Extension, target: str) -> Place:
        """``[[context,]exten,]priority-or-label`` -> a place in the dialplan."""
        parts = [p.strip() for p in target.split(",")]
        context = parts[-3] if len(parts) >= 3 else chan.context
        exten = parts[-2] if len(parts) >= 2 else chan.exten
        where = parts[-1]
        found = extension if len(parts) == 1 else self.extension(context, exten)
        if where.isdigit():
            return context, exten, int(where)
        if found is not None:
            for number, step in enumerate(found.steps, 1):
                if step.label == where:
                    return context, exten, number
        raise SimDialplanError(f"no label {where!r} in {exten}@{context}")


def _seconds(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
