"""The outbound benchmarks run end to end at a tiny scale and close with a JSON line."""

import json
from pathlib import Path

import pytest

from callcenter.cli import main


def last_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    lines = capsys.readouterr().out.strip().splitlines()
    return dict(json.loads(lines[-1]))


def test_a_tiny_hopper_bench_prints_its_figures(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--db-url", f"sqlite:///{tmp_path}/x.db", "bench", "hopper", "--leads", "3000", "--dnc", "0.1",
                 "--selections", "1500", "--naive-sample", "300", "--naive-selections", "5"]) == 0
    figures = last_json(capsys)
    assert figures["bench"] == "hopper" and figures["leads"] == 3000 and figures["naive_extrapolated"] is True
    assert isinstance(figures["leads_per_s"], int) and figures["leads_per_s"] > 0
    assert isinstance(figures["p99_ms"], float) and isinstance(figures["p50_ms"], float)
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    assert isinstance(figures["ratio"], float) and figures["ratio"] > 1
    places = figures["places_at_end"]
    assert isinstance(places, dict) and places["parked"] >= 250  # about a tenth of the leads are listed


def test_a_tiny_dnc_bench_prints_its_figures(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--db-url", f"sqlite:///{tmp_path}/x.db", "bench", "dnc", "--numbers", "20000",
                 "--lookups", "2000"]) == 0
    figures = last_json(capsys)
    assert figures["bench"] == "dnc" and figures["lines"] == 20000
    assert figures["hits"] == 1000 and figures["lookups"] == 2000  # half the probes are listed numbers


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_tiny_import_bench_prints_its_figures(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert main(["bench", "import", "--rows", "3000", "--registry", "20000", "--customers", "40", "--db", db]) == 0
    figures = last_json(capsys)
    assert figures["bench"] == "import" and figures["status"] == "done" and figures["db"] == db
    added, rejected, repeated = figures["added"], figures["rejected"], figures["duplicate_in_file"]
    assert isinstance(added, int) and isinstance(rejected, int) and isinstance(repeated, int)
    assert added + rejected + repeated == 3000 and 0 < rejected < 100 and 0 < repeated < 150
    assert figures["linked_customers"] == 40
    on_dnc = figures["on_dnc"]
    assert isinstance(on_dnc, int) and 0.05 * added < on_dnc < 0.15 * added  # a tenth is on the registry
    assert isinstance(figures["rows_per_s"], int) and figures["rows_per_s"] > 0
    cpu = figures["cpu_s"]
    assert isinstance(cpu, float) and 0 < cpu < 4 * figures["seconds"]  # two cores at most, with slack
    peak = figures["peak_rss_mb"]
    assert isinstance(peak, float) and 50 < peak < 2000
