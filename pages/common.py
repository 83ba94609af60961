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
from funnel.engine import Lines
from funnel.errors import FunnelError
from funnel.escape import markdown
from funnel.formats import Shown, present
from funnel.guard import read_untrusted
from funnel.i18n import t
from funnel.keycustomers import KeyCustomerReport
from funnel.pipeline import PipelineDetection, PipelineMapping, detect_pipeline
from funnel.read import RawReport
from funnel.schema import Mapping, SalesData, detect_sales, filter_lines, prepare_sales
from funnel.sources import SalesSource
from funnel.stages import Deals
from funnel.units import Unit, resolve_unit
from pages import state
from pages.parsecache import ParsedFiles

T = TypeVar("T")
Sales = SalesData | SalesSource  # what every sales page reads: a file's lines in memory or a table's on its engine


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
    return state.lang()


def tr(key: str, **params: object) -> str:
    """A UI string in the current language."""
    return t(key, lang(), **params)


def unit() -> Unit:
    """The money unit amounts are shown in: the user's choice, 'auto' resolved for the data's currency and language."""
    return resolve_unit(str(state.get("unit")), st.session_state.get("currency"), lang())


md = markdown  # user data in captions, labels and alerts: the one escaping helper (funnel.escape)
UPLOAD_TYPES = ["xlsx", "xls", "csv", "txt", "tsv"]


def _column_config(kind: str, lang_code: str) -> object | None:
    """How Streamlit draws a column of a kind (funnel.formats.present): percentages to one decimal, money with
    separators and two decimals, counts with separators, dates in the language's words."""
    if kind == "percent":  # present() gives percent points; printf rounds (a step cut 35.58% to 35.5%)
        return st.column_config.NumberColumn(format="%.1f%%")
    if kind in ("money", "number"):  # printf rounds to the cent; "localized" with a step cut .4965 to .49
        return st.column_config.NumberColumn(format="%,.2f")
    if kind in ("count", "days"):
        return st.column_config.NumberColumn(format="localized", step=1)
    if kind == "ratio":
        return st.column_config.NumberColumn(format="%.2fx")
    if kind == "points":
        return st.column_config.NumberColumn(format=t("points_format", lang_code))
    if kind == "date":
        return st.column_config.DateColumn(format=t("date_column_format", lang_code))
    if kind == "text_right":
        return st.column_config.TextColumn(alignment="right")
    return None


def show_table(
    frame: pd.DataFrame,
    where: object = None,
    kinds: dict[str, str] | None = None,
    default: str | None = None,
    pin: int = 0,
    unit_in_headers: bool = True,
    wide: tuple[str, ...] = (),
    **kwargs: object,
) -> Shown:
    """A result table on screen, written for the language and unit (funnel.formats.present): never None/nan, the
    first `pin` columns pinned so a wide table keeps its names in view while it scrolls, `wide` columns (headers)
    drawn wide enough for a sentence."""
    shown = present(frame, lang(), unit(), kinds, default, unit_in_headers)
    config: dict[str, object] = {}
    for i, (header, kind) in enumerate(shown.kinds.items()):
        column = _column_config(kind, lang())
        if i < pin or header in wide:
            column = column or st.column_config.Column()
        if i < pin:
            column["pinned"] = True
        if header in wide:
            column["width"] = "large"
        if column is not None:
            config[header] = column
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    (where or st).dataframe(shown.frame, column_config=config, **kwargs)
    return shown


def localise_uploaders() -> None:
    """Streamlit writes its file uploaders' button and limit line ("Upload", "200MB per file • XLSX…") in English
    with no setting for them; a style rule writes them in the user's language (the label and help say it too)."""
    button, limit = tr("upload_button"), tr("upload_limit")
    st.html(
        "<style>"
        '[data-testid="stFileUploaderDropzoneInstructions"] div > span, '
        '[data-testid="stFileUploaderDropzoneInstructions"] div > small {font-size: 0 !important;}'
        '[data-testid="stFileUploaderDropzoneInstructions"] div > span::after, '
        '[data-testid="stFileUploaderDropzoneInstructions"] div > small::after '
        f'{{content: "{limit}"; font-size: 0.875rem;}}'
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {font-size: 0 !important;}'
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after '
        f'{{content: "{button}"; font-size: 0.875rem;}}'
        "</style>"
    )


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


def _progress(key: str, work: Callable[[], T]) -> T:
    """`work` under a spinner with the time taken (Streamlit shows it after half a second: large files only)."""
    with st.spinner(tr(key), show_time=True):
        return work()


