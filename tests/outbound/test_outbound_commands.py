"""``callcenter campaigns``, ``lists`` and ``dnc`` on a SQLite file, as an administrator uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from storage_helpers import write_csv

from callcenter.cli import main as callcenter


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)  # settings: none; the data folder ./var is the test's
    url = f"sqlite:///{tmp_path / 'cc.sqlite3'}"
    assert callcenter(["--db-url", url, "campaigns", "create", "Spring", "--caller-id", "(212) 555-0199",
                       "--queue", "sales"]) == 0
    return ["--db-url", url]


def test_import_help_lists_the_columns_and_what_they_must_look_like(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        callcenter(["lists", "import", "--help"])
    text = capsys.readouterr().out
    for expected in ("phone       required", "手机", "姓名", "--column FIELD=HEADER", "GB18030/GBK", "exit status"):
        assert expected in text


def test_an_import_with_rejected_rows_exits_one_and_names_each_line(
        db: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "list.csv", [["姓名", "电话"], ["张三", "(212) 555-0100"], ["李四", "555"],
                                             ["王五", "212 555 0100"]], encoding="gbk")
    assert callcenter([*db, "lists", "import", "spring", str(path), "--json", "--report", "bad.csv"]) == 1
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["added"], summary["rejected"], summary["duplicate_in_file"]) == (1, 1, 1)
    assert "1 added, 1 rejected, 1 repeated in the file" in out
    report = (tmp_path / "bad.csv").read_text(encoding="utf-8-sig").splitlines()
    assert report[0] == "line,problem,reason,姓名,电话" and report[1].startswith("3,rejected,")
    assert err == ""  # the report went to the file
    assert callcenter([*db, "lists", "import", "spring", str(path)]) == 1
    assert "line 3: phone: '555' is not a valid number" in capsys.readouterr().err


def test_every_row_taken_exits_zero_and_an_unreadable_file_two(
        db: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_csv(tmp_path / "good.csv", [["Mobile", "Who"], ["212 555 0100", "Ada"]])
    assert callcenter([*db, "lists", "import", "Spring", str(good), "--column", "phone=mobile"]) == 0
    assert callcenter([*db, "lists", "import", "Spring", str(good), "--column", "phone=mobile"]) == 0  # none new
    assert "0 added" in capsys.readouterr().out
    broken = tmp_path / "broken.csv"
    broken.write_text('phone\n"212 555 0101\n212 555 0102\n')
    assert callcenter([*db, "lists", "import", "Spring", str(broken)]) == 2
    assert "nothing was imported" in capsys.readouterr().err
    assert callcenter([*db, "lists", "import", "Autumn", str(good)]) == 2
    assert callcenter([*db, "lists", "import", "Spring", str(good), "--column", "mobile"]) == 2


def test_dnc_entries_the_registry_and_a_numbers_story(
        db: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "list.csv", [["phone"], ["212 555 0100"], ["310 555 0100"]])
    assert callcenter([*db, "lists", "import", "Spring", str(path)]) == 0
    assert callcenter([*db, "dnc", "add", "212 555 0100", "--reason", "asked by letter"]) == 0
    published = tmp_path / "national.txt"
    published.write_text("3105550100\n")
    assert callcenter([*db, "dnc", "registry", str(published)]) == 0
    capsys.readouterr()
    assert callcenter([*db, "lists", "why", "+1 212 555 0100"]) == 0
    story = capsys.readouterr().out
    assert "on the internal list since" in story and "asked by letter" in story
    assert "campaign Spring, lead" in story and "will not be dialled: on the internal do-not-call list" in story
    assert "the campaign is draft" in story
    assert callcenter([*db, "lists", "why", "310 555 0100", "--json"]) == 0
    told = json.loads(capsys.readouterr().out)
    assert told["on_registry"] and told["verdicts"][0]["rule"] == "dnc"
    assert callcenter([*db, "dnc", "remove", "212 555 0100", "--reason", ""]) == 2
    assert callcenter([*db, "dnc", "remove", "212 555 0100", "--reason", "consented"]) == 0
    assert callcenter([*db, "lists", "why", "2125550100"]) == 0
    assert "taken off the internal list by cli" in capsys.readouterr().out
