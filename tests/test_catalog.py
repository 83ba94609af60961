"""The app's named database sources (funnel/catalog.py): the operator's TOML checked one mistake at a time, tables
listed by each engine (a DuckDB file, Parquet, PostgreSQL), names kept as data, messages without URL, path, host or
password; and a long query stopped by a timeout or a cancel (funnel/running.py) leaves its engine usable."""

from __future__ import annotations

import threading

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engines import PG_PASSWORD, PostgresCluster, absent, postgres_available
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.catalog import CatalogSource, connect, list_tables, load_catalog, parse_catalog, table_relation
from funnel.engine import DuckDBEngine
from funnel.errors import FunnelError
from funnel.running import run_interruptible

EXAMPLE = """
[sources.warehouse]
url = "postgresql://analyst@db.internal:5432/sales"
tables = ["invoice_lines", "v_sales_2026"]
password_env = "WAREHOUSE_PASSWORD"

[sources."本地 DuckDB"]
url = "duckdb:///srv/x.duckdb"

[sources.lake]
url = "/srv/lake/sales"
engine = "spark"

[sources.ask]
url = "postgresql://analyst@db.internal/sales"
ask_password = true
"""
QUOTED = 'it\'s "q"; DROP TABLE t; --'
SLOW = "SELECT COUNT(*) AS n FROM range(1000000000000000) AS r WHERE r.range % 7 = 3"


def test_the_readme_example_is_read_as_written():
    sources = parse_catalog(EXAMPLE)
    assert list(sources) == ["warehouse", "本地 DuckDB", "lake", "ask"]
    wh = sources["warehouse"]
    assert (wh.kind, wh.tables, wh.password_env, wh.ask_password) == (
        "postgres",
        ("invoice_lines", "v_sales_2026"),
        "WAREHOUSE_PASSWORD",
        False,
    )
    assert sources["本地 DuckDB"].kind == "duckdb"
    assert (sources["lake"].kind, sources["lake"].engine) == ("parquet", "spark")
    assert sources["ask"].needs_password and not wh.needs_password


MISTAKES = [
    ("[sources.a\nurl = 1", "catalog_bad_toml"),
    ('[other]\nx = 1\n[sources.a]\nurl = "duckdb:///x"', "catalog_unknown_section"),
    ('sources = "x"', "catalog_no_sources"),
    ('[sources]\na = "duckdb:///x"', "catalog_not_a_table"),
    ('[sources."a\\u0007b"]\nurl = "duckdb:///x"', "catalog_bad_name"),
    ('[sources.a]\nurl = "duckdb:///x"\npasword = "hunter2"', "catalog_unknown_key"),
    ("[sources.a]\ntables = []", "catalog_missing_url"),
    ('[sources.a]\nurl = "mysql://u@db.internal/x"', "catalog_bad_url"),
    ('[sources.a]\nurl = "postgresql://u:hunter2@db.internal/x"', "catalog_password_in_url"),
    ('[sources.a]\nurl = "postgresql://u@db.internal:port/x"', "catalog_bad_url"),
    ('[sources.a]\nurl = "duckdb:///x"\ntables = "sales"', "catalog_bad_tables"),
    ('[sources.a]\nurl = "duckdb:///x"\ntables = ["", "b"]', "catalog_bad_tables"),
    ('[sources.a]\nurl = "postgresql://u@db.internal/x"\npassword_env = "hunter2 x"', "catalog_bad_password_env"),
    ('[sources.a]\nurl = "postgresql://u@db.internal/x"\nask_password = "yes"', "catalog_bad_ask_password"),
    (
        '[sources.a]\nurl = "postgresql://u@db.internal/x"\nask_password = true\npassword_env = "P"',
        "catalog_two_passwords",
    ),
    ('[sources.a]\nurl = "/srv/x.parquet"\nengine = "ibis"', "catalog_bad_engine"),
    ('[sources.a]\nurl = "duckdb:///x"\npassword_env = "P"', "catalog_password_not_used"),
    ('[sources.a]\nurl = "postgresql://u@db.internal/x"\nengine = "spark"', "catalog_spark_needs_parquet"),
]


