"""Each drill prints its figure on a line of its own, ``DRILL <test>: <text> <JSON>``, whatever pytest captures
(so ``make test`` shows them; ``pytest tests/drills -q | grep DRILL`` lists them)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest


@pytest.fixture
def figure(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Callable[..., None]:
    def report(text: str, **values: object) -> None:
        with capsys.disabled():
            print(f"\nDRILL {request.node.name}: {text} {json.dumps(values)}", flush=True)

    return report
