"""The IVR: YAML flows (:mod:`ivr.loader`), a pure interpreter (:mod:`ivr.interpreter`) and the
FastAGI-side runner (:func:`ivr.agi_runner.run_flow`) with sound-file/TTS prompts."""
