"""The app as a user drives it (streamlit.testing.v1.AppTest): sample on open, thresholds, lists, downloads."""

import io
import itertools
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from funnel.sample import SAMPLE_SALES

APP = str(Path(__file__).resolve().parent.parent / "app.py")


class RecordingStorage(MemoryMediaFileStorage):
    """Keeps hold of the media storage AppTest creates, so a test can open what a download button serves."""

    last: "RecordingStorage | None" = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingStorage.last = self


class NavigationPagesManager(PagesManager):
    """AppTest resets PagesManager.uses_pages_directory before every run, so with a pages/ folder beside app.py
    every rerun after the first runs the page script alone (Streamlit's v1 multipage mode) and skips app.py.
    A real server clears the flag for good on the first st.navigation call; this does the same for the tests."""

    def __init__(self, *args, **kwargs):
        PagesManager.uses_pages_directory = False
        super().__init__(*args, **kwargs)


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setattr("streamlit.testing.v1.app_test.MemoryMediaFileStorage", RecordingStorage)
    monkeypatch.setattr("streamlit.testing.v1.app_test.MediaFileManager", RecordingFiles)
    monkeypatch.setattr("streamlit.testing.v1.app_test.PagesManager", NavigationPagesManager)
    monkeypatch.setenv("FUNNEL_DEBUG", "1")  # let a bug surface as at.exception instead of a friendly message
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def sample_totals() -> pd.Series:
    """Per-customer totals of the bundled sample, computed independently with pandas+openpyxl."""
    frame = pd.read_excel(SAMPLE_SALES, header=2, engine="openpyxl")
    frame = frame[frame["单据日期"] != "合计"]
    return frame.groupby("客户名称")["价税合计"].sum().round(2)


def band_counts(at: AppTest) -> list[int]:
    return at.dataframe[0].value.iloc[:, 1].tolist()


class RecordingFiles(MediaFileManager):
    """Keeps hold of the media file manager of the last run: downloads are built when clicked (deferred)."""

    last: "RecordingFiles | None" = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingFiles.last = self


def download_url(at: AppTest, key: str) -> str:
    """What a click on the download button serves (the file is built then, as in a browser)."""
    button = next(b for b in at.get("download_button") if b.proto.id.endswith(key))
    return button.proto.url or RecordingFiles.last.execute_deferred(button.proto.deferred_file_id)


def downloaded(at: AppTest, key: str) -> bytes:
    return RecordingStorage.last.get_file(download_url(at, key).rsplit("/", 1)[-1]).content


def test_opens_on_the_sample_funnel(app, sample_totals):
    assert app.title[0].value == "客户分层漏斗"
    edges = [0, 10000, 50000, 100000, 200000]
    expected = [int((sample_totals < 10000).sum())]
    expected += [int(((sample_totals >= lo) & (sample_totals < hi)).sum()) for lo, hi in itertools.pairwise(edges[1:])]
    expected.append(int((sample_totals >= 200000).sum()))
    assert band_counts(app) == expected
    assert sum(band_counts(app)) == len(sample_totals)
    assert len(app.get("plotly_chart")) == 2
    assert [m.value for m in app.metric][:1] == [f"{len(sample_totals):,}"]


def test_moving_a_threshold_changes_the_counts(app, sample_totals):
    before = band_counts(app)
    app.number_input(key="th_n_0").set_value(20000.0).run()
    after = band_counts(app)
    assert after != before
    assert after[0] == int((sample_totals < 20000).sum())
    assert app.slider(key="th_s_0").value == 20000  # the slider follows the exact box
    app.slider(key="th_s_0").set_value(30000).run()
    assert band_counts(app)[0] == int((sample_totals < 30000).sum())
    assert app.number_input(key="th_n_0").value == 30000


def test_unsorted_thresholds_get_a_message_not_a_crash(app):
    app.number_input(key="th_n_0").set_value(150000.0).run()
    assert not app.exception
    assert any("从小到大" in e.value for e in app.error)


