"""Journeys in a real browser (headless Chromium via Playwright) against `streamlit run app.py`, in both languages.

Each journey does what a person does (upload files, change a mapping, set thresholds by slider with the mouse and
the keyboard and by typing, add and remove bands, pick a band, switch language and page and come back, open a copied
link, use the back button, download and open the file, upload a pipeline, save and replace a forecast snapshot, read
the trends page) and checks that the figures the page shows are the engine's (`funnel` called directly on the same
file with the same choices), read from the metrics and from the Plotly figures' own data in the browser, and that no
error box, traceback, raw None/nan or stale value appears.

One server per module (each test opens its own browser context, so its own session); waits are on conditions.
Skipped where there is no Chromium or no Playwright; .ci/run installs both.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
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
    figure,
    idle,
    metric,
    number_box,
    query,
    type_number,
    wait_figure,
    wait_metric,
    wait_query,
    wait_text,
)
from corpus import xls as xls_bytes
from corpus import xlsx as xlsx_bytes

from funnel.bands import band_report, customer_totals
from funnel.escape import plotly_all
from funnel.formats import count, month_text
from funnel.load import load_pipeline, load_sales
from funnel.migration import monthly_trend
from funnel.sample import SAMPLE_PIPELINE, SAMPLE_SALES
from funnel.snapshots import iso_week
from funnel.stages import stage_funnel
from funnel.thresholds import place, scale, step_for
from funnel.trends import partial_months
from funnel.units import grouped, resolve_unit

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("journeys"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_app(server, browser):
    """Open the app at `path` (a page and query) in a new session; returns the page once its first run is shown."""
    contexts = []

    def opener(path: str = "", lang: str = "zh", title: str | None = None):
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT)
        page.goto(f"{server.url}/{path}")
        page.get_by_role("heading", name=title or TITLE[lang], exact=True).wait_for()
        idle(page)
        return page

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def sample():
    return load_sales(SAMPLE_SALES)


def bands(sales, thresholds, lang="zh", currency="CNY", choice="auto"):
    """The engine's band report for the whole file, with the labels in the unit the app shows in `lang`."""
    return band_report(customer_totals(sales.lines), thresholds, lang, unit=resolve_unit(choice, currency, lang))


def expect_bands(page, report, lang="zh") -> None:
    """The band page shows the engine's report: customers, revenue, both funnels' values and band labels."""
    u = resolve_unit("auto", "CNY", lang)
    wait_figure(page, "funnel_customers", 0, "x", [int(v) for v in report.summary["customers"]])
    wait_figure(page, "funnel_customers", 0, "y", plotly_all(report.labels))  # as Plotly is given them: escaped
    wait_metric(page, CUSTOMERS[lang], count(report.n_customers))
    revenue = [max(v / u.factor, 0) for v in report.summary["amount"]]
    wait_figure(page, "funnel_amount", 0, "x", revenue)
    assert metric(page, "销售总额" if lang == "zh" else "Total revenue") == grouped(report.total_cents / 100 / u.factor)
    assert metric(page, "升级候选" if lang == "zh" else "Upgrade candidates") == count(
        report.summary["upgrade_candidates"].sum()
    )


def thresholds_shown(page, n: int, factor: float) -> list[float]:
    return [float(number_box(page, f"th_n_{i}").input_value()) * factor for i in range(n)]


def th_param(values) -> str:
    return ",".join(str(int(v)) if float(v).is_integer() else f"{v:.2f}".rstrip("0") for v in values)


