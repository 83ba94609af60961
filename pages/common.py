"""The app layer shared by every page: language, cached reading and totals, and the current data source.

Caches are keyed on the file's SHA-256 (not on the DataFrames) so that moving a slider never re-reads the file
and never re-hashes a large frame; only re-banding of the cached per-customer totals happens on each rerun.
Parsed files (sheets, sales lines, deals) live in one ParsedFiles cache (pages/parsecache.py): a byte budget
for the whole server, a few files per session, expiry, and release when the session ends.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd
import streamlit as st

from funnel.bands import BandReport, band_report, customer_totals
from funnel.detect import Detection
from funnel.errors import FunnelError
from funnel.escape import markdown
from funnel.guard import read_untrusted
from funnel.i18n import t
from funnel.keycustomers import KeyCustomerReport
from funnel.pipeline import PipelineDetection, PipelineMapping, detect_pipeline
from funnel.read import RawReport
from funnel.schema import Mapping, SalesData, detect_sales, filter_lines, prepare_sales
from funnel.stages import Deals
from pages.parsecache import ParsedFiles

T = TypeVar("T")


def leave_v1_multipage_mode() -> None:
    """Rerun once in st.navigation mode if Streamlit started this run in its old pages/-folder mode.

    With a pages/ folder beside app.py, the first run after the server starts uses Streamlit's v1 multipage mode
    until st.navigation is first called: a deep link (/data) runs the page without app.py, and widgets drawn in
    that run get other ids than in every later run, so a file uploaded right after start-up was silently lost.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def lang() -> str:
    """The language the user chose (Chinese by default)."""
    return st.session_state.get("lang", "zh")


def tr(key: str, **params: object) -> str:
    """A UI string in the current language."""
    return t(key, lang(), **params)


PERCENT = st.column_config.NumberColumn(format="percent")  # shares and conversions in every table
MONEY = st.column_config.NumberColumn(format="localized")  # amounts in yuan, with thousands separators

md = markdown  # user data in captions, labels and alerts: the one escaping helper (funnel.escape)


@dataclass(frozen=True)
class Source:
    """The file every page reads: its bytes, name, digest and whether it is the bundled sample."""

    data: bytes
    name: str
    digest: str
    is_sample: bool


@st.cache_resource(show_spinner=False)
def parsed_files() -> ParsedFiles:
    """The server's one cache of parsed files (sized by FUNNEL_CACHE_MB / _PER_SESSION / _MINUTES)."""
    return ParsedFiles.from_env()


class _SessionEnd:
    """Kept in a session's state: when Streamlit drops the session, this goes too and its cache entries are let go."""

    def __init__(self, cache: ParsedFiles, session: str) -> None:
        weakref.finalize(self, cache.release, session)


def _session() -> str:
    """This browser session's id, registering the release of its parsed files for when it ends."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    session = ctx.session_id if ctx is not None else "no-session"
    if "_parsed_files_owner" not in st.session_state:
        st.session_state["_parsed_files_owner"] = _SessionEnd(parsed_files(), session)
    return session


@dataclass(frozen=True)
class _Refused:
    """A file that could not be read, kept so that a rerun repeats the sentence instead of reading it again."""

    error: FunnelError


def _parsed(key: tuple, make: Callable[[], T]) -> T:
    def attempt() -> T | _Refused:
        try:
            return make()
        except FunnelError as exc:
            return _Refused(exc)

    value = parsed_files().get(key, _session(), attempt)
    if isinstance(value, _Refused):
        raise value.error
    return value


def cached_report(digest: str, sheet: str | None, data: bytes, name: str) -> RawReport:
    """The parsed sheet (read in a worker process), cached on the file's content and the sheet."""
    return _parsed(("report", digest, sheet), lambda: read_untrusted(data, name, sheet))


@st.cache_data(show_spinner=False, max_entries=8, ttl=3600)
def cached_mapping(digest: str, sheet: str | None, _raw: RawReport) -> tuple[Mapping, dict[str, Detection]]:
    """The detected column mapping of a parsed sheet, from headers and values, with the evidence per role."""
    return detect_sales(_raw.frame)


