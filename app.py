"""Customer Funnel (客户漏斗): the Streamlit entry point.

It owns the shared data source (an upload, or the bundled sample with no upload), the column mapping, the language
and the money unit, and the navigation; then it runs the chosen page. Every page reads the same SalesData. The
user's choices live in one state model (pages/state.py), mirrored in the URL.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import streamlit as st

from funnel.detect import Detection
from funnel.errors import FunnelError
from funnel.i18n import t
from funnel.pipeline import ROLE_ORDER as PIPELINE_ROLE_ORDER
from funnel.pipeline import PipelineMapping, resolve_stage_dates
from funnel.sample import SAMPLE_PIPELINE, SAMPLE_SALES
from funnel.schema import ROLE_ORDER, Mapping
from funnel.units import UNIT_CHOICES, detect_currency, resolve_unit, unit_choice_label
from pages import state
from pages.common import (
    UPLOAD_TYPES,
    Source,
    cached_mapping,
    cached_report,
    cached_sales,
    current_stages,
    digest_of,
    error_text,
    lang,
    leave_v1_multipage_mode,
    localise_uploaders,
    md,
    pipeline_columns,
    pipeline_deals,
    pipeline_detection,
    tr,
    upload_source,
)
from pages.dbpipeline import PipelineTable, choose_pipeline_table
from pages.dbsource import catalog, choose_table, detected_columns, new_run, open_table

PIPELINE_PAGES = ("stages", "forecast")


def choose_language() -> None:
    state.radio(
        "lang",
        t("language", "zh") if lang() == "zh" else t("language", "en"),
        ["zh", "en"],
        format_func=lambda code: t("lang_name", code),
        horizontal=True,
        where=st.sidebar,
    )


def choose_unit(where, currency: str | None) -> None:
    """元 / 万元 / the file's own currency (or plain numbers), 'auto' by default; every amount follows it."""
    state.select(
        "unit",
        tr("unit_label"),
        UNIT_CHOICES,
        default="auto",
        format_func=lambda c: unit_choice_label(c, resolve_unit(c, currency, lang()), lang()),
        where=where,
        help=tr("unit_help"),
    )


@st.cache_data(show_spinner=False)
def _sample_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def sample_source(path: Path) -> Source:
    """A bundled sample file as a Source (read once, hashed once)."""
    data = _sample_bytes(str(path))
    return Source(data, path.name, digest_of(data, f"sample:{path.name}"), True)


def source_kind(choice: str, where) -> str:
    """ "file" (an upload or the bundled sample) or "db" (a named database source), for the sales report or the
    pipeline; asked only when FUNNEL_SOURCES lists sources."""
    return state.radio(
        choice,
        tr("source_kind"),
        ["file", "db"],
        format_func=lambda k: tr(f"source_kind_{k}"),
        horizontal=True,
        where=where,
    )


def choose_source() -> Source | None:
    """The file every page reads (an upload, else the bundled sample), or None when the user chose a database
    source (offered only when FUNNEL_SOURCES lists any)."""
    st.sidebar.header(tr("source_header"))
    sources, problem = catalog()
    if problem:
        st.sidebar.warning(problem)
    if sources:
        if source_kind("source_kind", st.sidebar) == "db":
            return None
    else:
        state.put("source_kind", "file")  # a link naming a database source, on a server that lists none
    upload = st.sidebar.file_uploader(tr("upload_label"), type=UPLOAD_TYPES, key="upload", help=tr("upload_help"))
    if upload is not None:
        st.sidebar.caption(tr("using_upload", name=md(upload.name)))
        return upload_source(upload)
    st.sidebar.caption(tr("using_sample", name=SAMPLE_SALES.name))
    return sample_source(SAMPLE_SALES)


