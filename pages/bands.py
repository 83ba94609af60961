"""Amount-band funnel page: choose products, period and thresholds; see customers and revenue per band."""

from __future__ import annotations

import streamlit as st

from funnel.bands import DEFAULT_THRESHOLDS
from funnel.charts import band_funnel
from funnel.errors import FunnelError
from funnel.tables import band_summary_table, customer_list, download_name
from pages.common import (
    MONEY,
    band_analysis,
    current_sales,
    download_buttons,
    lang,
    population_filters,
    show_error,
    summary_columns,
    tr,
)

SLIDER_MAX = 1_000_000
STEP = 1_000


def _init_thresholds(values) -> None:
    st.session_state["thresholds"] = [float(v) for v in values]
    for i, v in enumerate(st.session_state["thresholds"]):
        st.session_state[f"th_n_{i}"] = float(v)
        st.session_state[f"th_s_{i}"] = int(min(v, SLIDER_MAX))


def _from_number(i: int) -> None:
    value = float(st.session_state[f"th_n_{i}"])
    st.session_state["thresholds"][i] = value
    st.session_state[f"th_s_{i}"] = int(min(max(value, 0), SLIDER_MAX))


def _from_slider(i: int) -> None:
    value = float(st.session_state[f"th_s_{i}"])
    st.session_state["thresholds"][i] = value
    st.session_state[f"th_n_{i}"] = value


def _add_band() -> None:
    values = st.session_state["thresholds"]
    _init_thresholds([*values, (values[-1] * 2) if values else 10_000])


def _remove_band() -> None:
    _init_thresholds(st.session_state["thresholds"][:-1])


def threshold_editor() -> list[float]:
    """A slider and an exact number box per threshold, kept in step; add, remove, reset."""
    if "thresholds" not in st.session_state:
        _init_thresholds(DEFAULT_THRESHOLDS)
    values = st.session_state["thresholds"]
    for i in range(len(values)):  # widget state is dropped on other pages: restore it from the list
        if f"th_n_{i}" not in st.session_state:
            st.session_state[f"th_n_{i}"] = float(values[i])
            st.session_state[f"th_s_{i}"] = int(min(max(values[i], 0), SLIDER_MAX))
    st.subheader(tr("thresholds"))
    for i in range(len(values)):
        left, right = st.columns([3, 2])
        label = tr("threshold_n", n=i + 1)
        left.slider(label, 0, SLIDER_MAX, step=STEP, key=f"th_s_{i}", on_change=_from_slider, args=(i,))
        right.number_input(label, step=float(STEP), format="%.2f", key=f"th_n_{i}", on_change=_from_number, args=(i,))
    b1, b2, b3 = st.columns(3)
    b1.button(tr("add_band"), on_click=_add_band, width="stretch")
    b2.button(tr("remove_band"), on_click=_remove_band, disabled=len(values) <= 1, width="stretch")
    b3.button(tr("reset_bands"), on_click=_init_thresholds, args=(DEFAULT_THRESHOLDS,), width="stretch")
    return list(st.session_state["thresholds"])


sales = current_sales()
st.title(tr("page_bands"))
st.caption(tr("bands_hint"))

with st.sidebar:
    products, start, end = population_filters(sales)
    thresholds = threshold_editor()
    upgrade_pct = st.slider(tr("upgrade_pct"), 0, 100, 20, step=5, key="upgrade_pct")

try:
    report = band_analysis(sales, products, start, end, thresholds, upgrade_pct / 100)
except FunnelError as exc:
    show_error(exc)
    st.stop()

if report.n_customers == 0:
    st.info(tr("no_rows"))
    st.stop()

m1, m2, m3 = st.columns(3)
m1.metric(tr("total_customers"), f"{report.n_customers:,}")
m2.metric(tr("total_revenue"), f"{report.total_cents / 100:,.2f}")
m3.metric(tr("upgrade_candidates"), f"{int(report.summary['upgrade_candidates'].sum()):,}")

c1, c2 = st.columns(2)
c1.plotly_chart(band_funnel(report, "customers", lang()))
c2.plotly_chart(band_funnel(report, "amount", lang()))

summary = band_summary_table(report, lang())
st.dataframe(
    summary,
    hide_index=True,
    width="stretch",
    column_config=summary_columns(),
)

st.subheader(tr("choose_band"))
labels = list(report.labels)
default_band = int(report.summary["customers"].idxmax())
if st.session_state.get("band", 0) >= len(labels):  # a band was removed under the selection
    del st.session_state["band"]
left, right = st.columns([3, 2])
band = left.selectbox(
    tr("choose_band"), range(len(labels)), index=default_band, format_func=lambda i: labels[i], key="band"
)
only_upgrade = right.toggle(tr("only_upgrade"), key="only_upgrade")
rows = report.band_customers(band, upgrade_only=only_upgrade)
st.caption(
    tr(
        "band_list_caption",
        band=labels[band],
        n=int(report.summary.loc[band, "customers"]),
        up=int(report.summary.loc[band, "upgrade_candidates"]),
        pct=upgrade_pct,
    )
)
table = customer_list(rows, lang())
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={tr("col_amount"): MONEY},
)
what = f"{tr('page_bands')}_{labels[band]}" + (f"_{tr('upgrade_candidates')}" if only_upgrade else "")
name = download_name(what, products, start, end)
download_buttons(table, name, labels[band], "dl")
