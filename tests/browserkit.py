"""What the real-browser journeys share: a `streamlit run app.py` on a free port, headless Chromium, and ways to read
what a page shows (metrics, Plotly figures' own data, widgets by their state-model keys) and to wait on conditions
rather than sleeping.

Widgets are found by key: Streamlit gives each keyed widget's container the class `st-key-<key>`, and the keys are
the state model's choice names (pages/state.py), never the language.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

TimeoutError = pytest.importorskip("playwright.sync_api").TimeoutError

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT = 60_000  # ms: the longest a condition may take (a first run on a loaded CI machine)
DEFAULT = [10_000.0, 50_000.0, 100_000.0, 200_000.0]  # the band thresholds a fresh session starts with
TITLE = {"zh": "客户分层漏斗", "en": "Amount-band funnel"}  # the band page's heading
CUSTOMERS = {"zh": "客户总数", "en": "Customers"}  # its customers metric
RAW_MISSING = re.compile(r"(?<![\w.])(None|nan|NaN|NaT|<NA>)(?![\w.])")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run app.py` on a free port, with its own data folder and home (never the user's)."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "HOME": str(folder / "home"),
            "FUNNEL_DATA_DIR": str(folder / "books"),
            "FUNNEL_DB": str(folder / "cli.db"),
            "XDG_CACHE_HOME": str(folder / "cache"),
            "XDG_CONFIG_HOME": str(folder / "config"),
            **(env or {}),
        }
        env.pop("FUNNEL_DEBUG", None)  # a user's server: friendly messages, which the journeys then look for
        self.log_path = folder / "server.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)
        self.log.close()


# --- reading a page


def idle(page, timeout: int = WAIT) -> None:
    """Wait until the app has finished its run: no running indicator and no element left stale from the last run."""
    page.wait_for_function(
        """() => {
            const status = document.querySelector('[data-testid="stStatusWidget"]');
            const running = status && /Running|运行/.test(status.innerText);
            const stale = document.querySelector('[data-stale="true"]');
            return !running && !stale && document.querySelector('[data-testid="stMain"]');
        }""",
        timeout=timeout,
    )


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def wait_metric(page, label: str, value: str, timeout: int = WAIT) -> None:
    """Wait until the metric labelled `label` shows `value` (fails with what it shows instead)."""
    try:
        _wait_metric(page, label, value, timeout)
    except TimeoutError as exc:
        raise AssertionError(f"{label}: want {value}, shown {metric(page, label)}") from exc


def _wait_metric(page, label: str, value: str, timeout: int) -> None:
    page.wait_for_function(
        """([label, value]) => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
               m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === label &&
               m.querySelector('[data-testid="stMetricValue"]')?.innerText.trim() === value)""",
        arg=[label, value],
        timeout=timeout,
    )


# Plotly 6 sends numeric arrays as {dtype, bdata} (base64 of the typed array): decoded here into plain numbers.
_ARRAY_JS = """
const arr = v => {
    if (v === undefined || v === null) return [];
    if (v.bdata !== undefined) {
        const bytes = Uint8Array.from(atob(v.bdata), c => c.charCodeAt(0));
        const kinds = {f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array,
                       u2: Uint16Array, i1: Int8Array, u1: Uint8Array, i8: BigInt64Array, u8: BigUint64Array};
        return Array.from(new kinds[v.dtype](bytes.buffer), Number);
    }
    return Array.from([].concat(v));
};
"""


def figure(page, key: str) -> list[dict]:
    """The traces of the Plotly chart drawn with `key`, as the browser holds them (x, y, text, name per trace)."""
    return page.locator(f".st-key-{key} .js-plotly-plot").first.evaluate(
        "el => {" + _ARRAY_JS + "return el.data.map(t => ({x: arr(t.x), y: arr(t.y), "
        "text: t.text === undefined ? null : arr(t.text), name: t.name ?? null})); }"
    )


def wait_figure(page, key: str, trace: int, axis: str, values: list, timeout: int = WAIT) -> None:
    """Wait until trace `trace` of the chart `key` holds `values` on `axis` (numbers compared to a cent)."""
    try:
        _wait_figure(page, key, trace, axis, values, timeout)
    except TimeoutError as exc:
        shown = [t.get(axis) for t in figure(page, key)]
        raise AssertionError(f"{key}[{trace}].{axis}: want {values}, shown {shown}") from exc


def _wait_figure(page, key: str, trace: int, axis: str, values: list, timeout: int) -> None:
    page.wait_for_function(
        """([key, trace, axis, values]) => {"""
        + _ARRAY_JS
        + """
            const el = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            if (!el || !el.data || !el.data[trace]) return false;
            const got = arr(el.data[trace][axis]);
            return got.length === values.length && got.every((v, i) =>
                typeof values[i] === 'number' ? Math.abs(Number(v) - values[i]) < 0.005 : String(v) === values[i]);
        }""",
        arg=[key, trace, axis, values],
        timeout=timeout,
    )


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def wait_query(page, name: str, value: str | None, timeout: int = WAIT) -> None:
    """Wait until the address bar's `name` parameter is `value` (None: absent)."""
    try:
        _wait_query(page, name, value, timeout)
    except TimeoutError as exc:
        raise AssertionError(f"{name}: want {value}, address {page.url}") from exc


def _wait_query(page, name: str, value: str | None, timeout: int) -> None:
    page.wait_for_function(
        "([name, value]) => new URLSearchParams(location.search).get(name) === value",
        arg=[name, value],
        timeout=timeout,
    )


def number_box(page, key: str):
    return page.locator(f".st-key-{key} input[type=number]")


def type_number(page, key: str, value: str) -> None:
    box = number_box(page, key)
    box.fill(value)
    box.press("Enter")


def choose(page, key: str, option: str) -> None:
    """Pick `option` in the select box with `key` (opened again if a rerun closed its list before the click)."""
    box = page.locator(f".st-key-{key} [role=combobox]")
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        idle(page)
        box.click()
        try:
            wanted.wait_for(timeout=10_000)
            wanted.click(timeout=10_000)
            break
        except TimeoutError:
            if attempt == 2:
                shown = page.get_by_role("option").all_inner_texts()
                raise AssertionError(f"{key}: no option {option!r} among {shown}") from None
            page.keyboard.press("Escape")
    page.wait_for_function(
        "([key, option]) => document.querySelector(`.st-key-${key} [role=combobox]`)?.value === option",
        arg=[key, option],
    )


def wait_text(page, text: str, timeout: int = WAIT) -> None:
    """Wait until `text` is shown (on a timeout, the failure says what the page shows instead)."""
    try:
        page.get_by_text(text).first.wait_for(timeout=timeout)
    except TimeoutError as exc:
        raise AssertionError(f"not shown: {text!r}; the page shows: {shown_text(page)[:1500]}") from exc


def shown_text(page) -> str:
    return page.locator('[data-testid="stApp"]').inner_text()


def assert_clean(page) -> None:
    """No exception box, error box, traceback or raw None/nan/NaT anywhere on the page (main area and sidebar)."""
    idle(page)
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.all_inner_texts()
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, errors.all_inner_texts()
    text = shown_text(page)
    assert "Traceback" not in text, text[:2000]
    raw = RAW_MISSING.search(text)
    assert raw is None, text[max(raw.start() - 200, 0) : raw.end() + 200]
