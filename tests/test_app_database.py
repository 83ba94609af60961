"""The app on a database source (FUNNEL_SOURCES): a DuckDB file, a Parquet file and a throwaway PostgreSQL holding the
same generated report as a CSV. Chosen by name and table in the sidebar, the band page shows the same customers and
revenue per band as the CSV uploaded and as an independent Decimal computation; filters are data; a password is
never shown, put in the URL or in the state model; a timed-out or cancelled query is one sentence and the app goes
on answering."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from appkit import PAGES, band_counts, choose_table, shown_text, start, table
from engines import (
    HEADER,
    INJECTION,
    PG_PASSWORD,
    SLOW_VIEW,
    absent,
    free_port,
    independent_bands,
    independent_lines,
    postgres_available,
    sales_rows,
    text_cluster,
    text_sources,
)

QUOTED = 'it\'s "q" lines'
WRONG = "not-the-Pa55-" + "x" * 6


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    return [[str(v) for v in r] for r in sales_rows()]


@pytest.fixture(scope="module")
def postgres(rows):
    if not postgres_available():
        absent("PostgreSQL 15")
    with text_cluster({"sales": {"header": HEADER, "rows": rows[1:]}}) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def sources(tmp_path_factory, rows, postgres) -> dict[str, str]:
    """The same rows as a CSV, a Parquet file and a DuckDB file (as `invoice_lines`, as a table whose name has
    quotes, and a view too slow to finish), and the TOML naming them and the PostgreSQL table."""
    folder = tmp_path_factory.mktemp("appdb")
    paths = text_sources(folder, "sales", HEADER, rows[1:], "invoice_lines")
    with duckdb.connect(paths["duckdb"]) as con:
        con.execute(f'CREATE TABLE "{QUOTED.replace(chr(34), chr(34) * 2)}" AS SELECT * FROM invoice_lines')
        con.execute(SLOW_VIEW)
    toml = folder / "sources.toml"
    toml.write_text(
        f"""
[sources.local]
url = "duckdb://{paths["duckdb"]}"

[sources.lake]
url = "{paths["parquet"]}"

[sources.warehouse]
url = "{postgres.url()}"
tables = ["sales", "ghost"]
password_env = "WH_PASSWORD"

[sources.far]
url = "postgresql://funnel@127.0.0.1:{free_port()}/postgres"
password_env = "WH_PASSWORD"

