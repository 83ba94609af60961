"""The mapping panels in the app (AppTest): each detection with its evidence, an explicit choice asked for when the
evidence is weak, the derived amount that can be switched off, the period off without dates, and the pipeline's
columns mapped like the sales report's and detected afresh for each new file."""

from __future__ import annotations

import json

import pytest
from appkit import APP, NavigationPagesManager, RecordingStorage, band_counts
from export_corpus import pipeline_cases, sales_cases
from streamlit.testing.v1 import AppTest

from funnel.cli import main


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setattr("streamlit.testing.v1.app_test.MemoryMediaFileStorage", RecordingStorage)
    monkeypatch.setattr("streamlit.testing.v1.app_test.PagesManager", NavigationPagesManager)
    monkeypatch.setenv("FUNNEL_DEBUG", "1")
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at


def case(name: str):
    return next(c for c in [*pipeline_cases(), *sales_cases()] if c.name == name)


def test_derived_amount_is_shown_and_can_be_switched_off(app):
    uci = case("uci_online_retail")
    app.sidebar.file_uploader[0].upload(uci.filename, uci.data).run()
    assert not app.exception
    assert band_counts(app) == uci.bands
    assert app.selectbox(key="map_unit_price").value == "UnitPrice"
    assert any("Quantity × UnitPrice" in c.value for c in app.sidebar.caption)
    app.toggle(key="derive").set_value(False).run()
    assert not app.exception
    assert any("列映射" in e.value for e in app.error)  # no amount now: the mapping panel is named


def test_each_detection_shows_its_evidence(app):
    pos = case("pharmacy_pos")
    app.sidebar.file_uploader[0].upload(pos.filename, pos.data).run()
    assert not app.exception
    assert app.selectbox(key="map_amount").value == "实收金额"
    captions = [c.value for c in app.sidebar.caption]
    assert any(c.startswith("购药时间：") and "个是日期" in c for c in captions)
    assert any(c.startswith("实收金额：") and "应收金额" in c for c in captions)  # the choice is stated
    assert band_counts(app) == pos.bands
    app.switch_page("pages/data.py").run()
    assert not app.exception
    evidence = app.dataframe[-2].value
    assert "社保卡号" in evidence.iloc[:, 1].tolist()


def test_weak_evidence_is_asked_for_not_guessed(app):
    from conftest import csv_text

    rows = [["编码", "数值", "备注"]] + [[f"C{i % 3}", str(1000 * (i + 1)), "x"] for i in range(9)]
    data = csv_text(rows).encode()
    app.sidebar.file_uploader[0].upload("r.csv", data).run()
    assert not app.exception
    customer = app.selectbox(key="map_customer")
    assert customer.value is None  # found only by its values: asked for, not taken
    assert any("客户" in w.value for w in app.sidebar.warning)
    customer.set_value("编码").run()
    app.selectbox(key="map_amount").set_value("数值").run()
    assert not app.exception
    assert sum(band_counts(app)) == 3


def test_the_period_is_off_without_dates(app):
    from conftest import csv_text

    data = csv_text([["客户名称", "价税合计"], ["甲", "100"], ["乙", "200"]]).encode()
    app.sidebar.file_uploader[0].upload("r.csv", data).run()
    assert not app.exception
    off = [d for d in app.date_input if d.disabled]
    assert off and any("没有日期列" in c.value for c in [*app.caption, *app.sidebar.caption])


def test_a_pipeline_export_maps_itself_and_its_funnel_matches(app):
    kaggle = case("kaggle_sales_pipeline")
    app.file_uploader(key="pipeline_up").upload(kaggle.filename, kaggle.data).run()
    assert not app.exception
    assert app.selectbox(key="pmap_stage").value == "deal_stage"
    assert app.selectbox(key="pmap_amount").value == "close_value"
    assert app.selectbox(key="pmap_deal").value == "opportunity_id"
    assert any(s.value == "engage_date" for s in app.sidebar.selectbox if s.label.startswith("进入「Engaging」"))
    app.switch_page("pages/stages.py").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert table["阶段"].tolist() == kaggle.stages and table["到达数"].tolist() == kaggle.reached
    assert any("按阶段日期" in c.value for c in app.caption)  # lost placement counts shown
    app.switch_page("pages/forecast.py").run()
    assert not app.exception
    assert any("没有金额" in w.value for w in app.warning)  # open deals without an amount are reported