def cached_sales(
    digest: str, sheet: str | None, mapping: Mapping, raw: RawReport, detected: dict | None = None
) -> SalesData:
    """The checked sales lines and row accounting for one mapping."""
    return _parsed(("sales", digest, sheet, mapping), lambda: prepare_sales(raw, mapping, detected))


@st.cache_data(show_spinner=False, max_entries=32, ttl=3600)
def cached_totals(
    key: tuple, products: tuple[str, ...], start: object, end: object, _lines: pd.DataFrame
) -> pd.DataFrame:
    """Per-customer totals for a product/period choice, cached so threshold changes only re-band."""
    return customer_totals(filter_lines(_lines, list(products), start, end))


def scoped(key: str) -> str:
    """A widget key tied to the current data, so a new file starts from fresh product and period choices."""
    digest, sheet = (sales_key() or ("", ""))[:2]
    return f"{key}_{digest[:12]}_{sheet}"


def sales_key() -> tuple:
    """What identifies the current sales data: file digest, sheet, mapping."""
    return st.session_state.get("sales_key", ())


def current_sales() -> SalesData:
    """The sales data of the current source, or stop the page with the reason it is unusable."""
    leave_v1_multipage_mode()
    sales = st.session_state.get("sales")
    if sales is None:
        error = st.session_state.get("sales_error")
        st.error(tr("data_error", msg=error or "?"))
        st.stop()
    return sales


def band_analysis(
    sales: SalesData, products: list[str], start: object, end: object, thresholds: list[float], upgrade_pct: float
) -> BandReport:
    """Amount bands for the page's choices: cached totals, then bands (raises FunnelError on bad thresholds)."""
    totals = cached_totals(sales_key(), tuple(products or ()), start, end, sales.lines)
    return band_report(totals, thresholds, lang(), upgrade_pct)


def error_text(exc: FunnelError) -> str:
    """The error's sentence in the user's language, its file-supplied parts (headers, sheet names, values) escaped."""
    return exc.message(lang(), escape=md)


def show_error(exc: FunnelError) -> None:
    """One sentence in the user's language, never a traceback."""
    st.error(error_text(exc))


def population_filters(sales: SalesData, with_period: bool = True) -> tuple[list[str], object, object]:
    """Products (empty = all) and, when the report has dates, a period; shared by every sales page.

    The choices live in plain session keys (tied to the file) so that they follow the user from page to page.
    """
    products_key, period_key = scoped("products"), scoped("period")
    kept = [p for p in st.session_state.get(products_key, []) if p in sales.products]
    products = st.multiselect(
        tr("products"),
        sales.products,
        default=kept,
        key=f"w_{products_key}",
        placeholder=tr("products"),
        on_change=_keep,
        args=(f"w_{products_key}", products_key),
    )
    start = end = None
    if with_period and not sales.has_dates:
        st.date_input(tr("period"), value=None, disabled=True, key=f"w_{period_key}_off", help=tr("period_off"))
        st.caption(tr("period_off"))
    if with_period and sales.has_dates:
        lo, hi = sales.lines["date"].min().date(), sales.lines["date"].max().date()
        period = st.date_input(
            tr("period"),
            value=st.session_state.get(period_key, (lo, hi)),
            min_value=lo,
            max_value=hi,
            key=f"w_{period_key}",
            on_change=_keep,
            args=(f"w_{period_key}", period_key),
        )
        if isinstance(period, tuple | list) and len(period) == 2:
            start, end = period
        elif isinstance(period, tuple | list) and len(period) == 1:
            start = period[0]
    return products, start, end


def population_lines(sales: SalesData, products: list[str], start: object, end: object) -> pd.DataFrame:
    """The lines of the chosen products and period."""
    return filter_lines(sales.lines, list(products or ()), start, end)


def current_thresholds() -> list[float]:
    """The band thresholds set on the band page (the defaults until then)."""
    from funnel.bands import DEFAULT_THRESHOLDS

    return list(st.session_state.get("thresholds", DEFAULT_THRESHOLDS))


def key_analysis(
    sales: SalesData, products: list[str], start: object, end: object, **options: object
) -> KeyCustomerReport:
    """Key customers for the page's choices: cached totals, then grades and flags."""
    from funnel.keycustomers import key_customers

    totals = cached_totals(sales_key(), tuple(products or ()), start, end, sales.lines)
    lines = population_lines(sales, products, start, end)
    return key_customers(lines, totals, thresholds=current_thresholds(), lang=lang(), **options)