def test_thresholds_by_number_slider_keyboard_and_buttons_then_link_language_page_and_back(open_app, sample):
    page = open_app()
    expect_bands(page, bands(sample, DEFAULT))
    assert thresholds_shown(page, 4, 10_000) == DEFAULT
    assert_clean(page)

    # a number typed in the unit (万): exactly that threshold, in the funnel, the slider and the address
    type_number(page, "th_n_1", "3")
    wanted = [10_000.0, 30_000.0, 100_000.0, 200_000.0]
    wait_query(page, "th", th_param(wanted))
    expect_bands(page, bands(sample, wanted))
    assert page.locator(".st-key-th_s_1 input[type=range]").get_attribute("aria-valuetext") == "3万"

    # typed past its neighbours: re-ordered, said so, never an error
    type_number(page, "th_n_0", "15")
    wanted = place(wanted, 0, 150_000.0, step_for(150_000.0))
    wait_query(page, "th", th_param(wanted))
    expect_bands(page, bands(sample, wanted))
    page.get_by_text("阈值越过了相邻的阈值，已按从小到大重新排列。").wait_for()
    assert thresholds_shown(page, 4, 10_000) == wanted
    assert_clean(page)

    # keyboard: two steps right on the top threshold's slider, each one sticks (the next starts where it ended)
    totals = customer_totals(sample.lines)["amount_cents"]
    for _ in range(2):
        grid = scale(totals, wanted)
        top = wanted[-1]
        page.locator(".st-key-th_s_3 input[type=range]").focus()
        page.keyboard.press("ArrowRight")
        wanted = [*wanted[:-1], grid[grid.index(top) + 1]]
        wait_query(page, "th", th_param(wanted))
        expect_bands(page, bands(sample, wanted))
        assert thresholds_shown(page, 4, 10_000) == wanted

    # mouse: drag the top threshold's thumb to the end of its track
    grid = scale(totals, wanted)
    thumb = page.locator(".st-key-th_s_3 [data-testid=stSliderThumbValue]").locator("..")
    track = page.locator(".st-key-th_s_3 [data-testid=stSlider] [role=group] > div").first
    box, end = thumb.bounding_box(), track.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] + 40, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    wanted = [*wanted[:-1], grid[-1]]
    wait_query(page, "th", th_param(wanted))
    expect_bands(page, bands(sample, wanted))

    # add a band (a fifth threshold above the top), then remove it again
    idle(page)  # a rerun still under way shows the old button beside the new one
    page.locator(".st-key-add_band button").click()
    page.locator(".st-key-th_n_4").wait_for()
    added = [float(v) for v in query(page)["th"][0].split(",")]
    assert len(added) == 5 and added[:4] == wanted
    expect_bands(page, bands(sample, added))
    idle(page)
    page.locator(".st-key-remove_band button").click()
    wait_query(page, "th", th_param(wanted))
    page.locator(".st-key-th_n_4").wait_for(state="detached")
    expect_bands(page, bands(sample, wanted))
    assert_clean(page)

    # a copied link opens the same view in a new session
    link = page.url
    other = open_app(link.split("/", 3)[3])
    expect_bands(other, bands(sample, wanted))
    assert thresholds_shown(other, 4, 10_000) == wanted

    # language switch: same thresholds and numbers, in yuan and English words
    page.locator(".st-key-lang").get_by_text("English", exact=True).click()
    page.get_by_role("heading", name=TITLE["en"], exact=True).wait_for()
    wait_query(page, "lang", "en")
    expect_bands(page, bands(sample, wanted, "en"), "en")
    assert thresholds_shown(page, 4, 1) == wanted
    assert_clean(page)

    # another page and back: the thresholds are still the ones in use
    page.get_by_role("link", name="Key customers").click()
    page.get_by_role("heading", name="Key customers", exact=True).wait_for()
    assert_clean(page)
    page.get_by_role("link", name=TITLE["en"]).click()
    page.get_by_role("heading", name=TITLE["en"], exact=True).wait_for()
    expect_bands(page, bands(sample, wanted, "en"), "en")
    assert thresholds_shown(page, 4, 1) == wanted

    # the back button: the key-customers page, then the band page in Chinese before the switch
    page.go_back()
    page.get_by_role("heading", name="Key customers", exact=True).wait_for()
    assert_clean(page)
    page.go_back()
    page.get_by_role("heading", name=TITLE["en"], exact=True).wait_for()
    page.go_back()
    page.get_by_role("heading", name=TITLE["zh"], exact=True).wait_for()
    expect_bands(page, bands(sample, wanted))
    assert thresholds_shown(page, 4, 10_000) == wanted
    assert_clean(page)


