"""The same sales analyses on every source: a CSV and an xlsx file, Parquet through embedded DuckDB, a DuckDB file,
a throwaway PostgreSQL, Spark in local mode and a Spark Connect server (sc://) give equal answers to the cent, equal
to an independent computation; sources are read-only, filters are data, and problems are one clear line."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import xlsx_bytes
from engines import (
    HEADER,
    INJECTION,
    PG_PASSWORD,
    THRESHOLDS,
    PostgresCluster,
    absent,
    independent_bands,
    independent_lines,
    postgres_available,
    sales_rows,
)

from funnel.cli import main
from funnel.errors import FunnelError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rows() -> list[list[object]]:
    return sales_rows()


@pytest.fixture(scope="module")
def files(tmp_path_factory, rows) -> dict[str, str]:
    """The generated report as CSV, xlsx, Parquet (text columns, as exported) and a DuckDB database file."""
    import duckdb

    folder = tmp_path_factory.mktemp("sources")
    paths = {"csv": folder / "sales.csv", "xlsx": folder / "sales.xlsx", "parquet": folder / "sales.parquet"}
    with paths["csv"].open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    paths["xlsx"].write_bytes(xlsx_bytes(rows))
    table = pa.table({h: [None if r[i] == "" else str(r[i]) for r in rows[1:]] for i, h in enumerate(HEADER)})
    pq.write_table(table, paths["parquet"])
    db = folder / "sales.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE sales AS SELECT * FROM read_parquet('{paths['parquet']}')")
    return {**{k: str(v) for k, v in paths.items()}, "duckdb": str(db)}


@pytest.fixture(scope="module")
def postgres(rows):
    """A throwaway PostgreSQL 15 cluster holding the report as a text table."""
    if not postgres_available():
        absent("PostgreSQL 15")
    cluster = PostgresCluster().start()
    try:
        data = [[None if v == "" else v for v in r] for r in rows[1:]]
        cluster.load("sales", HEADER, ["text"] * len(HEADER), data)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def connect_sales(spark_connect, rows) -> str:
    """The Spark Connect server's URL, the report saved on it as the managed text table `sales`."""
    spark_connect.load("sales", HEADER, rows[1:])
    return spark_connect.url


def source_args(kind: str, files: dict[str, str], postgres=None, connect: str | None = None) -> list[str]:
    if kind == "postgres":
        return [postgres.url(), "--table", "sales"]
    if kind == "spark-connect":
        return [connect, "--table", "sales"]
    if kind == "duckdb":
        return [f"duckdb://{files['duckdb']}", "--table", "sales"]
    if kind == "spark":
        return [files["parquet"], "--engine", "spark"]
    return [files[kind]]