def test_add_and_remove_a_band(app):
    add = next(b for b in app.button if b.label == "增加一层")
    add.click().run()
    assert len(band_counts(app)) == 6
    assert app.dataframe[0].value.iloc[-1, 0] == "40万以上"
    remove = next(b for b in app.button if b.label == "删除最高一层")
    remove.click().run()
    remove = next(b for b in app.button if b.label == "删除最高一层")
    remove.click().run()
    assert len(band_counts(app)) == 4


def test_band_list_and_downloads_hold_the_listed_customers(app, sample_totals):
    app.selectbox(key="band").set_value(2).run()  # 5–10万
    listed = app.dataframe[1].value
    expected = sample_totals[(sample_totals >= 50000) & (sample_totals < 100000)]
    assert sorted(listed["客户"]) == sorted(expected.index)
    csv = pd.read_csv(io.BytesIO(downloaded(app, "dl_csv")), encoding="utf-8-sig")
    assert sorted(csv["客户"]) == sorted(expected.index)
    assert dict(zip(csv["客户"], csv["销售额"], strict=True)) == pytest.approx(expected.to_dict())
    xlsx = pd.read_excel(io.BytesIO(downloaded(app, "dl_xlsx")), engine="openpyxl")
    assert sorted(xlsx["客户"]) == sorted(expected.index)


def test_upgrade_candidates_only(app, sample_totals):
    app.selectbox(key="band").set_value(1).run()  # 1–5万
    app.toggle(key="only_upgrade").set_value(True).run()
    listed = app.dataframe[1].value
    expected = sample_totals[(sample_totals >= 40000) & (sample_totals < 50000)]
    assert sorted(listed["客户"]) == sorted(expected.index)


def test_english_switch(app):
    app.radio(key="lang").set_value("en").run()
    assert app.title[0].value == "Amount-band funnel"
    assert app.dataframe[0].value.iloc[:, 0].tolist()[0] == "< 10,000"


def test_data_page_accounts_for_every_row(app):
    app.switch_page("pages/data.py").run()
    assert not app.exception
    account = app.dataframe[1].value
    numbers = dict(zip(account.iloc[:, 0], account.iloc[:, 1], strict=True))
    assert numbers["使用行数"] + numbers["合计/小计行"] == numbers["读取行数"]
    assert app.dataframe[2].value["原因"].tolist() == ["合计/小计行"]


def test_product_filter_matches_an_independent_count(app):
    app.multiselect[0].set_value(["对讲机 T2"]).run()
    frame = pd.read_excel(SAMPLE_SALES, header=2, engine="openpyxl")
    expected = frame[frame["货品名称"] == "对讲机 T2"].groupby("客户名称")["价税合计"].sum()
    assert sum(band_counts(app)) == len(expected)
    assert band_counts(app)[0] == int((expected < 10000).sum())


def test_upload_replaces_the_sample(app, erp_rows):
    from conftest import xlsx_bytes

    app.sidebar.file_uploader[0].upload("销售报表.xlsx", xlsx_bytes(erp_rows)).run()
    assert not app.exception
    assert band_counts(app) == [2, 1, 1, 1, 1]
    assert any("读取 12 行 · 使用 9 行 · 剔除 3 行" in c.value for c in app.sidebar.caption)


def test_unusable_upload_gets_a_sentence_not_a_traceback(app):
    app.sidebar.file_uploader[0].upload("report.xlsx", b"PK\x03\x04 broken").run()
    assert not app.exception
    assert any("损坏" in e.value for e in app.error)


def test_unrecognised_columns_can_be_mapped_by_hand(app):
    from conftest import csv_text

    data = csv_text([["名称", "数", "备注"], ["甲", "60000", "x"], ["乙", "5000", "y"]]).encode()
    app.sidebar.file_uploader[0].upload("r.csv", data).run()
    assert not app.exception
    assert any("列映射" in e.value for e in app.error)
    customer = next(s for s in app.sidebar.selectbox if s.label == "客户")
    customer.set_value("名称").run()
    amount = next(s for s in app.sidebar.selectbox if s.label == "金额（价税合计）")
    amount.set_value("数").run()
    assert not app.exception
    assert band_counts(app) == [1, 0, 1, 0, 0]


