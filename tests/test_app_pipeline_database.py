"""The stage and forecast pages on a pipeline table (#13): a DuckDB file and a throwaway PostgreSQL holding the same
deals as a CSV, chosen by source and table in the pipeline expander. The reached counts, conversions, bottleneck and
forecast per quarter equal those of the CSV uploaded and of an independent Decimal count; a stage value that tries
to break out of a SQL string is data; drill-down lists come a page at a time; moving a threshold, typing a target
or switching the language sends no query; a wrong password is one sentence and goes nowhere."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from appkit import PAGES, choose_table, shown_text, start, table
from engines import (
    DEAL_HEADER,
    DEAL_STAGES,
    HEADER,
    INJECTION,
    LOST_STAGE,
    PG_PASSWORD,
    absent,
    deal_rows,
    postgres_available,
    text_cluster,
    text_sources,
)

from funnel.escape import markdown

WRONG = "not-the-Pa55-" + "y" * 5


def independent(rows: list[list[str]], stages: list[str] = DEAL_STAGES) -> dict:
    """By hand: each deal's furthest step (open: its stage; won: the last; lost without a stage: the first; a stage
    named in no list: left out), reached counts, and the weighted forecast per quarter (won 100%, lost 0%)."""
    k = len(stages)
    reached = [0] * k
    weighted: dict[str, Decimal] = defaultdict(Decimal)
    for _, _, stage, amount, p, close, _ in rows:
        if stage == LOST_STAGE:
            furthest, prob = 0, Decimal(0)
        elif stage == stages[-1]:
            furthest, prob = k - 1, Decimal(1)
        elif stage in stages:
            furthest, prob = stages.index(stage), Decimal(p.rstrip("%")) / 100
        else:
            continue
        for j in range(furthest + 1):
            reached[j] += 1
        value = Decimal(amount.replace("¥", "").replace(",", ""))
        day = date.fromisoformat(close)
        weighted[f"{day.year}Q{(day.month - 1) // 3 + 1}"] += value * prob
    drop = [(reached[j] - reached[j + 1]) / reached[j] for j in range(k - 1)]
    return {"reached": reached, "bottleneck": drop.index(max(drop)), "weighted": dict(weighted)}


def sales_lines() -> list[list[str]]:
    """Invoice lines of 100 customers named as the deals' customers are (客户000…客户099; some have no deal)."""
    rng = random.Random(3)
    return [
        [f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", f"XS{i:05d}", f"客户{i % 100:03d}", "门锁",
         f"{rng.randrange(1_000, 900_000) / 100:.2f}", "华东", "张三"]
        for i in range(600)
    ]  # fmt: skip


def sales_customers() -> set[str]:
    return {r[2] for r in sales_lines()}


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    return deal_rows()


@pytest.fixture(scope="module")
def postgres(rows):
    if not postgres_available():
        absent("PostgreSQL 15")
    with text_cluster({"deals": {"header": DEAL_HEADER, "rows": rows}}) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def sources(tmp_path_factory, rows, postgres) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("pipedb")
    paths = text_sources(folder, "deals", DEAL_HEADER, rows, "crm_deals")
    sales = text_sources(folder, "sales", HEADER, sales_lines(), "sales")
    toml = folder / "sources.toml"
    toml.write_text(
        f"""
[sources.local]
url = "duckdb://{paths["duckdb"]}"

[sources.erp]
url = "duckdb://{sales["duckdb"]}"

[sources.warehouse]
url = "{postgres.url()}"
tables = ["deals"]
password_env = "WH_PASSWORD"

[sources.pgask]
url = "{postgres.url()}"
ask_password = true
""",
        encoding="utf-8",
    )
    return {**paths, "toml": str(toml), "sales_csv": sales["csv"]}


@pytest.fixture
def app(monkeypatch, sources):
    monkeypatch.setenv("FUNNEL_SOURCES", sources["toml"])
    monkeypatch.setenv("WH_PASSWORD", PG_PASSWORD)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    return start(monkeypatch)


def choose(at, source: str, table_name: str | None = None):
    """The pipeline expander's database source and table (the sales source stays the bundled sample)."""
    return choose_table(at, source, table_name, pipeline=True)


def upload(at, sources):
    at.radio(key="pipeline_kind").set_value("file").run()
    at.file_uploader(key="pipeline_up").upload("deals.csv", Path(sources["csv"]).read_bytes()).run()
    assert not at.exception, at.exception


def stage_figures(at) -> dict:
    """What the stage page shows: the metrics, the bottleneck sentence and the stage table."""
    at.switch_page(PAGES["stages"]).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    frame = table(at, "阶段", "到达数")
    return {
        "metrics": [(m.label, m.value) for m in at.metric],
        "bottleneck": [s.value for s in at.subheader][:1],
        "table": frame.reset_index(drop=True),
    }


def forecast_figures(at) -> object:
    at.switch_page(PAGES["forecast"]).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return table(at, "期间").reset_index(drop=True)


def quarter_text(code: str) -> str:
    year, q = code.split("Q")
    return f"{year}年第{q}季度"


