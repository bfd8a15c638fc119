"""Outbound: who may be dialled now, in which order, and why (pure cores), and the dialer edge that dials them.

The pieces, bottom up (each module's docstring says more):

- :mod:`outbound.numbers` — :func:`parse_number` turns a lead's number into a :class:`DialNumber` (E.164,
  integer key, region, subdivision, time zones) once, at import.
- :mod:`outbound.windows` — calling windows in the callee's local time (08:00-21:00 by default, overrides
  per region or state, public holidays, every zone of a multi-zone number).
- :mod:`outbound.dnc`, :mod:`outbound.registry`, :mod:`outbound.registry_file` — the internal and
  per-campaign do-not-call lists (entries and audit records) and the national registry (a sorted file of
  64-bit keys, built by streaming and memory-mapped).
- :mod:`outbound.rules`, :mod:`outbound.leads`, :mod:`outbound.contacts` — the versioned rule set, the
  lead and its history as plain values, and the cross-campaign dial log.
- :mod:`outbound.eligibility` — :meth:`Eligibility.decide`: released or skipped, by which rule, under which
  rule set version, and when the lead may be eligible again.
- :mod:`outbound.best_time` — answer rate by local hour of week, the ordering score.
- :mod:`outbound.hopper` — per campaign, the ordered supply of next leads, kept up to date incrementally;
  every release and every change of skip reason goes to a recorder (a number's story).
- :mod:`outbound.baseline` and :mod:`outbound.bench` — the naive full scan and ``callcenter bench hopper``
  / ``callcenter bench dnc``.
- :mod:`outbound.abandon` — abandoned-call rates by the US 30-day and the Ofcom 24-hour AMD-adjusted formulas.
- :mod:`outbound.pacing`, :mod:`outbound.adapt_pacer` — how many lines now: progressive, predictive (a model
  of connects and agents about to free, under the abandon target, else progressive) and the ADAPT-style
  yardstick; :mod:`outbound.dial_outcomes` — what a dial came to, from Asterisk's reports;
  :mod:`outbound.pacing_store` — each predictive campaign's model in the database, for a restart.
- :mod:`outbound.callees`, :mod:`outbound.dialer_day`, :mod:`outbound.dialer_bench` — a simulated callee
  population and a campaign's dialling days, checked for do-not-call and window breaches from their event
  logs, and ``callcenter bench dialer``.
- :mod:`outbound.dialer_lines` (pure) — the lines in progress, each round's confirmed leads and held agents,
  what the pacer sees; :mod:`outbound.dial_events` — each attempt's timeline on the bus;
  :mod:`outbound.dialer` — the edge: originates through the AMI, hands persons to the ACD's agents, reports
  outcomes to :class:`~outbound.service.OutboundService`.

How the edges use it: the storage edge fills :class:`Lead`/:class:`LeadHistory` rows and
:meth:`DncBook.restore`, persists the :class:`LeadHistory` and :class:`DncChange` values the cores return,
and stores recorded :class:`Decision` values for ``callcenter lists why NUMBER``; the importer calls
:func:`parse_number` and :func:`build_registry`; the dialer loops ``hopper.next()`` → ``hopper.confirm()``
→ originate → ``hopper.outcome()`` (through the service's ``next_lead``, ``confirm`` and ``dial_ended``).
Times are epoch seconds from an injected clock throughout.
"""
