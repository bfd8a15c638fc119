"""The codes the pages show that the product itself defines, marked so that the catalogues say them in
each language: agent states, call statuses, roles, the default pause reasons and dispositions (and the
demo's), customer tiers, what a past contact was. A code a site adds in ``callcenter.toml`` is not here
and is shown as itself (underscores as spaces) in every language.

Each entry's kind is the translation's context (``msgctxt``): the same code may be different words for
different things.
"""

from __future__ import annotations

from agent_desktop.ui_text import CodeWord

CODE_WORDS: tuple[CodeWord, ...] = (
    CodeWord("agent state", "logged_out"),
    CodeWord("agent state", "ready"),
    CodeWord("agent state", "not_ready"),
    CodeWord("agent state", "reserved"),
    CodeWord("agent state", "on_call"),
    CodeWord("agent state", "wrap_up"),
    CodeWord("call status", "offered"),
    CodeWord("call status", "connected"),
    CodeWord("call status", "ended"),
    CodeWord("call status", "withdrawn"),
    CodeWord("call status", "disposed"),
    CodeWord("consultation state", "ringing"),
    CodeWord("consultation state", "talking"),
    CodeWord("consultation state", "completed"),
    CodeWord("consultation state", "cancelled"),
    CodeWord("consultation state", "failed"),
    CodeWord("pause reason", "break"),
    CodeWord("pause reason", "lunch"),
    CodeWord("pause reason", "meeting"),
    CodeWord("pause reason", "training"),
    CodeWord("pause reason", "after_call"),
    CodeWord("pause reason", "missed"),
    CodeWord("pause reason", "busy"),
    CodeWord("pause reason", "failed"),
    CodeWord("disposition", "resolved"),
    CodeWord("disposition", "follow_up"),
    CodeWord("disposition", "escalated"),
    CodeWord("disposition", "wrong_number"),
    CodeWord("disposition", "no_action"),
    # the demo contact center's (callcenter/demo.toml)
    CodeWord("disposition", "follow-up"),
    CodeWord("disposition", "wrong-number"),
    CodeWord("disposition", "sale"),
    CodeWord("disposition", "quote-sent"),
    CodeWord("disposition", "not-interested"),
    CodeWord("disposition", "call-back-later"),
    CodeWord("disposition", "identified"),
    CodeWord("disposition", "information-given"),
    CodeWord("disposition", "transferred"),
    CodeWord("role", "agent"),
    CodeWord("role", "supervisor"),
    CodeWord("role", "campaign_manager"),
    CodeWord("role", "admin"),
    CodeWord("tier", "vip"),
    CodeWord("tier", "key"),
    CodeWord("tier", "normal"),
    CodeWord("tier", "small"),
    CodeWord("direction", "inbound"),
    CodeWord("direction", "outbound"),
    CodeWord("outcome", "answered"),
    CodeWord("outcome", "abandoned"),
    CodeWord("outcome", "abandoned_in_ivr"),
    CodeWord("outcome", "callback_requested"),
    CodeWord("outcome", "callback_failed"),
    CodeWord("outcome", "transferred"),
    CodeWord("outcome", "consulted"),
    CodeWord("outcome", "voicemail"),
    CodeWord("outcome", "hangup"),
    CodeWord("ticket status", "open"),
    CodeWord("ticket status", "in_progress"),
    CodeWord("ticket status", "waiting_customer"),
    CodeWord("ticket status", "resolved"),
    CodeWord("ticket status", "closed"),
    CodeWord("listening mode", "listen"),
    CodeWord("listening mode", "whisper"),
    CodeWord("listening mode", "barge"),
)

