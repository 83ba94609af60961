"""Spark Connect (sc://) against a real server: problems are one sentence within seconds, a Cancel stops the running
query and the session still answers, two engines on one server keep their temporary views apart, and the app lists
the server's tables and shows the band funnel of the same CSV uploaded."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from appkit import band_counts, choose_table, shown_text, start, table
from engines import HEADER, free_port, independent_bands, independent_lines, sales_rows

from funnel.cli import main
from funnel.errors import FunnelError

LONG_QUERY = "SELECT COUNT(*) AS n FROM range(0, 50000000000)"  # Spark SQL as is: minutes on local[1]


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    return [[str(v) for v in r] for r in sales_rows()]


@pytest.fixture(scope="module")
def server(spark_connect, rows, tmp_path_factory):
    """The server holding the report as the managed table `sales`, and the same rows as a CSV file beside it."""
    import csv

    spark_connect.load("sales", HEADER, rows[1:])
    spark_connect.csv = tmp_path_factory.mktemp("connect-csv") / "sales.csv"
    with spark_connect.csv.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return spark_connect


def cli_error(capsys, *args: str) -> str:
    assert main([*args, "--lang", "en"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: "), err
    return err


def test_an_unreachable_server_is_one_sentence_without_the_urls_token(capsys):
    url = f"sc://127.0.0.1:{free_port()}/;token=Tok-s3cret"
    started = time.monotonic()
    err = cli_error(capsys, "bands", url, "--table", "sales")
    assert "Could not reach" in err and f"127.0.0.1:{url.split(':')[2].split('/')[0]}" in err
    assert "Tok-s3cret" not in err
    assert time.monotonic() - started < 60  # not the client's ten minutes of retries (a bound, not a benchmark)


def test_a_missing_table_and_column_are_one_sentence(server, capsys):
    assert "not found" in cli_error(capsys, "bands", server.url, "--table", "no_such_table")
    err = cli_error(capsys, "bands", server.url, "--table", "sales", "--amount-col", "no_such_column")
    assert "no_such_column" in err
    assert "--table" in cli_error(capsys, "bands", server.url)


def test_a_real_command_line_run_prints_one_line_on_standard_error(server):
    """Outside pytest (which catches warnings and logs): no pandas-3 warning, no JVM stack, no gRPC log line."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "funnel", "bands", server.url, "--table", "no_such_table", "--lang", "en"],
        capture_output=True, text=True, cwd=root, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: Table not found"), done.stderr


def test_a_closed_server_is_one_sentence_for_an_engine_opened_before(server):
    """The session is opened, then the server goes away for the query: the bounded retries end in one sentence."""
    from engines import ConnectServer

    from funnel.engine import SparkEngine

    other = ConnectServer(server.root.parent / f"{server.root.name}-gone").start()
    db = SparkEngine(remote=other.url)
    try:
        assert int(db.fetch("SELECT 41 + 1 AS n")["n"][0]) == 42
        other.stop()
        started = time.monotonic()
        with pytest.raises(FunnelError) as err:
            db.fetch("SELECT 1 AS n")
        assert time.monotonic() - started < 60
        assert err.value.key in ("engine_query_failed", "engine_unreachable")
        assert "\n" not in err.value.message("en")
    finally:
        other.stop()
        db.close()


def test_the_sales_table_equals_an_independent_sum_and_lists_as_a_table(server, rows):
    from funnel.engine import SparkEngine
    from funnel.sources import open_source

    with SparkEngine(remote=server.url) as db:
        assert ("sales",) in db.table_names()
    source = open_source(server.url, "sales")
    try:
        assert source.name == server.url.removeprefix("sc://")
        totals, _, _ = independent_bands(independent_lines(rows))
        frame = source.lines.fetch("SELECT customer, SUM(amount_cents) AS cents FROM {lines} AS l GROUP BY customer")
        got = {r.customer: Decimal(int(r.cents)) / 100 for r in frame.itertuples()}
        assert got == totals
        assert ("funnel_rows",) not in source.engine.table_names()  # its own staged rows are no table to offer
    finally:
        source.close()


