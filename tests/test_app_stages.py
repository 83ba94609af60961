"""The stage page (AppTest): funnel, bottleneck and drill-down against the table, the input shape detected afresh for
each pipeline file, and selectors that show the step the page uses after any edit or language switch."""

from __future__ import annotations

from appkit import PAGES, table

from funnel.stages import detect_shape


def stage_table(at):
    return table(at, "阶段", "到达数")


def test_stages_page_on_the_sample_pipeline(app):
    app.switch_page(PAGES["stages"]).run()
    assert not app.exception
    funnel = stage_table(app)
    reached = funnel["到达数"].tolist()
    assert reached == sorted(reached, reverse=True) and reached[0] == 900
    shares = funnel["流失比例"].iloc[:-1].tolist()
    worst = shares.index(max(shares))
    a, b = funnel["阶段"].iloc[worst], funnel["阶段"].iloc[worst + 1]
    assert app.subheader[0].value.startswith(f"瓶颈在「{a} → {b}」")
    assert app.selectbox(key="drill_step").value == worst  # the drill-down starts at the bottleneck
    drill = table(app, "商机", "最远阶段")
    assert len(drill) == int(funnel["流失数"].iloc[worst])
    assert funnel["流失比例"].iloc[-1] == "—" or funnel["流失比例"].dtype != object  # no None on the last step
    app.selectbox(key="breakdown_by").set_value("region").run()
    assert not app.exception
    app.radio(key="compare_mode").set_value("periods").run()
    assert not app.exception
    assert any(s.value == "对比：优化前后" for s in app.subheader)


def test_the_drill_selector_shows_the_step_whose_deals_are_listed(app):
    app.switch_page(PAGES["stages"]).run()
    app.selectbox(key="drill_step").set_value(0).run()
    funnel = stage_table(app)
    first, second = funnel["阶段"].iloc[0], funnel["阶段"].iloc[1]
    box = app.selectbox(key="drill_step")
    assert box.format_func(box.value) == f"{first} → {second}"
    assert any(c.value.startswith(f"{funnel['流失数'].iloc[0]} 个商机到达「{first}」") for c in app.caption)
    edited = "潜在客户\n意向\n谈判\n成交"
    app.text_area(key="stage_text").set_value(edited).run()  # another stage list: its own bottleneck step
    funnel = stage_table(app)
    box = app.selectbox(key="drill_step")
    a, b = funnel["阶段"].iloc[box.value], funnel["阶段"].iloc[box.value + 1]
    assert box.format_func(box.value) == f"{a} → {b}"
    assert len(table(app, "商机", "最远阶段")) == int(funnel["流失数"].iloc[box.value])
    app.radio(key="lang").set_value("en").run()
    box = app.selectbox(key="drill_step")
    assert any(c.value.startswith(f"{funnel['流失数'].iloc[box.value]} deals reached") for c in app.caption)


def test_an_edited_stage_order_survives_a_page_switch(app):
    app.switch_page(PAGES["stages"]).run()
    edited = "潜在客户\n意向\n谈判\n成交"
    app.text_area(key="stage_text").set_value(edited).run()
    assert stage_table(app)["阶段"].tolist() == edited.split("\n")
    app.switch_page(PAGES["forecast"]).run()
    assert not app.exception
    assert app.text_area(key="stage_text").value == edited
    app.switch_page(PAGES["key_customers"]).run()
    counts = table(app, "等级", "潜在客户")
    assert list(counts.columns[1:5]) == edited.split("\n")


def test_the_input_shape_is_detected_afresh_for_each_pipeline_file(app):
    """Seen in the browser: a pipeline uploaded on the stage page kept the sample's input shape, and the error gave
    no hint."""
    from conftest import csv_text

    app.switch_page(PAGES["stages"]).run()
    sample_shape = app.radio(key="input_shape").value
    other = "event_log" if sample_shape != "event_log" else "snapshot"
    app.radio(key="input_shape").set_value(other).run()
    rows = [["商机编号", "客户名称", "销售阶段", "预计金额"]]
    rows += [[f"D{i}", f"客户{i}", s, "100"] for i, s in enumerate(["初步接触", "需求确认", "方案报价", "赢单"])]
    data = csv_text(rows).encode()
    app.file_uploader(key="pipeline_up").upload("p.csv", data).run()
    assert not app.exception
    import io

    import pandas as pd

    from funnel.pipeline import detect_pipeline

    frame = pd.read_csv(io.BytesIO(data), dtype=str)
    assert app.radio(key="input_shape").value == detect_shape(frame, detect_pipeline(frame).mapping) == "snapshot"
    assert not app.error and stage_table(app)["到达数"].tolist() == [4, 3, 2, 1]