def test_changing_the_stage_column_in_the_panel_changes_the_funnel(app):
    from conftest import csv_text

    rows = [["商机编号", "销售阶段", "上季度阶段", "预计金额"]]
    stages = ["初步接触", "需求确认", "方案报价", "赢单"]
    rows += [[f"D{i}", s, ["需求确认", "需求确认", "输单", "赢单"][i], "100"] for i, s in enumerate(stages)]
    data = csv_text(rows).encode()
    app.file_uploader(key="pipeline_up").upload("p.csv", data).run()
    app.switch_page("pages/stages.py").run()
    assert app.dataframe[0].value["阶段"].tolist() == ["初步接触", "需求确认", "方案报价", "赢单"]
    assert app.dataframe[0].value["到达数"].tolist() == [4, 3, 2, 1]
    app.selectbox(key="pmap_stage").set_value("上季度阶段").run()
    assert not app.exception
    assert app.dataframe[0].value["阶段"].tolist() == ["需求确认", "赢单"]  # the order that column gives
    assert app.dataframe[0].value["到达数"].tolist() == [4, 1]


def test_an_inferred_order_asks_to_be_confirmed_and_a_new_file_is_detected_afresh(app):
    words = case("custom_stages_by_words")
    app.file_uploader(key="pipeline_up").upload(words.filename, words.data).run()
    app.switch_page("pages/stages.py").run()
    assert not app.exception
    assert any("请确认" in w.value for w in app.warning)
    assert app.dataframe[0].value["阶段"].tolist() == words.stages
    hubspot = case("hubspot_internal_ids")
    app.file_uploader(key="pipeline_up").upload(hubspot.filename, hubspot.data).run()
    assert not app.exception
    assert app.selectbox(key="pmap_stage").value == "dealstage"
    assert app.dataframe[0].value["阶段"].tolist() == hubspot.stages
    assert app.dataframe[0].value["到达数"].tolist() == hubspot.reached


def test_mostly_unmatched_stages_are_an_error_with_the_values_to_map(app):
    from conftest import csv_text

    rows = [["商机编号", "销售阶段", "预计金额"]] + [[f"D{i}", "搁置", "1"] for i in range(3)] + [["D9", "提案", "1"]]
    data = csv_text(rows).encode()
    app.file_uploader(key="pipeline_up").upload("p.csv", data).run()
    app.switch_page("pages/stages.py").run()
    app.selectbox(key="stage_template").set_value("lead").run()
    assert not app.exception
    assert any("搁置 (3)" in e.value.replace("\\", "") for e in app.error)  # the values arrive escaped for markdown
    assert not app.get("plotly_chart")  # no funnel of the remaining minority
    mapping = next(s for s in app.selectbox if s.label.startswith("「搁置」"))  # the values can be mapped right there
    mapping.set_value("谈判").run()
    assert not app.exception
    assert app.dataframe[0].value["到达数"].tolist() == [4, 4, 4, 4, 3, 0]


def test_the_cli_reads_the_same_file_the_same_way(tmp_path, capsys):
    kaggle = case("kaggle_sales_pipeline")
    path = tmp_path / kaggle.filename
    path.write_bytes(kaggle.data)
    assert main(["stages", str(path), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["columns"]["stage"]["column"] == "deal_stage"
    assert result["stage_dates"] == {"Engaging": "engage_date"}


def test_rows_left_out_and_unmatched_values_are_on_every_pipeline_page(app):
    from conftest import csv_text

    rows = [["商机编号", "客户名称", "销售阶段", "预计金额", "预计签约日期"]]
    rows += [[f"D{i}", f"客户{i}", s, "100", "2026-02-01"] for i, s in enumerate(["提案", "谈判", "赢单", "挂起"])]
    rows.append(["合计", None, None, "400", None])
    app.file_uploader(key="pipeline_up").upload("p.csv", csv_text(rows).encode()).run()
    for page in ("pages/stages.py", "pages/forecast.py", "pages/key_customers.py"):
        app.switch_page(page).run()
        assert not app.exception, page
        texts = [c.value for c in app.caption] + [e.value for e in app.expander if hasattr(e, "value")]
        shown = " ".join(texts) + " ".join(s.label for s in app.selectbox)
        assert "挂起" in shown and "合计/小计行" in shown, page
