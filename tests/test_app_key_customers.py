"""The key-customer page (AppTest): Pareto, grades and lists against an independent count, the value × stage grid
and when it may join the bundled sample pipeline, behaviour grades, and the choices that follow the user."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from appkit import PAGES, band_counts, downloaded, table


def key_list(at) -> pd.DataFrame:
    return table(at, "排名", "等级", nth=2)  # at risk, upgrade candidates, then the list


def test_key_customers_page(app, sample_totals):
    app.switch_page(PAGES["key_customers"]).run()
    assert not app.exception
    ranked = sample_totals.sort_values(ascending=False)
    cumulative = ranked.cumsum() / ranked[ranked > 0].sum()
    n = int((cumulative < 0.8).sum()) + 1
    assert app.subheader[0].value.startswith(f"{n:,} 个客户（占 {n / len(ranked):.1%}）")
    listed = key_list(app)
    assert set(listed["等级"]) == {"A"} and len(listed) == n
    assert (listed["销售额（万元）"] * 10_000).tolist() == pytest.approx(ranked.iloc[:n].tolist())
    csv = pd.read_csv(io.BytesIO(downloaded(app, "key_csv")), encoding="utf-8-sig")
    assert csv["客户"].tolist() == listed["客户"].tolist()
    app.multiselect(key="kc_grades").set_value(["C"]).run()
    assert set(key_list(app)["等级"]) == {"C"}
    counts = table(app, "等级", "成交").set_index("等级")
    assert int(counts.to_numpy().sum()) == len(sample_totals)  # every customer in exactly one cell
    app.selectbox(key="vs_grade").set_value("A").run()
    app.selectbox(key="vs_stage").set_value("成交").run()
    cell = table(app, "排名", "等级", nth=3)
    assert set(cell["等级"]) == {"A"} and len(cell) == int(counts.loc["A", "成交"])


def test_the_minimum_revenue_filter_is_in_the_unit(app, sample_totals):
    app.switch_page(PAGES["key_customers"]).run()
    app.multiselect(key="kc_grades").set_value([]).run()
    app.number_input(key="kc_min").set_value(10.0).run()  # 10万
    assert len(key_list(app)) == int((sample_totals >= 100_000).sum())


def test_the_sample_pipeline_is_not_joined_to_an_uploaded_report_without_asking(app, erp_rows):
    from conftest import xlsx_bytes

    app.switch_page(PAGES["key_customers"]).run()
    assert any("示例销售报表与内置示例商机" in c.value for c in app.caption)  # sample with sample: said
    app.sidebar.file_uploader[0].upload("销售报表.xlsx", xlsx_bytes(erp_rows)).run()
    assert not app.exception
    assert any("内置示例" in i.value for i in app.info)
    assert not [t for t in app.dataframe if "成交" in t.value.columns]  # no grid until asked
    app.toggle(key="vs_use_sample").set_value(True).run()
    assert [t for t in app.dataframe if "成交" in t.value.columns]


def test_an_unusable_pipeline_costs_only_its_sections(app):
    from conftest import csv_text

    app.file_uploader(key="pipeline_up").upload(
        "pipeline.csv", csv_text([["客户名称", "金额"], ["甲", 1]]).encode()
    ).run()
    app.switch_page(PAGES["key_customers"]).run()
    assert not app.exception
    assert any("阶段列" in e.value for e in app.error)  # "no stage column found"
    assert any(s.value == "关键客户名单" for s in app.subheader)  # the rest of the page is still there
    for page in ("stages", "forecast"):
        app.switch_page(PAGES[page]).run()
        assert not app.exception and any("阶段列" in e.value for e in app.error), page


def test_behaviour_grades_appear_when_the_report_has_activity_counts(app):
    from conftest import xlsx_bytes

    rows = [["客户名称", "价税合计", "带看次数", "出价次数"], ["甲", 1000, 2, 1], ["乙", 500, 10, 0], ["甲", 10, 1, 0]]
    app.sidebar.file_uploader[0].upload("leads.xlsx", xlsx_bytes(rows)).run()
    app.switch_page(PAGES["key_customers"]).run()
    assert not app.exception
    assert any(s.value.startswith("按行为分级") for s in app.subheader)
    graded = app.dataframe[-1].value
    assert dict(zip(graded["客户"], graded["等级"], strict=True)) == {"甲": "A", "乙": "C"}  # 甲: 3 viewings, an offer


def test_product_choice_follows_the_user_to_other_pages(app):
    app.multiselect(key="products").set_value(["对讲机 T2"]).run()
    n = sum(band_counts(app))
    app.switch_page(PAGES["key_customers"]).run()
    assert app.multiselect(key="products").value == ["对讲机 T2"]
    assert sum(table(app, "等级", "客户数")["客户数"]) == n
    app.switch_page(PAGES["bands"]).run()
    assert app.multiselect(key="products").value == ["对讲机 T2"] and sum(band_counts(app)) == n
