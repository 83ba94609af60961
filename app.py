"""Customer Funnel (客户漏斗): the Streamlit entry point.

It owns the shared data source (an upload, or the bundled sample with no upload), the column mapping and the
language switch, then runs the chosen page with st.navigation. Every page reads the same SalesData.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import streamlit as st

from funnel.errors import FunnelError
from funnel.i18n import t
from funnel.sample import SAMPLE_SALES
from funnel.schema import Mapping
from pages.common import (
    Source,
    cached_mapping,
    cached_report,
    cached_sales,
    digest_of,
    error_text,
    leave_v1_multipage_mode,
    md,
    tr,
    upload_source,
)

ROLES_SHOWN = ("customer", "amount", "product", "date", "region", "rep", "order", "quantity")

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


def choose_mapping(source: Source, columns: list[str], detected: Mapping) -> Mapping:
    """One select box per role, defaulting to the detected column; a new file resets them."""
    none = tr("no_column")
    options = [none, *columns]
    chosen: dict[str, str | None] = {}
    with st.sidebar.expander(tr("mapping_header"), expanded=bool(detected.missing())):
        for role in ROLES_SHOWN:
            default = getattr(detected, role)
            index = options.index(default) if default in columns else 0
            value = st.selectbox(tr(f"role_{role}"), options, index=index, key=f"map_{source.digest[:12]}_{role}")
            chosen[role] = None if value == none else value
    return Mapping(**chosen)


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
        mapping = choose_mapping(source, [str(c) for c in raw.frame.columns], cached_mapping(source.digest, sheet, raw))
        sales = cached_sales(source.digest, sheet, mapping, raw)
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