def test_pick_a_band_and_download_its_customers(open_app, sample):
    page = open_app("?lang=en", "en")
    report = bands(sample, DEFAULT, "en")
    expect_bands(page, report, "en")
    smallest = int(report.summary["customers"].idxmin())
    choose(page, "band", report.labels[smallest])
    n = count(report.summary.loc[smallest, "customers"])
    page.get_by_text(f"{report.labels[smallest]}: {n} customers", exact=False).wait_for()
    idle(page)
    with page.expect_download() as download:
        page.locator(".st-key-dl_csv button").click()
    listed = pd.read_csv(io.BytesIO(Path(download.value.path()).read_bytes()), encoding="utf-8-sig")
    expected = report.band_customers(smallest)
    assert len(listed) == len(expected)
    assert listed.iloc[:, 0].astype(str).tolist() == expected["customer"].astype(str).tolist()
    with page.expect_download() as download:
        page.locator(".st-key-dl_xlsx button").click()
    opened = pd.read_excel(Path(download.value.path()))
    assert opened.iloc[:, 0].astype(str).tolist() == expected["customer"].astype(str).tolist()
    assert_clean(page)


ERP = [
    ["某某公司销售报表"],
    [],
    ["单据日期", "客户名称", "货品名称", "价税合计", "不含税金额", "业务员"],
    ["2026-01-05", "甲公司", "门锁", 50000, 44247.79, "张三"],
    ["2026-01-06", "乙公司", "门锁", 10000, 8849.56, "李四"],
    ["2026-01-07", "丙公司", "门锁", 120000, 106194.69, "王五"],
    ["2026-02-01", "丙公司", "门锁", -20000, -17699.12, "王五"],
    ["2026-02-04", "戊公司", "摄像机", 200000, 176991.15, "张三"],
    ["2026-02-05", "己公司", "摄像机", 3000, 2654.87, "李四"],
    ["2026-03-02", "庚公司", "摄像机", 80000, 70796.46, "李四"],
    ["合计", None, None, 443000, 392035.4, None],
]


def _csv(rows) -> bytes:
    return "\n".join(",".join("" if v is None else str(v) for v in r) for r in rows).encode("gb18030") + b"\n"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_uploads_of_each_format_and_a_mapping_change(open_app, tmp_path, lang):
    page = open_app("" if lang == "zh" else "?lang=en", lang)
    files = {"r.xlsx": xlsx_bytes(ERP), "r.xls": xls_bytes(ERP), "r.csv": _csv(ERP)}
    uploader = page.locator(".st-key-upload input[type=file]")
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        uploader.set_input_files(str(path))
        page.get_by_text(name, exact=False).first.wait_for()
        sales = load_sales(data, name)
        expect_bands(page, bands(sales, DEFAULT, lang), lang)
        assert_clean(page)

    # the amount column changed by hand: every figure follows the other column
    page.locator(".st-key-map_amount").wait_for(state="attached")
    if not page.locator(".st-key-map_amount").is_visible():
        page.get_by_text("列映射（自动识别，可修改）" if lang == "zh" else "Column mapping", exact=False).first.click()
    choose(page, "map_amount", "不含税金额")
    sales = load_sales(files["r.csv"], "r.csv", overrides={"amount": "不含税金额"})
    expect_bands(page, bands(sales, DEFAULT, lang), lang)
    assert_clean(page)

    # the uploader speaks the user's language where Streamlit lets a style rule write it
    button = page.locator('.st-key-upload [data-testid="stFileUploaderDropzone"] button p').first
    if button.count():
        after = button.evaluate("el => getComputedStyle(el, '::after').content")
        assert ("选择文件" if lang == "zh" else "Browse files") in after

    # a file with a header and no rows says so
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ",".join(ERP[2]).encode() + b"\n")
    idle(page)
    uploader.set_input_files(str(path))
    said = "这个文件只有表头，没有数据行。" if lang == "zh" else "This file has a header but no data rows."
    wait_text(page, said)
    assert page.get_by_text(said).count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0


PIPELINE = [
    ["商机编号", "客户名称", "销售阶段", "预计金额", "赢单概率", "预计成交日期", "业务员"],
    *[
        [f"D{i:03d}", f"客户{i}", stage, 10_000 + 1_000 * i, p, f"2026-{1 + i % 12:02d}-15", ["张三", "李四"][i % 2]]
        for i, (stage, p) in enumerate(
            [("线索", 10), ("初步沟通", 20), ("需求确认", 40), ("方案报价", 60), ("商务谈判", 80), ("赢单", 100)] * 7
            + [("输单", 0)] * 4
        )
    ],
]


