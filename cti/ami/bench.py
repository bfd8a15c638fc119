"""``callcenter bench ami``: AMI parse-and-dispatch throughput, ours next to panoramisk's, in one run.

The corpus is every byte Asterisk sent in the recorded traces (banners removed), repeated until
the requested number of events has gone through; both parsers get the same 64 KiB reads and
dispatch each event to a handler chosen by event name. Blocks with a repeated ``Event:`` header
(the injection case of scenario 10) are left out of the corpus because panoramisk's parser turns
them into a list and then fails on them.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cti.ami.capture import read_jsonl, stream
from cti.ami.protocol import TERMINATOR, AmiParser, MessageKind

DEFAULT_TRACES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "traces"
CHUNK = 65536


def build_corpus(trace_dir: Path) -> tuple[bytes, int, int]:
    """(bytes, events in one pass, blocks excluded) from every AMI trace in ``trace_dir``."""
    kept: list[bytes] = []
    excluded = 0
    events = 0
    for path in sorted(trace_dir.glob("*.ami.jsonl")):
        records = read_jsonl(path)
        for conn in sorted({r.conn for r in records}):
            data = stream(records, conn=conn)
            data = data[data.index(b"\r\n") + 2 :]  # banner
            for block in data.split(TERMINATOR)[:-1]:
                if block.count(b"\r\nEvent: ") + block.startswith(b"Event: ") > 1:
                    excluded += 1
                    continue
                kept.append(block + TERMINATOR)
                events += block.startswith(b"Event: ")
    if not kept:
        raise FileNotFoundError(f"no AMI traces under {trace_dir}")
    return b"".join(kept), events, excluded


def _chunks(corpus: bytes) -> list[bytes]:
    return [corpus[i : i + CHUNK] for i in range(0, len(corpus), CHUNK)]


def run_ours(chunks: list[bytes], passes: int) -> tuple[float, int]:
    counts: collections.Counter[str] = collections.Counter()
    handlers: dict[str, Callable[[Any], None]] = collections.defaultdict(lambda: _count(counts))
    parser = AmiParser(expect_banner=False)
    start = time.perf_counter()
    for _ in range(passes):
        for chunk in chunks:
            parser.receive_data(chunk)
            while (message := parser.next_message()) is not None:
                if message.kind is MessageKind.EVENT:
                    handlers[message.name](message)
    return time.perf_counter() - start, counts.total()


def _count(counts: collections.Counter[str]) -> Callable[[Any], None]:
    def handler(message: Any) -> None:
        counts[message.name if hasattr(message, "name") else message["Event"]] += 1

    return handler


def run_panoramisk(chunks: list[bytes], passes: int) -> tuple[float, int]:
    from panoramisk.ami_protocol import AMIProtocol

    counts: collections.Counter[str] = collections.Counter()
    handlers: dict[str, Callable[[Any], None]] = collections.defaultdict(lambda: _count(counts))

    class Factory:
        def dispatch(self, message: Any) -> None:
            handlers[message["Event"]](message)

    protocol = AMIProtocol()
    protocol.factory = Factory()
    protocol.closed = False
    protocol.version = "13.0.0"
    protocol.responses = {}
    protocol.queue = collections.deque()
    protocol.encoding = "utf-8"
    protocol.log = logging.getLogger("panoramisk.bench")
    start = time.perf_counter()
    for _ in range(passes):
        for chunk in chunks:
            protocol.data_received(chunk)
    return time.perf_counter() - start, counts.total()


def run(events: int = 1_000_000, trace_dir: Path = DEFAULT_TRACES, rounds: int = 3) -> dict[str, Any]:
    corpus, per_pass, excluded = build_corpus(trace_dir)
    chunks = _chunks(corpus)
    passes_total = max(rounds, -(-events // per_pass))
    per_round = -(-passes_total // rounds)
    ours_s = theirs_s = 0.0
    ours_n = theirs_n = 0
    for _ in range(rounds):  # interleaved so machine noise hits both alike
        t, n = run_ours(chunks, per_round)
        ours_s, ours_n = ours_s + t, ours_n + n
        t, n = run_panoramisk(chunks, per_round)
        theirs_s, theirs_n = theirs_s + t, theirs_n + n
    if ours_n != theirs_n:
        raise RuntimeError(f"parsers disagree: {ours_n} events vs panoramisk {theirs_n}")
    ours_rate = ours_n / ours_s
    theirs_rate = theirs_n / theirs_s
    return {
        "bench": "ami",
        "events": ours_n,
        "corpus_bytes": len(corpus),
        "excluded_blocks": excluded,
        "ours_events_per_s": round(ours_rate),
        "panoramisk_events_per_s": round(theirs_rate),
        "ratio": round(ours_rate / theirs_rate, 2),
    }


def _main(args: argparse.Namespace) -> int:
    result = run(events=args.events, trace_dir=Path(args.traces), rounds=args.rounds)
    print(f"ours:       {result['ours_events_per_s']:>10,} events/s")
    print(f"panoramisk: {result['panoramisk_events_per_s']:>10,} events/s")
    print(json.dumps(result))
    return 0


def register(benches: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = benches.add_parser("ami", help="AMI parse+dispatch events/s, ours vs panoramisk")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--traces", default=str(DEFAULT_TRACES), help="folder of *.ami.jsonl traces")
    parser.set_defaults(func=_main)