def set_unit_yuan(at) -> None:
    at.selectbox(key="unit").set_value("yuan").run()


def test_a_duckdb_pipeline_table_shows_the_funnel_and_forecast_of_the_same_csv_and_of_a_count_by_hand(
    app, rows, sources
):
    set_unit_yuan(app)
    choose(app, "local", "crm_deals")
    assert "crm\\_deals" in shown_text(app) and sources["duckdb"] not in shown_text(app)
    from_table = stage_figures(app)
    want = independent(rows)
    assert from_table["table"]["到达数"].tolist() == want["reached"]
    assert DEAL_STAGES[want["bottleneck"]] in from_table["bottleneck"][0]
    forecast_table = forecast_figures(app)
    shown = dict(zip(forecast_table["期间"], forecast_table["加权预测（元）"], strict=True))
    assert set(shown) == {quarter_text(q) for q in want["weighted"]}
    for quarter, value in want["weighted"].items():
        cent = Decimal("0.01")  # as drawn: the table rounds to the cent (the grid's printf format)
        assert Decimal(str(shown[quarter_text(quarter)])).quantize(cent, ROUND_HALF_UP) == value.quantize(
            cent, ROUND_HALF_UP
        ), quarter
    upload(app, sources)
    from_file = stage_figures(app)
    assert from_file["metrics"] == from_table["metrics"]
    assert from_file["bottleneck"] == from_table["bottleneck"]
    assert from_file["table"].equals(from_table["table"])
    assert forecast_figures(app).equals(forecast_table)


def test_a_postgresql_table_gives_the_same_figures_and_a_wrong_password_is_one_sentence(app, rows):
    set_unit_yuan(app)
    choose(app, "local", "crm_deals")
    want = stage_figures(app), forecast_figures(app)
    choose(app, "warehouse", "deals")
    got = stage_figures(app)
    assert got["metrics"] == want[0]["metrics"] and got["table"].equals(want[0]["table"])
    assert forecast_figures(app).equals(want[1])
    choose(app, "pgask")
    app.text_input(key="pdb_password_pgask").set_value(WRONG).run()
    app.switch_page(PAGES["stages"]).run()
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "pgask" in errors[0]
    for secret in (WRONG, PG_PASSWORD):
        assert secret not in shown_text(app)
        assert secret not in repr(app.query_params) and secret not in repr(app.session_state["choices"])
    assert "127.0.0.1" not in shown_text(app)
    app.text_input(key="pdb_password_pgask").set_value(PG_PASSWORD).run()
    assert stage_figures(app)["table"].equals(want[0]["table"])


def test_a_stage_named_like_sql_is_data(app, rows):
    choose(app, "local", "crm_deals")
    app.switch_page(PAGES["stages"]).run()
    assert any(markdown(INJECTION) in s.label for s in app.selectbox)  # a value matching no stage, offered as data
    order = [DEAL_STAGES[0], INJECTION, *DEAL_STAGES[1:]]
    app.text_area(key="stage_text").set_value("\n".join(order)).run()
    got = stage_figures(app)
    assert got["table"]["到达数"].tolist() == independent(rows, order)["reached"]
    assert got["table"]["阶段"].tolist() == order


def test_drill_down_lists_come_a_page_at_a_time(app, rows, monkeypatch):
    monkeypatch.setattr("pages.dbpipeline.DRILL_PAGE", 10)
    choose(app, "local", "crm_deals")
    app.switch_page(PAGES["stages"]).run()
    step = app.selectbox(key="drill_step").value
    dropped = table(app, "商机", "最远阶段")
    total = independent(rows)["reached"][step] - independent(rows)["reached"][step + 1]
    assert total > 20 and len(dropped) == 10
    app.button(key="drill_more").click().run()
    more = table(app, "商机", "最远阶段")
    assert len(more) == 20 and more["商机"].tolist()[:10] == dropped["商机"].tolist()


def test_a_threshold_a_target_or_the_language_sends_no_query(app, rows):
    choose(app, "local", "crm_deals")
    for page in ("stages", "forecast", "key_customers"):
        app.switch_page(PAGES[page]).run()
        assert not app.exception and not app.error, (page, [e.value for e in app.error])
    grid = table(app, "等级", DEAL_STAGES[0])  # the value x stage grid on key customers, pipeline from the table
    engine = app.session_state["_db_engines"]["local"]
    queries = []
    real = engine.fetch_arrow
    engine.fetch_arrow = lambda sql, params, tables: queries.append(sql) or real(sql, params, tables)
    try:
        app.slider(key="cutoff_a").set_value(70).run()  # new grades, the same stage per customer
        moved = table(app, "等级", DEAL_STAGES[0])
        app.radio(key="lang").set_value("en").run()
        for page in ("stages", "forecast", "key_customers"):
            app.switch_page(PAGES[page]).run()
            assert not app.exception and not app.error, (page, [e.value for e in app.error])
        app.radio(key="lang").set_value("zh").run()
        assert table(app, "等级", DEAL_STAGES[0]).equals(moved) and sum(moved.sum(numeric_only=True)) == sum(
            grid.sum(numeric_only=True)
        )
        assert queries == []
        app.switch_page(PAGES["forecast"]).run()
        app.radio(key="forecast_by").set_value("month").run()
        assert queries  # a new question for the engine
    finally:
        engine.fetch_arrow = real