def test_a_pipeline_uploaded_on_the_stage_page_is_detected_and_counted(open_app, tmp_path):
    page = open_app("stages", title="阶段漏斗与流失")
    deals = load_pipeline(SAMPLE_PIPELINE.read_bytes(), SAMPLE_PIPELINE.name)
    funnel = stage_funnel(deals.deals, deals.stages)
    wait_metric(page, "商机数", count(funnel.table["reached"].iloc[0]))
    assert_clean(page)

    data = _csv(PIPELINE)
    path = tmp_path / "pipeline.csv"
    path.write_bytes(data)
    page.get_by_text("商机数据（阶段漏斗、预测）").click()
    page.locator(".st-key-pipeline_up input[type=file]").set_input_files(str(path))
    page.get_by_text("正在使用上传的报表：pipeline.csv").wait_for()
    deals = load_pipeline(data, "pipeline.csv")
    funnel = stage_funnel(deals.deals, deals.stages)
    wait_metric(page, "商机数", count(funnel.table["reached"].iloc[0]))
    wait_metric(page, "赢单", count(funnel.won))
    wait_metric(page, "输单", count(funnel.lost))
    wait_figure(page, "stage_funnel", 0, "x", [int(v) for v in funnel.table["reached"]])
    assert_clean(page)


def test_save_and_replace_a_forecast_snapshot(open_app):
    page = open_app("forecast?lang=en", "en", title="Sales forecast")
    assert_clean(page)
    deals = load_pipeline(SAMPLE_PIPELINE.read_bytes(), SAMPLE_PIPELINE.name).deals
    saved = f"Saved {iso_week()}: {len(deals)} deals."
    save = page.locator(".st-key-snap_save_btn button")
    save.click()
    page.locator('[data-testid="stAlertContentSuccess"]', has_text=saved).wait_for()
    idle(page)
    assert_clean(page)
    save.click()  # the same week again: asked first, then replaced
    page.get_by_text(f"{iso_week()} already has a snapshot. Replace it?").wait_for()
    page.locator(".st-key-snap_replace_yes button").click()
    page.locator('[data-testid="stAlertContentSuccess"]', has_text=saved).wait_for()
    page.locator(".st-key-snap_replace_yes").wait_for(state="detached")
    assert page.get_by_text("already has a snapshot").count() == 0  # the question does not outlive its answer
    assert_clean(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trends_page_follows_the_engine(open_app, sample, lang):
    title = "客户变化与迁移" if lang == "zh" else "Trends and migration"
    page = open_app("trends" + ("" if lang == "zh" else "?lang=en"), lang, title=title)
    u = resolve_unit("auto", "CNY", lang)
    trend = monthly_trend(sample.lines, DEFAULT, lang, unit=u)
    wait_figure(page, "trend_revenue", 0, "y", (trend["revenue"] / u.factor).tolist())
    months = figure(page, "trend_revenue")[0]["x"]
    dates = sample.lines["date"]
    partial = partial_months(dates.min(), dates.max())
    assert months == [month_text(m, lang) + (" *" if m in partial else "") for m in trend["month"]]
    assert months[0] == ("2025年1月" if lang == "zh" else "Jan 2025")
    assert_clean(page)


def test_hostile_and_bad_link_values_are_ignored_with_a_note(open_app, sample):
    page = open_app("?th=abc&unit=%3Cb%3Ex%3C%2Fb%3E&prod=%5Blogin%5D(https%3A%2F%2Fx.y)&from=2025-13-01&to=x")
    expect_bands(page, bands(sample, DEFAULT))
    warnings = page.locator('[data-testid="stAlertContentWarning"]')
    warnings.first.wait_for()
    text = "\n".join(warnings.all_inner_texts())
    assert "th=abc" in text and "<b>x</b>" in text.replace("\u2060", "")
    assert "[login](https://x.y)" in text.replace("\u2060", "")
    assert warnings.locator("a, strong, b").count() == 0
    assert_clean(page)