def choose_pipeline() -> None:
    """The pipeline the stage and forecast pages read: an upload (the bundled sample until one is uploaded) or,
    when FUNNEL_SOURCES lists any, a table of a named source chosen with the sales source's widgets. A table that
    cannot be used leaves None and its sentence (the pipeline pages say it)."""
    sources, _ = catalog()  # a mistake in the file is said once, by the sales source
    st.session_state["pipeline_error"] = None
    with st.sidebar.expander(tr("pipeline_source")):
        kind = "file"
        if sources:
            kind = source_kind("pipeline_kind", st)
        else:
            state.put("pipeline_kind", "file")
        if kind == "db":
            st.session_state["pipeline_source"] = pipeline_table(sources)
            return
        upload = st.file_uploader(tr("pipeline_upload"), type=UPLOAD_TYPES, key="pipeline_up", help=tr("upload_help"))
        if upload is not None:
            st.caption(tr("using_upload", name=md(upload.name)))
            source = upload_source(upload)
        else:
            st.caption(tr("pipeline_sample", name=SAMPLE_PIPELINE.name))
            source = sample_source(SAMPLE_PIPELINE)
    st.session_state["pipeline_source"] = source


def pipeline_table(sources: dict) -> PipelineTable | None:
    """The chosen pipeline table (drawn in the current container), or None with the reason kept for the pages."""
    try:
        table = choose_pipeline_table(sources, st)
    except Exception as exc:
        st.session_state["pipeline_error"] = one_sentence(exc, "pipeline table failed")
        return None
    st.caption(tr("using_db", name=md(table.source.name), table=md(table.table)))
    return table


def role_select(role: str, columns: list[str], detection: Detection | None, name: str, key: str) -> str | None:
    """One role's column: the detected one, or an explicit choice asked for when the evidence is weak; the
    evidence is shown under it. The choice is kept per file in the state model."""
    none = tr("no_column")
    options = ["", *columns]
    ask = detection is not None and detection.column is not None and not detection.confident
    default = None if ask else detection.column if detection is not None and detection.column in columns else ""
    value = state.select(
        name,
        tr(f"role_{role}"),
        options,
        default=default,
        allow_none=ask,
        format_func=lambda c: c or none,
        key=key,
        placeholder=tr("choose_column"),
    )
    if ask and value is None:
        st.warning(tr("ask_column", role=tr(f"role_{role}"), evidence=md(detection.sentence(lang()))))
    elif detection is not None and detection.column is not None and value == detection.column:
        st.caption(md(detection.sentence(lang())))
    return value or None


def choose_mapping(scope: str, columns: list[str], detected: Mapping, detections: dict) -> Mapping:
    """One select box per role, defaulting to the detected column with its evidence; each file (or table, by its
    `scope`) keeps its own."""
    doubtful = any(d.column and not d.confident for d in detections.values())
    chosen: dict[str, str | None] = {}
    with st.sidebar.expander(tr("mapping_header"), expanded=bool(detected.missing()) or doubtful):
        for role in ROLE_ORDER:
            chosen[role] = role_select(role, columns, detections.get(role), f"map_{role}@{scope}", f"map_{role}")
        derive = state.toggle(f"derive@{scope}", tr("derive_amount"), default=True, key="derive")
        mapping = Mapping(**chosen, derive_amount=derive)
        if mapping.derived:
            st.caption(md(tr("evidence_derived", quantity=mapping.quantity, unit_price=mapping.unit_price)))
    return mapping


