"""Customer Funnel (客户漏斗): the Streamlit entry point.

It owns the shared data source (an upload, or the bundled sample with no upload), the column mapping and the
language switch, then runs the chosen page with st.navigation. Every page reads the same SalesData.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import streamlit as st

from funnel.detect import Detection
from funnel.errors import FunnelError
from funnel.i18n import t
from funnel.pipeline import PipelineMapping, resolve_stage_dates
from funnel.sample import SAMPLE_SALES
from funnel.schema import Mapping
from pages.common import (
    Source,
    cached_mapping,
    cached_pipeline_detection,
    cached_report,
    cached_sales,
    current_stages,
    digest_of,
    error_text,
    lang,
    leave_v1_multipage_mode,
    md,
    pipeline_deals,
    pipeline_raw,
    tr,
    upload_source,
)

ROLES_SHOWN = ("customer", "amount", "product", "date", "region", "rep", "order", "quantity", "unit_price")
PIPELINE_ROLES_SHOWN = (
    "stage",
    "deal",
    "customer",
    "amount",
    "probability",
    "close_date",
    "status",
    "lost_stage",
    "lost_reason",
    "date",
    "event_date",
    "rep",
    "product",
    "region",
)

leave_v1_multipage_mode()
st.set_page_config(page_title=f"{t('app_title', 'zh')} · {t('app_title', 'en')}", page_icon="🔻", layout="wide")


def choose_language() -> None:
    st.sidebar.radio(
        t("language", "zh"),
        options=["zh", "en"],
        format_func=lambda code: t("lang_name", code),
        horizontal=True,
        key="lang",
    )


@st.cache_data(show_spinner=False)
def _sample_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def sample_source(path: Path) -> Source:
    """A bundled sample file as a Source (read once, hashed once)."""
    data = _sample_bytes(str(path))
    return Source(data, path.name, digest_of(data, f"sample:{path.name}"), True)


def choose_source() -> Source:
    st.sidebar.header(tr("source_header"))
    upload = st.sidebar.file_uploader(tr("upload_label"), type=["xlsx", "xls", "csv", "txt", "tsv"], key="upload")
    if upload is not None:
        st.sidebar.caption(tr("using_upload", name=md(upload.name)))
        return upload_source(upload)
    st.sidebar.caption(tr("using_sample", name=SAMPLE_SALES.name))
    return sample_source(SAMPLE_SALES)


def choose_pipeline() -> None:
    """The pipeline export the stage and forecast pages read (the bundled sample until one is uploaded)."""
    from funnel.sample import SAMPLE_PIPELINE

    with st.sidebar.expander(tr("pipeline_source")):
        upload = st.file_uploader(tr("pipeline_upload"), type=["xlsx", "xls", "csv", "txt", "tsv"], key="pipeline_up")
        if upload is not None:
            st.caption(tr("using_upload", name=md(upload.name)))
            source = upload_source(upload)
        else:
            st.caption(tr("pipeline_sample", name=SAMPLE_PIPELINE.name))
            source = sample_source(SAMPLE_PIPELINE)
    st.session_state["pipeline_source"] = source


def role_select(role: str, columns: list[str], detection: Detection | None, key: str) -> str | None:
    """One role's column: the detected one, or an explicit choice asked for when the evidence is weak; the
    evidence is shown under it."""
    none = tr("no_column")
    options = [none, *columns]
    ask = detection is not None and detection.column is not None and not detection.confident
    default = detection.column if detection is not None else None
    index = None if ask else options.index(default) if default in columns else 0
    value = st.selectbox(tr(f"role_{role}"), options, index=index, key=key, placeholder=tr("choose_column"))
    if ask:
        st.warning(tr("ask_column", role=tr(f"role_{role}"), evidence=md(detection.sentence(lang()))))
    elif detection is not None and detection.column is not None and value == detection.column:
        st.caption(md(detection.sentence(lang())))
    return None if value in (None, none) else value


def choose_mapping(source: Source, columns: list[str], detected: Mapping, detections: dict) -> Mapping:
    """One select box per role, defaulting to the detected column with its evidence; a new file resets them."""
    doubtful = any(d.column and not d.confident for d in detections.values())
    chosen: dict[str, str | None] = {}
    with st.sidebar.expander(tr("mapping_header"), expanded=bool(detected.missing()) or doubtful):
        for role in ROLES_SHOWN:
            chosen[role] = role_select(role, columns, detections.get(role), f"map_{source.digest[:12]}_{role}")
        derive = st.toggle(tr("derive_amount"), value=True, key=f"derive_{source.digest[:12]}")
        mapping = Mapping(**chosen, derive_amount=derive)
        if mapping.derived:
            st.caption(md(tr("evidence_derived", quantity=mapping.quantity, unit_price=mapping.unit_price)))
    return mapping


def choose_pipeline_mapping() -> None:
    """The pipeline's columns, mapped like the sales report's: each role with its evidence (asked for when weak),
    and one entry-date column per stage; a new pipeline file is detected afresh."""
    source = st.session_state["pipeline_source"]
    try:
        raw = pipeline_raw(source)
        found = cached_pipeline_detection(source.digest, raw)
        steps = pipeline_deals(current_stages(), None, {}).stages
    except FunnelError:
        return  # the pipeline pages say why the file cannot be used
    columns = [str(c) for c in raw.frame.columns]
    tag = source.digest[:12]
    stage = found.detections.get("stage")
    with st.sidebar.expander(tr("pipeline_mapping_header"), expanded=stage is not None and not stage.confident):
        chosen = {
            role: role_select(role, columns, found.detections.get(role), f"pmap_{tag}_{role}")
            for role in PIPELINE_ROLES_SHOWN
        }
        st.markdown(f"**{tr('stage_dates_header')}**")
        detected_dates = resolve_stage_dates(found.mapping.stage_dates, steps)
        none = tr("no_column")
        dates = []
        for i, step in enumerate(steps):
            default = detected_dates.get(step)
            options = [none, *columns]
            value = st.selectbox(
                tr("stage_date_of", stage=md(step)),
                options,
                index=options.index(default) if default in columns else 0,
                key=f"pdate_{tag}_{i}_{step}",
            )
            if value != none:
                dates.append((step, value))
    mapping = PipelineMapping(**chosen, stage_dates=tuple(dates))
    st.session_state["pipeline_mapping"] = (source.digest, mapping)


def load_data(source: Source) -> None:
    """Read, map and check the source; leave SalesData (or the reason it failed) in session state."""
    st.session_state["sales"], st.session_state["sales_error"] = None, None
    try:
        raw = cached_report(source.digest, None, source.data, source.name)  # best-guess sheet
        sheet = raw.sheet
        if len(raw.sheets) > 1:
            key = f"sheet_{source.digest[:12]}"
            sheet = st.sidebar.selectbox(tr("sheet"), raw.sheets, index=raw.sheets.index(raw.sheet), key=key)
            if sheet != raw.sheet:
                raw = cached_report(source.digest, sheet, source.data, source.name)
        detected, detections = cached_mapping(source.digest, sheet, raw)
        mapping = choose_mapping(source, [str(c) for c in raw.frame.columns], detected, detections)
        sales = cached_sales(source.digest, sheet, mapping, raw, detections)
    except FunnelError as exc:
        st.session_state["sales_error"] = error_text(exc)
        st.sidebar.error(error_text(exc))
        return
    except Exception as exc:
        if os.environ.get("FUNNEL_DEBUG"):
            raise
        logging.getLogger("funnel").exception("reading failed")
        st.session_state["sales_error"] = tr("unexpected_error", kind=type(exc).__name__)
        st.sidebar.error(st.session_state["sales_error"])
        return
    st.session_state["sales"] = sales
    st.session_state["sales_raw"] = raw
    st.session_state["sales_key"] = (source.digest, sheet, mapping)
    st.sidebar.caption(
        tr("rows_summary", read=f"{sales.rows_read:,}", used=f"{sales.rows_used:,}", left=f"{sales.rows_left_out:,}")
    )


choose_language()
source = choose_source()
load_data(source)
choose_pipeline()
choose_pipeline_mapping()

pages = [
    st.Page("pages/bands.py", title=tr("page_bands"), icon=":material/filter_alt:", default=True, url_path="bands"),
    st.Page("pages/key_customers.py", title=tr("page_key"), icon=":material/star:", url_path="key-customers"),
    st.Page("pages/stages.py", title=tr("page_stages"), icon=":material/stacked_bar_chart:", url_path="stages"),
    st.Page("pages/forecast.py", title=tr("page_forecast"), icon=":material/trending_up:", url_path="forecast"),
    st.Page("pages/trends.py", title=tr("page_trends"), icon=":material/swap_vert:", url_path="trends"),
    st.Page("pages/data.py", title=tr("page_data"), icon=":material/table_view:", url_path="data"),
]
try:
    st.navigation(pages).run()
except FunnelError as exc:  # a page let one of ours through: still one sentence
    st.error(error_text(exc))
except Exception as exc:  # never a traceback in front of a user; tests set FUNNEL_DEBUG to see it
    if os.environ.get("FUNNEL_DEBUG"):
        raise
    logging.getLogger("funnel").exception("page failed")
    st.error(tr("unexpected_error", kind=type(exc).__name__))
