"""Shared helpers: build small reports in memory, as ERPs export them."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Sequence

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps its caches in ./.hypothesis (the working tree): give it a temporary folder instead, and no example
# database, so examples are derandomised (a failure found once is found again on the next run).
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="funnel-hypothesis-")
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
settings.register_profile("funnel", database=None, derandomize=True)
settings.load_profile("funnel")


@pytest.fixture(autouse=True)
def no_real_home(tmp_path_factory, monkeypatch):
    """Every folder a test could write user data to points into a fresh temporary folder: the home folder and the
    XDG folders derived from it, the snapshot data folder and the command line's default database. A test never
    touches the real home (tests/test_isolation.py proves it)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    for name, folder in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        monkeypatch.setenv(name, str(home / folder))
    monkeypatch.setenv("FUNNEL_DATA_DIR", str(home / "funnel-data"))
    monkeypatch.setenv("FUNNEL_DB", str(home / "funnel-cli" / "snapshots.db"))
    return home


def xlsx_bytes(rows: Sequence[Sequence[object]], sheet: str = "Sheet1", extra_sheets: dict | None = None) -> bytes:
    """An xlsx whose first sheet holds `rows` as given (title rows, header, data, totals…)."""
    from corpus import xlsx

    return xlsx(rows, sheet=sheet, extra=extra_sheets)


def csv_text(rows: Sequence[Sequence[object]], sep: str = ",") -> str:
    return "\n".join(sep.join("" if v is None else str(v) for v in row) for row in rows) + "\n"


@pytest.fixture
def erp_rows() -> list[list[object]]:
    """A small ERP-style report: title rows, Chinese header, amounts exactly on thresholds, returns, a 合计 row."""
    return [
        ["某某公司销售报表"],
        ["报表期间：2026-01-01 至 2026-03-31"],
        [],
        ["单据日期", "客户名称", "货品名称", "价税合计", "区域", "业务员"],
        ["2026-01-05", "甲公司", "门锁", 50000, "华东", "张三"],  # exactly 5万 → 5–10万
        ["2026-01-06", "乙公司", "门锁", 10000, "华北", "李四"],  # exactly 1万 → 1–5万
        ["2026-01-07", "丙公司", "门锁", 120000, "华南", "王五"],
        ["2026-02-01", "丙公司", "门锁", -20000, "华南", "王五"],  # return: net 100,000 → 10–20万
        ["2026-02-02", "丁公司", "门锁", 0.1, "华东", "张三"],
        ["2026-02-03", "丁公司", "门锁", 0.2, "华东", "张三"],  # 0.30 exactly
        ["2026-02-04", "戊公司", "摄像机", 200000, "华东", "张三"],  # exactly 20万 → top band
        ["2026-02-05", "己公司", "摄像机", 3000, "华北", "李四"],
        ["2026-02-06", "己公司", "摄像机", -5000, "华北", "李四"],  # net negative → lowest band
        ["2026-02-07", None, "摄像机", 999, "华北", "李四"],  # blank customer
        ["2026-02-08", "庚公司", "摄像机", "待定", "华北", "李四"],  # non-numeric amount
        ["合计", None, None, 358999.3, None, None],
    ]


@pytest.fixture
def app(monkeypatch):
    """The app (AppTest) as a user opens it: app.py on the bundled sample, after its first run (see appkit.py)."""
    from appkit import start

    return start(monkeypatch)


@pytest.fixture(scope="module")
def sample_totals():
    """Per-customer totals of the bundled sample, computed independently with pandas+openpyxl."""
    import pandas as pd

    from funnel.sample import SAMPLE_SALES

    frame = pd.read_excel(SAMPLE_SALES, header=2, engine="openpyxl")
    frame = frame[frame["单据日期"] != "合计"]
    return frame.groupby("客户名称")["价税合计"].sum().round(2)


@pytest.fixture(scope="module")
def spark():
    """One small Spark session (local[1]) per test module that asks for it (test_warehouse*, test_table_values)."""
    from engines import absent, spark_available

    if not spark_available():
        absent("Spark (pyspark and a Java runtime)")
    from funnel.engine import spark_session

    session = spark_session("local[1]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def spark_connect(tmp_path_factory):
    """A Spark Connect server (local[1]) on a free loopback port, its folders in pytest's tmp folder, per module that
    asks for it; skipped locally without pyspark[connect] and Java, never in CI."""
    from engines import ConnectServer, absent, spark_connect_available

    if not spark_connect_available():
        absent("Spark Connect (pyspark[connect] and a Java runtime)")
    server = ConnectServer(tmp_path_factory.mktemp("spark-connect")).start()
    try:
        yield server
    finally:
        server.stop()