@pytest.mark.parametrize(("text", "key"), MISTAKES)
def test_each_mistake_is_one_sentence_that_never_repeats_the_url(text, key):
    with pytest.raises(FunnelError) as err:
        parse_catalog(text)
    assert err.value.key == key
    for lang in ("zh", "en"):
        message = err.value.message(lang)
        assert "\n" not in message and "{" not in message
        assert "hunter2" not in message and "db.internal" not in message and "/srv" not in message


def test_no_catalog_means_no_database_choice_and_an_unreadable_one_does_not_say_where(tmp_path, monkeypatch):
    monkeypatch.delenv("FUNNEL_SOURCES", raising=False)
    assert load_catalog() == {}
    monkeypatch.setenv("FUNNEL_SOURCES", str(tmp_path / "secret-place" / "sources.toml"))
    with pytest.raises(FunnelError) as err:
        load_catalog()
    assert err.value.key == "catalog_unreadable"
    assert "secret-place" not in err.value.message("en") and "secret-place" not in err.value.message("zh")
    good = tmp_path / "sources.toml"
    good.write_text('[sources.a]\nurl = "duckdb:///x.duckdb"\n', encoding="utf-8")
    monkeypatch.setenv("FUNNEL_SOURCES", str(good))
    assert list(load_catalog()) == ["a"]


@pytest.fixture(scope="module")
def duck(tmp_path_factory) -> str:
    """A DuckDB file with a table, a view, a table in another schema and a table whose name is an attack."""
    path = str(tmp_path_factory.mktemp("catalog") / "wh.duckdb")
    with duckdb.connect(path) as con:
        con.execute("CREATE TABLE sales AS SELECT range AS n FROM range(5)")
        con.execute("CREATE VIEW v_big AS SELECT n FROM sales WHERE n >= 3")
        con.execute("CREATE SCHEMA finance")
        con.execute("CREATE TABLE finance.lines AS SELECT range AS n FROM range(7)")
        con.execute(f'CREATE TABLE "{QUOTED.replace(chr(34), chr(34) * 2)}" AS SELECT range AS n FROM range(2)')
    return path


def count(engine, relation: str) -> int:
    return int(engine.fetch(f"SELECT COUNT(*) AS n FROM {relation} AS t")["n"].iloc[0])


def test_a_duckdb_file_lists_its_tables_and_views_and_a_strange_name_is_data(duck):
    source = parse_catalog(f'[sources.wh]\nurl = "duckdb://{duck}"')["wh"]
    with connect(source) as engine:
        tables = list_tables(source, engine)
        assert sorted(tables) == sorted(["sales", "v_big", "finance.lines", QUOTED])
        sizes = {t: count(engine, table_relation(source, engine, t)) for t in tables}
        assert sizes == {"sales": 5, "v_big": 2, "finance.lines": 7, QUOTED: 2}
        with pytest.raises(FunnelError) as err:
            table_relation(source, engine, "sales; DROP TABLE sales")
        assert err.value.key == "catalog_table_not_listed"
    with duckdb.connect(duck, read_only=True) as con:  # the attack's name was only ever a name
        assert con.execute("SELECT COUNT(*) FROM sales").fetchone()[0] == 5


def test_an_allow_list_is_what_is_offered_and_nothing_else_opens(duck):
    source = parse_catalog(f'[sources.wh]\nurl = "duckdb://{duck}"\ntables = ["v_big", "finance.lines"]')["wh"]
    with connect(source) as engine:
        assert list_tables(source, engine) == ["v_big", "finance.lines"]
        assert count(engine, table_relation(source, engine, "finance.lines")) == 7
        with pytest.raises(FunnelError) as err:
            table_relation(source, engine, "sales")
        assert err.value.key == "catalog_table_not_listed"


def test_a_duckdb_source_is_opened_read_only(duck):
    source = parse_catalog(f'[sources.wh]\nurl = "duckdb://{duck}"')["wh"]
    with connect(source) as engine, pytest.raises(FunnelError):
        engine.fetch("CREATE TABLE x AS SELECT 1 AS a")


