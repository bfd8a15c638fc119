"""Text from the browser, checked where it enters the desktop: JSON bodies, forms, query strings, path
segments and WebSocket frames all read their text fields through :class:`TextField`.

The rule, so that an accepted request can be stored and sent on as it is: the text is valid Unicode (no
lone surrogate, which a JSON ``\\ud800`` escape can carry and no database or socket can encode), holds no
control character (C0, DEL, C1; only a multi-line field such as notes keeps TAB, LF and CR) and is no
longer than its limit, which is never more than the database column that stores it holds. A violation is
refused with :class:`InvalidText`, whose message names the field and never repeats the text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from agent_desktop.ui_text import UiText

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINE_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class InvalidText(ValueError):
    """A text field breaks the rule; :attr:`text` (and, in English, ``str()``) is ``"<field>: <why>"``."""

    def __init__(self, field: str, reason: UiText) -> None:
        self.text = UiText("%(field)s: %(reason)s", field=field, reason=reason)
        super().__init__(str(self.text))
        self.field = field


@dataclasses.dataclass(frozen=True, slots=True)
class TextField:
    """One text field a person types or a page sends, with its limits (in characters)."""

    name: str
    max_length: int
    min_length: int = 0
    multiline: bool = False  # keeps TAB, LF and CR
    strip: bool = False  # leading and trailing blanks are dropped before the length is judged

    def check(self, value: object) -> str:
        """``value`` if it is acceptable text (stripped if the field strips), else :class:`InvalidText`."""
        if not isinstance(value, str):
            raise InvalidText(self.name, UiText("expected text"))
        found = _LONE_SURROGATE.search(value)
        if found:
            raise InvalidText(self.name, UiText("not valid Unicode: a lone surrogate %(code)s at character "
                                                "%(position)s", code=_code_point(found), position=found.start() + 1))
        found = (_CONTROL_BUT_LINE_BREAKS if self.multiline else _CONTROL).search(value)
        if found:
            raise InvalidText(self.name, UiText("control character %(code)s at character %(position)s is not "
                                                "allowed", code=_code_point(found), position=found.start() + 1))
        text = value.strip() if self.strip else value
        if len(text) > self.max_length:
            raise InvalidText(self.name, UiText("at most %(limit)s characters (got %(length)s)",
                                                limit=self.max_length, length=len(text)))
        if len(text) < self.min_length:
            raise InvalidText(self.name, UiText("required") if self.min_length == 1 else
                              UiText("at least %(limit)s characters", limit=self.min_length))
        return text

    def read(self, source: Mapping[str, Any], default: str | None = None) -> str:
        """The field from a JSON object, form or query string; ``default`` when absent (else required)."""
        if self.name not in source:
            if default is None:
                raise InvalidText(self.name, UiText("required"))
            return default
        return self.check(source[self.name])

    def schema(self) -> dict[str, Any]:
        """The field as a JSON Schema string."""
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            schema["minLength"] = self.min_length
        return schema


def _code_point(found: re.Match[str]) -> str:
    return f"U+{ord(found.group()):04X}"


# The fields, with limits that the CRM's columns (crm_core.models) hold; tests/desktop check them against it.
NOTES = TextField("notes", 4000, multiline=True)  # interactions.notes is TEXT; the wrap-up keeps it readable
DISPOSITION = TextField("disposition", 100, min_length=1)  # interactions.disposition
PAUSE_REASON = TextField("reason", 64, min_length=1)
QUEUE = TextField("queue", 64, min_length=1)  # interactions.queue holds 100
TARGET_AGENT = TextField("agent", 64, min_length=1)  # interactions.agent_id holds 100
CUSTOMER_NAME = TextField("name", 200, min_length=1, strip=True)  # customers.name
COMPANY = TextField("company", 200, strip=True)  # customers.company
PHONE = TextField("phone", 200, strip=True)  # as typed; stored as E.164 in customer_phones.number
EMAIL = TextField("email", 200, strip=True)  # customers.email holds 254
SEARCH_TEXT = TextField("q", 100, min_length=1, strip=True)
CUSTOMER_ID = TextField("customer_id", 64, min_length=1)
SPY_MODE = TextField("mode", 16, min_length=1)
USERNAME = TextField("username", 128)
PASSWORD = TextField("password", 1024)
LANGUAGE_TAG = TextField("language", 16, min_length=1)
NEXT_PATH = TextField("next", 2000)  # the page the language switcher goes back to
# Outbound: campaigns' texts (campaigns.name holds 100, queue 64), do-not-call entries (dnc_entries.reason
# holds 500), list uploads' column names and a number to look up.
CAMPAIGN_TEXT = TextField("campaign", 100)
DIAL_NUMBER = TextField("number", 40, min_length=1, strip=True)
NUMBER_LOOKUP = TextField("number", 40, strip=True)  # the story page's box, empty before a look-up
DNC_REASON = TextField("reason", 500, min_length=1, strip=True)
COLUMN_HEADER = TextField("column", 200, strip=True)
ENCODING = TextField("encoding", 20, strip=True)
# Path segments; a bad one names nothing, so the routes answer 404.
CALL_ID = TextField("call_id", 100, min_length=1)  # interactions.call_id
AGENT_ID = TextField("agent_id", 64, min_length=1)  # as TARGET_AGENT
RECORD_ID = TextField("id", 12, min_length=1)  # a campaign's or an import's number
# WebSocket frames.
MESSAGE_TYPE = TextField("type", 64, min_length=1)
PING_ID = TextField("id", 64)
# The agent's tools outside a call: customer search pages, tickets (tickets.subject holds 200, status 20,
# priority 10) and knowledge-base articles (knowledge_articles.title and tags hold 200, language 16).
PAGE_NUMBER = TextField("page", 4, strip=True)
TICKET_ID = TextField("ticket_id", 12, min_length=1)
TICKET_SUBJECT = TextField("subject", 200, min_length=1, strip=True)
TICKET_DESCRIPTION = TextField("description", 4000, multiline=True)
TICKET_NOTE = TextField("note", 4000, multiline=True)
TICKET_STATUS = TextField("status", 20, min_length=1)
TICKET_PRIORITY = TextField("priority", 10, min_length=1)
ARTICLE_ID = TextField("article_id", 12, min_length=1)
ARTICLE_QUERY = TextField("q", 100, strip=True)
ARTICLE_TITLE = TextField("title", 200, min_length=1, strip=True)
ARTICLE_BODY = TextField("body", 20_000, multiline=True)
ARTICLE_TAGS = TextField("tags", 200, strip=True)
ARTICLE_LANGUAGE = TextField("language", 16, strip=True)
# The campaign report's query: a period of dates (YYYY-MM-DD), the table and the file format of an export.
REPORT_START = TextField("start", 10, strip=True)
REPORT_END = TextField("end", 10, strip=True)
REPORT_GROUPING = TextField("by", 10, strip=True)
REPORT_FORMAT = TextField("format", 4, strip=True)
# The agent's outbound dialling: why a preview was skipped, a supervisor's reason to dial past a refusal, and
# whom a call-back is kept for.
SKIP_REASON = TextField("reason", 200, min_length=1, strip=True)
OVERRIDE_REASON = TextField("override_reason", 500, strip=True)
CALLBACK_TO = TextField("callback_to", 8, strip=True)
# The report pages' filters (query parameters); empty: the default (today, the site's zone, every queue...).
REPORT_FROM = TextField("from", 10)  # YYYY-MM-DD, the first local day
REPORT_TO = TextField("to", 10)  # YYYY-MM-DD, the last local day (included)
REPORT_QUICK = TextField("quick", 16)  # today, yesterday or last_7_days (wins over from/to)
REPORT_ZONE = TextField("tz", 64)  # an IANA time zone name
REPORT_MINUTES = TextField("minutes", 2)  # the interval report's 15, 30 or 60
REPORT_BY = TextField("by", 16)  # the disposition report's grouping: queue, campaign or agent_id
REPORT_QUEUE = TextField("queue", 100)
REPORT_AGENT = TextField("agent_id", 100)
REPORT_CAMPAIGN = TextField("campaign", 100)
EXPORT_FORMAT = TextField("format", 4, min_length=1)  # csv or xlsx
