"""Data page: what was read, which column plays which role, and every row left out with its reason."""

from __future__ import annotations

import streamlit as st

from funnel.tables import (
    accounting_table,
    detections_table,
    left_out_table,
    lines_table,
    localise_columns,
    mapping_table,
)
from pages.common import current_sales, download_buttons, lang, md, tr

sales = current_sales()
st.title(tr("page_data"))
st.caption(tr("header_found", row=sales.header_row, sheet=md(sales.sheet or "CSV")))
if sales.amount_scale != 1:
    st.info(tr("amount_in_wan"))
if sales.duplicates:
    st.warning(tr("duplicates_warning", n=sales.duplicates))

left, right = st.columns(2)
left.dataframe(mapping_table(sales, lang()), hide_index=True, width="stretch")
right.dataframe(accounting_table(sales, lang()), hide_index=True, width="stretch")
if sales.derived_amount:
    st.info(md(tr("evidence_derived", quantity=sales.mapping.quantity, unit_price=sales.mapping.unit_price)))

st.subheader(tr("left_out_rows"))
left_out = left_out_table(sales, lang())
st.dataframe(left_out, hide_index=True, width="stretch")
if len(left_out):
    labels = (tr("download_left_out") + " (CSV)", tr("download_left_out") + " (XLSX)")
    download_buttons(left_out, "left_out", "left_out", "left_out", labels)

if len(sales.name_variants):
    st.subheader(tr("name_variants"))
    st.caption(tr("variants_note", n=len(sales.name_variants)))
    st.dataframe(localise_columns(sales.name_variants, lang()), hide_index=True, width="stretch")

st.subheader(tr("detections_header"))
st.dataframe(detections_table(sales.detections, lang()), hide_index=True, width="stretch")

st.subheader(tr("lines_preview"))
st.dataframe(lines_table(sales.lines.head(200), lang()), hide_index=True, width="stretch")
