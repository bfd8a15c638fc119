"""``callcenter doctor``: check a configured site and say, item by item, what is wrong and how to fix it.

Against a real Asterisk it checks that AMI answers, that our login works, that the account has the rights
we use and none of ``system``, ``command`` or ``config`` (AMI's ``ListCommands`` lists exactly the actions a
login may run), and then places one call into ``[callcenter-doctor]``: that context tells whether our
dialplan is loaded and which rendering of it, whether Asterisk reaches our FastAGI server (a running node
answers the ``doctor`` script), and whether the prompts are installed on the PBX. It also checks that the
database schema is current and that Redis answers when one is configured.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from asterisk_conf.commands import site_from_settings
from asterisk_conf.render import dialplan_version
from asterisk_conf.site import SiteValueError
from bus.eventbus import EventBus
from bus.events import DomainEvent
from callcenter.doctor_call import PROMPTS_MISSING
from callcenter.node import ami_config
from callcenter.settings import Settings
from crm_core.db import alembic_config, make_engine
from cti.ami.client import AmiAuthenticationError, AmiClient, AmiError
from cti.ami.events import OriginateResult, VariableSet

# What the nodes send (cti.ami.client); Ping, Login and ListCommands need no right.
ACTIONS_WE_USE = ("Originate", "Redirect", "Hangup", "Setvar", "Getvar", "Status", "CoreShowChannels")
# An action that only each forbidden right allows (see Asterisk's manager.c): listed means granted.
FORBIDDEN_RIGHTS = {"system": "ModuleCheck", "command": "Command", "config": "UpdateConfig"}
DOCTOR_CONTEXT = "callcenter-doctor"
CALL_TIMEOUT = 15.0
ORIGINATE_FAILURE_GRACE = 1.0


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """One checked item: whether it holds, what was found, and how to fix it when it does not."""

    item: str
    ok: bool
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        head = f"{'ok  ' if self.ok else 'FAIL'}  {self.item}: {self.detail}"
        return [head] if self.ok or not self.fix else [head, f"      fix: {self.fix}"]


def rights_findings(listed: set[str]) -> list[Finding]:
    """Judge the actions ``ListCommands`` returned for our login."""
    missing = [action for action in ACTIONS_WE_USE if action not in listed]
    granted = [right for right, action in FORBIDDEN_RIGHTS.items() if action in listed]
    findings = [Finding(
        "AMI rights we need", not missing,
        "all granted" if not missing else f"the login may not run {', '.join(missing)}",
        "give the account write = call,originate,agent,user,reporting (callcenter asterisk-config renders it) "
        "and run 'manager reload'",
    ), Finding(
        "AMI rights we must not have", not granted,
        "none of system, command, config" if not granted else f"the login has {', '.join(granted)}: anyone with "
        "its secret could run shell commands or rewrite the PBX's configuration",
        f"remove {', '.join(granted)} from the account's write= line (manager_callcenter.conf) and run "
        "'manager reload'",
    )]
    return findings


def doctor_call_findings(
    variables: dict[str, str], failed_reason: int | None, expected_dialplan: str, agi_url: str
) -> list[Finding]:
    """Judge what the call into ``[callcenter-doctor]`` set (``CC_DOCTOR*``), or its failure."""
    loaded = variables.get("CC_DOCTOR_DIALPLAN")
    if loaded is None:
        why = "the call could not start" if failed_reason is not None else "the call never ran it"
        return [Finding("dialplan loaded", False, f"no [{DOCTOR_CONTEXT}] context on the PBX ({why})",
                        "render it with 'callcenter asterisk-config --out DIR', #include extensions_callcenter.conf "
                        "from extensions.conf and run 'dialplan reload'")]
    findings = [Finding("dialplan loaded", True, f"[{DOCTOR_CONTEXT}] answered")]
    findings.append(Finding(
        "dialplan up to date", loaded == expected_dialplan,
        "as rendered from these settings" if loaded == expected_dialplan
        else f"the PBX runs rendering {loaded}, these settings render {expected_dialplan}",
        "render it again with 'callcenter asterisk-config' from this callcenter.toml (flags given then must be in "
        "the file too) and run 'dialplan reload'",
    ))
    status = variables.get("CC_DOCTOR_AGI", "")
    reply = variables.get("CC_DOCTOR")
    if status != "SUCCESS" or reply is None:
        detail = (f"Asterisk could not reach {agi_url} (AGISTATUS {status or 'unknown'})" if status != "SUCCESS"
                  else f"something answered at {agi_url}, but not a callcenter node")
        findings.append(Finding("FastAGI reachable from the PBX", False, detail,
                                "start 'callcenter serve' there; agi_host must be an address the PBX can reach, "
                                "the port open between them, and agi_allow must include the PBX's address"))
        return findings
    findings.append(Finding("FastAGI reachable from the PBX", True, f"a node answered at {agi_url}"))
    missing = reply.removeprefix(PROMPTS_MISSING).strip() if reply.startswith(PROMPTS_MISSING) else ""
    findings.append(Finding(
        "prompts installed", not missing, "the call-back prompts are on the PBX" if not missing
        else f"not on the PBX: {missing}",
        "run 'callcenter acd-prompts --out <Asterisk sounds dir>/en' on the PBX host",
    ))
    return findings


class SiteDoctor:
    """Runs every check for ``settings``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def examine(self) -> list[Finding]:
        findings = await self._pbx() if not self.settings.simulated_pbx else [Finding(
            "PBX", True, "no ami_host set: the node runs its PBX simulator, there is no Asterisk to check")]
        findings.append(await asyncio.to_thread(self._database))
        if self.settings.redis_url:
            findings.append(await self._redis())
        return findings

    async def _pbx(self) -> list[Finding]:
        s = self.settings
        where = f"{s.ami_host}:{s.ami_port}"
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(s.ami_host, s.ami_port), 5)
            banner = (await asyncio.wait_for(reader.readline(), 5)).decode("utf-8", "replace").strip()
            writer.close()
        except (OSError, TimeoutError) as exc:
            return [Finding("AMI reachable", False, f"no connection to {where}: {exc or 'timed out'}",
                            "start Asterisk; manager.conf needs enabled = yes and bindaddr/port as in "
                            "callcenter.toml (callcenter asterisk-config renders it); open the port")]
        if not banner.startswith("Asterisk Call Manager/"):
            return [Finding("AMI reachable", False, f"{where} is not Asterisk's manager interface ({banner[:60]!r})",
                            "ami_host/ami_port must name Asterisk's AMI (manager.conf)")]
        findings = [Finding("AMI reachable", True, f"{banner} at {where}")]
        bus = EventBus()
        ami = AmiClient(dataclasses.replace(ami_config(s), resync_variables=()), bus)
        try:
            await ami.connect(timeout=10)
        except AmiAuthenticationError:
            findings.append(Finding("AMI login", False, f"Asterisk refused user {s.ami_user!r} with the configured "
                                    "secret", "ami_user and ami_secret in callcenter.toml must match "
                                    "manager_callcenter.conf (render it again, 'manager reload'), and its permit= "
                                    "must include this host's address"))
            await ami.close()
            return findings
        except (AmiError, TimeoutError) as exc:
            findings.append(Finding("AMI login", False, f"no working session: {exc}",
                                    "check the account's rights and Asterisk's log"))
            await ami.close()
            return findings
        try:
            findings.append(Finding("AMI login", True, f"logged in as {s.ami_user!r}"))
            listed = await ami.send_action("ListCommands")
            findings += rights_findings({key for key, _ in listed.message.headers})
            findings += await self._doctor_call(ami, bus)
        finally:
            await ami.close()
        return findings

    async def _doctor_call(self, ami: AmiClient, bus: EventBus) -> list[Finding]:
        try:
            site = site_from_settings(self.settings)
        except SiteValueError as exc:
            return [Finding("site values", False, str(exc), "correct callcenter.toml")]
        variables: dict[str, str] = {}
        failed: list[int] = []
        done = asyncio.Event()

        def watch(event: DomainEvent) -> None:
            if isinstance(event, VariableSet) and event.name.startswith("CC_DOCTOR"):
                variables[event.name] = event.value
                if event.name == "CC_DOCTOR_AGI":
                    done.set()
            elif isinstance(event, OriginateResult) and event.action_id == action_id and not event.success:
                # The Local channel's hang-up fails the Originate, and that report may overtake the dialplan's
                # last variables: give them a moment before judging.
                failed.append(event.reason)
                asyncio.get_running_loop().call_later(ORIGINATE_FAILURE_GRACE, done.set)

        action_id = ""
        bus.add_listener(watch, VariableSet, OriginateResult)
        try:
            action_id = await ami.originate(f"Local/s@{DOCTOR_CONTEXT}", application="Wait", data="30",
                                            caller_id='"callcenter doctor" <0>')
            await asyncio.wait_for(done.wait(), CALL_TIMEOUT)
        except AmiError as exc:
            failed.append(0)
            variables.setdefault("originate", str(exc))
        except TimeoutError:
            pass
        finally:
            bus.remove_listener(watch)
        return doctor_call_findings(variables, failed[0] if failed else None, dialplan_version(site), site.agi_url)

    def _database(self) -> Finding:
        url = self.settings.db_url
        try:
            engine = make_engine(url)
            try:
                with engine.connect() as connection:
                    current = MigrationContext.configure(connection).get_current_revision()
            finally:
                engine.dispose()
        except SQLAlchemyError as exc:
            return Finding("database", False, f"cannot open {engine_url_for_humans(url)}: {type(exc).__name__}",
                           "check db_url and that the database server runs and lets this user in")
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        if current == head:
            return Finding("database schema", True, f"current (revision {head})")
        return Finding("database schema", False, f"at revision {current or 'none'}, the code needs {head}",
                       "start 'callcenter serve' once (it migrates the schema) or run the migrations")

    async def _redis(self) -> Finding:
        url = self.settings.redis_url
        client = aioredis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            await client.ping()
        except (RedisError, OSError) as exc:
            return Finding("Redis", False, f"no answer from {url}: {exc}", "start Redis or correct redis_url")
        finally:
            await client.aclose()
        return Finding("Redis", True, f"answers at {url}")


def engine_url_for_humans(url: str) -> str:
    """A database URL without its password."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':')[0]}@{tail}"


def report(findings: list[Finding], out: Callable[[str], Any] = print) -> int:
    """Print the findings; 0 when every item holds, 1 otherwise."""
    for finding in findings:
        for line in finding.lines():
            out(line)
    failed = sum(not f.ok for f in findings)
    out(f"{len(findings) - failed} of {len(findings)} checks passed")
    return 1 if failed else 0


def doctor(args: argparse.Namespace) -> int:
    findings = asyncio.run(SiteDoctor(args.settings).examine())
    if args.json:
        code = report(findings, out=lambda line: print(line, file=sys.stderr))
        print(json.dumps([dataclasses.asdict(f) for f in findings], ensure_ascii=False))
        return code
    return report(findings)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("doctor", help="check this site (PBX, dialplan, FastAGI, prompts, database, "
                                 "Redis) and say what to fix")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON on the last line")
    parser.set_defaults(func=doctor)