[sources.pgask]
url = "{postgres.url()}"
ask_password = true
""",
        encoding="utf-8",
    )
    return {**paths, "toml": str(toml)}


@pytest.fixture
def app(monkeypatch, sources):
    monkeypatch.setenv("FUNNEL_SOURCES", sources["toml"])
    monkeypatch.setenv("WH_PASSWORD", PG_PASSWORD)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.delenv("FUNNEL_DB_PASSWORD", raising=False)
    return start(monkeypatch)


choose = choose_table  # the sales source by name and table


def revenue(at) -> list[Decimal]:
    """Revenue per band as the summary table shows it, in yuan (the amounts say 元, so 万元 is the automatic unit:
    the table shows four decimals of 万元, i.e. whole cents)."""
    for header in (("分层", "客户占比"), ("Band", "Share of customers")):
        try:
            frame = table(at, *header)
        except KeyError:
            continue
        column = next(c for c in frame.columns if str(c).startswith(("销售额", "Revenue")) and "占比" not in str(c))
        factor = Decimal(10_000) if "万元" in str(column) or "10k" in str(column) else Decimal(1)
        return [(Decimal(str(v)) * factor).quantize(Decimal("0.01")) for v in frame[column]]
    raise KeyError("no band table")


def expected(rows, **filters) -> tuple[list[int], list[Decimal]]:
    _, counts, sums = independent_bands(independent_lines(rows), **filters)
    return counts, [s.quantize(Decimal("0.01")) for s in sums]


def figures(at) -> tuple[list[int], list[Decimal]]:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return band_counts(at), revenue(at)


def test_without_sources_there_is_no_database_choice(monkeypatch):
    monkeypatch.delenv("FUNNEL_SOURCES", raising=False)
    at = start(monkeypatch)
    assert not [r for r in at.radio if r.key == "source_kind"]


def test_a_duckdb_table_shows_the_funnel_of_the_same_csv_uploaded_and_of_an_independent_sum(app, rows, sources):
    choose(app, "local", "invoice_lines")
    assert app.selectbox(key="db_table").options == sorted(["invoice_lines", QUOTED, "slow"])
    from_table = figures(app)
    assert from_table == expected(rows)
    assert "local" in shown_text(app) and sources["duckdb"] not in shown_text(app)
    assert app.query_params["src"] == "local" and app.query_params["tbl"] == "invoice_lines"
    app.radio(key="source_kind").set_value("file").run()
    app.sidebar.file_uploader[0].upload("sales.csv", Path(sources["csv"]).read_bytes()).run()
    assert figures(app) == from_table


def test_products_and_period_filters_are_data_and_match_the_independent_sum(app, rows):
    choose(app, "local", "invoice_lines")
    products = [INJECTION, "门锁"]
    app.multiselect(key="products").set_value(products).run()
    assert figures(app) == expected(rows, products=products)
    app.date_input(key="period").set_value((date(2025, 1, 1), date(2025, 6, 30))).run()
    assert figures(app) == expected(rows, products=products, start=date(2025, 1, 1), end=date(2025, 6, 30))
    assert app.query_params["prod"] == products and app.query_params["from"] == "2025-01-01"


def test_a_table_whose_name_has_quotes_is_data(app, rows):
    choose(app, "local", QUOTED)
    assert figures(app) == expected(rows)


def test_parquet_and_postgresql_sources_give_the_same_funnel(app, rows):
    want = expected(rows)
    choose(app, "lake")
    assert figures(app) == want
    choose(app, "warehouse", "sales")
    assert app.selectbox(key="db_table").options == ["sales", "ghost"]  # the allow-list, not every table
    assert figures(app) == want


def test_a_wrong_password_is_one_sentence_and_the_password_goes_nowhere(app, rows):
    choose(app, "pgask")
    assert "pgask" in "\n".join(e.value for e in app.error)  # asked for, not tried without one
    app.text_input(key="db_password_pgask").set_value(WRONG).run()
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "pgask" in errors[0]
    for secret in (WRONG, PG_PASSWORD):
        assert secret not in shown_text(app)
        assert secret not in repr(app.query_params)
        assert secret not in repr(app.session_state["choices"])
    assert "127.0.0.1" not in shown_text(app)
    assert app.text_input(key="db_password_pgask").proto.type == app.text_input(key="db_password_pgask").proto.PASSWORD
    app.text_input(key="db_password_pgask").set_value(PG_PASSWORD).run()
    assert figures(app) == expected(rows)
    for secret in (WRONG, PG_PASSWORD):
        assert secret not in repr(app.query_params)
        assert secret not in repr(app.session_state["choices"])
    assert app.query_params["src"] == "pgask"


def test_every_sales_page_reads_the_table(app, rows):
    choose(app, "local", "invoice_lines")
    totals, _, _ = independent_bands(independent_lines(rows))
    for page in ("key_customers", "trends", "data"):
        app.switch_page(PAGES[page]).run()
        assert not app.exception and not app.error, (page, [e.value for e in app.error])
    app.switch_page(PAGES["key_customers"]).run()
    listed = table(app, "客户")
    assert len(listed) <= len(totals) and set(listed["客户"]) <= set(totals)
    app.switch_page(PAGES["data"]).run()
    account = table(app, "原因")
    assert account.iloc[-1, 1] == len(rows) - 1  # rows read: every data row of the table
    app.radio(key="lang").set_value("en").run()
    assert not app.exception and table(app, "Reason").iloc[-1, 1] == len(rows) - 1


def test_a_query_past_the_limit_is_one_sentence_and_the_app_goes_on(app, rows, monkeypatch):
    monkeypatch.setenv("FUNNEL_QUERY_SECONDS", "2")
    choose(app, "local", "slow")
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "2" in errors[0] and ("秒" in errors[0] or " s" in errors[0])
    app.selectbox(key="db_table").set_value("invoice_lines").run()
    assert figures(app) == expected(rows)


def test_a_cancelled_query_says_so_and_runs_again_when_asked(app, rows):
    choose(app, "local", "invoice_lines")
    memo = app.session_state["_db_memo"]
    totals = next(k for k in memo if k[0] == "totals")
    cancelled = (*totals[:4], ("门锁",), *totals[5:])  # what a Cancel click during that query leaves behind
    app.session_state["_db_cancelled"] = {cancelled}
    app.multiselect(key="products").set_value(["门锁"]).run()
    assert not app.exception
    assert any("取消" in e.value for e in app.error)
    retry = next(b for b in app.button if b.label == "重新运行")
    retry.click().run()
    assert figures(app) == expected(rows, products=["门锁"])


def test_an_unreachable_server_and_a_missing_table_are_one_sentence_naming_the_source(app, rows):
    choose(app, "far")
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "far" in errors[0] and "127.0.0.1" not in shown_text(app)
    choose(app, "warehouse", "ghost")
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "ghost" in errors[0]
    assert "127.0.0.1" not in shown_text(app) and PG_PASSWORD not in shown_text(app)
    app.selectbox(key="db_table").set_value("sales").run()
    assert figures(app) == expected(rows)


def test_a_mistake_in_the_sources_file_is_one_sentence_and_files_still_work(monkeypatch, tmp_path, erp_rows):
    from conftest import xlsx_bytes

    bad = tmp_path / "sources.toml"
    bad.write_text('[sources.wh]\nurl = "postgresql://u:hunter2@db.internal/x"\n', encoding="utf-8")
    monkeypatch.setenv("FUNNEL_SOURCES", str(bad))
    at = start(monkeypatch)
    warnings = [w.value for w in at.sidebar.warning]
    assert len(warnings) == 1 and "wh" in warnings[0]
    assert "hunter2" not in shown_text(at) and "db.internal" not in shown_text(at)
    assert not [r for r in at.radio if r.key == "source_kind"]
    at.sidebar.file_uploader[0].upload("r.xlsx", xlsx_bytes(erp_rows)).run()
    usable = {r[1] for r in erp_rows[4:] if r[1] and isinstance(r[3], (int, float))}  # named, with a number
    assert not at.exception and sum(band_counts(at)) == len(usable)


# A customer's main product, region and rep are those with most revenue or lines; a tie goes to the one the source
# listed first, and a table has no row order, so there it goes to the smallest value. Everything else is equal.
TIE_PICKS = {"主要产品", "区域", "业务员"}


def page_figures(at, page: str) -> tuple[str, list]:
    """What a page shows: its headline sentences and every table, as shown."""
    at.switch_page(PAGES[page]).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    heads = "\n".join(str(e.value) for e in [*at.subheader, *at.metric])
    return heads, [f.value.reset_index(drop=True) for f in at.dataframe if len(f.value.columns) > 2]


def test_key_customers_and_trends_of_the_table_equal_those_of_the_same_csv(app, sources):
    choose(app, "local", "invoice_lines")
    from_table = {page: page_figures(app, page) for page in ("key_customers", "trends")}
    app.radio(key="source_kind").set_value("file").run()
    app.sidebar.file_uploader[0].upload("sales.csv", Path(sources["csv"]).read_bytes()).run()
    for page, (heads, tables) in from_table.items():
        file_heads, file_tables = page_figures(app, page)
        assert heads == file_heads, page
        assert len(tables) == len(file_tables) > 2, page
        for shown, expected_table in zip(tables, file_tables, strict=True):
            diff = [c for c in shown.columns if not shown[c].equals(expected_table[c])]
            assert set(diff) <= TIE_PICKS, (page, diff, shown[diff].compare(expected_table[diff]).head())


def test_a_link_names_the_source_and_table_and_a_bad_one_is_noted(monkeypatch, sources, rows):
    monkeypatch.setenv("FUNNEL_SOURCES", sources["toml"])
    at = start(monkeypatch, {"src": "local", "tbl": QUOTED})
    assert at.selectbox(key="db_table").value == QUOTED
    assert figures(at) == expected(rows)
    at = start(monkeypatch, {"src": "local", "tbl": "../../etc/passwd"})
    assert at.selectbox(key="db_table").value == "invoice_lines"  # the first of the list, said so
    assert any("passwd" in w.value for w in at.warning)


def test_moving_a_threshold_or_slider_does_not_query_the_database_again(app, rows):
    choose(app, "local", "invoice_lines")
    engine = app.session_state["_db_engines"]["local"]
    queries = []
    real = engine.fetch_arrow
    engine.fetch_arrow = lambda sql, params, tables: queries.append(sql) or real(sql, params, tables)
    try:
        app.slider(key="upgrade_pct").set_value(40).run()
        app.number_input(key="th_n_1").set_value(float(app.number_input(key="th_n_1").value) * 1.2).run()
        app.switch_page(PAGES["bands"]).run()
        assert not app.exception and not app.error
        assert queries == []  # re-banded from the session's totals
        app.multiselect(key="products").set_value(["门锁"]).run()
        assert queries  # a new product choice is a new question for the engine
        assert figures(app)[0] == expected(rows, thresholds=[10_000, 60_000, 100_000, 200_000], products=["门锁"])[0]
    finally:
        engine.fetch_arrow = real