def cached_report(digest: str, sheet: str | None, data: bytes, name: str) -> RawReport:
    """The parsed sheet (read in a worker process), cached on the file's content and the sheet."""
    return _parsed(
        ("report", digest, sheet), lambda: _progress("reading_file", lambda: read_untrusted(data, name, sheet))
    )


@st.cache_data(show_spinner=False, max_entries=8, ttl=3600)
def cached_mapping(digest: str, sheet: str | None, _raw: RawReport) -> tuple[Mapping, dict[str, Detection]]:
    """The detected column mapping of a parsed sheet, from headers and values, with the evidence per role."""
    return detect_sales(_raw.frame)


def cached_sales(
    digest: str, sheet: str | None, mapping: Mapping, raw: RawReport, detected: dict | None = None
) -> SalesData:
    """The checked sales lines and row accounting for one mapping."""
    return _parsed(
        ("sales", digest, sheet, mapping),
        lambda: _progress("checking_rows", lambda: prepare_sales(raw, mapping, detected)),
    )


@st.cache_data(show_spinner=False, max_entries=32, ttl=3600)
def cached_totals(
    key: tuple, products: tuple[str, ...], start: object, end: object, _lines: pd.DataFrame
) -> pd.DataFrame:
    """Per-customer totals for a product/period choice, cached so threshold changes only re-band."""
    return customer_totals(filter_lines(_lines, list(products), start, end))


def scoped(name: str) -> str:
    """The name of a choice that belongs to the data in use (a new file starts from fresh products and period)."""
    return state.scoped(name)


def sales_key() -> tuple:
    """What identifies the current sales data: file digest, sheet, mapping."""
    return st.session_state.get("sales_key", ())


def current_sales(need_rows: bool = True) -> Sales:
    """The sales data of the current source, a file's SalesData or a table's SalesSource (one interface: products,
    has_dates, span, rows read/used/left out, lines), or stop the page with the reason it is unusable (said once,
    here): a file or table that cannot be read, or (unless `need_rows` is False) one with no sales line to use."""
    leave_v1_multipage_mode()
    sales = st.session_state.get("sales")
    if sales is None:
        error = st.session_state.get("sales_error")
        template = "db_error" if st.session_state.get("source_is_table") else "data_error"
        st.error(tr(template, msg=error or "?"))
        st.stop()
    if need_rows and sales.rows_used == 0:
        st.info(tr("no_data_rows") if sales.rows_read == 0 else tr("no_rows_used", n=f"{sales.rows_read:,}"))
        st.stop()
    return sales


def population_totals(sales: Sales, products: list[str], start: object, end: object) -> pd.DataFrame:
    """Per-customer totals of the chosen products and period (cached: a threshold change only re-bands them); a
    table's come from its engine, a query that shows progress and can be cancelled."""
    if sales.is_table:
        from pages.dbsource import table_totals

        return table_totals(sales, sales_key(), tuple(products or ()), start, end)
    return cached_totals(sales_key(), tuple(products or ()), start, end, sales.lines)


def band_analysis(
    sales: Sales, products: list[str], start: object, end: object, thresholds: list[float], upgrade_pct: float
) -> BandReport:
    """Amount bands for the page's choices: cached totals, then bands (raises FunnelError on bad thresholds)."""
    totals = population_totals(sales, products, start, end)
    return band_report(totals, thresholds, lang(), upgrade_pct, unit=unit())


def error_text(exc: FunnelError) -> str:
    """The error's sentence in the user's language, its file-supplied parts (headers, sheet names, values) escaped."""
    return exc.message(lang(), escape=md)


def show_error(exc: FunnelError) -> None:
    """One sentence in the user's language, never a traceback."""
    st.error(error_text(exc))


def population_filters(sales: Sales, with_period: bool = True) -> tuple[list[str], object, object]:
    """Products (empty = all) and, when the report has dates, a period; shared by every sales page.

    The choices belong to the file (state.scoped) and follow the user from page to page; they are in the URL.
    """
    products = state.multiselect(
        scoped("products"), tr("products"), sales.products, key="products", placeholder=tr("products_placeholder")
    )
    start = end = None
    if with_period and not sales.has_dates:
        st.date_input(tr("period"), value=None, disabled=True, key="period_off", help=tr("period_off"))
        st.caption(tr("period_off"))
    if with_period and sales.has_dates:
        lo, hi = (d.date() for d in sales.span)
        start, end = state.date_range(scoped("period"), tr("period"), lo, hi, key="period", format=date_format())
    return products, start, end


