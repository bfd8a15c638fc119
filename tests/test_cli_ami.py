"""``callcenter ami-decode`` and ``callcenter bench ami`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cti.ami.capture import read_jsonl, stream

TRACES = Path(__file__).parent / "fixtures" / "traces"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_ami_decode_of_an_annotated_trace_prints_every_message() -> None:
    result = _run("ami-decode", str(TRACES / "01-login.ami.txt"))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    records = read_jsonl(TRACES / "01-login.ami.jsonl")
    assert len(rows) >= len(records)
    assert rows[0] == {"type": "banner", "name": "Asterisk Call Manager/13.0.0", "headers": []}
    assert rows[1]["type"] == "action" and rows[1]["name"] == "Login"
    assert {"event", "response", "action", "banner"} == {r["type"] for r in rows}
    wait = next(r for r in rows if r["name"] == "WaitEventComplete")
    assert wait["headers"][0] == ["Event", "WaitEventComplete"]


def test_ami_decode_of_raw_bytes(tmp_path: Path) -> None:
    raw = tmp_path / "capture.bin"
    raw.write_bytes(stream(read_jsonl(TRACES / "03-queue-abandon.ami.jsonl"), conn=1))
    result = _run("ami-decode", str(raw))
    assert result.returncode == 0, result.stderr
    names = [json.loads(line)["name"] for line in result.stdout.splitlines()]
    assert "QueueCallerAbandon" in names
    assert names.index("QueueCallerAbandon") < names.index("QueueCallerLeave")


def test_ami_decode_prints_valid_utf8_json_when_a_caller_name_is_latin1(tmp_path: Path) -> None:
    raw = tmp_path / "latin1.bin"
    raw.write_bytes(b"Event: Newchannel\r\nChannel: PJSIP/trunk-0001\r\nCallerIDName: Ren\xe9e \xc5str\xf6m\r\n"
                    b"CallerIDNum: 3125550\xe9179\r\n\r\n")
    result = subprocess.run([sys.executable, "-m", "callcenter", "ami-decode", str(raw)], capture_output=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("utf-8")  # strict: a lone surrogate or a raw 0xE9 byte would fail here
    row = json.loads(text)
    headers = dict(row["headers"])
    assert headers["CallerIDName"] == "Ren\\xe9e \\xc5str\\xf6m"
    assert headers["CallerIDNum"] == "3125550\\xe9179"
    json.dumps(row, ensure_ascii=False).encode("utf-8")  # no lone surrogate survived the round trip


def test_ami_decode_reports_a_truncated_capture(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ami.txt"
    broken.write_bytes(b"#@ +0.1 in conn=1 bytes=500\nResponse: Success\r\n")
    result = _run("ami-decode", str(broken))
    assert result.returncode == 1
    assert "truncated" in result.stderr


def test_bench_ami_prints_json_with_both_rates() -> None:
    result = _run("bench", "ami", "--events", "20000", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.splitlines()[-1])
    assert figures["bench"] == "ami" and figures["events"] >= 20000
    assert figures["ours_events_per_s"] > 0 and figures["panoramisk_events_per_s"] > 0
    assert figures["ratio"] > 1