def run_json(capsys, *args: str) -> dict:
    code = main([*args, "--format", "json", "--lang", "en"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def figures(out: dict) -> dict:
    """An output with each column's evidence reduced to the column chosen: a file's evidence is counted on every
    row, a table's on a sample, but the columns and every figure must be the same."""
    return {**out, "columns": {role: found["column"] for role, found in out.get("columns", {}).items()}}


SOURCES = ["csv", "xlsx", "parquet", "duckdb", "postgres", "spark", "spark-connect"]


@pytest.fixture
def source(request, files, monkeypatch):
    """CLI arguments naming one source; engines are started only for the sources that need them."""
    kind = request.param
    pg = None
    if kind == "postgres":
        pg = request.getfixturevalue("postgres")
        monkeypatch.setenv("PGPASSWORD", PG_PASSWORD)
    if kind == "spark":
        request.getfixturevalue("spark")
    connect = request.getfixturevalue("connect_sales") if kind == "spark-connect" else None
    return source_args(kind, files, pg, connect)


@pytest.mark.parametrize("source", SOURCES, indirect=True)
def test_bands_equal_an_independent_computation_on_every_source(source, rows, capsys):
    args = source
    out = run_json(capsys, "bands", *args)
    totals, counts, sums = independent_bands(independent_lines(rows))
    assert out["customers"] == len(totals)
    assert [b["customers"] for b in out["bands"]] == counts
    assert [Decimal(str(b["amount"])) for b in out["bands"]] == sums
    assert Decimal(str(out["total_amount"])) == sum(totals.values())
    assert out["rows_read"] == len(rows) - 1
    assert out["rows_dropped"] == {
        "empty_row": 1,
        "total_row": 2,
        "blank_customer": 1,
        "blank_product": 1,
        "bad_amount": 2,
        "bad_date": 2,
    }
    assert out["rows_used"] == len(independent_lines(rows))


@pytest.mark.parametrize("source", SOURCES, indirect=True)
def test_filters_are_data_and_match_by_hand(source, rows, capsys):
    args = source
    period = ["--start", "2025-01-01", "--end", "2025-06-30"]
    out = run_json(capsys, "bands", *args, "--product", INJECTION, *period)
    _, counts, sums = independent_bands(
        independent_lines(rows), products={INJECTION}, start=date(2025, 1, 1), end=date(2025, 6, 30)
    )
    assert [b["customers"] for b in out["bands"]] == counts and sum(counts) > 0
    assert [Decimal(str(b["amount"])) for b in out["bands"]] == sums
    everything = run_json(capsys, "bands", *args, *period)
    assert everything["customers"] > out["customers"]  # the quote did not turn the filter into "true"


@pytest.fixture(scope="module")
def reference(files) -> dict[str, dict]:
    """key-customers and migration from the CSV file (the pandas-era path every source must equal)."""
    outs = {}
    for name, extra in (
        ("key", ["key-customers"]),
        ("migration", ["migration", "--from", "2024-01-01..2024-12-31", "--to", "2025-01-01..2025-12-31"]),
    ):
        import io
        from contextlib import redirect_stdout

        buffer = io.StringIO()
        with redirect_stdout(buffer):
            assert main([extra[0], files["csv"], *extra[1:], "--format", "json", "--lang", "en"]) == 0
        outs[name] = json.loads(buffer.getvalue())
    return outs


@pytest.mark.parametrize("source", SOURCES, indirect=True)
def test_key_customers_and_migration_are_equal_on_every_source(source, reference, capsys):
    args = source
    key = run_json(capsys, "key-customers", *args)
    assert figures(key) == figures(reference["key"])
    move = ["--from", "2024-01-01..2024-12-31", "--to", "2025-01-01..2025-12-31"]
    assert figures(run_json(capsys, "migration", *args, *move)) == figures(reference["migration"])


def test_reference_key_customers_and_migration_by_hand(reference, rows):
    """The reference itself against plain Python: revenue ranking and the migration matrix."""
    lines = independent_lines(rows)
    totals, _, _ = independent_bands(lines)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    got = [(c["customer"], Decimal(str(c["revenue"]))) for c in reference["key"]["customers"]]
    assert got == ranked
    a, _, _ = independent_bands(lines, start=date(2024, 1, 1), end=date(2024, 12, 31))
    b, _, _ = independent_bands(lines, start=date(2025, 1, 1), end=date(2025, 12, 31))

    def band(value):
        return sum(1 for t in THRESHOLDS if value >= t)

    labels = [c["from_band"] for c in reference["migration"]["matrix"]][:: len(THRESHOLDS) + 2]
    cells = {(c["from_band"], c["to_band"]): c["customers"] for c in reference["migration"]["matrix"]}
    expected: dict[tuple[str, str], int] = {}
    for customer in set(a) | set(b):
        row = labels[band(a[customer])] if customer in a else "new"
        col = labels[band(b[customer])] if customer in b else "lost"
        expected[(row, col)] = expected.get((row, col), 0) + 1
    assert {k: v for k, v in cells.items() if v} == expected
    moves = reference["migration"]["moves"]
    assert moves["new"] == len(set(b) - set(a)) and moves["lost"] == len(set(a) - set(b))


# --- safety ------------------------------------------------------------------------------------------------------


def test_postgres_session_is_read_only_and_writes_fail(postgres, monkeypatch):
    from funnel.engine import PostgresEngine

    monkeypatch.setenv("PGPASSWORD", PG_PASSWORD)
    with PostgresEngine(postgres.url()) as db:
        assert db.fetch("SELECT current_setting('transaction_read_only') AS ro")["ro"].tolist() == ["on"]
        with pytest.raises(FunnelError) as err:
            db.fetch("CREATE TABLE intruder (a INTEGER)")
        assert "read-only" in err.value.message("en")
    with postgres.connect() as con:
        assert con.execute("SELECT to_regclass('intruder')").fetchone()[0] is None


def test_duckdb_file_is_opened_read_only(files):
    from funnel.engine import DuckDBEngine

    with DuckDBEngine(files["duckdb"]) as db, pytest.raises(FunnelError) as err:
        db.fetch("CREATE TABLE intruder (a INTEGER)")
    assert "read-only" in err.value.message("en").lower()


def test_uploaded_data_engine_cannot_read_server_files(files):
    from funnel.engine import memory_engine

    with pytest.raises(FunnelError):
        memory_engine().fetch(f"SELECT * FROM read_csv('{files['csv']}')")


def cli_error(capsys, *args: str) -> str:
    assert main([*args, "--lang", "en"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ")
    return err


def test_wrong_password_is_one_line_without_the_password(postgres, monkeypatch, capsys):
    wrong = "Wr0ng-Pa55word"
    monkeypatch.setenv("PGPASSWORD", wrong)
    err = cli_error(capsys, "bands", postgres.url(), "--table", "sales")
    assert "password" in err and wrong not in err and PG_PASSWORD not in err


def test_password_in_the_url_is_refused_and_not_echoed(postgres, capsys):
    url = postgres.url().replace("funnel@", f"funnel:{PG_PASSWORD}@")
    err = cli_error(capsys, "bands", url, "--table", "sales")
    assert PG_PASSWORD not in err and "FUNNEL_DB_PASSWORD" in err


def test_unreachable_server_missing_table_and_column(postgres, monkeypatch, capsys):
    from engines import free_port

    monkeypatch.setenv("PGPASSWORD", PG_PASSWORD)
    err = cli_error(capsys, "bands", f"postgresql://funnel@127.0.0.1:{free_port()}/postgres", "--table", "sales")
    assert "Could not reach" in err
    assert "not found" in cli_error(capsys, "bands", postgres.url(), "--table", "no_such_table")
    err = cli_error(capsys, "bands", postgres.url(), "--table", "sales", "--amount-col", "no_such_column")
    assert "no_such_column" in err
    assert "--table" in cli_error(capsys, "bands", postgres.url())


def test_postgres_totals_of_thousands_of_customers_finish_within_the_query_limit(postgres, monkeypatch, capsys):
    """PostgreSQL's planner guesses 200 rows for a grouped CTE; with nested loops it rescanned the per-customer picks
    once per customer (200k lines of 40,000 customers: past the 300 s limit). 20,000 customers must come back
    inside a 60 s limit — the product's own timeout, not a timing assertion — and equal a sum done in Python."""
    import random

    rng = random.Random(9)
    rows = []
    for i in range(60_000):
        who = f"客户{rng.randrange(20_000):05d}"
        cents = rng.randrange(-50_000, 4_000_000)
        rows.append([date(2025, 1, 1), f"SO{i // 3:06d}", who, rng.choice(["门锁", "门禁"]), Decimal(cents) / 100])
    postgres.load("many_customers", ["单据日期", "单据编号", "客户名称", "货品名称", "价税合计"],
                  ["date", "text", "text", "text", "numeric(14,2)"], rows)  # fmt: skip
    monkeypatch.setenv("PGPASSWORD", PG_PASSWORD)
    monkeypatch.setenv("FUNNEL_QUERY_SECONDS", "60")
    out = run_json(capsys, "bands", postgres.url(), "--table", "many_customers")
    totals: dict[str, Decimal] = {}
    for _, _, who, _, value in rows:
        totals[who] = totals.get(who, Decimal(0)) + value
    counts = [0] * 5
    for value in totals.values():
        counts[sum(1 for t in THRESHOLDS if value >= t)] += 1
    assert out["customers"] == len(totals) > 18_000
    assert [b["customers"] for b in out["bands"]] == counts


def test_statement_timeout_is_a_clear_error(postgres, monkeypatch):
    import funnel.engine
    from funnel.engine import PostgresEngine

    monkeypatch.setenv("PGPASSWORD", PG_PASSWORD)
    monkeypatch.setattr(funnel.engine, "STATEMENT_TIMEOUT_S", 1)
    with PostgresEngine(postgres.url()) as db, pytest.raises(FunnelError) as err:
        db.fetch("SELECT pg_sleep(3) IS NULL AS slept")
    assert err.value.key == "engine_timeout"


def test_spark_missing_table_is_a_clear_error(spark, files):
    from funnel.engine import SparkEngine
    from funnel.sources import table_source

    db = SparkEngine()
    with pytest.raises(FunnelError) as err:
        table_source(db, '"no_such_table"', None, "x")
    assert err.value.key == "engine_missing_table"


def test_two_spark_engines_keep_their_views_apart_and_a_cancel_stops_only_its_own_query(spark, tmp_path):
    """Two app users on one server share the process's SparkContext: one's Parquet view must not replace the
    other's, and one's Cancel must not kill the other's query."""
    import threading

    from funnel.engine import SparkEngine

    for name, n in (("a", 3), ("b", 5)):
        pq.write_table(pa.table({"x": list(range(n))}), tmp_path / f"{name}.parquet")
    first, second = SparkEngine(), SparkEngine()
    one = first.view("funnel_parquet", str(tmp_path / "a.parquet"))
    two = second.view("funnel_parquet", str(tmp_path / "b.parquet"))
    assert int(first.fetch(f"SELECT COUNT(*) AS n FROM {one}")["n"][0]) == 3
    assert int(second.fetch(f"SELECT COUNT(*) AS n FROM {two}")["n"][0]) == 5

    outcome: dict[str, object] = {}

    def slow() -> None:
        try:  # Spark's own range() (sqlglot would not keep the table function): a job of a minute or more
            first.session.sql("SELECT COUNT(*) AS n FROM range(0, 50000000000)").collect()
            outcome["first"] = "finished"
        except Exception as exc:
            outcome["first"] = type(exc).__name__

    worker = threading.Thread(target=slow)
    worker.start()
    for _ in range(200):  # wait until the query runs (a job of the first session is active)
        if spark.sparkContext.statusTracker().getActiveJobsIds():
            break
        threading.Event().wait(0.1)
    second.interrupt()  # the other user's Cancel: nothing of theirs runs, the first query goes on
    threading.Event().wait(1.0)
    assert worker.is_alive()
    first.interrupt()
    worker.join(60)
    assert not worker.is_alive() and outcome["first"] != "finished"
    assert int(second.fetch(f"SELECT COUNT(*) AS n FROM {two}")["n"][0]) == 5  # the second engine still answers


# --- memory: a 2M-row Parquet table through embedded DuckDB ------------------------------------------------------


def test_two_million_rows_stay_under_400_mb_and_equal_a_hand_written_query(tmp_path):
    import duckdb
    import numpy as np

    n = 2_000_000
    rng = np.random.default_rng(5)
    path = tmp_path / "big.parquet"
    customer = rng.integers(0, 40_000, n)
    scale = np.exp(rng.normal(0, 1.2, 40_000))  # customers of very different sizes, so every band is filled
    cents = (rng.integers(-1_000, 8_000, n) * scale[customer]).round()
    table = pa.table(
        {
            "单据日期": pa.array(np.datetime64("2024-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]")),
            # an invoice number per two lines, as ERP invoice-line exports have: the distinct-orders count per
            # customer is the largest hash table of the query (with DuckDB's old 256MB it peaked near 450 MB)
            "单据编号": pa.array([f"XS{i // 2:09d}" for i in range(n)]),
            "客户名称": pa.array([f"客户{i:06d}贸易有限公司" for i in range(40_000)]).take(pa.array(customer)),
            "区域": pa.array(["华东", "华北", "华南", "西南"]).take(pa.array(rng.integers(0, 4, n))),
            "货品名称": pa.array(["门锁", "摄像机", "门禁"]).take(pa.array(rng.integers(0, 3, n))),
            "价税合计": pa.array(cents / 100),
        }
    )
    pq.write_table(table, path, row_group_size=250_000)
    del table
    code = (
        "import re, sys; from funnel.cli import main; "
        "rc = main(['bands', sys.argv[1], '--format', 'json', '--out', sys.argv[2]]); "
        "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); sys.exit(rc)"
    )
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stdout.strip()) / 1024  # VmHWM: this program's own peak (ru_maxrss carries the parent's)
    assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB"
    result = json.loads(out.read_text())
    expected = duckdb.sql(
        f"""SELECT band, COUNT(*) AS customers, SUM(total) AS cents FROM (
              SELECT CASE WHEN total >= 20000000 THEN 4 WHEN total >= 10000000 THEN 3 WHEN total >= 5000000 THEN 2
                          WHEN total >= 1000000 THEN 1 ELSE 0 END AS band, total
              FROM (SELECT "客户名称", SUM(CAST(ROUND("价税合计" * 100) AS BIGINT)) AS total
                    FROM read_parquet('{path}') GROUP BY 1)) GROUP BY band ORDER BY band"""
    ).fetchall()
    assert result["rows_used"] == n
    by_band = {band: (count, int(cents)) for band, count, cents in expected}
    got = [(b["customers"], round(b["amount"] * 100)) for b in result["bands"]]
    assert got == [by_band.get(band, (0, 0)) for band in range(5)]
    assert all(count > 0 for count, _ in got)
