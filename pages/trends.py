"""Trends page: two periods compared — band migration (matrix, Sankey), change per product, monthly trend."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from funnel.charts import migration_sankey, trend_charts
from funnel.errors import FunnelError
from funnel.migration import Period, change_between, migrate, monthly_trend, preset_periods, split_periods
from funnel.schema import filter_lines
from funnel.tables import download_name, migration_customers_table, migration_matrix_table, product_change_table
from pages.common import (
    MONEY,
    PERCENT,
    cached_other_sales,
    current_sales,
    current_thresholds,
    download_buttons,
    lang,
    md,
    population_filters,
    show_error,
    tr,
    upload_source,
)


def choose_periods(first: pd.Timestamp, last: pd.Timestamp) -> tuple[Period, Period] | None:
    """Two periods of this report, or None when comparing with another report."""
    preset = st.radio(
        tr("period_preset"),
        ["year", "quarter", "custom", "reports"],
        format_func=lambda k: tr(f"preset_{k}"),
        key="preset",
    )
    if preset == "reports":
        return None
    if preset != "custom":
        return preset_periods(last, preset)
    earlier_default, later_default = preset_periods(last, "year")
    lo, hi = first.date(), last.date()

    def pick(label: str, default: Period, key: str) -> Period:
        value = st.date_input(
            label,
            value=(max(default.start.date(), lo), min(default.end.date(), hi)),
            min_value=lo,
            max_value=hi,
            key=key,
        )
        if isinstance(value, tuple | list) and len(value) == 2:
            return Period(pd.Timestamp(value[0]), pd.Timestamp(value[1]))
        return default

    return pick(tr("period_from"), earlier_default, "period_from"), pick(tr("period_to"), later_default, "period_to")


sales = current_sales()
st.title(tr("page_trends"))
st.caption(tr("trends_hint"))
if not sales.has_dates:
    st.warning(tr("needs_dates"))
    st.stop()

with st.sidebar:
    products, _, _ = population_filters(sales, with_period=False)
    periods = choose_periods(sales.lines["date"].min(), sales.lines["date"].max())
    churn_alert = st.slider(tr("churn_alert_pct"), 5, 80, 20, step=5, key="churn_alert")

lines = filter_lines(sales.lines, products)
try:
    if periods is not None:
        earlier, later = periods
        earlier_lines, later_lines = split_periods(lines, earlier, later)
        a_label, b_label = earlier.label(), later.label()
    else:
        other = st.file_uploader(tr("other_report"), type=["xlsx", "xls", "csv", "txt", "tsv"], key="other_report")
        if other is None:
            st.info(tr("other_report_hint"))
            st.stop()
        previous = cached_other_sales(upload_source(other).digest, other.getvalue(), other.name)
        earlier_lines, later_lines = filter_lines(previous.lines, products), lines
        a_label, b_label = other.name, st.session_state.get("upload").name if st.session_state.get("upload") else "—"
    result = migrate(earlier_lines, later_lines, current_thresholds(), lang(), a_label, b_label)
except FunnelError as exc:
    show_error(exc)
    st.stop()

st.caption(tr("periods_caption", a=md(result.earlier), b=md(result.later)))
st.subheader(tr("moves_line", **result.moves()))
st.plotly_chart(migration_sankey(result, lang()))
st.markdown(f"**{tr('matrix_header')}**")
st.dataframe(migration_matrix_table(result, lang()), hide_index=True, width="stretch")

rows, cols = [*result.labels, "new"], [*result.labels, "lost"]
name = {k: tr(f"band_{k}") for k in ("new", "lost")}
c1, c2 = st.columns(2)
a = c1.selectbox(tr("cell_from"), rows, format_func=lambda k: name.get(k, k), key="cell_from")
b = c2.selectbox(
    tr("cell_to"),
    cols,
    index=min(rows.index(a), len(cols) - 1) if a in cols else 0,
    format_func=lambda k: name.get(k, k),
    key="cell_to",
)
cell = result.cell(a, b)
st.caption(tr("cell_caption", n=len(cell), a=name.get(a, a), b=name.get(b, b)))
table = migration_customers_table(cell, lang())
st.dataframe(table, hide_index=True, width="stretch")
if len(table):
    file = download_name(f"{tr('page_trends')}_{name.get(a, a)}_{name.get(b, b)}", products)
    download_buttons(table, file, "migration", "mig")

st.subheader(tr("product_header"))
change = change_between(earlier_lines, later_lines, churn_alert / 100)
flags = []
for row in change.itertuples(index=False):
    if row.customers_outgrow_revenue:
        cg, rg = f"{row.customer_growth:+.1%}", f"{row.revenue_growth:+.1%}"
        flags.append(tr("flag_outgrow", product=md(row.product), cg=cg, rg=rg))
    if row.churn_alert:
        flags.append(tr("flag_churn", product=md(row.product), churn=f"{row.churn:.1%}", limit=f"{churn_alert}%"))
if flags:
    st.warning("\n".join(f"- {flag}" for flag in flags))
config = {tr(f"col_{c}"): PERCENT for c in ("customer_growth", "revenue_growth", "churn")}
config |= {tr(f"col_{c}"): MONEY for c in ("revenue_from", "revenue_to", "per_customer_from", "per_customer_to")}
st.dataframe(product_change_table(change, lang()), hide_index=True, width="stretch", column_config=config)

st.subheader(tr("trend_header"))
trend = monthly_trend(lines, current_thresholds(), lang())
mix, revenue = trend_charts(trend, result.labels, lang())
t1, t2 = st.columns(2)
t1.plotly_chart(mix)
t2.plotly_chart(revenue)
