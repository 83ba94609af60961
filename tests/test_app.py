"""The app shell (AppTest): the sample on open, language and unit that every page follows, the view in the URL,
uploads and their failures, and every page on real-world shapes. Each page has its own module besides this one."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from appkit import PAGES, band_counts, no_raw_missing, shown_text, start, table

from funnel.units import Unit, band_labels


def expected_counts(totals, edges) -> list[int]:
    counts = [int((totals < edges[0]).sum())]
    counts += [int(((totals >= lo) & (totals < hi)).sum()) for lo, hi in itertools.pairwise(edges)]
    return [*counts, int((totals >= edges[-1]).sum())]


def test_opens_on_the_sample_funnel(app, sample_totals):
    assert app.title[0].value == "客户分层漏斗"
    assert band_counts(app) == expected_counts(sample_totals, [10000, 50000, 100000, 200000])
    assert sum(band_counts(app)) == len(sample_totals)
    assert len(app.get("plotly_chart")) == 2
    assert app.metric[0].value == f"{len(sample_totals):,}"
    assert app.metric[1].label == "销售总额（万元）"  # yuan data in Chinese: 万元 unless chosen otherwise
    assert app.metric[1].value == f"{sample_totals.sum() / 10_000:,.2f}"
    assert app.query_params == {}  # the default view is the plain address


def test_english_keeps_every_choice_and_writes_labels_in_its_unit(app, sample_totals):
    app.number_input(key="th_n_0").set_value(2.0).run()  # 2万
    app.multiselect(key="products").set_value(["对讲机 T2"]).run()
    app.selectbox(key="band").set_value(2).run()
    zh_counts = band_counts(app)
    app.radio(key="lang").set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Amount-band funnel"
    assert band_counts(app) == zh_counts  # the same bands, products, period: only the words changed
    labels = table(app, "Band", "Customers")["Band"].tolist()
    assert labels == band_labels([20000, 50000, 100000, 200000], Unit("yuan"), "en")
    assert labels[0] == "< 20,000"
    assert app.multiselect(key="products").value == ["对讲机 T2"]
    assert app.selectbox(key="band").value == 2 and app.selectbox(key="band").format_func(2) == labels[2]
    assert app.number_input(key="th_n_0").value == 20000.0  # English shows yuan
    assert app.query_params["lang"] == "en" and app.query_params["th"] == "20000,50000,100000,200000"


def test_the_unit_choice_is_followed_by_labels_tables_and_boxes(app, sample_totals):
    app.selectbox(key="unit").set_value("yuan").run()
    assert not app.exception
    summary = table(app, "分层", "客户数")
    assert summary["分层"].tolist() == ["10,000元以下", "10,000–50,000元", "50,000–100,000元", "100,000–200,000元",
                                      "200,000元以上"]  # fmt: skip
    assert "销售额（元）" in summary.columns
    assert summary["销售额（元）"].sum() == pytest.approx(sample_totals.sum())
    assert app.number_input(key="th_n_1").value == 50000.0
    assert app.query_params["unit"] == "yuan"
    app.selectbox(key="unit").set_value("wan").run()
    assert table(app, "分层", "客户数")["销售额（万元）"].sum() == pytest.approx(sample_totals.sum() / 10_000)
    assert app.number_input(key="th_n_1").value == 5.0


def test_a_link_opens_the_same_view(monkeypatch, sample_totals):
    query = {"lang": "en", "unit": "yuan", "th": "20000,60000", "prod": ["对讲机 T2", "门禁系统 A5"]}
    at = start(monkeypatch, query)
    assert at.title[0].value == "Amount-band funnel"
    assert at.multiselect(key="products").value == ["对讲机 T2", "门禁系统 A5"]
    assert [at.number_input(key=f"th_n_{i}").value for i in range(2)] == [20000.0, 60000.0]
    assert len(band_counts(at)) == 3
    assert at.query_params == query  # the address still says what is shown
    assert not at.warning


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"lang": "<script>alert(1)</script>"}, "lang"),
        ({"th": "abc,**b**"}, "th"),
        ({"th": "50000,10000"}, "th"),  # out of order: not a view anyone could have made
        ({"unit": "[x](http://evil)"}, "unit"),
        ({"from": "2025-13-01", "to": "x"}, "2025"),
        ({"prod": ["[点我](http://evil)", "门锁"]}, "http"),
    ],
)
def test_bad_values_in_a_link_are_ignored_with_a_note(monkeypatch, query, said):
    at = start(monkeypatch, query)
    assert not at.exception
    notes = [w.value for w in at.warning]
    assert len(notes) == 1 and said in notes[0].replace("\\", ""), notes
    assert "](" not in notes[0] and "<script>" not in notes[0]  # user input, escaped: never a link or a tag
    assert at.title[0].value in ("客户分层漏斗", "Amount-band funnel")
    assert sum(band_counts(at)) > 0  # the page still works, on its defaults


def test_a_link_with_another_files_products_says_what_it_could_not_apply(monkeypatch):
    at = start(monkeypatch, {"prod": ["对讲机 T2", "不存在的产品"], "from": "2025-03-01", "to": "2025-03-31"})
    assert at.multiselect(key="products").value == ["对讲机 T2"]
    assert any("不存在的产品" in w.value for w in at.warning)
    assert at.date_input(key="period").value == (date(2025, 3, 1), date(2025, 3, 31))
    at.multiselect(key="products").set_value([]).run()
    assert not at.warning  # the user changed the view: the note is past


def test_upload_replaces_the_sample(app, erp_rows):
    from conftest import xlsx_bytes

    app.sidebar.file_uploader[0].upload("销售报表.xlsx", xlsx_bytes(erp_rows)).run()
    assert not app.exception
    assert band_counts(app) == [2, 1, 1, 1, 1]
    assert any("读取 12 行 · 使用 9 行 · 剔除 3 行" in c.value for c in app.sidebar.caption)


def test_an_unusable_upload_is_one_sentence_shown_once(app):
    app.sidebar.file_uploader[0].upload("report.xlsx", b"PK\x03\x04 broken").run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "损坏" in errors[0]
    assert not app.sidebar.error  # not a second time beside the uploader
    app.switch_page(PAGES["stages"]).run()  # a pipeline page has no place for it in its body: the sidebar says it
    assert [e.value for e in app.sidebar.error] == [f"无法使用这个文件：{errors[0].split('：', 1)[1]}"]


def test_a_header_only_file_says_it_has_no_data_rows(app):
    app.sidebar.file_uploader[0].upload("r.csv", "客户名称,价税合计,产品\n".encode()).run()
    assert not app.exception
    assert [i.value for i in app.info] == ["这个文件只有表头，没有数据行。"]
    assert "所选条件下没有销售记录" not in shown_text(app)


@pytest.mark.parametrize("where", ["band_report", "pipeline_raw"])  # in the page; in the sidebar, before the page
def test_an_unexpected_failure_is_a_sentence_not_a_traceback(app, monkeypatch, where):
    import pages.common

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.delenv("FUNNEL_DEBUG")
    monkeypatch.setattr(pages.common, where, broken)
    app.run()
    assert not app.exception
    assert any("RuntimeError" in e.value and "意外" in e.value for e in app.error)


def test_tables_round_money_and_shares_for_display_instead_of_cutting_them(app):
    """Streamlit's presets with a `step` cut decimals (a forecast showed 121,572,191.4965 as .49, a share of
    0.35583 as 35.5% beside the chart's 35.6%): money and shares are drawn with printf formats, which round."""
    import json

    shown = {}
    for frame in app.dataframe:
        for header, config in json.loads(frame.proto.columns).items():
            shown[header] = config.get("type_config", {})
    assert shown["销售额（万元）"] == {"type": "number", "format": "%,.2f"}
    assert shown["客户占比"] == {"type": "number", "format": "%.1f%%"}
    assert table(app, "分层", "客户占比")["客户占比"].iloc[1] == pytest.approx(427 / 1200 * 100)