def test_a_snapshot_saved_from_a_table_holds_what_the_same_file_gives(app, rows, sources):
    from funnel.snapshots import Store, book_path

    choose(app, "local", "crm_deals")
    app.switch_page(PAGES["forecast"]).run()
    app.text_input(key="snap_week").set_value("2026-W40").run()
    app.button(key="snap_save_btn").click().run()
    assert not app.exception and any("2026-W40" in s.value.replace("\\", "") for s in app.success)
    upload(app, sources)
    app.switch_page(PAGES["forecast"]).run()
    app.text_input(key="snap_week").set_value("2026-W41").run()
    app.button(key="snap_save_btn").click().run()
    assert not app.exception and any("2026-W41" in s.value.replace("\\", "") for s in app.success)
    with Store(book_path("snapshots")) as store:
        every = store.all_deals()
    weeks = {
        w: part.drop(columns="week").sort_values("deal").reset_index(drop=True) for w, part in every.groupby("week")
    }
    known = [r for r in rows if r[2] != INJECTION]  # a stage matching none: left out, said on the page
    assert len(weeks["2026-W40"]) == len(known)
    assert weeks["2026-W40"].equals(weeks["2026-W41"])


def test_the_slipping_list_of_a_table_comes_a_page_at_a_time_with_its_count(app, rows, sources, monkeypatch):
    monkeypatch.setattr("pages.dbpipeline.DRILL_PAGE", 25)
    today = date.today()
    late = {
        r[0]
        for r in rows
        if r[2] in DEAL_STAGES[:-1] and date.fromisoformat(r[5]) < today  # open deals past their signing date
    }
    choose(app, "local", "crm_deals")
    app.switch_page(PAGES["forecast"]).run()
    shown = table(app, "商机", "预计签约日期")
    assert len(late) > 25 and len(shown) == 25 and set(shown["商机"]) <= late
    assert any(f"共 {len(late)} 个" in c.value for c in app.caption)
    app.button(key="late_more").click().run()
    assert len(table(app, "商机", "预计签约日期")) == 50
    upload(app, sources)
    app.switch_page(PAGES["forecast"]).run()
    assert set(table(app, "商机", "预计签约日期")["商机"]) == late  # a file's: all of them


def test_the_value_by_stage_grid_of_a_sales_table_and_a_pipeline_table_equals_the_files(app, sources, rows):
    """Sales lines and deals both from tables: the grade x stage grid equals the one of the same two CSVs uploaded,
    and each customer sits in the column of its furthest open or won deal (by hand); the stage page's breakdown by
    rep is the file's too."""
    app.radio(key="source_kind").set_value("db").run()
    app.selectbox(key="db_source").set_value("erp").run()
    choose(app, "local", "crm_deals")
    app.switch_page(PAGES["key_customers"]).run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    counts, revenue = table(app, "等级", DEAL_STAGES[0]), table(app, "等级", DEAL_STAGES[0], nth=1)
    live: dict[str, int] = {}
    for _, customer, stage, *_ in rows:
        if stage in DEAL_STAGES:
            live[customer] = max(live.get(customer, -1), DEAL_STAGES.index(stage))
    by_hand = Counter(DEAL_STAGES[live[c]] if c in live else None for c in sales_customers())
    for stage in DEAL_STAGES:
        assert counts[stage].sum() == by_hand[stage], stage
    assert counts.iloc[:, 1:].to_numpy().sum() == len(sales_customers())
    app.switch_page(PAGES["stages"]).run()
    app.selectbox(key="breakdown_by").set_value("rep").run()
    groups = table(app, "分组")
    app.radio(key="source_kind").set_value("file").run()
    app.sidebar.file_uploader[0].upload("sales.csv", Path(sources["sales_csv"]).read_bytes()).run()
    upload(app, sources)
    app.switch_page(PAGES["key_customers"]).run()
    assert table(app, "等级", DEAL_STAGES[0]).equals(counts)
    assert table(app, "等级", DEAL_STAGES[0], nth=1).equals(revenue)
    app.switch_page(PAGES["stages"]).run()
    assert table(app, "分组").equals(groups)


def test_a_table_that_is_no_pipeline_is_one_sentence_asked_once_per_run(app):
    """A sales table picked as the pipeline fails (no stage column); the sidebar and the page both ask for its deals
    in one run: the failure is said, its query not run twice and no widget drawn twice (was a duplicate-key crash)."""
    app.switch_page(PAGES["stages"]).run()
    choose(app, "erp", "sales")
    assert not app.exception, app.exception
    said = [e.value for e in app.error]
    assert said and all("Traceback" not in s for s in said)
    app.run()  # the next run asks again (the failure is kept for one run only) and says the same
    assert not app.exception and [e.value for e in app.error] == said
