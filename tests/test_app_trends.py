"""The trends page (AppTest): migration matrix and cells, a default comparison among periods that have data (and
why), flagged products only when large enough and worded right when figures fall, partial months marked."""

from __future__ import annotations

import io

import pandas as pd
from appkit import PAGES, downloaded, shown_text, table


def test_trends_page(app):
    app.switch_page(PAGES["trends"]).run()
    assert not app.exception
    matrix = table(app, "从 / 到", "流失")
    assert matrix.iloc[-1, -1] == matrix.iloc[:-1, -1].sum()  # totals row and column agree
    app.selectbox(key="cell_from").set_value("new").run()
    app.selectbox(key="cell_to").set_value("1–5万").run()
    listed = table(app, "前期分层", "后期分层")
    assert set(listed["前期分层"]) == {"新客户"} and set(listed["后期分层"]) == {"1–5万"}
    csv = pd.read_csv(io.BytesIO(downloaded(app, "mig_csv")), encoding="utf-8-sig")
    assert sorted(csv["客户"]) == sorted(listed["客户"])
    app.radio(key="preset").set_value("quarter").run()
    assert not app.exception


def one_year_report(rows_per_product: dict[str, list[tuple[str, str, int]]]) -> bytes:
    lines = ["客户名称,产品,价税合计,单据日期"]
    for product, rows in rows_per_product.items():
        lines += [f"{customer},{product},{amount},{day}" for customer, day, amount in rows]
    return ("\n".join(lines) + "\n").encode()


def falling_report() -> bytes:
    """2025 only: product 甲 has 10 customers in Q3 and 6 in Q4 (to Dec 15), revenue down more; 乙 has 2 → 1."""
    rows = {
        "甲": [(f"K{i}", "2025-08-10", 1000) for i in range(10)] + [(f"K{i}", "2025-11-10", 500) for i in range(6)],
        "乙": [("P1", "2025-08-11", 100), ("P2", "2025-08-12", 100), ("P1", "2025-11-11", 100)],
        "丙": [("Q1", "2025-01-05", 50), ("Q1", "2025-12-15", 60)],
    }
    return one_year_report(rows)


def test_a_one_year_file_compares_periods_that_have_data_and_says_why(app):
    app.sidebar.file_uploader[0].upload("2025.csv", falling_report()).run()
    app.switch_page(PAGES["trends"]).run()
    assert not app.exception
    assert app.radio(key="preset").value == "quarter_prev"  # last year has no data: this quarter vs the last
    assert any("默认使用「本季度 vs 上季度同期」" in c.value for c in app.sidebar.caption)
    assert "（无数据）" in app.radio(key="preset").format_func("year")
    moves = app.subheader[0].value
    assert not moves.endswith("流失 0") or "新增 0" not in moves  # not everyone new


def test_only_products_large_enough_are_flagged_in_words_that_fit_falling_figures(app):
    app.sidebar.file_uploader[0].upload("2025.csv", falling_report()).run()
    app.switch_page(PAGES["trends"]).run()
    flags = table(app, "产品", "标记")
    assert flags["产品"].tolist() == ["甲"]  # 乙 lost one of two customers (50%) but is too small to flag
    said = flags["标记"].iloc[0]
    assert "销售额下降 70.0%，快于客户数下降 40.0%" in said  # 10 → 6 customers, 10,000 → 3,000
    assert "流失率 40.0%（10 个客户中流失 4 个）" in said
    assert "增长（-" not in shown_text(app) and "grew faster (-" not in shown_text(app)
    app.number_input(key="min_customers").set_value(2).run()
    assert sorted(table(app, "产品", "标记")["产品"]) == ["乙", "甲"]
    app.radio(key="lang").set_value("en").run()
    english = table(app, "Product", "Flag").set_index("Product")["Flag"]
    assert "revenue fell 70.0%, faster than customers (40.0%)" in english["甲"]


def test_a_partial_last_month_is_marked(app):
    app.sidebar.file_uploader[0].upload("2025.csv", falling_report()).run()
    app.switch_page(PAGES["trends"]).run()
    assert any("2025年12月 的数据不完整" in c.value and "2025年12月15日" in c.value for c in app.caption)


def test_trends_against_another_report(app, erp_rows):
    from conftest import xlsx_bytes

    app.switch_page(PAGES["trends"]).run()
    app.radio(key="preset").set_value("reports").run()
    assert not app.exception
    app.file_uploader(key="other_report").upload("去年.xlsx", xlsx_bytes(erp_rows)).run()
    assert not app.exception
    matrix = table(app, "从 / 到", "流失")
    assert matrix.iloc[:-1, -1].sum() == 6 + int(matrix.iloc[-2, 1:-1].sum())  # last year's 6 customers, plus new
