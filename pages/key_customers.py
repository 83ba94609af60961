"""Key customers page: Pareto curve, ABC grades, at-risk and upgrade lists, the filtered list to download."""

from __future__ import annotations

import streamlit as st

from funnel.charts import pareto_chart
from funnel.errors import FunnelError
from funnel.keycustomers import (
    LOST_ALL,
    NO_DEAL,
    BehaviourRules,
    behaviour_by_customer,
    detect_behaviour_columns,
    filter_customers,
    filter_options,
    value_stage,
)
from funnel.tables import KEY_COLUMNS, customer_list, download_name, grade_table, localise_columns
from pages.common import (
    MONEY,
    PERCENT,
    current_sales,
    current_stages,
    download_buttons,
    key_analysis,
    lang,
    md,
    pipeline_account,
    pipeline_deals,
    population_filters,
    scoped,
    show_error,
    summary_columns,
    tr,
)


def downloads(table, what: str, products, start, end, key: str) -> None:
    download_buttons(table, download_name(what, products, start, end), what, key)


sales = current_sales()
st.title(tr("page_key"))
st.caption(tr("key_hint"))

with st.sidebar:
    products, start, end = population_filters(sales)
    share = st.slider(tr("pareto_share"), 50, 95, 80, step=5, key="pareto_share")
    cut_a = st.slider(tr("cutoff_a"), 50, 95, 80, step=1, key="cutoff_a")
    cut_b = st.slider(tr("cutoff_b"), 60, 100, 95, step=1, key="cutoff_b")
    inactive_days = st.number_input(tr("inactive_days"), 7, 730, 90, step=7, key="inactive_days")
    drop_pct = st.slider(tr("drop_pct"), 5, 90, 30, step=5, key="drop_pct")
    upgrade_pct = st.slider(tr("upgrade_pct"), 0, 100, 20, step=5, key="key_upgrade_pct")

try:
    report = key_analysis(
        sales,
        products,
        start,
        end,
        cutoffs=(cut_a / 100, cut_b / 100),
        share=share / 100,
        inactive_days=int(inactive_days),
        drop_pct=drop_pct / 100,
        upgrade_pct=upgrade_pct / 100,
    )
except FunnelError as exc:
    show_error(exc)
    st.stop()

customers = report.customers
if customers.empty:
    st.info(tr("no_rows"))
    st.stop()

n, pct, reached = report.pareto
st.subheader(tr("pareto_sentence", n=f"{n:,}", pct=f"{pct:.1%}", share=f"{reached:.1%}"))
if report.as_of is not None:
    st.caption(tr("as_of", date=report.as_of.date().isoformat()))
left, right = st.columns([3, 2])
left.plotly_chart(pareto_chart(report, lang()))
with right:
    st.markdown(f"**{tr('grade_summary')}**")
    st.dataframe(
        grade_table(report, lang()),
        hide_index=True,
        width="stretch",
        column_config=summary_columns(),
    )

money = {tr("col_amount"): MONEY}
shares = {tr("col_share"): PERCENT, tr("col_cum_share"): PERCENT, tr("col_change_pct"): PERCENT}

risk = report.at_risk()
st.subheader(tr("at_risk_header"))
st.caption(tr("at_risk_caption", n=len(risk), days=int(inactive_days), pct=drop_pct))
if len(risk):
    risk_table = customer_list(risk, lang(), KEY_COLUMNS)
    st.dataframe(risk_table, hide_index=True, width="stretch", column_config={**money, **shares})
    downloads(risk_table, tr("at_risk_header"), products, start, end, "risk")

upgrades = report.upgrade_candidates()
st.subheader(tr("upgrade_header"))
if len(upgrades):
    up_table = customer_list(upgrades, lang(), KEY_COLUMNS)
    st.dataframe(up_table, hide_index=True, width="stretch", column_config={**money, **shares})
    downloads(up_table, tr("upgrade_header"), products, start, end, "upgrade")