def test_key_customers_page(app, sample_totals):
    app.switch_page("pages/key_customers.py").run()
    assert not app.exception
    ranked = sample_totals.sort_values(ascending=False)
    cumulative = ranked.cumsum() / ranked[ranked > 0].sum()
    n = int((cumulative < 0.8).sum()) + 1
    assert app.subheader[0].value.startswith(f"{n:,} 个客户")
    key_list = app.dataframe[3].value  # grades, at risk, upgrade candidates, then the list
    assert set(key_list["等级"]) == {"A"} and len(key_list) == n
    csv = pd.read_csv(io.BytesIO(downloaded(app, "key_csv")), encoding="utf-8-sig")
    assert csv["客户"].tolist() == key_list["客户"].tolist()
    assert download_url(app, "key_xlsx").endswith(".xlsx")
    app.multiselect(key="kc_grades").set_value(["C"]).run()
    assert set(app.dataframe[3].value["等级"]) == {"C"}
    counts = app.dataframe[4].value
    assert int(counts.to_numpy().sum()) == len(sample_totals)  # every customer in exactly one cell
    app.selectbox(key="vs_grade").set_value("A").run()
    app.selectbox(key="vs_stage").set_value("成交").run()
    cell = app.dataframe[6].value
    assert set(cell["等级"]) == {"A"} and len(cell) == int(counts.loc["A", "成交"])


def test_trends_page(app):
    app.switch_page("pages/trends.py").run()
    assert not app.exception
    matrix = app.dataframe[0].value
    assert matrix.iloc[-1, -1] == matrix.iloc[:-1, -1].sum()  # totals row and column agree
    app.selectbox(key="cell_from").set_value("new").run()
    app.selectbox(key="cell_to").set_value("1–5万").run()
    listed = app.dataframe[1].value
    assert set(listed["前期分层"]) == {"新客户"} and set(listed["后期分层"]) == {"1–5万"}
    csv = pd.read_csv(io.BytesIO(downloaded(app, "mig_csv")), encoding="utf-8-sig")
    assert sorted(csv["客户"]) == sorted(listed["客户"])
    app.radio(key="preset").set_value("quarter").run()
    assert not app.exception


def test_an_unexpected_failure_is_a_sentence_not_a_traceback(app, monkeypatch):
    import pages.common

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.delenv("FUNNEL_DEBUG")
    monkeypatch.setattr(pages.common, "band_report", broken)
    app.run()
    assert not app.exception
    assert any("RuntimeError" in e.value and "意外" in e.value for e in app.error)


def test_stages_page_on_the_sample_pipeline(app):
    app.switch_page("pages/stages.py").run()
    assert not app.exception
    table = app.dataframe[0].value
    reached = table["到达数"].tolist()
    assert reached == sorted(reached, reverse=True) and reached[0] == 900
    shares = table["流失比例"].iloc[:-1].tolist()
    worst = shares.index(max(shares))
    assert app.subheader[0].value.startswith(f"瓶颈在「{table['阶段'].iloc[worst]} → {table['阶段'].iloc[worst + 1]}」")
    drill = app.dataframe[-1].value
    assert len(drill) == int(table["流失数"].iloc[worst])
    app.selectbox(key="breakdown_by").set_value("region").run()
    assert not app.exception
    app.radio(key="compare_mode").set_value("periods").run()
    assert not app.exception
    assert any(s.value == "对比：优化前后" for s in app.subheader)