def date_format() -> str:
    """How a date picker writes its dates in the user's language."""
    return "YYYY/MM/DD" if lang() == "zh" else "YYYY-MM-DD"


def population_lines(sales: Sales, products: list[str], start: object, end: object) -> pd.DataFrame | Lines:
    """The lines of the chosen products and period: a file's in memory, a table's as a relation on its engine."""
    if sales.is_table:
        return sales.where(list(products or ()), start, end)
    return filter_lines(sales.lines, list(products or ()), start, end)


def current_thresholds() -> list[float]:
    """The band thresholds in use (set on the band page, or by a link; the defaults until then)."""
    return state.thresholds()


def key_analysis(
    sales: SalesData, products: list[str], start: object, end: object, **options: object
) -> KeyCustomerReport:
    """Key customers for the page's choices: cached totals, then grades and flags."""
    from funnel.keycustomers import key_customers

    totals = population_totals(sales, products, start, end)
    lines = population_lines(sales, products, start, end)
    thresholds, language, money = current_thresholds(), lang(), unit()

    def work() -> KeyCustomerReport:
        return key_customers(lines, totals, thresholds=thresholds, lang=language, unit=money, **options)

    if sales.is_table:
        from pages.dbsource import table_work

        args = (tuple(products or ()), start, end, tuple(thresholds), language, money, tuple(sorted(options.items())))
        return table_work(sales, sales_key(), "key", args, work)
    return work()


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


def current_pipeline():
    """The pipeline source in use (a file, or a database table: pages.dbpipeline.PipelineTable), or stop the page
    with the sentence saying why the chosen table cannot be used."""
    source = st.session_state.get("pipeline_source")
    if source is None:
        st.error(tr("db_error", msg=st.session_state.get("pipeline_error") or "?"))
        st.stop()
    return source


def pipeline_is_table(source=None) -> bool:
    """True when the pipeline is a database table (its figures are computed by its engine)."""
    return not isinstance(source or st.session_state["pipeline_source"], Source)


def pipeline_raw(source: Source | None = None) -> RawReport:
    """The current pipeline export (an upload, else the bundled sample), parsed."""
    source = source or st.session_state["pipeline_source"]
    return cached_pipeline_report(source.digest, source.data, source.name)


def pipeline_detection(source=None) -> PipelineDetection:
    """The detected columns of the pipeline: a file's on all its rows, a table's on a sample (the same rules)."""
    source = source or st.session_state["pipeline_source"]
    if pipeline_is_table(source):
        return source.detection
    return cached_pipeline_detection(source.digest, pipeline_raw(source))


def pipeline_columns(source=None) -> list[str]:
    """The pipeline's column names, as the mapping panel offers them."""
    source = source or st.session_state["pipeline_source"]
    if pipeline_is_table(source):
        return list(source.columns)
    return [str(c) for c in pipeline_raw(source).frame.columns]


def pipeline_mapping(source=None) -> PipelineMapping:
    """The pipeline columns: as set in the sidebar's pipeline mapping for the current source, else detected."""
    source = source or st.session_state["pipeline_source"]
    chosen = st.session_state.get("pipeline_mapping")
    if chosen is not None and chosen[0] == source.digest:
        return chosen[1]
    return pipeline_detection(source).mapping


def pipeline_shape(source=None) -> str | None:
    """The input shape chosen for the current pipeline source (None: the one detected from it)."""
    source = source or st.session_state["pipeline_source"]
    return state.get(f"input_shape@{source.digest[:12]}")


def detected_shape(source=None) -> str:
    """The input shape the pipeline looks like with its current mapping (a table's counted by its engine)."""
    from funnel.stages import detect_shape

    source = source or st.session_state["pipeline_source"]
    if pipeline_is_table(source):
        from pages.dbpipeline import shape_of

        return shape_of(source, pipeline_mapping(source))
    return detect_shape(pipeline_raw(source).frame, pipeline_mapping(source))


def pipeline_deals(stages: list[str] | None, shape: str | None, value_map: dict[str, str], source=None) -> Deals:
    """Deals of the current (or given) pipeline source for the page's stage list, shape and value mapping; a shape
    of None is the one chosen on the stage page for this source, else the detected one. A table's deals stay on
    its engine (`Deals.relation`); the analyses go through `pipeline_query`."""
    source = source or st.session_state["pipeline_source"]
    shape = shape or pipeline_shape(source)
    mapping = pipeline_mapping(source)
    stages_key = tuple(stages) if stages else None
    values = tuple(sorted(value_map.items()))
    if pipeline_is_table(source):
        from pages.dbpipeline import deals_of

        return deals_of(source, stages_key, shape, values, mapping)
    return cached_deals(source.digest, stages_key, shape, values, mapping, pipeline_raw(source))