def cached_pipeline_report(digest: str, data: bytes, name: str) -> RawReport:
    """The parsed pipeline export (read in a worker process), cached on its content."""
    return _parsed(("pipeline", digest), lambda: read_untrusted(data, name))


@st.cache_data(show_spinner=False, max_entries=8, ttl=3600)
def cached_pipeline_detection(digest: str, _raw: RawReport) -> PipelineDetection:
    """The detected columns of a pipeline export (roles and stage-date columns) with their evidence."""
    return detect_pipeline(_raw.frame)


def cached_deals(
    digest: str,
    stages: tuple[str, ...] | None,
    shape: str | None,
    value_map: tuple,
    mapping: PipelineMapping,
    raw: RawReport,
) -> Deals:
    """One row per deal for a stage list (None: the order the file gives), shape, value mapping and columns."""
    from funnel.stages import prepare_deals

    key = ("deals", digest, stages, shape, value_map, mapping)
    return _parsed(
        key, lambda: prepare_deals(raw, list(stages) if stages else None, mapping, shape, dict(value_map), strict=False)
    )


def pipeline_raw(source: Source | None = None) -> RawReport:
    """The current pipeline export (an upload, else the bundled sample), parsed."""
    source = source or st.session_state["pipeline_source"]
    return cached_pipeline_report(source.digest, source.data, source.name)


def pipeline_mapping(source: Source | None = None) -> PipelineMapping:
    """The pipeline columns: as set in the sidebar's pipeline mapping for the current file, else detected."""
    source = source or st.session_state["pipeline_source"]
    chosen = st.session_state.get("pipeline_mapping")
    if chosen is not None and chosen[0] == source.digest:
        return chosen[1]
    return cached_pipeline_detection(source.digest, pipeline_raw(source)).mapping


def pipeline_deals(
    stages: list[str] | None, shape: str | None, value_map: dict[str, str], source: Source | None = None
) -> Deals:
    """Deals of the current (or given) pipeline source for the page's stage list, shape and value mapping."""
    source = source or st.session_state["pipeline_source"]
    raw = pipeline_raw(source)
    mapping = pipeline_mapping(source)
    stages_key = tuple(stages) if stages else None
    return cached_deals(source.digest, stages_key, shape, tuple(sorted(value_map.items())), mapping, raw)


def pipeline_account(deals: Deals) -> None:
    """The pipeline's rows left out (per reason) and stage values matching no stage, as a caption: never silent."""
    if deals.reasons:
        reasons = " · ".join(f"{tr('reason_' + k)}: {v}" for k, v in deals.reasons.items())
        st.caption(tr("left_out_line", reasons=reasons))
    if len(deals.unmapped):
        values = "、".join(f"{md(r.value)} ({r.rows})" for r in deals.unmapped.itertuples(index=False))
        st.caption(tr("unmapped_line", values=values))


def digest_of(data: bytes, file_id: str | None = None) -> str:
    """SHA-256 of a file's bytes, computed once per upload (a 200 MB file is not re-hashed on every rerun)."""
    memo = st.session_state.setdefault("_digests", {})
    if file_id and file_id in memo:
        return memo[file_id]
    digest = hashlib.sha256(data).hexdigest()
    if file_id:
        memo[file_id] = digest
    return digest


def upload_source(upload) -> Source:
    """A Source for an uploaded file (the report, the pipeline, a comparison file)."""
    data = upload.getvalue()
    return Source(data, upload.name, digest_of(data, getattr(upload, "file_id", None)), False)


def _keep(widget_key: str, store_key: str) -> None:
    st.session_state[store_key] = st.session_state[widget_key]


def _stage_text_key(template: str) -> str:
    """Where the typed order is kept: per template, or per file and stage column for the file's own order."""
    if template != "detected":
        return f"stage_text_{template}_{lang()}"
    digest = st.session_state["pipeline_source"].digest[:12]
    column = hashlib.sha256(str(pipeline_mapping().stage).encode()).hexdigest()[:8]
    return f"stage_text_detected_{digest}_{column}_{lang()}"