def choose_pipeline_mapping() -> None:
    """The pipeline's columns, mapped like the sales report's: each role with its evidence (asked for when weak),
    and one entry-date column per stage; a new pipeline file or table is detected afresh (its choices are its
    own). A table's columns are detected on a sample of its rows by the same rules."""
    source = st.session_state["pipeline_source"]
    if source is None:
        return  # the pipeline pages say why the table cannot be used
    try:
        found = pipeline_detection(source)
        columns = pipeline_columns(source)
        steps = pipeline_deals(current_stages(), None, {}).stages
    except FunnelError:
        return  # the pipeline pages say why the source cannot be used
    tag = source.digest[:12]
    stage = found.detections.get("stage")
    with st.sidebar.expander(tr("pipeline_mapping_header"), expanded=stage is not None and not stage.confident):
        chosen = {
            role: role_select(role, columns, found.detections.get(role), f"pmap_{role}@{tag}", f"pmap_{role}")
            for role in PIPELINE_ROLE_ORDER
        }
        st.markdown(f"**{tr('stage_dates_header')}**")
        detected_dates = resolve_stage_dates(found.mapping.stage_dates, steps)
        dates = []
        for i, step in enumerate(steps):
            default = detected_dates.get(step)
            value = state.select(
                f"pdate_{i}_{step}@{tag}",
                tr("stage_date_of", stage=md(step)),
                ["", *columns],
                default=default if default in columns else "",
                format_func=lambda c: c or tr("no_column"),
                key=f"pdate_{i}",
            )
            if value:
                dates.append((step, value))
    mapping = PipelineMapping(**chosen, stage_dates=tuple(dates))
    st.session_state["pipeline_mapping"] = (source.digest, mapping)


def load_data(source: Source) -> str | None:
    """Read, map and check the source; leave SalesData (or the reason it failed) in session state and tie the
    file-specific choices to it. Returns the currency its amounts are in (None when the file does not say)."""
    st.session_state["sales"], st.session_state["sales_error"] = None, None
    try:
        raw = cached_report(source.digest, None, source.data, source.name)  # best-guess sheet
        sheet = raw.sheet
        if len(raw.sheets) > 1:
            sheet = state.select(
                f"sheet@{source.digest[:12]}", tr("sheet"), raw.sheets, default=raw.sheet, where=st.sidebar, key="sheet"
            )
            if sheet != raw.sheet:
                raw = cached_report(source.digest, sheet, source.data, source.name)
        detected, detections = cached_mapping(source.digest, sheet, raw)
        scope = f"{source.digest[:12]}:{sheet or ''}"
        mapping = choose_mapping(scope, [str(c) for c in raw.frame.columns], detected, detections)
        sales = cached_sales(source.digest, sheet, mapping, raw, detections)
    except Exception as exc:
        st.session_state["sales_error"] = one_sentence(exc, "reading failed")
        state.use_data(source.digest[:12], [], None)
        return None
    st.session_state["sales"] = sales
    st.session_state["sales_raw"] = raw
    st.session_state["sales_key"] = (source.digest, sheet, mapping)
    span = None
    if sales.has_dates and len(sales.lines):
        span = (sales.lines["date"].min().date(), sales.lines["date"].max().date())
    state.use_data(f"{source.digest[:12]}:{sheet or ''}", sales.products, span)
    st.sidebar.caption(
        tr("rows_summary", read=f"{sales.rows_read:,}", used=f"{sales.rows_used:,}", left=f"{sales.rows_left_out:,}")
    )
    column = mapping.amount
    sample = raw.frame[column].dropna().head(200).tolist() if column in raw.frame.columns else []
    return detect_currency(column or "", sample)


def load_database() -> str | None:
    """A table of a named database source: chosen in the sidebar, mapped like a file, classified and counted by its
    engine; the opened table (or the reason it cannot be used) is left in session state like a file's SalesData.
    Returns the currency its amounts are in (None when the table does not say)."""
    st.session_state["sales"], st.session_state["sales_error"], st.session_state["sales_raw"] = None, None, None
    identity = "db"
    try:
        source, table, engine = choose_table(catalog()[0])
        identity = f"db:{source.name}:{table}"
        relation, columns, detected, found = detected_columns(source, table, engine)
        mapping = choose_mapping(identity, columns, detected, found)
        sales, currency = open_table(source, table, engine, relation, (detected, found), mapping)
    except Exception as exc:
        st.session_state["sales_error"] = one_sentence(exc, "database source failed")
        state.use_data(identity, [], None)
        return None
    st.session_state["sales"] = sales
    st.session_state["sales_key"] = (source.name, table, mapping)
    first, last = sales.span
    span = (first.date(), last.date()) if sales.has_dates and last is not None else None
    state.use_data(identity, sales.products, span)
    st.sidebar.caption(tr("using_db", name=md(source.name), table=md(table)))
    st.sidebar.caption(
        tr("rows_summary", read=f"{sales.rows_read:,}", used=f"{sales.rows_used:,}", left=f"{sales.rows_left_out:,}")
    )
    return currency