def test_user_data_is_never_markdown(app, erp_rows):
    from conftest import xlsx_bytes

    from pages.common import md

    escaped = "\\[点我\\]\\(http\\:\u2060\\/\\/evil\\)"
    assert md("[点我](http://evil) **粗**") == escaped + " \\*\\*粗\\*\\*"
    app.sidebar.file_uploader[0].upload("[点我](http://evil).xlsx", xlsx_bytes(erp_rows)).run()
    assert any(escaped in c.value for c in app.sidebar.caption)


SHAPES = [
    "plain_xlsx",
    "title_rows",
    "two_row_header",
    "english_headers",
    "csv_gb18030",
    "xls_biff8",
    "wan_yuan_column",
    "several_sheets",
    "stray_cell_far_below",
    "fullwidth_brackets",
]


@pytest.mark.parametrize("name", SHAPES)
def test_every_page_runs_on_real_world_shapes(app, name):
    from corpus import cases

    case = next(c for c in cases() if c.name == name)
    app.sidebar.file_uploader[0].upload(case.filename, case.data).run()
    assert not app.exception, name
    for page in PAGES.values():
        app.switch_page(page).run()
        assert not app.exception, (name, page, app.exception)
        assert not [e.value for e in app.error if "意外" in e.value], (name, page)
        for frame in app.dataframe:
            assert no_raw_missing(frame.value), (name, page, list(frame.value.columns))


def test_no_table_on_any_page_shows_none_or_nan(app):
    for language in ("zh", "en"):
        app.radio(key="lang").set_value(language).run()
        for page in PAGES.values():
            app.switch_page(page).run()
            assert not app.exception, page
            for frame in app.dataframe:
                assert no_raw_missing(frame.value), (language, page, list(frame.value.columns))
            assert "None" not in shown_text(app) and "nan" not in shown_text(app).split(), (language, page)