def test_a_parquet_source_is_one_table_named_after_its_file(tmp_path):
    path = tmp_path / "lines.parquet"
    pq.write_table(pa.table({"n": list(range(11))}), path)
    source = parse_catalog(f'[sources.pq]\nurl = "{path}"')["pq"]
    with connect(source) as engine:
        assert list_tables(source, engine) == ["lines.parquet"]
        assert count(engine, table_relation(source, engine, "lines.parquet")) == 11
        with pytest.raises(FunnelError):
            table_relation(source, engine, "other.parquet")


def test_a_missing_file_names_the_source_not_the_path(tmp_path):
    for url in (f"duckdb://{tmp_path}/hidden/x.duckdb", f"{tmp_path}/hidden/x.parquet"):
        source = parse_catalog(f'[sources.gone]\nurl = "{url}"')["gone"]
        with pytest.raises(FunnelError) as err:
            connect(source)
        assert err.value.key == "catalog_source_missing"
        assert "gone" in err.value.message("en") and "hidden" not in err.value.message("en")


@pytest.fixture(scope="module")
def postgres():
    if not postgres_available():
        absent("PostgreSQL 15")
    cluster = PostgresCluster().start()
    try:
        cluster.load("sales", ["n"], ["int"], [[i] for i in range(4)])
        with cluster.connect() as con:
            con.execute(f'CREATE TABLE "{QUOTED.replace(chr(34), chr(34) * 2)}" AS SELECT 1 AS n')
            con.execute("CREATE SCHEMA finance")
            con.execute("CREATE TABLE finance.lines AS SELECT generate_series(1, 6) AS n")
            con.execute("CREATE VIEW v_small AS SELECT n FROM sales WHERE n < 2")
        yield cluster
    finally:
        cluster.stop()


def pg_source(cluster, extra: str = 'password_env = "WH_PASSWORD"') -> CatalogSource:
    return parse_catalog(f'[sources.pg]\nurl = "{cluster.url()}"\n{extra}')["pg"]