def draw_navigation(where, pages: list) -> None:
    """The page links, each carrying the view in its address (a page switch keeps the view and is one history
    entry, so the back button returns to the page and view before it)."""
    params = state.view_params()
    for page in pages:
        where.page_link(page, label=page.title, icon=page.icon, query_params=params)


def one_sentence(exc: Exception, what: str) -> str:
    """What went wrong, as one sentence in the user's language: ours say themselves; anything else is logged (with
    its trace, as `what`) and named by its kind, never shown as a traceback (tests set FUNNEL_DEBUG to see it
    raised)."""
    if isinstance(exc, FunnelError):
        return error_text(exc)
    if os.environ.get("FUNNEL_DEBUG"):
        raise exc
    logging.getLogger("funnel").error(what, exc_info=exc)
    return tr("unexpected_error", kind=type(exc).__name__)


def main() -> None:
    """One run of the app; whatever fails in the sidebar (sources, mappings) or the page is said in one sentence."""
    try:
        run()
    except Exception as exc:
        st.error(one_sentence(exc, "run failed"))


def run() -> None:
    """View from the URL, data source, mapping, language and unit, navigation, then the page."""
    leave_v1_multipage_mode()
    st.set_page_config(page_title=f"{t('app_title', 'zh')} · {t('app_title', 'en')}", page_icon="🔻", layout="wide")
    state.read_url()
    new_run()
    pages = [
        st.Page("pages/bands.py", title=tr("page_bands"), icon=":material/filter_alt:", default=True, url_path="bands"),
        st.Page("pages/key_customers.py", title=tr("page_key"), icon=":material/star:", url_path="key_customers"),
        st.Page("pages/stages.py", title=tr("page_stages"), icon=":material/stacked_bar_chart:", url_path="stages"),
        st.Page("pages/forecast.py", title=tr("page_forecast"), icon=":material/trending_up:", url_path="forecast"),
        st.Page("pages/trends.py", title=tr("page_trends"), icon=":material/swap_vert:", url_path="trends"),
        st.Page("pages/data.py", title=tr("page_data"), icon=":material/table_view:", url_path="data"),
    ]
    current = st.navigation(pages, position="hidden")
    navigation = st.sidebar.container()
    st.sidebar.divider()
    choose_language()
    unit_box = st.sidebar.container()
    localise_uploaders()
    source = choose_source()
    st.session_state["source_is_table"] = source is None
    if source is None:
        st.session_state["sales_is_sample"] = False
        currency = load_database()
    else:
        st.session_state["sales_is_sample"] = source.is_sample
        currency = load_data(source)
    st.session_state["currency"] = currency
    choose_unit(unit_box, currency)
    choose_pipeline()
    choose_pipeline_mapping()
    state.write_url()
    draw_navigation(navigation, pages)
    for sentence in state.notes():
        st.warning(sentence, icon=":material/link_off:")
    if st.session_state["sales_error"] and current.url_path in PIPELINE_PAGES:  # the sales pages say it in their body
        template = "db_error" if st.session_state["source_is_table"] else "data_error"
        st.sidebar.error(tr(template, msg=st.session_state["sales_error"]))

    try:
        current.run()
    except Exception as exc:  # the page's failure below the sidebar already drawn
        st.error(one_sentence(exc, "page failed"))


if __name__ == "__main__":  # Streamlit runs this file as __main__; a file-reading worker process must not
    main()
