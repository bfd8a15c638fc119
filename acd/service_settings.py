"""Settings of the ACD service: the timings of a caller's wait, its prompts, and how to reach phones and
customers."""

from __future__ import annotations

import dataclasses

from acd.prompts import CALLBACK_CONFIRMED, CALLBACK_LATER, CALLBACK_OFFER


@dataclasses.dataclass(frozen=True, slots=True)
class WaitPrompts:
    """Sound files (no extension) the wait plays; the defaults are Asterisk's standard English set
    except the call-back ones, which ``callcenter acd-prompts`` speaks into it (see :mod:`acd.prompts`)."""

    you_are_next: str = "queue-youarenext"
    there_are: str = "queue-thereare"
    calls_waiting: str = "queue-callswaiting"
    hold_time: str = "queue-holdtime"
    minutes: str = "queue-minutes"
    less_than: str = "queue-less-than"
    callback_offer: str = CALLBACK_OFFER
    callback_confirmed: str = CALLBACK_CONFIRMED
    callback_retry: str = CALLBACK_LATER
    refused: str = "ss-noservice"
    goodbye: str = "vm-goodbye"


@dataclasses.dataclass(frozen=True, slots=True)
class AcdServiceSettings:
    """Timings of the wait (seconds of PBX time) and how to reach phones and customers."""

    music_class: str = "default"
    music_slice: int = 10
    announce_every: float = 30.0
    callback_offer_every: float = 60.0  # 0: never offer a call-back
    callback_digit_ms: int = 3000
    ring_timeout: int = 20
    # Dial string of a customer for a call-back; ``{number}`` is replaced by the number to call (always
    # '+'? and digits, see acd.config.callback_number). The shipped dialplan's [callcenter-outbound]
    # context dials it through the site's trunk (callcenter asterisk-config --trunk).
    callback_dial: str = "Local/{number}@callcenter-outbound"
    callback_timeout: int = 30
    prompts: WaitPrompts = dataclasses.field(default_factory=WaitPrompts)