def test_forecast_page_and_snapshots(app):
    from funnel.snapshots import Store, book_path

    app.switch_page("pages/forecast.py").run()
    assert not app.exception
    table = app.dataframe[1].value
    assert (table["加权预测"] <= table["最佳情况"] + table["未结金额"]).all()
    app.text_input(key="snap_week").set_value("2026-W47").run()
    next(b for b in app.button if b.label == "保存本周预测").click().run()
    assert any("已保存 2026-W47" in s.value for s in app.success)
    next(b for b in app.button if b.label == "保存本周预测").click().run()
    assert any("已有快照" in w.value for w in app.warning)  # asks before replacing
    next(b for b in app.button if b.label == "替换").click().run()
    assert any("已保存 2026-W47" in s.value for s in app.success)
    with Store(book_path("snapshots")) as store:  # the default book, in the data folder
        assert store.weeks()["deals"].tolist() == [900]
    next(b for b in app.button if b.label == "删除快照").click().run()
    assert any("确定删除" in w.value for w in app.warning)  # asks before deleting
    next(b for b in app.button if b.label == "确定").click().run()
    with Store(book_path("snapshots")) as store:
        assert store.weeks().empty


def test_behaviour_grades_appear_when_the_report_has_activity_counts(app):
    from conftest import xlsx_bytes

    rows = [["客户名称", "价税合计", "带看次数", "出价次数"], ["甲", 1000, 2, 1], ["乙", 500, 10, 0], ["甲", 10, 1, 0]]
    app.sidebar.file_uploader[0].upload("leads.xlsx", xlsx_bytes(rows)).run()
    app.switch_page("pages/key_customers.py").run()
    assert not app.exception
    assert any(s.value.startswith("按行为分级") for s in app.subheader)
    table = app.dataframe[-1].value
    assert dict(zip(table["客户"], table["等级"], strict=True)) == {"甲": "A", "乙": "C"}  # 甲: 3 viewings, an offer


def test_trends_against_another_report(app, erp_rows):
    from conftest import xlsx_bytes

    app.switch_page("pages/trends.py").run()
    app.radio(key="preset").set_value("reports").run()
    assert not app.exception
    app.file_uploader(key="other_report").upload("去年.xlsx", xlsx_bytes(erp_rows)).run()
    assert not app.exception
    matrix = app.dataframe[0].value
    assert matrix.iloc[:-1, -1].sum() == 6 + int(matrix.iloc[-2, 1:-1].sum())  # last year's 6 customers, plus new


def test_user_data_is_never_markdown(app, erp_rows):
    from conftest import xlsx_bytes

    from pages.common import md

    escaped = "\\[点我\\]\\(http\\:\u2060\\/\\/evil\\)"
    assert md("[点我](http://evil) **粗**") == escaped + " \\*\\*粗\\*\\*"
    app.sidebar.file_uploader[0].upload("[点我](http://evil).xlsx", xlsx_bytes(erp_rows)).run()
    assert any(escaped in c.value for c in app.sidebar.caption)


def test_forecast_accuracy_for_a_closed_quarter(app):
    app.switch_page("pages/forecast.py").run()
    for week in ("2026-W30", "2026-W31"):
        app.text_input(key="snap_week").set_value(week).run()
        next(b for b in app.button if b.label == "保存本周预测").click().run()
    app.selectbox(key="history_quarter").set_value("2026Q2").run()
    assert not app.exception
    assert any(m.value.startswith("**2026Q2 预测准确度") for m in app.markdown)
    app.radio(key="actual_source").set_value("sales").run()
    assert any("2026Q2 预测准确度" in m.value for m in app.markdown)
    assert not app.exception


PAGES = [
    "pages/bands.py",
    "pages/key_customers.py",
    "pages/stages.py",
    "pages/forecast.py",
    "pages/trends.py",
    "pages/data.py",
]
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
    for page in PAGES:
        app.switch_page(page).run()
        assert not app.exception, (name, page, app.exception)
        assert not [e.value for e in app.error if "意外" in e.value], (name, page)


