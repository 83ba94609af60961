"""Real-browser journeys on a database source: `streamlit run app.py` with FUNNEL_SOURCES naming a DuckDB file and
a Parquet file, headless Chromium picking the source and table in the sidebar. The band funnel shows the engine's
figures (funnel called directly on the same table), in both languages; a slow query shows its progress and stops on
Cancel, said in one sentence, and the app goes on. A pipeline table picked in the pipeline expander shows the
engine's stage funnel in both languages. Its own module, so it runs beside the other browser journeys.
"""

from __future__ import annotations

import duckdb
import pytest
from browserkit import (
    ARGS,
    CHROMIUM,
    CUSTOMERS,
    DEFAULT,
    TITLE,
    WAIT,
    Server,
    assert_clean,
    choose,
    idle,
    wait_figure,
    wait_metric,
    wait_query,
)
from engines import DEAL_HEADER, HEADER, SLOW_VIEW, deal_rows, sales_rows, text_sources

from funnel.bands import band_report, customer_totals
from funnel.escape import plotly_all
from funnel.formats import count
from funnel.sources import open_source
from funnel.units import detect_currency, resolve_unit

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("browserdb")
    rows = [[str(v) for v in r] for r in sales_rows()]
    paths = text_sources(folder, "sales", HEADER, rows[1:], "invoice_lines")
    with duckdb.connect(paths["duckdb"]) as con:  # a view no one could wait for: only Cancel ends it
        con.execute(SLOW_VIEW)
    toml = folder / "sources.toml"
    deals = text_sources(folder, "deals", DEAL_HEADER, deal_rows(), "crm_deals")
    toml.write_text(
        f'[sources.local]\nurl = "duckdb://{paths["duckdb"]}"\n\n[sources.lake]\nurl = "{paths["parquet"]}"\n'
        f'\n[sources.crm]\nurl = "duckdb://{deals["duckdb"]}"\n',
        encoding="utf-8",
    )
    return {**paths, "toml": str(toml), "folder": str(folder), "deals": deals["duckdb"]}


@pytest.fixture(scope="module")
def server(paths, tmp_path_factory):
    srv = Server(
        tmp_path_factory.mktemp("server"), env={"FUNNEL_SOURCES": paths["toml"], "FUNNEL_QUERY_SECONDS": "300"}
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def engine_report(paths):
    """The engine's own band report of the table (funnel called directly), per language, in the app's unit."""
    source = open_source(f"duckdb://{paths['duckdb']}", "invoice_lines")
    try:
        totals = customer_totals(source.lines)
        sample = source.engine.fetch('SELECT "价税合计" AS v FROM invoice_lines WHERE "价税合计" IS NOT NULL LIMIT 200')
        currency = detect_currency("价税合计", sample["v"].tolist())
    finally:
        source.close()
    return lambda lang: (band_report(totals, DEFAULT, lang, unit=resolve_unit("auto", currency, lang)), currency)


def expect_bands(page, engine_report, lang: str) -> None:
    report, currency = engine_report(lang)
    u = resolve_unit("auto", currency, lang)
    wait_figure(page, "funnel_customers", 0, "x", [int(v) for v in report.summary["customers"]])
    wait_figure(page, "funnel_customers", 0, "y", plotly_all(report.labels))
    wait_figure(page, "funnel_amount", 0, "x", [max(v / u.factor, 0) for v in report.summary["amount"]])
    wait_metric(page, CUSTOMERS[lang], count(report.n_customers))


def test_pick_a_table_see_the_engines_funnel_in_both_languages_cancel_a_slow_query(server, paths, engine_report):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT)
            page.goto(server.url)
            page.get_by_role("heading", name=TITLE["zh"], exact=True).wait_for()
            idle(page)
            page.locator(".st-key-source_kind").get_by_text("数据库", exact=True).click()
            choose(page, "db_source", "local")
            choose(page, "db_table", "invoice_lines")
            expect_bands(page, engine_report, "zh")
            wait_query(page, "src", "local")
            wait_query(page, "tbl", "invoice_lines")
            assert_clean(page)
            text = page.locator('[data-testid="stApp"]').inner_text()
            assert paths["folder"] not in text and "duckdb://" not in text

            page.locator(".st-key-lang").get_by_text("English", exact=True).click()
            wait_query(page, "lang", "en")
            page.get_by_role("heading", name=TITLE["en"], exact=True).wait_for()
            expect_bands(page, engine_report, "en")
            assert_clean(page)

            choose(page, "db_source", "lake")  # the same rows as Parquet: the same funnel
            expect_bands(page, engine_report, "en")
            assert_clean(page)

            choose(page, "db_source", "local")
            choose(page, "db_table", "slow")
            cancel = page.get_by_role("button", name="Cancel the query")
            cancel.wait_for()
            page.get_by_text("Reading slow", exact=False).first.wait_for()  # its progress line
            cancel.click()
            page.get_by_text("The query was cancelled", exact=False).first.wait_for()
            page.get_by_role("button", name="Run again").wait_for()
            assert page.locator('[data-testid="stException"]').count() == 0
            choose(page, "db_table", "invoice_lines")  # the app goes on answering
            expect_bands(page, engine_report, "en")
            assert_clean(page)
        finally:
            browser.close()


@pytest.fixture(scope="module")
def engine_funnel(paths):
    """The stage funnel of the pipeline table as the engine counts it (funnel called directly)."""
    from funnel.pipeline_source import table_deals
    from funnel.sources import open_table
    from funnel.stages import stage_funnel

    db, relation, _ = open_table(f"duckdb://{paths['deals']}", "crm_deals")
    try:
        deals = table_deals(db, relation, strict=False)
        return stage_funnel(deals.relation, deals.stages), deals.stages
    finally:
        db.close()


def test_pick_a_pipeline_table_see_the_engines_stage_funnel_in_both_languages(server, paths, engine_funnel):
    funnel, stages = engine_funnel
    reached = [int(v) for v in funnel.table["reached"]]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT)
            page.goto(f"{server.url}/stages")
            page.get_by_role("heading", name="阶段漏斗与流失", exact=True).wait_for()
            idle(page)
            page.get_by_text("商机数据（阶段漏斗、预测）").click()
            page.locator(".st-key-pipeline_kind").get_by_text("数据库", exact=True).click()
            choose(page, "pdb_source", "crm")
            wait_figure(page, "stage_funnel", 0, "x", reached)
            wait_figure(page, "stage_funnel", 0, "y", plotly_all(stages))
            wait_metric(page, "商机数", count(reached[0]))
            wait_metric(page, "赢单", count(funnel.won))
            assert_clean(page)
            text = page.locator('[data-testid="stApp"]').inner_text()
            assert paths["folder"] not in text and "duckdb://" not in text

            page.locator(".st-key-lang").get_by_text("English", exact=True).click()
            wait_query(page, "lang", "en")
            page.get_by_role("heading", name="Stage funnel and drop-off", exact=True).wait_for()
            wait_figure(page, "stage_funnel", 0, "x", reached)
            wait_metric(page, "Deals", count(reached[0]))
            wait_metric(page, "Won", count(funnel.won))
            assert_clean(page)
        finally:
            browser.close()