def test_the_command_line_stops_its_connect_sessions_when_done(server, capsys, monkeypatch):
    """Each command's Connect session (the sales table's and the pipeline's) is stopped at its end: on the server a
    session left open keeps its cached staged rows until it expires."""
    from funnel.engine import SparkEngine

    opened: list = []
    original = SparkEngine.__init__

    def spy(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        opened.append(self.session)

    monkeypatch.setattr(SparkEngine, "__init__", spy)
    assert main(["bands", server.url, "--table", "sales", "--format", "json"]) == 0
    assert cli_error(capsys, "bands", server.url, "--table", "sales", "--amount-col", "no_such_column")
    assert len(opened) == 2 and all(session.is_stopped for session in opened)


def test_a_local_spark_source_and_a_connect_source_live_side_by_side(server, spark, tmp_path):
    """One app server may offer a Parquet folder on local Spark and an sc:// source: each kind opens after the other
    (pyspark's common builder refused a Connect session beside a local one, and a local one after Connect)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from funnel.engine import SparkEngine

    pq.write_table(pa.table({"x": [1, 2, 3]}), tmp_path / "x.parquet")
    with SparkEngine(remote=server.url) as remote:
        local = SparkEngine()
        try:
            view = local.view("funnel_parquet", str(tmp_path / "x.parquet"))
            assert int(local.fetch(f"SELECT SUM(x) AS n FROM {view}")["n"][0]) == 6
        finally:
            local.close()
        with SparkEngine(remote=server.url) as again:
            assert int(again.fetch('SELECT COUNT(*) AS n FROM "sales"')["n"][0]) == len(sales_rows()) - 1
        assert int(remote.fetch("SELECT 1 AS n")["n"][0]) == 1


def test_two_engines_on_one_server_keep_their_views_apart(server):
    from funnel.engine import SparkEngine

    first, second = SparkEngine(remote=server.url), SparkEngine(remote=server.url)
    try:
        assert first.session.session_id != second.session.session_id
        one, _ = first.lookup("funnel_lookup", pd.DataFrame({"raw": ["a", "b", "c"]}))
        two, _ = second.lookup("funnel_lookup", pd.DataFrame({"raw": ["x"]}))
        assert int(first.fetch(f"SELECT COUNT(*) AS n FROM {one}")["n"][0]) == 3
        assert int(second.fetch(f"SELECT COUNT(*) AS n FROM {two}")["n"][0]) == 1
        staged = first.stage("SELECT raw FROM \"funnel_lookup\" WHERE raw <> 'a'", "funnel_rows")
        assert int(first.fetch(f"SELECT COUNT(*) AS n FROM {staged}")["n"][0]) == 2
        with pytest.raises(FunnelError) as err:
            second.fetch(f"SELECT COUNT(*) AS n FROM {staged}")
        assert err.value.key == "engine_missing_table"
        first.close()
        assert int(second.fetch(f"SELECT COUNT(*) AS n FROM {two}")["n"][0]) == 1  # the other's close: nothing lost
    finally:
        first.close()
        second.close()


def test_a_cancel_stops_the_running_query_and_the_session_still_answers(server):
    from funnel.engine import SparkEngine

    first, second = SparkEngine(remote=server.url), SparkEngine(remote=server.url)
    outcome: dict[str, object] = {}

    def slow() -> None:
        try:
            first.fetch_arrow(LONG_QUERY, {}, {})
            outcome["first"] = "finished"
        except FunnelError as exc:
            outcome["first"] = exc.key
            outcome["detail"] = exc.message("en")

    try:
        worker = threading.Thread(target=slow)
        worker.start()
        time.sleep(3)  # the query is under way on the server
        second.interrupt()  # another user's Cancel: nothing of theirs runs, the first query goes on
        time.sleep(1)
        assert worker.is_alive()
        first.interrupt()
        worker.join(60)
        assert not worker.is_alive() and outcome["first"] == "engine_timeout", outcome
        assert int(first.fetch("SELECT 6 * 7 AS n")["n"][0]) == 42  # the same engine answers after its Cancel
        assert int(second.fetch("SELECT 1 AS n")["n"][0]) == 1
    finally:
        first.close()
        second.close()


def test_a_query_past_the_limit_is_interrupted_on_the_server(server, monkeypatch):
    """The app's runner: past FUNNEL_QUERY_SECONDS the query is interrupted (interruptAll) and told as one sentence."""
    from funnel.engine import SparkEngine
    from funnel.running import run_interruptible

    monkeypatch.setenv("FUNNEL_QUERY_SECONDS", "2")
    with SparkEngine(remote=server.url) as db:
        with pytest.raises(FunnelError) as err:
            run_interruptible(lambda: db.fetch_arrow(LONG_QUERY, {}, {}), db.interrupt)
        assert err.value.key == "engine_timeout"
        assert int(db.fetch("SELECT 1 AS n")["n"][0]) == 1


# --- the app: a FUNNEL_SOURCES entry naming the server --------------------------------------------------------------


@pytest.fixture
def app(server, monkeypatch, tmp_path):
    toml = tmp_path / "sources.toml"
    toml.write_text(
        f'[sources.lakehouse]\nurl = "{server.url}"\n\n[sources.gone]\nurl = "sc://127.0.0.1:{free_port()}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("FUNNEL_SOURCES", str(toml))
    return start(monkeypatch)


choose = choose_table


def figures(at) -> tuple[list[int], list[Decimal]]:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    frame = table(at, "分层", "客户占比")
    column = next(c for c in frame.columns if str(c).startswith("销售额") and "占比" not in str(c))
    factor = Decimal(10_000) if "万元" in str(column) else Decimal(1)
    return band_counts(at), [(Decimal(str(v)) * factor).quantize(Decimal("0.01")) for v in frame[column]]


def test_the_app_lists_the_servers_tables_and_its_funnel_equals_the_csv_uploaded(app, server, rows):
    from funnel.catalog import connect, list_tables, load_catalog

    source = load_catalog()["lakehouse"]
    with connect(source) as db:
        assert list_tables(source, db) == ["sales"]  # the server's catalog (no allow-list)
    choose(app, "lakehouse")
    assert app.selectbox(key="db_table").options == ["sales"]
    choose(app, "lakehouse", "sales")
    from_table = figures(app)
    _, counts, sums = independent_bands(independent_lines(rows))
    assert from_table == (counts, [s.quantize(Decimal("0.01")) for s in sums])
    assert "127.0.0.1" not in shown_text(app)
    app.radio(key="source_kind").set_value("file").run()
    app.sidebar.file_uploader[0].upload("sales.csv", Path(server.csv).read_bytes()).run()
    assert figures(app) == from_table


def test_an_unreachable_server_in_the_app_is_one_sentence_naming_the_source(app):
    choose(app, "gone")
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "gone" in errors[0] and "127.0.0.1" not in shown_text(app)