def pipeline_query(deals: Deals, tag: str, args: tuple, work: Callable[[], T]) -> T:
    """An analysis of the deals: a file's run here (in memory, fast), a table's by its engine through the
    cancellable runner, memoised per the deals and `args` (a rerun asking nothing new sends no query)."""
    if deals.relation is None:
        return work()
    from pages.dbpipeline import deals_query

    return deals_query(deals, tag, args, work)


def pipeline_account(deals: Deals) -> None:
    """The pipeline's rows left out (per reason) and stage values matching no stage, as a caption: never silent."""
    if deals.reasons:
        reasons = " · ".join(f"{tr('reason_' + k)}: {v}" for k, v in deals.reasons.items())
        st.caption(tr("left_out_line", reasons=reasons))
    if len(deals.unmapped):
        values = "、".join(f"{md(r.value)} ({r.rows})" for r in deals.unmapped.itertuples(index=False))
        st.caption(tr("unmapped_line", values=values))
    parsed_in_sql_note(deals)


def parsed_in_sql_note(deals: Deals) -> None:
    """A table's columns with too many distinct values for the file's parsers, read by the SQL rules: said."""
    if deals.parsed_in_sql:
        from funnel import table_rows

        columns = "、".join(md(c) for c in deals.parsed_in_sql)
        st.caption(tr("table_parsed_in_sql", columns=columns, limit=f"{table_rows.LOOKUP_LIMIT:,}"))


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


def _stage_text_key(template: str) -> str:
    """Where the user's edited order is kept: per template, or per file and stage column for the file's own order.
    Not per language: an order the user typed is the one in use whatever the language (an unedited template is
    shown in the language's words)."""
    if template != "detected":
        return f"stage_text_{template}"
    digest = st.session_state["pipeline_source"].digest[:12]
    column = hashlib.sha256(str(pipeline_mapping().stage).encode()).hexdigest()[:8]
    return f"stage_text_detected_{column}@{digest}"


def _detected_order():
    """The stage order the current pipeline file gives by itself (its vocabulary, probabilities, dates, words)."""
    return pipeline_deals(None, None, {}).order


def _template_store() -> str:
    """Where the chosen template of the current pipeline file is kept (a new file starts from its own order)."""
    return f"stage_template@{st.session_state['pipeline_source'].digest[:12]}"


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
    the stage and forecast pages. None means the file's own order, unedited (its source is then stated)."""
    from funnel.stages import TEMPLATES

    template = state.select(
        _template_store(),
        tr("stage_template"),
        ["detected", *TEMPLATES],
        default=_default_template(),
        format_func=lambda k: tr("order_from_data") if k == "detected" else tr(f"template_{k}"),
        key="stage_template",
    )
    text = state.text(
        _stage_text_key(template), tr("stage_list"), _order_text(template), key="stage_text", area=True, height=170
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
    template = state.get(_template_store()) or _default_template()
    text = state.get(_stage_text_key(template))
    return _chosen_stages(template, _order_text(template) if text is None else text)


def cached_other_sales(digest: str, data: bytes, name: str) -> SalesData:
    """A second sales report (read with detected columns), to compare with the current one."""
    from funnel.load import load_sales

    return _parsed(("other", digest), lambda: load_sales(data, name))


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_buttons(
    table: pd.DataFrame, name: str, sheet: str, key: str, labels: tuple[str, str] | None = None
) -> None:
    """CSV (UTF-8 with BOM) and XLSX buttons side by side for one table; both formula-safe (funnel.export).

    The files are built when a button is clicked, not on every rerun (an XLSX of a few thousand customers takes
    most of a second): Streamlit runs the callable on the click. A click does not rerun the page
    (on_click="ignore"): a rerun would replace the other button's file while the browser may still ask for it.
    """
    from funnel.export import to_csv_bytes, to_xlsx_bytes

    csv_label, xlsx_label = labels or (tr("download_csv"), tr("download_xlsx"))
    left, right = st.columns(2)
    left.download_button(
        csv_label, lambda: to_csv_bytes(table), f"{name}.csv", "text/csv", key=f"{key}_csv", on_click="ignore"
    )
    right.download_button(
        xlsx_label,
        lambda: to_xlsx_bytes(table, sheet=sheet),
        f"{name}.xlsx",
        XLSX_MIME,
        key=f"{key}_xlsx",
        on_click="ignore",
    )
