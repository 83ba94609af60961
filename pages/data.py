"""Data page: what was read, which column plays which role, and every row left out with its reason."""

from __future__ import annotations

import streamlit as st

from funnel.formats import count
from funnel.tables import (
    accounting_table,
    detections_table,
    left_out_table,
    lines_table,
    localise_columns,
    mapping_table,
)
from pages.common import current_sales, download_buttons, lang, md, show_table, tr

sales = current_sales(need_rows=False)
st.title(tr("page_data"))
if sales.is_table:  # a table's account and columns; its rows stay in the database
    left, right = st.columns(2)
    show_table(mapping_table(sales, lang()), where=left, key="mapping")
    show_table(accounting_table(sales, lang()), where=right, key="accounting")
    st.info(tr("db_data_page_note"))
    st.subheader(tr("detections_header"))
    show_table(detections_table(sales.detections, lang()), pin=1, key="detections")
    st.stop()
st.caption(tr("header_found", row=sales.header_row, sheet=md(sales.sheet or "CSV")))
if sales.amount_scale != 1:
    st.info(tr("amount_in_wan"))
if sales.duplicates:
    st.warning(tr("duplicates_warning", n=count(sales.duplicates)))

left, right = st.columns(2)
show_table(mapping_table(sales, lang()), where=left, key="mapping")
show_table(accounting_table(sales, lang()), where=right, key="accounting")
if sales.derived_amount:
    st.info(md(tr("evidence_derived", quantity=sales.mapping.quantity, unit_price=sales.mapping.unit_price)))

if sales.rows_read == 0:
    st.info(tr("no_data_rows"))
st.subheader(tr("left_out_rows"))
left_out = left_out_table(sales, lang())
show_table(left_out, pin=2, key="left_out")
if len(left_out):
    labels = (tr("download_left_out") + " (CSV)", tr("download_left_out") + " (XLSX)")
    download_buttons(left_out, "left_out", "left_out", "left_out", labels)

if len(sales.name_variants):
    st.subheader(tr("name_variants"))
    st.caption(tr("variants_note", n=count(len(sales.name_variants))))
    show_table(localise_columns(sales.name_variants, lang()), key="variants")

st.subheader(tr("detections_header"))
show_table(detections_table(sales.detections, lang()), pin=1, key="detections")

st.subheader(tr("lines_preview"))
show_table(lines_table(sales.lines.head(200), lang()), pin=2, key="lines")
