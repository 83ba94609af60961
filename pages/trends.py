"""Trends page: two periods compared — band migration (matrix, Sankey), change per product, monthly trend."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from funnel.charts import migration_sankey, trend_charts
from funnel.errors import FunnelError
from funnel.formats import count, date_text, month_text, span_text
from funnel.migration import (
    Period,
    band_moves,
    change_between,
    in_periods,
    migrate,
    monthly_trend,
    product_moves,
    split_periods,
)
from funnel.schema import filter_lines
from funnel.tables import (
    download_name,
    flags_table,
    migration_customers_table,
    migration_matrix_table,
    product_change_table,
)
from funnel.trends import (
    DEFAULT_MIN_CUSTOMERS,
    FLAG_KINDS,
    PRESETS,
    default_preset,
    filter_flags,
    halves,
    partial_months,
    preset_span,
    presets_with_data,
    product_flags,
)
from pages import state
from pages.common import (
    UPLOAD_TYPES,
    cached_other_sales,
    current_sales,
    current_thresholds,
    date_format,
    download_buttons,
    lang,
    md,
    population_filters,
    population_lines,
    sales_key,
    scoped,
    show_error,
    show_table,
    tr,
    unit,
    upload_source,
)
from pages.dbsource import table_work


def choose_periods(dates: pd.Series, other_report: bool = True) -> tuple[Period, Period] | None:
    """Two periods of this report (a preset with data in both by default, saying why), or None when comparing with
    another report (offered for a file only)."""
    first, last = dates.min(), dates.max()
    usable = presets_with_data(dates)
    default = default_preset(dates)
    options = [*PRESETS, "custom", *(["reports"] if other_report else [])]
    preset = state.radio(
        scoped("preset"),
        tr("period_preset"),
        options,
        default=default,
        key="preset",
        format_func=lambda k: tr(f"preset_{k}") + ("" if k not in PRESETS or k in usable else tr("preset_no_data")),
    )
    if default != PRESETS[0] and preset == default:
        st.caption(tr("preset_default_why", chosen=tr(f"preset_{default}"), first=tr(f"preset_{PRESETS[0]}")))
    if preset == "reports":
        return None
    if preset in PRESETS:
        earlier, later = preset_span(last, preset)
        if preset not in usable:
            st.warning(tr("preset_empty", preset=tr(f"preset_{preset}")))
        return earlier, later
    lo, hi = first.date(), last.date()
    a, b = halves(first, last)

    def pick(label: str, default: Period, name: str) -> Period:
        start, end = state.date_range(
            scoped(name),
            label,
            lo,
            hi,
            key=name,
            default=(default.start.date(), default.end.date()),
            format=date_format(),
        )
        if start is None or end is None:
            return default
        return Period(pd.Timestamp(start), pd.Timestamp(end))

    return pick(tr("period_from"), a, "period_from"), pick(tr("period_to"), b, "period_to")


sales = current_sales()
st.title(tr("page_trends"))
st.caption(tr("trends_hint"))
if not sales.has_dates:
    st.warning(tr("needs_dates"))
    st.stop()

u = unit()
with st.sidebar:
    products, _, _ = population_filters(sales, with_period=False)
    days = table_work(sales, sales_key(), "days", (), sales.days) if sales.is_table else sales.days()
    periods = choose_periods(days, other_report=not sales.is_table)
    churn_alert = state.slider("churn_alert", tr("churn_alert_pct"), 5, 80, 20, step=5)
    min_customers = state.number(
        "min_customers", tr("min_customers"), DEFAULT_MIN_CUSTOMERS, 1, 10_000, step=1, help=tr("min_customers_help")
    )

if sales.is_table:
    st.caption(tr("db_other_report_file_only"))

lines = population_lines(sales, products, None, None)
try:
    if sales.is_table:
        earlier, later = periods
        a_label = span_text(earlier.start, earlier.end, lang())
        b_label = span_text(later.start, later.end, lang())
        thresholds, language = current_thresholds(), lang()  # read here: the query's thread cannot
        args = (tuple(products or ()), earlier, later, tuple(thresholds), language, u)
        result = table_work(
            sales,
            sales_key(),
            "moves",
            args,
            lambda: band_moves(in_periods(lines, earlier, later), thresholds, language, a_label, b_label, u),
        )
    elif periods is not None:
        earlier, later = periods
        earlier_lines, later_lines = split_periods(lines, earlier, later)
        a_label = span_text(earlier.start, earlier.end, lang())
        b_label = span_text(later.start, later.end, lang())
    else:
        other = st.file_uploader(tr("other_report"), type=UPLOAD_TYPES, key="other_report", help=tr("upload_help"))
        if other is None:
            st.info(tr("other_report_hint"))
            st.stop()
        previous = cached_other_sales(upload_source(other).digest, other.getvalue(), other.name)
        earlier_lines, later_lines = filter_lines(previous.lines, products), lines
        current = st.session_state.get("upload")
        a_label, b_label = other.name, current.name if current is not None else tr("sample_name")
    if not sales.is_table:
        result = migrate(earlier_lines, later_lines, current_thresholds(), lang(), a_label, b_label, unit=u)
except FunnelError as exc:
    show_error(exc)
    st.stop()

st.caption(tr("periods_caption", a=md(result.earlier), b=md(result.later)))
earlier_empty, later_empty = ((result.customers[c] < 0).all() for c in ("from_index", "to_index"))
if earlier_empty or later_empty:
    st.warning(tr("period_has_no_lines", which=tr("period_from") if earlier_empty else tr("period_to")))
st.subheader(tr("moves_line", **{k: count(v) for k, v in result.moves().items()}))
st.plotly_chart(migration_sankey(result, lang()), key="sankey")
st.markdown(f"**{tr('matrix_header')}**")
show_table(migration_matrix_table(result, lang()), pin=1, key="matrix")

rows, cols = [*result.labels, "new"], [*result.labels, "lost"]
name = {k: tr(f"band_{k}") for k in ("new", "lost")}
c1, c2 = st.columns(2)
a = state.select("cell_from", tr("cell_from"), rows, format_func=lambda k: name.get(k, k), where=c1)
b = state.select(
    "cell_to",
    tr("cell_to"),
    cols,
    default=a if a in cols else cols[0],
    format_func=lambda k: name.get(k, k),
    where=c2,
)
cell = result.cell(a, b)
st.caption(tr("cell_caption", n=count(len(cell)), a=md(name.get(a, a)), b=md(name.get(b, b))))
table = migration_customers_table(cell, lang())
show_table(table, pin=1, key="cell")
if len(table):
    file = download_name(f"{tr('page_trends')}_{name.get(a, a)}_{name.get(b, b)}", products)
    download_buttons(table, file, "migration", "mig")

st.subheader(tr("product_header"))
if sales.is_table:
    args = (tuple(products or ()), earlier, later, churn_alert)
    tagged = in_periods(lines, earlier, later)
    change = table_work(sales, sales_key(), "change", args, lambda: product_moves(tagged, churn_alert / 100))
else:
    change = change_between(earlier_lines, later_lines, churn_alert / 100)
flags = product_flags(change, churn_alert / 100, int(min_customers))
st.markdown(f"**{tr('flags_header', n=count(len(flags)), min=count(min_customers))}**")
if len(flags):
    f1, f2 = st.columns([2, 3])
    kinds = state.multiselect(
        "flag_kinds",
        tr("flag_kinds"),
        FLAG_KINDS,
        format_func=lambda k: tr(f"flag_kind_{k}"),
        where=f1,
        placeholder=tr("all_placeholder"),
    )
    search = state.text("flag_search", tr("flag_search"), where=f2, placeholder=tr("search_placeholder"))
    shown_flags = filter_flags(flags, kinds, search)
    st.caption(tr("flags_caption", shown=count(len(shown_flags)), total=count(len(flags))))
    show_table(
        flags_table(shown_flags, lang()),
        pin=1,
        key="flags",
        wide=(tr("col_flag"),),
        height=min(38 + 35 * len(shown_flags), 420),
    )
else:
    st.caption(tr("no_flags", min=count(min_customers)))
with st.expander(tr("all_products", n=count(len(change)))):
    show_table(product_change_table(change, lang()), pin=1, key="product_change")

st.subheader(tr("trend_header"))
trend_args = (tuple(products or ()), tuple(current_thresholds()), lang(), u)
if sales.is_table:
    trend = table_work(sales, sales_key(), "trend", trend_args, lambda: monthly_trend(lines, *trend_args[1:3], unit=u))
else:
    trend = monthly_trend(lines, current_thresholds(), lang(), unit=u)
first_day, last_day = sales.span
partial = partial_months(first_day, last_day)
mix, revenue = trend_charts(trend, result.labels, lang(), u, partial)
t1, t2 = st.columns(2)
t1.plotly_chart(mix, key="trend_mix")
t2.plotly_chart(revenue, key="trend_revenue")
if partial:
    months = ("、" if lang() == "zh" else ", ").join(month_text(m, lang()) for m in partial)
    st.caption(tr("partial_months", months=months, last=date_text(last_day, lang())))