def test_postgresql_lists_tables_and_views_read_only_with_the_password_from_its_variable(postgres, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("WH_PASSWORD", PG_PASSWORD)
    source = pg_source(postgres)
    with connect(source) as engine:
        tables = list_tables(source, engine)
        assert sorted(tables) == sorted(["sales", "v_small", "finance.lines", QUOTED])
        sizes = {t: count(engine, table_relation(source, engine, t)) for t in tables}
        assert sizes == {"sales": 4, "v_small": 2, "finance.lines": 6, QUOTED: 1}
        with pytest.raises(FunnelError):
            engine.fetch("CREATE TABLE x AS SELECT 1 AS a")


def test_postgresql_password_problems_are_one_sentence_naming_the_source_only(postgres, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.delenv("WH_PASSWORD", raising=False)
    with pytest.raises(FunnelError) as err:
        connect(pg_source(postgres))
    assert err.value.key == "catalog_password_env_unset" and "WH_PASSWORD" in err.value.message("en")
    asking = pg_source(postgres, "ask_password = true")
    with pytest.raises(FunnelError) as err:
        connect(asking, None)
    assert err.value.key == "catalog_password_needed"
    with pytest.raises(FunnelError) as err:
        connect(asking, "wrong-" + PG_PASSWORD)
    assert err.value.key == "engine_bad_password"
    for lang in ("zh", "en"):
        for context in ("app", "cli"):
            message = err.value.message(lang, context)
            assert "pg" in message and PG_PASSWORD not in message and "127.0.0.1" not in message
    with connect(asking, PG_PASSWORD) as engine:
        assert count(engine, table_relation(asking, engine, "sales")) == 4


def test_an_unreachable_server_is_one_sentence_naming_the_source():
    from engines import free_port

    source = parse_catalog(f'[sources.far]\nurl = "postgresql://u@127.0.0.1:{free_port()}/x"\nask_password = true')
    with pytest.raises(FunnelError) as err:
        connect(source["far"], "pw-123")
    assert err.value.key == "engine_unreachable"
    assert "far" in err.value.message("en") and "127.0.0.1" not in err.value.message("en")


def test_a_query_past_the_time_limit_is_interrupted_and_the_engine_still_answers():
    engine = DuckDBEngine()
    with pytest.raises(FunnelError) as err:
        run_interruptible(lambda: engine.fetch(SLOW), engine.interrupt, seconds=1)
    assert err.value.key == "engine_timeout" and "1" in err.value.message("en")
    assert int(engine.fetch("SELECT 41 + 1 AS n")["n"].iloc[0]) == 42


class Cancelled(BaseException):
    """What Streamlit raises in a script whose user clicked Cancel (a BaseException, like its StopException)."""


def test_a_cancel_interrupts_the_running_query_and_goes_on_as_the_callers_exception():
    engine = DuckDBEngine()
    ticks, interrupted, finished = [], threading.Event(), threading.Event()

    def interrupt() -> None:
        interrupted.set()
        engine.interrupt()

    def work():
        try:
            return engine.fetch(SLOW)
        finally:
            finished.set()

    def tick(elapsed: float) -> None:
        ticks.append(elapsed)
        if len(ticks) == 3:
            raise Cancelled

    with pytest.raises(Cancelled):
        run_interruptible(work, interrupt, tick, seconds=600, every=0.1)
    assert interrupted.is_set() and finished.is_set()  # the query ended before the caller went on
    assert ticks == sorted(ticks)
    assert int(engine.fetch("SELECT 6 * 7 AS n")["n"].iloc[0]) == 42


def test_postgresql_statement_timeout_and_cancel(postgres, monkeypatch):
    monkeypatch.setenv("FUNNEL_QUERY_SECONDS", "1")
    monkeypatch.setenv("WH_PASSWORD", PG_PASSWORD)
    source = pg_source(postgres)
    with connect(source) as engine:  # the server's own statement_timeout follows FUNNEL_QUERY_SECONDS
        with pytest.raises(FunnelError) as err:
            engine.fetch("SELECT CAST(pg_sleep(5) AS VARCHAR) AS x")
        assert err.value.key == "engine_timeout"
        assert count(engine, table_relation(source, engine, "sales")) == 4
        with pytest.raises(FunnelError) as err:  # cancelled from the app's side before the server's limit
            run_interruptible(
                lambda: engine.fetch("SELECT CAST(pg_sleep(5) AS VARCHAR) AS x"), engine.interrupt, seconds=0.5
            )
        assert err.value.key == "engine_timeout"
        assert count(engine, table_relation(source, engine, "sales")) == 4


def test_a_work_error_reaches_the_caller_unchanged():
    def work():
        raise FunnelError("engine_missing_table", detail="nope")

    with pytest.raises(FunnelError) as err:
        run_interruptible(work, lambda: None)
    assert err.value.key == "engine_missing_table"


def test_a_parquet_source_on_spark_is_the_same_one_table(tmp_path, spark):
    path = tmp_path / "lines.parquet"
    pq.write_table(pa.table({"n": list(range(13))}), path)
    source = parse_catalog(f'[sources.lake]\nurl = "{path}"\nengine = "spark"')["lake"]
    engine = connect(source)
    try:
        assert list_tables(source, engine) == ["lines.parquet"]
        assert count(engine, table_relation(source, engine, "lines.parquet")) == 13
    finally:
        engine.close()


NAME_CHARS = "abcXYZ 0.'\"`;-_$%\\客户名"


@settings(max_examples=40, deadline=None)
@given(names=st.lists(st.text(NAME_CHARS, min_size=1, max_size=16), min_size=1, max_size=4, unique_by=str.lower))
def test_any_table_name_is_listed_and_opened_as_itself(names):
    """Whatever a table is called (quotes, dots, semicolons, spaces), it is listed by its name and opens as that
    table: the name is quoted part by part, never pasted into SQL."""
    from funnel.engine import quote

    engine = DuckDBEngine()
    try:
        for i, name in enumerate(names):
            engine.con.execute(f"CREATE TABLE {quote(name)} AS SELECT * FROM range({i + 1})")
        source = CatalogSource("mem", "duckdb:///unused.duckdb")
        assert sorted(list_tables(source, engine)) == sorted(names)
        assert [count(engine, table_relation(source, engine, name)) for name in names] == list(range(1, len(names) + 1))
    finally:
        engine.close()
