"""The node's side of ``callcenter doctor``'s test call: the ``doctor`` FastAGI script."""

from __future__ import annotations

from acd.prompts import PROMPT_TEXTS
from cti.agi import AgiSession

# Asterisk plays any of these formats; ``callcenter acd-prompts`` writes WAV.
PROMPT_FORMATS = ("wav", "gsm", "ulaw", "sln")
PROMPTS_OK = "prompts ok"
PROMPTS_MISSING = "prompts missing:"


async def answer_doctor_call(session: AgiSession) -> None:
    """The node's ``doctor`` FastAGI script: report which call-back prompts the PBX lacks."""
    missing = []
    for prompt in PROMPT_TEXTS:
        path = f"${{ASTDATADIR}}/sounds/${{CHANNEL(language)}}/{prompt}"
        probe = "".join(f"${{STAT(e,{path}.{ext})}}" for ext in PROMPT_FORMATS)
        found = await session.get_full_variable(probe)
        if not found or "1" not in found:
            missing.append(prompt)
    await session.set_variable("CC_DOCTOR", PROMPTS_OK if not missing else f"{PROMPTS_MISSING} {', '.join(missing)}")
