"""The whole journey in a real browser (headless Chromium driven by Playwright), against `streamlit run app.py`.

Skipped where there is no Chromium (Debian's `chromium` package; Playwright's own browser download does not work
here) or no Playwright; .ci/run installs both.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from browserkit import ARGS, CHROMIUM, Server, choose

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")


@pytest.fixture
def server(tmp_path_factory):  # a fresh server per test: the first session after start-up is the tricky one
    srv = Server(tmp_path_factory.mktemp("server"))
    yield srv.url
    srv.stop()


@pytest.fixture
def page(server):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(server)
        page.get_by_role("heading", name="客户分层漏斗").wait_for(timeout=60_000)
        yield page
        browser.close()


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_sample_upload_download_journey(page, tmp_path):
    assert metric(page, "客户总数") == "1,200"
    report = (
        "单据日期,客户名称,货品名称,价税合计\n"
        '2026-01-05,甲公司,门锁,50000\n2026-01-06,乙公司,门锁,"1,000"\n'
        "合计,,,51000\n"
    )
    path = tmp_path / "销售报表.csv"
    path.write_bytes(report.encode("gb18030"))
    page.locator('input[type="file"]').first.set_input_files(str(path))
    page.get_by_text("正在使用上传的报表：销售报表.csv").wait_for(timeout=30_000)
    page.wait_for_function("() => !document.body.innerText.includes('1,200')", timeout=30_000)
    assert metric(page, "客户总数") == "2"
    assert page.get_by_text("读取 3 行 · 使用 2 行 · 剔除 1 行").count() == 1
    page.get_by_role("link", name="关键客户").click()
    page.get_by_role("heading", name="关键客户", exact=True).wait_for(timeout=30_000)
    page.get_by_text("1 个客户（占 50.0%）贡献了").wait_for(timeout=30_000)
    with page.expect_download() as download:
        page.locator('[data-testid="stDownloadButton"]', has_text="下载 CSV").last.click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    listed = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert listed["客户"].tolist() == ["甲公司"] and listed["等级"].tolist() == ["A"]
    assert download.value.suggested_filename.startswith("关键客户_A_")


def test_a_deep_link_on_a_fresh_server_shows_that_page(server):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(f"{server}/data")
        page.get_by_role("heading", name="数据与列映射").wait_for(timeout=60_000)
        assert page.get_by_text("表头在第 3 行").count() == 1
        browser.close()


HEADERS = [
    "[login](https://x.y)",
    "**b**",
    "$$x$$",
    ":red[x]",
    "http://a.b",
    "www.a.b",
    "a@b.cd",
    ":smile:",
    "<b>b</b>",
]
REPS = ['<a href="https://x.y">link</a>', "<b>bold</b>", '<span style="color:red">red</span>']
FORMATTED = "a, strong, em, del, code, img, h1, h2, h3, ul, ol, li, blockquote, table, .katex, span[class*='Colored']"


def test_user_text_is_shown_as_typed_in_alerts_and_legends(page, tmp_path):
    """Column headers in an error box and rep names in a Plotly legend, as a user typed them: no link, bold, formula,
    colour, emoji or tag (the invisible word joiner the markdown escape adds is the only difference)."""
    report = tmp_path / "headers.csv"
    report.write_text(",".join(f'"{h}"' for h in HEADERS) + "\n" + ",".join(["1"] * len(HEADERS)) + "\n")
    page.locator('input[type="file"]').first.set_input_files(str(report))
    alert = page.locator('[data-testid="stMain"] [data-testid="stAlert"]', has_text="没有找到必需的列")
    alert.wait_for(timeout=60_000)  # said once, in the page (the sidebar says it only on the pipeline pages)
    assert page.locator('[data-testid="stAlert"]', has_text="没有找到必需的列").count() == 1
    shown = alert.inner_text().replace("\u2060", "")
    for header in HEADERS:
        assert header in shown, (header, shown)
    assert "、".join(HEADERS) in shown
    assert alert.locator(FORMATTED).count() == 0, alert.inner_html()

    pipeline = tmp_path / "pipeline.csv"
    stages = ["潜在客户", "初步接触", "意向", "提案", "谈判", "赢单"]
    with open(pipeline, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["商机编号", "客户名称", "销售阶段", "预计金额", "业务员"])
        out.writerows([f"D{i}", f"客户{i}", stages[i % 6], 1000 + i, REPS[i % 3]] for i in range(30))
    page.get_by_text("商机数据（阶段漏斗、预测）").click()
    page.locator('input[type="file"]').nth(1).set_input_files(str(pipeline))
    page.get_by_text("正在使用上传的报表：pipeline.csv").wait_for(timeout=30_000)
    page.get_by_role("link", name="阶段漏斗与流失").click()
    page.get_by_role("heading", name="阶段漏斗与流失").wait_for(timeout=30_000)
    choose(page, "breakdown_by", "业务员")  # opened again if the page's rerun closed the list before the click
    legend = page.locator(".js-plotly-plot .legend .legendtext")
    legend.first.wait_for(timeout=30_000)
    assert sorted(legend.all_text_contents()) == sorted(REPS)
    charts = page.locator(".js-plotly-plot")
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.locator(".legend a, .legend tspan[style*='bold'], .legend tspan[style*='fill']").count() == 0
        assert chart.locator("svg a").count() == 0, chart.inner_html()[:2000]