st.subheader(tr("key_list"))
f1, f2, f3, f4 = st.columns(4)
grades = f1.multiselect(tr("filter_grade"), ["A", "B", "C"], default=["A"], key="kc_grades")
options = filter_options(customers)
band_labels = options["bands"]
bands = f2.multiselect(tr("filter_band"), sorted(band_labels), format_func=band_labels.get, key="kc_bands")
main_products = f3.multiselect(tr("filter_product"), options["products"], key=scoped("kc_prod"))
regions = f4.multiselect(tr("filter_region"), options["regions"], key=scoped("kc_reg"))
g1, g2, g3 = st.columns(3)
reps = g1.multiselect(tr("filter_rep"), options["reps"], key=scoped("kc_rep"))
min_revenue = g2.number_input(tr("min_revenue"), min_value=0.0, value=0.0, step=10_000.0, key="kc_min")
search = g3.text_input(tr("search"), key="kc_search")
shown = filter_customers(customers, grades, bands, main_products, regions, reps, min_revenue or None, search)
st.caption(tr("list_caption", shown=len(shown), total=len(customers)))
table = customer_list(shown, lang(), KEY_COLUMNS)
st.dataframe(table, hide_index=True, width="stretch", column_config={**money, **shares})
downloads(table, f"{tr('page_key')}_{'+'.join(grades) or 'ABC'}", products, start, end, "key")


def stage_name(stage: str) -> str:
    return {NO_DEAL: tr("stage_no_deal"), LOST_ALL: tr("stage_all_lost")}.get(stage, stage)


def value_stage_section() -> None:
    """ABC grade × furthest stage, joined with the pipeline data; an unusable pipeline costs this section only."""
    st.subheader(tr("matrix_vs_header"))
    st.caption(tr("matrix_vs_caption"))
    try:
        deals = pipeline_deals(current_stages(), None, st.session_state.setdefault("value_map", {}))
        deals.check_matched()
        stages = deals.stages
    except FunnelError as exc:  # an unusable pipeline file costs this section only, not the page
        show_error(exc)
        return
    pipeline_account(deals)
    grid = value_stage(customers, deals.deals, stages)
    v1, v2 = st.columns(2)
    v1.markdown(f"**{tr('matrix_counts')}**")
    v1.dataframe(localise_columns(grid.counts.rename(columns=stage_name), lang()), width="stretch")
    v2.markdown(f"**{tr('matrix_revenue')}**")
    v2.dataframe(
        localise_columns(grid.revenue.rename(columns=stage_name), lang()),
        width="stretch",
        column_config={c: MONEY for c in map(stage_name, grid.revenue)},
    )
    c1, c2 = st.columns(2)
    cell_grade = c1.selectbox(tr("cell_grade"), ["A", "B", "C"], key="vs_grade")
    cell_stage = c2.selectbox(tr("cell_stage"), list(grid.counts.columns), format_func=stage_name, key="vs_stage")
    cell = grid.cell(cell_grade, cell_stage)
    st.caption(tr("vs_cell_caption", n=len(cell), g=cell_grade, s=md(stage_name(cell_stage))))
    if len(cell):
        cell_table = customer_list(cell, lang(), KEY_COLUMNS)
        st.dataframe(cell_table, hide_index=True, width="stretch", column_config={**money, **shares})
        downloads(cell_table, f"{cell_grade}_{stage_name(cell_stage)}", products, start, end, "vs")
    with st.expander(tr("pipeline_only_header", n=len(grid.pipeline_only))):
        st.dataframe(localise_columns(grid.pipeline_only, lang()), hide_index=True, width="stretch")


value_stage_section()

raw = st.session_state.get("sales_raw")
found = detect_behaviour_columns([str(c) for c in raw.frame.columns]) if raw is not None else {}
if found:
    st.subheader(tr("behaviour_header"))
    r1, r2, r3, r4 = st.columns(4)
    rules = BehaviourRules(
        promote_after_viewings=int(r1.number_input(tr("rule_promote"), 0, 100, 1, key="rule_promote")),
        offer_within_viewings=int(r2.number_input(tr("rule_offer"), 0, 100, 4, key="rule_offer")),
        demote_after_viewings=int(r3.number_input(tr("rule_demote"), 1, 100, 9, key="rule_demote")),
        drop_after_recommendations=int(r4.number_input(tr("rule_drop"), 1, 100, 8, key="rule_drop")),
    )
    graded_by_behaviour = behaviour_by_customer(raw.frame, sales.mapping.customer, found, rules)
    st.dataframe(localise_columns(graded_by_behaviour, lang()), hide_index=True, width="stretch")