def test_an_unusable_pipeline_costs_only_its_sections(app):
    from conftest import csv_text

    app.file_uploader(key="pipeline_up").upload(
        "pipeline.csv", csv_text([["客户名称", "金额"], ["甲", 1]]).encode()
    ).run()
    app.switch_page("pages/key_customers.py").run()
    assert not app.exception
    assert any("阶段列" in e.value for e in app.error)  # "no stage column found"
    assert any(s.value == "关键客户名单" for s in app.subheader)  # the rest of the page is still there
    app.switch_page("pages/stages.py").run()
    assert not app.exception and any("阶段列" in e.value for e in app.error)
    app.switch_page("pages/forecast.py").run()
    assert not app.exception and any("阶段列" in e.value for e in app.error)


def test_an_edited_stage_order_survives_a_page_switch(app):
    app.switch_page("pages/stages.py").run()
    edited = "潜在客户\n意向\n谈判\n成交"
    app.text_area(key="w_stage_text_lead_zh").set_value(edited).run()
    assert app.dataframe[0].value["阶段"].tolist() == edited.split("\n")
    app.switch_page("pages/forecast.py").run()
    assert not app.exception
    assert app.text_area(key="w_stage_text_lead_zh").value == edited
    app.switch_page("pages/key_customers.py").run()
    counts = app.dataframe[4].value
    assert list(counts.columns[:4]) == edited.split("\n")


def test_product_choice_follows_the_user_to_other_pages(app):
    app.multiselect[0].set_value(["对讲机 T2"]).run()
    n = sum(band_counts(app))
    app.switch_page("pages/key_customers.py").run()
    assert app.sidebar.multiselect[0].value == ["对讲机 T2"]
    assert sum(app.dataframe[0].value["客户数"]) == n
    app.switch_page("pages/bands.py").run()
    assert app.sidebar.multiselect[0].value == ["对讲机 T2"] and sum(band_counts(app)) == n


def test_snapshot_books_are_chosen_by_name_never_by_path(app, no_real_home):
    import sqlite3

    from funnel.snapshots import Store, book_path, data_dir

    assert not [w for w in app.text_input if "db" in (w.key or "") or "path" in (w.key or "")]
    app.switch_page("pages/forecast.py").run()
    assert not [w for w in app.text_input if "/" in str(w.value) or str(no_real_home) in str(w.value)]
    shown = " ".join(str(e.value) for e in (*app.caption, *app.markdown, *app.error, *app.selectbox))
    assert str(data_dir()) not in shown and str(no_real_home) not in shown
    app.selectbox(key="snap_book").set_value("").run()  # (New book…)
    app.text_input(key="snap_new_book").set_value("../../etc/x").run()
    assert any("不能作为快照簿名称" in e.value for e in app.error)
    app.text_input(key="snap_new_book").set_value("华东团队").run()
    app.text_input(key="snap_week").set_value("2026-W47").run()
    next(b for b in app.button if b.label == "保存本周预测").click().run()
    assert not app.exception and any("已保存 2026-W47" in s.value for s in app.success)
    with Store(book_path("华东团队"), writable=False) as store:
        assert store.weeks()["deals"].tolist() == [900]
    app.run()
    assert "华东团队" in app.selectbox(key="snap_book").options  # listed from the next rerun on
    app.selectbox(key="snap_book").set_value("华东团队").run()
    assert not app.exception and app.dataframe[-1].value["商机数"].tolist() == [900]
    assert sorted(p.name for p in data_dir().iterdir()) == ["华东团队.db"]

    db = sqlite3.connect(data_dir() / "other.db")  # another program's database dropped into the data folder
    db.executescript("PRAGMA user_version = 1; CREATE TABLE snapshots (x);")
    db.close()
    before = (data_dir() / "other.db").read_bytes()
    app.run()
    assert "other" not in app.selectbox(key="snap_book").options  # not listed: not ours
    app.selectbox(key="snap_book").set_value("").run()
    app.text_input(key="snap_new_book").set_value("other").run()
    next(b for b in app.button if b.label == "保存本周预测").click().run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any("不是快照簿" in e and "未被改动" in e for e in errors), errors
    assert not any("意外" in e or str(data_dir()) in e for e in errors)
    assert (data_dir() / "other.db").read_bytes() == before