def _detected_order():
    """The stage order the current pipeline file gives by itself (its vocabulary, probabilities, dates, words)."""
    return pipeline_deals(None, None, {}).order


def _template_store() -> str:
    """Where the chosen template of the current pipeline file is kept (a new file starts from its own order)."""
    return f"stage_template_store_{st.session_state['pipeline_source'].digest[:12]}"


def _default_template() -> str:
    """The template the file's values are, else 'detected' (the order the file gives)."""
    from funnel.stages import TEMPLATES

    try:
        order = _detected_order()
    except FunnelError:
        return "detected"
    label = order.label if order.source == "template" else ""
    return label if label in TEMPLATES else "detected"


def _order_text(template: str) -> str:
    from funnel.stages import template_stages

    if template != "detected":
        return "\n".join(template_stages(template, lang()))
    try:
        return "\n".join(_detected_order().stages)
    except FunnelError:
        return ""


def stage_list() -> list[str] | None:
    """The stage order the user works with: the order the file gives, or a template, edited as text; shared by
    the stage and forecast pages. None means the file's own order, unedited (its source is then stated).

    The text lives in a plain session key, not only in the widget, because Streamlit drops a widget's state when
    another page is shown: the edited order must survive going from the stage page to the forecast page.
    """
    from funnel.stages import TEMPLATES

    store = _template_store()
    st.session_state.setdefault(store, _default_template())
    options = ["detected", *TEMPLATES]
    template = st.selectbox(
        tr("stage_template"),
        options,
        index=options.index(st.session_state[store]),
        format_func=lambda k: tr("order_from_data") if k == "detected" else tr(f"template_{k}"),
        key=f"stage_template_{store}",
        on_change=_keep,
        args=(f"stage_template_{store}", store),
    )
    text_store = _stage_text_key(template)
    st.session_state.setdefault(text_store, _order_text(template))
    text = st.text_area(
        tr("stage_list"),
        value=st.session_state[text_store],
        key=f"w_{text_store}",
        height=170,
        on_change=_keep,
        args=(f"w_{text_store}", text_store),
    )
    return _chosen_stages(template, text)


def _chosen_stages(template: str, text: str) -> list[str] | None:
    """The typed order, or None when it is the file's own order untouched (then its source is stated)."""
    stages = [line.strip() for line in text.splitlines() if line.strip()]
    if template == _default_template() and text == _order_text(template):
        return None
    return stages or None


def current_stages() -> list[str] | None:
    """The stage order set on the stage page (the file's own until then), without drawing the widget."""
    template = st.session_state.get(_template_store()) or _default_template()
    text = st.session_state.get(_stage_text_key(template))
    return _chosen_stages(template, _order_text(template) if text is None else text)


def cached_other_sales(digest: str, data: bytes, name: str) -> SalesData:
    """A second sales report (read with detected columns), to compare with the current one."""
    from funnel.load import load_sales

    return _parsed(("other", digest), lambda: load_sales(data, name))


def summary_columns() -> dict:
    """Column formats of the per-band and per-grade summaries: shares as percent, revenue localised."""
    return {tr("customer_share"): PERCENT, tr("revenue_share"): PERCENT, tr("revenue"): MONEY}


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_buttons(
    table: pd.DataFrame, name: str, sheet: str, key: str, labels: tuple[str, str] | None = None
) -> None:
    """CSV (UTF-8 with BOM) and XLSX buttons side by side for one table; both formula-safe (funnel.export).

    The files are built when a button is clicked, not on every rerun (an XLSX of a few thousand customers takes
    most of a second): Streamlit runs the callable on the click.
    """
    from funnel.export import to_csv_bytes, to_xlsx_bytes

    csv_label, xlsx_label = labels or (tr("download_csv"), tr("download_xlsx"))
    left, right = st.columns(2)
    left.download_button(csv_label, lambda: to_csv_bytes(table), f"{name}.csv", "text/csv", key=f"{key}_csv")
    right.download_button(
        xlsx_label, lambda: to_xlsx_bytes(table, sheet=sheet), f"{name}.xlsx", XLSX_MIME, key=f"{key}_xlsx"
    )
