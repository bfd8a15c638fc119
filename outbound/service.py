"""The outbound service: campaigns, lists, do-not-call and stories over the database, for the web and the dialer.

It holds in memory what the cores need: the do-not-call lists (:class:`DncList`, with the mapped national
registry), the cross-campaign dial log, and one :class:`Hopper` per running campaign, whose recorded
decisions it stores as the numbers' stories. Everything else is read from and written to the database,
in worker threads so the event loop never waits on it.

Keeping in step: its own do-not-call changes apply to the lists at once; every ``poll_seconds`` it reads
the changes other processes stored (another node, ``callcenter dnc``) and a newly imported registry, so an
entry made anywhere stops dialling within that interval, also for leads a hopper released and the dialer
has not dialled yet (:meth:`confirm` decides again). List imports run one at a time in a worker thread;
their progress is stored with the job, so any process can show it.

The dialer (part 2) drives :meth:`next_lead`, :meth:`confirm` and :meth:`dial_ended`; an agent's
disposition of a campaign call goes through :meth:`dispose`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bus.clock import Clock
from bus.tasks import TaskSet
from crm_core.db import session_scope
from outbound import campaign_store, dnc_store, lead_store, list_import, pacing_store
from outbound.campaign_store import StoredCampaign
from outbound.campaigns import CALLBACK, DO_NOT_CALL, FINAL, RETRY, RUNNING, CampaignError, CampaignSettings
from outbound.contacts import ContactLog
from outbound.dnc import DncList
from outbound.eligibility import Decision, Eligibility
from outbound.hopper import DNC_DISPOSITION, DONE, OUT, Hopper
from outbound.leads import Lead, LeadHistory
from outbound.list_import import ImportSummary
from outbound.numbers import DialNumber, digits_of, parse_number
from outbound.progress import HOUR, Progress, tally
from outbound.rules import ANSWERED, NO_ANSWER, RuleSet
from outbound.rules import DO_NOT_CALL as DO_NOT_CALL_OUTCOME
from outbound.story import NumberStory, number_story
from outbound.windows import HolidayCalendar

log = logging.getLogger(__name__)
T = TypeVar("T")
UPLOAD_FOLDER = "uploads"
MANUAL = "manual"  # the campaign key of a number an agent dials by hand
#: A campaign's counts are recounted when older than this (a count decides every lead).
PROGRESS_MAX_AGE = 10.0
#: How long a lead whose dial had no outcome when its hopper was loaded stays out: ring, talk and wrap-up.
RELEASE_HOLD = 900.0
LIST_PROGRESS_MAX_AGE = 60.0
#: What an agent's disposition of each kind tells the rules about the dial.
OUTCOME_OF_KIND = {FINAL: ANSWERED, CALLBACK: ANSWERED, DO_NOT_CALL: DO_NOT_CALL_OUTCOME, RETRY: NO_ANSWER}


class DispositionError(ValueError):
    """A disposition the campaign does not have, or a call-back without a time."""


@dataclasses.dataclass(frozen=True, slots=True)
class CampaignView:
    """A campaign with its latest counts."""

    campaign: StoredCampaign
    progress: Progress

    def to_json(self) -> dict[str, Any]:
        return {**self.campaign.to_json(), "progress": self.progress.to_json()}


@dataclasses.dataclass(frozen=True, slots=True)
class _ImportRequest:
    job_id: int
    path: Path
    campaign: StoredCampaign
    columns: Mapping[str, str]
    encoding: str | None


class OutboundService:
    """See the module doc. ``site_zone`` is the zone whose day "later today" means (None: the server's)."""

    def __init__(self, sessions: sessionmaker[Session], *, data_dir: str | Path, default_region: str = "US",
                 clock: Clock = time.time, site_zone: dt.tzinfo | None = None, poll_seconds: float = 20.0,
                 calendar: HolidayCalendar | None = None, import_batch: int = list_import.BATCH,
                 import_pause: float = 0.0) -> None:
        self.sessions = sessions
        self.data_dir = Path(data_dir)
        self.default_region = default_region
        self.clock = clock
        self.site_zone = site_zone
        self.poll_seconds = poll_seconds
        self.calendar = calendar
        # Rows per stored batch of an import, and seconds between batches (a test watches the progress move).
        self.import_batch = import_batch
        self.import_pause = import_pause
        self.dnc = DncList()
        self.contacts = ContactLog()
        self._hoppers: dict[int, Hopper] = {}
        self._recorded: list[tuple[Decision, int]] = []
        self._unloaded_outcomes = asyncio.Lock()  # outcomes of campaigns not running here, kept one at a time
        self._held: dict[int, dict[int, float]] = {}  # campaign -> lead held out since the load -> until when
        self._last_change = 0
        self._applied_here: set[int] = set()  # stored changes this process applied as it made them
        self._registry_id: int | None = None
        self._progress: dict[int, Progress] = {}
        self._list_progress: dict[int, tuple[float, dict[int | None, Progress]]] = {}
        self._counting: dict[int, asyncio.Task[Progress]] = {}
        self._imports: asyncio.Queue[_ImportRequest] = asyncio.Queue()
        self._tasks = TaskSet("outbound", log)

    # ---- running ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the lists, the registry and the running campaigns; start the import worker and the poll."""
        (self.dnc, self._last_change), self._registry_id = await self._db(self._load_lists)
        await self._db(lambda s: list_import.fail_interrupted_jobs(s, at=self.clock()))
        for campaign in await self._db(lambda s: campaign_store.list_campaigns(s, statuses=(RUNNING,))):
            await self._run(campaign)
        self._tasks.spawn(self._import_worker(), name="outbound-imports")
        self._tasks.spawn(self._keep_in_step(), name="outbound-poll")

    async def stop(self) -> None:
        await self._tasks.cancel_all()
        await self._flush_decisions()

    def _load_lists(self, session: Session) -> tuple[tuple[DncList, int], int | None]:
        registry_id, registry = dnc_store.load_active_registry(session)
        return dnc_store.load_lists(session, registry), registry_id

    async def _db(self, work: Callable[[Session], T]) -> T:
        """``work`` in a worker thread inside one transaction."""
        def run() -> T:
            with session_scope(self.sessions) as session:
                return work(session)
        return await asyncio.to_thread(run)

    async def read(self, work: Callable[[Session], T]) -> T:
        """``work`` on the service's database in a worker thread (the campaign report reads what it stores)."""
        await self._flush_decisions()
        return await self._db(work)

    async def _keep_in_step(self) -> None:
        next_poll = 0.0
        while True:
            await asyncio.sleep(1.0)
            await self._flush_decisions()
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + self.poll_seconds
                await self.sync_lists()
            self._let_go_of_held()
            for hopper in self._hoppers.values():
                hopper.tick()

    async def sync_lists(self) -> None:
        """Take in the do-not-call changes and the registry other processes stored."""
        changes = await self._db(lambda s: dnc_store.changes_since(s, self._last_change))
        if changes:
            self._last_change = changes[-1].id
            dnc_store.apply_changes(self.dnc, [c for c in changes if c.id not in self._applied_here])
            self._applied_here.difference_update(c.id for c in changes)
            self._progress.clear()
        info = await self._db(dnc_store.active_registry)
        if info is not None and info.id != self._registry_id:
            registry_id, registry = await self._db(dnc_store.load_active_registry)
            self.dnc.replace_registry(registry)
            self._registry_id = registry_id
            self._progress.clear()

    async def _flush_decisions(self) -> None:
        if self._recorded:
            recorded, self._recorded = self._recorded, []
            await self._db(lambda s: lead_store.record_decisions(s, recorded))

    def _record(self, decision: Decision) -> None:
        self._recorded.append((decision, digits_of(decision.e164)))

    def _eligibility(self, campaign: StoredCampaign) -> Eligibility:
        return Eligibility(campaign.rule_set(), self.dnc, self.contacts, calendar=self.calendar)

    async def _run(self, campaign: StoredCampaign) -> None:
        """Give a running campaign its hopper, filled from storage. A lead whose latest dial has no outcome yet
        (dialled before this process started, or before a pause) stays out for :data:`RELEASE_HOLD`: its call
        may still be on, and its outcome may still come."""
        hopper = Hopper(campaign.key, self._eligibility(campaign), self.clock, recorder=self._record)
        await self._flush_decisions()
        since = self.clock() - RELEASE_HOLD

        def load(session: Session) -> dict[int, float]:
            hopper.load(lead_store.campaign_leads(session, campaign.id))
            return lead_store.undecided_releases(session, campaign.id, since)

        undecided = await self._db(load)
        held = self._held[campaign.id] = {}
        for lead_id, released_at in undecided.items():
            if lead_id in hopper and hopper.place(lead_id) != DONE:
                hopper.adopt(lead_id, released_at)
                held[lead_id] = released_at + RELEASE_HOLD
        self._hoppers[campaign.id] = hopper

    def _let_go_of_held(self) -> None:
        """Leads held out since the hopper's load whose outcome never came are decided again."""
        now = self.clock()
        for campaign_id, held in self._held.items():
            hopper = self._hoppers.get(campaign_id)
            for lead_id, until in list(held.items()):
                if until <= now:
                    del held[lead_id]
                    if hopper is not None and hopper.place(lead_id) == OUT:
                        log.info("lead %s: no outcome of its dial before the hold ran out; decided again", lead_id)
                        hopper.put_back(lead_id)

    # ---- campaigns --------------------------------------------------------------------------------

    async def campaigns(self) -> list[CampaignView]:
        stored = await self._db(campaign_store.list_campaigns)
        return [CampaignView(c, await self.progress(c)) for c in stored]

    async def campaign(self, campaign_id: int) -> StoredCampaign:
        return await self._db(lambda s: campaign_store.get_campaign(s, campaign_id))

    async def create_campaign(self, data: Mapping[str, Any], *, actor: str) -> StoredCampaign:
        settings = CampaignSettings.from_json(data)
        return await self._db(lambda s: campaign_store.create_campaign(s, settings, actor=actor, at=self.clock()))

    async def update_campaign(self, campaign_id: int, data: Mapping[str, Any], *, actor: str) -> StoredCampaign:
        settings = CampaignSettings.from_json(data)
        campaign = await self._db(lambda s: campaign_store.update_campaign(
            s, campaign_id, settings, actor=actor, at=self.clock()))
        self._progress.pop(campaign_id, None)
        if campaign_id in self._hoppers:
            await self._run(campaign)  # the new rules, from the stored histories
        return campaign

    async def set_status(self, campaign_id: int, status: str, *, actor: str) -> StoredCampaign:
        campaign = await self._db(lambda s: campaign_store.set_status(s, campaign_id, status, actor=actor,
                                                                         at=self.clock()))
        if status == RUNNING:
            await self._run(campaign)
        else:
            self._hoppers.pop(campaign_id, None)
        return campaign

    async def campaign_history(self, campaign_id: int) -> list[dict[str, Any]]:
        entries = await self._db(lambda s: campaign_store.campaign_history(s, campaign_id))
        return [{"at": e.at, "actor": e.actor, "action": e.action, "field": e.field, "old": e.old_value,
                 "new": e.new_value} for e in entries]

    def hopper(self, campaign_id: int) -> Hopper | None:
        """The running campaign's hopper (None when the campaign is not running)."""
        return self._hoppers.get(campaign_id)

    async def progress(self, campaign: StoredCampaign) -> Progress:
        """The campaign's counts, recounted in the background when older than :data:`PROGRESS_MAX_AGE`."""
        known = self._progress.get(campaign.id)
        if known is not None and self.clock() - known.at < PROGRESS_MAX_AGE:
            return known
        task = self._counting.get(campaign.id)
        if task is None:
            task = asyncio.ensure_future(self._count(campaign))
            self._counting[campaign.id] = task
            task.add_done_callback(lambda _: self._counting.pop(campaign.id, None))
        if known is not None:
            return known  # the recount replaces it when done
        return await asyncio.shield(task)

    async def _count(self, campaign: StoredCampaign) -> Progress:
        now = self.clock()
        eligibility = self._eligibility(campaign)
        day_end = _day_end(now, self.site_zone)

        def count(session: Session) -> Progress:
            dials = lead_store.released_since(session, campaign.id, now - HOUR)
            return tally(lead_store.campaign_leads(session, campaign.id), eligibility, now=now, day_end=day_end,
                         dials_last_hour=dials)

        progress = await self._db(count)
        self._progress[campaign.id] = progress
        return progress

    async def progress_by_list(self, campaign: StoredCampaign) -> dict[int | None, Progress]:
        """The campaign's counts per list import (None: leads added otherwise), no dial rate; counted again
        when older than :data:`LIST_PROGRESS_MAX_AGE` (a count decides every lead: reports ask, not pages)."""
        now = self.clock()
        known = self._list_progress.get(campaign.id)
        if known is not None and now - known[0] < LIST_PROGRESS_MAX_AGE:
            return known[1]
        eligibility = self._eligibility(campaign)
        day_end = _day_end(now, self.site_zone)

        def count(session: Session) -> dict[int | None, Progress]:
            by_list: dict[int | None, list[tuple[Lead, LeadHistory]]] = {}
            for job_id, lead, history in lead_store.campaign_leads_by_list(session, campaign.id):
                by_list.setdefault(job_id, []).append((lead, history))
            return {job_id: tally(leads, eligibility, now=now, day_end=day_end) for job_id, leads in by_list.items()}

        counted = await self._db(count)
        self._list_progress[campaign.id] = (now, counted)
        return counted

    async def list_names(self, campaign_id: int) -> dict[int, str]:
        """The file name of each of the campaign's list imports, by job id."""
        jobs = await self._db(lambda s: list_import.campaign_jobs(s, campaign_id, limit=10_000))
        return {job.id: job.file_name for job in jobs}

    # ---- lists ------------------------------------------------------------------------------------

    def upload_path(self, file_name: str) -> Path:
        """Where an uploaded list is kept until its import ends (its suffix tells CSV from XLSX)."""
        folder = self.data_dir / UPLOAD_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ".xlsx" if file_name.lower().endswith((".xlsx", ".xlsm")) else ".csv"
        return folder / f"{secrets.token_hex(8)}{suffix}"

    async def start_import(self, campaign_id: int, path: Path, *, file_name: str, actor: str,
                           columns: Mapping[str, str] | None = None, encoding: str | None = None) -> ImportSummary:
        """Queue the import of the file at ``path`` (which the service deletes when done); returns the job."""
        campaign = await self.campaign(campaign_id)

        def create(session: Session) -> ImportSummary:
            job_id = list_import.create_job(session, campaign_id, file_name, path.stat().st_size, actor=actor,
                                            at=self.clock())
            return list_import.job_summary(session, job_id)

        job = await self._db(create)
        await self._imports.put(_ImportRequest(job.id, path, campaign, dict(columns or {}), encoding))
        return job

    async def _import_worker(self) -> None:
        while True:
            request = await self._imports.get()
            try:
                await self._import(request)
            except Exception:
                log.exception("list import %s failed", request.job_id)
            finally:
                request.path.unlink(missing_ok=True)

    async def _import(self, request: _ImportRequest) -> None:
        pause = self.import_pause
        summary = await asyncio.to_thread(
            list_import.run_import, self.sessions, request.job_id, request.path, request.campaign, self.dnc,
            columns=request.columns, encoding=request.encoding, clock=self.clock, batch_size=self.import_batch,
            on_batch=(lambda _share, _rows: time.sleep(pause)) if pause else None)
        self._progress.pop(request.campaign.id, None)
        hopper = self._hoppers.get(request.campaign.id)
        if hopper is not None and summary.added:
            added = await self._db(lambda s: list(lead_store.job_leads(s, request.job_id)))
            hopper.load(lead for lead in added if lead[0].id not in hopper)
        # Last: a client that sees the upload gone knows the leads are in the hopper too.
        request.path.unlink(missing_ok=True)

    async def import_job(self, job_id: int) -> ImportSummary:
        return await self._db(lambda s: list_import.job_summary(s, job_id))

    async def import_jobs(self, campaign_id: int) -> list[ImportSummary]:
        return await self._db(lambda s: list_import.campaign_jobs(s, campaign_id))

    async def import_report(self, job_id: int, out: Path) -> int:
        """Write the job's problem rows to ``out`` as CSV (UTF-8 with BOM, for spreadsheets); returns the count."""
        def write(session: Session) -> int:
            with out.open("w", encoding="utf-8-sig", newline="") as stream:
                return list_import.write_report(session, job_id, stream)
        return await self._db(write)

    # ---- do-not-call ------------------------------------------------------------------------------

    def number(self, text: str, region: str | None = None) -> DialNumber:
        """``text`` as a number (national in ``region``, else the site's region); :class:`NumberError`."""
        return parse_number(text.strip(), region or self.default_region)

    async def dnc_add(self, text: str, *, campaign_id: int | None, reason: str, actor: str) -> dnc_store.StoredChange:
        """Put a number on the internal list (or a campaign's) now; it is never released again while there."""
        region = (await self.campaign(campaign_id)).settings.default_region if campaign_id is not None else None
        number = self.number(text, region)
        change = await self._db(lambda s: dnc_store.add_number(s, number, campaign_id=campaign_id, actor=actor,
                                                              reason=reason, at=self.clock()))
        self._applied(change)
        return change

    async def dnc_remove(self, text: str, *, campaign_id: int | None, reason: str, actor: str, role: str
                         ) -> dnc_store.StoredChange:
        """Take a number off a list (a campaign manager's or admin's act, with a reason; audited)."""
        region = (await self.campaign(campaign_id)).settings.default_region if campaign_id is not None else None
        number = self.number(text, region)
        change = await self._db(lambda s: dnc_store.remove_number(
            s, number, campaign_id=campaign_id, actor=actor, role=role, reason=reason, at=self.clock()))
        self._applied(change)
        return change

    def _applied(self, change: dnc_store.StoredChange) -> None:
        dnc_store.apply_changes(self.dnc, [change])
        self._applied_here.add(change.id)
        self._progress.clear()

    async def dnc_listings(self, *, limit: int, offset: int) -> tuple[int, list[dnc_store.Listing]]:
        return await self._db(lambda s: dnc_store.listings(s, limit=limit, offset=offset))

    async def dnc_changes(self, *, limit: int = 50) -> list[dnc_store.StoredChange]:
        return await self._db(lambda s: dnc_store.recent_changes(s, limit=limit))

    async def registry(self) -> dnc_store.RegistryInfo | None:
        return await self._db(dnc_store.active_registry)

    # ---- stories ----------------------------------------------------------------------------------

    async def story(self, text: str) -> NumberStory:
        number = self.number(text)

        def read(session: Session) -> NumberStory:
            campaigns = {c.id: c for c in campaign_store.list_campaigns(session)}
            return number_story(session, number, self.dnc, campaigns, now=self.clock(), calendar=self.calendar)

        await self._flush_decisions()
        return await self._db(read)

    # ---- the dialer's side ------------------------------------------------------------------------

    def running_campaigns(self) -> list[int]:
        """The ids of the campaigns running here (each has its hopper)."""
        return list(self._hoppers)

    def next_lead(self, campaign_id: int) -> Lead | None:
        hopper = self._hoppers.get(campaign_id)
        return None if hopper is None else hopper.next()

    def confirm(self, campaign_id: int, lead_id: int) -> Decision:
        """Decide again about a released lead just before dialling it (a skip takes it back)."""
        return self._hopper(campaign_id).confirm(lead_id)

    async def dial_ended(self, campaign_id: int, lead_id: int, outcome: str, *, callback_at: float | None = None,
                         by: str = "dialer", detail: str = "") -> None:
        """Take in how a released lead's dial ended: its history and story saved, a do-not-call entry stored. A
        campaign paused or stopped since the dial keeps it too (straight into storage, where its hopper reloads
        it from), unless the lead's dial was decided already."""
        hopper = self._hoppers.get(campaign_id)
        if hopper is None:
            async with self._unloaded_outcomes:  # one at a time, so that a dial is decided once
                await self._flush_decisions()  # the lead's release, if still in memory
                found = await self._db(lambda s: self._undecided_lead(s, campaign_id, lead_id))
                if found is not None:
                    lead, history, rules = found
                    now = self.clock()  # the dial's start is not known here: its end stands for it
                    await self._keep_outcome(campaign_id, lead, history.after(
                        outcome, dialed_at=now, at=now, callback_at=callback_at, keep=rules.max_attempts_per_day),
                        outcome, by=by, detail=detail)
            return
        effects = hopper.outcome(lead_id, outcome, at=self.clock(), callback_at=callback_at, by=by)
        self._held.get(campaign_id, {}).pop(lead_id, None)
        await self._keep_outcome(campaign_id, hopper.lead(lead_id), effects.history, outcome, by=by, detail=detail,
                                 dnc_listed=effects.dnc_change is not None)

    async def _keep_outcome(self, campaign_id: int, lead: Lead, history: LeadHistory, outcome: str, *, by: str,
                            detail: str, dnc_listed: bool = False) -> None:
        """Store a lead's new history and its outcome in the story; a do-not-call outcome's number goes on the
        internal list (here already when ``dnc_listed``) and into storage for every process."""
        now, lead_id = self.clock(), lead.id
        if outcome == DO_NOT_CALL_OUTCOME and not dnc_listed:
            self.dnc.internal.add(lead.number, at=now, by=by, reason=DNC_DISPOSITION)

        def save(session: Session) -> dnc_store.StoredChange | None:
            lead_store.save_history(session, lead_id, history)
            lead_store.record_outcome(session, lead, outcome, at=now, detail=detail)
            if outcome != DO_NOT_CALL_OUTCOME:
                return None
            return dnc_store.add_number(session, lead.number, campaign_id=None, actor=by, reason=DNC_DISPOSITION,
                                        at=now)

        change = await self._db(save)
        if change is not None:  # on the internal list in memory already; now stored for every process
            self._applied_here.add(change.id)
        self._progress.pop(campaign_id, None)

    @staticmethod
    def _undecided_lead(session: Session, campaign_id: int, lead_id: int) -> tuple[Lead, LeadHistory, RuleSet] | None:
        """A stored lead of the campaign whose latest dial has no outcome yet, with the campaign's rules."""
        rules = campaign_store.get_campaign(session, campaign_id).rule_set()
        found = lead_store.lead_by_id(session, lead_id)
        if found is None or found[0].campaign != str(campaign_id) or lead_store.decided_since_release(session, lead_id):
            return None
        return (*found, rules)

    async def dispose(self, campaign_id: int, lead_id: int, disposition: str, *, by: str,
                      callback_at: float | None = None, callback_agent: str | None = None) -> None:
        """An agent's disposition of a campaign call: its kind decides the outcome the rules see. A call-back
        may be kept for one agent (``callback_agent``; :meth:`callback_agent` tells the dialer), else anyone's."""
        campaign = await self.campaign(campaign_id)
        found = campaign.settings.disposition(disposition)
        if found is None:
            names = ", ".join(d.name for d in campaign.settings.dispositions)
            raise DispositionError(f"campaign {campaign.name} has no disposition {disposition!r}; it has: {names}")
        if found.kind == CALLBACK and callback_at is None:
            raise DispositionError(f"{disposition} needs the time to call back")
        callback = found.kind == CALLBACK
        await self.dial_ended(campaign_id, lead_id, OUTCOME_OF_KIND[found.kind],
                              callback_at=callback_at if callback else None, by=by,
                              detail=lead_store.disposition_detail(OUTCOME_OF_KIND[found.kind], disposition, by,
                                                                   callback_agent if callback else None))

    async def outcomes_since(self, campaign_id: int, since: float) -> list[tuple[float, str]]:
        """(when, outcome) of the campaign's stored dial outcomes since ``since``, oldest first."""
        return await self._db(lambda s: lead_store.campaign_outcomes(s, campaign_id, since))

    async def pacing_model(self, campaign_id: int, since: float) -> dict[str, Any] | None:
        """The campaign's stored pacing model, if saved at ``since`` or later (:mod:`outbound.pacing_store`)."""
        return await self._db(lambda s: pacing_store.load_model(s, campaign_id, since))

    async def save_pacing_model(self, campaign_id: int, model: dict[str, Any]) -> None:
        """Keep ``model`` as the campaign's pacing model, saved now."""
        await self._db(lambda s: pacing_store.save_model(s, campaign_id, model, self.clock()))

    async def callback_agent(self, lead_id: int) -> str | None:
        """The agent a lead's call-back is kept for (None: whoever is free)."""
        return await self._db(lambda s: lead_store.callback_agent(s, lead_id))

    async def lead_card(self, lead_id: int) -> lead_store.LeadCard | None:
        return await self._db(lambda s: lead_store.lead_card(s, lead_id))

    def held_lead(self, campaign_id: int, lead_id: int) -> Lead:
        """A lead taken out of the running campaign's hopper (a preview card's), to dial it."""
        return self._hopper(campaign_id).lead(lead_id)

    def adopt_lead(self, campaign_id: int, lead_id: int, dialed_at: float) -> Lead:
        """A lead of the running campaign dialled before this node started, whose call is on: out until its
        outcome (:meth:`Hopper.adopt`)."""
        lead = self._hopper(campaign_id).adopt(lead_id, dialed_at)
        self._held.get(campaign_id, {}).pop(lead_id, None)  # the dialer waits for its outcome now
        return lead

    def put_back(self, campaign_id: int, lead_id: int) -> None:
        """Take back a released lead nobody dialled (an agent skipped its preview); it is decided again."""
        self._hopper(campaign_id).put_back(lead_id)

    def manual_decision(self, text: str, *, campaign_id: int | None = None, region: str | None = None) -> Decision:
        """May an agent dial ``text`` by hand now? The do-not-call lists (the internal one and the registry,
        and the campaign's when given) and the calling window of the number's place; nothing else (a number
        dialled by hand counts no campaign's attempts). :class:`NumberError` for text that is no number."""
        number = self.number(text, region)
        hopper = self._hoppers.get(campaign_id) if campaign_id is not None else None
        rules = hopper.eligibility.rules if hopper is not None else RuleSet(version="manual")
        manual = RuleSet(version=f"manual/{rules.version}", windows=rules.windows, other_campaign_gap=0.0)
        lead = Lead(0, str(campaign_id) if campaign_id is not None else MANUAL, number, self.clock())
        return Eligibility(manual, self.dnc, ContactLog(), calendar=self.calendar).decide(lead, LeadHistory(),
                                                                                          self.clock())

    def _hopper(self, campaign_id: int) -> Hopper:
        hopper = self._hoppers.get(campaign_id)
        if hopper is None:
            raise CampaignError("status", f"campaign {campaign_id} is not running")
        return hopper


def _day_end(now: float, zone: dt.tzinfo | None) -> float:
    local = dt.datetime.fromtimestamp(now, zone).date() + dt.timedelta(days=1)
    return dt.datetime(local.year, local.month, local.day, tzinfo=zone).timestamp()

