"""funnel.early: which command lines start reading their report before the CLI is imported."""

from __future__ import annotations

import pytest

from funnel.early import report_argument


@pytest.fixture
def report(tmp_path):
    path = tmp_path / "销售报表.xlsx"
    path.write_bytes(b"PK")
    return str(path)


def test_a_sales_command_names_its_report_and_sheet(report):
    assert report_argument(["bands", report, "--format", "json"]) == (report, None)
    assert report_argument(["key-customers", report, "--sheet", "明细", "--lang", "en"]) == (report, "明细")
    assert report_argument(["migration", report, "--sheet=2025", "--from", "a..b"]) == (report, "2025")


@pytest.mark.parametrize(
    "argv",
    [
        ["stages", "{r}"],  # a pipeline command: read its own way
        ["bands", "--format", "json", "{r}"],  # an option before the report: left to argparse
        ["bands", "{r}.missing"],
        ["bands", "duckdb:///{r}", "--table", "t"],
        ["bands"],
        [],
    ],
)
def test_anything_else_is_left_to_the_command_line_parser(report, argv):
    assert report_argument([a.replace("{r}", report) for a in argv]) is None


def test_a_parquet_file_or_a_folder_is_a_table_source(tmp_path):
    parquet = tmp_path / "lines.parquet"
    parquet.write_bytes(b"PAR1")
    assert report_argument(["bands", str(parquet)]) is None
    assert report_argument(["bands", str(tmp_path)]) is None


def test_a_report_command_ends_at_once_with_all_its_output_written(tmp_path):
    # `python -m funnel` ends a report command with os._exit (funnel.early.leave): what it wrote must be out first,
    # through a pipe (a small output sits in the buffer until flushed) and into --out, and its exit code kept
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # output buffered, as it usually is
    cents = {f"客户{i:04d}": (12_345, 6_012_345, 25_012_345)[i % 3] + i for i in range(3_000)}
    path = tmp_path / "r.csv"
    path.write_text("客户名称,价税合计\n" + "".join(f"{c},{v / 100:.2f}\n" for c, v in cents.items()), encoding="utf-8")
    command = [sys.executable, "-m", "funnel", "bands", str(path), "--format", "json", "--lang", "en"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    bands = json.loads(done.stdout)["bands"]
    assert [b["customers"] for b in bands] == [1_000, 0, 1_000, 0, 1_000]  # 123.45…, 60,123.45…, 250,123.45… yuan
    out = tmp_path / "key.json"
    key = [*command[:3], "key-customers", str(path), "--format", "json", "--out", str(out)]
    done = subprocess.run(key, timeout=120, env=env)
    assert done.returncode == 0
    customers = json.loads(out.read_text(encoding="utf-8"))["customers"]
    assert {c["customer"]: round(c["revenue"] * 100) for c in customers} == cents
    wrong = [*command[:5], "--customer-col", "无此列"]
    done = subprocess.run(wrong, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "无此列" in done.stderr


def test_the_engine_is_closed_at_the_end_only_when_it_made_a_spill_folder(tmp_path, monkeypatch):
    # funnel.early.leave skips closing DuckDB unless it spilled: then closing it is what removes the folder
    import tempfile
    from pathlib import Path

    from funnel import engine

    engine.close_memory_engine()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("FUNNEL_DUCKDB_MEMORY", "30MB")
    try:
        db = engine.memory_engine()
        db.fetch_arrow("SELECT COUNT(*) AS n FROM range(10) AS t(i)", {}, {})
        assert not engine.memory_engine_spilled() and not Path(db.spill_folder).exists()
        sorted_rows = "SELECT COUNT(*) AS n FROM (SELECT md5(i::VARCHAR) AS h FROM range(3000000) AS t(i) ORDER BY h)"
        assert db.fetch_arrow(sorted_rows, {}, {}).column("n").to_pylist() == [3_000_000]
        assert engine.memory_engine_spilled() and Path(db.spill_folder).parent == tmp_path
    finally:
        engine.close_memory_engine()
    assert not engine.memory_engine_spilled() and not list(tmp_path.iterdir())
