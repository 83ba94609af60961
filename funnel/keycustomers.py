"""Key customers (关键客户): Pareto/ABC grades, priority tiers, at-risk and upgrade lists.

Grades come from each customer's cumulative share of revenue over the full ranking (before any list filter):
a customer is A while the revenue of the customers ranked strictly above it is below the A cut-off (so the
customer that crosses 80% is still A: "the top customers that together make up 80%"), then B, then C.
Customers with equal revenue share a grade. Shares are of positive net revenue; a customer whose returns
make its net total zero or negative is graded C with a share of 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from funnel.bands import DEFAULT_THRESHOLDS, band_report
from funnel.engine import Lines, Relation, date_span, lines_table
from funnel.errors import FunnelError

if TYPE_CHECKING:
    from funnel.units import Unit

DEFAULT_CUTOFFS: tuple[float, float] = (0.80, 0.95)
DEFAULT_SHARE = 0.80
DEFAULT_INACTIVE_DAYS = 90
DEFAULT_DROP_PCT = 0.30
GRADES: tuple[str, ...] = ("A", "B", "C")
TIERS: tuple[str, ...] = ("high", "medium", "low")


def validate_cutoffs(cutoffs: Sequence[float]) -> tuple[float, float]:
    """(A, B) cumulative-share cut-offs with 0 < A < B ≤ 1, or a clear error."""
    values = tuple(float(c) for c in cutoffs)
    if len(values) != 2 or not (0 < values[0] < values[1] <= 1):
        raise FunnelError("abc_bad_cutoffs", values=", ".join(f"{v:g}" for v in values))
    return values[0], values[1]


def abc_grades(totals: pd.DataFrame, cutoffs: Sequence[float] = DEFAULT_CUTOFFS) -> pd.DataFrame:
    """Rank customers by net revenue and add rank, share, cum_share, cum_before and grade (A/B/C)."""
    a_cut, b_cut = validate_cutoffs(cutoffs)
    ranked = totals.sort_values(["amount_cents", "customer"], ascending=[False, True], kind="stable").copy()
    ranked = ranked.reset_index(drop=True)
    revenue = ranked["amount_cents"].to_numpy(dtype="int64")
    positive = np.where(revenue > 0, revenue, 0)
    total = int(positive.sum())
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    if total <= 0:
        ranked["share"] = 0.0
        ranked["cum_share"] = 0.0
        ranked["cum_before"] = 1.0
        ranked["grade"] = "C"
        return ranked
    # revenue of customers strictly above (ties share one value, so tied customers share a grade)
    group_total = pd.Series(positive).groupby(revenue).transform("sum")  # tied customers form one group
    cum_through_group = np.cumsum(positive)
    last_of_group = pd.Series(cum_through_group).groupby(revenue).transform("max").to_numpy()
    before = (last_of_group - group_total.to_numpy()) / total  # revenue strictly above the group
    ranked["share"] = positive / total
    ranked["cum_share"] = cum_through_group / total
    ranked["cum_before"] = np.where(revenue > 0, before, 1.0)
    grade = np.where(ranked["cum_before"] < a_cut, "A", np.where(ranked["cum_before"] < b_cut, "B", "C"))
    ranked["grade"] = np.where(revenue > 0, grade, "C")
    return ranked


def pareto_point(graded: pd.DataFrame, share: float = DEFAULT_SHARE) -> tuple[int, float, float]:
    """How many top customers it takes to reach `share` of revenue: (count, share of customers, share reached)."""
    if not 0 < share <= 1:
        raise FunnelError("abc_bad_share", value=share)
    if graded.empty or graded["cum_share"].max() <= 0:
        return 0, 0.0, 0.0
    reached = graded["cum_share"].to_numpy()
    n = int(np.searchsorted(reached, share - 1e-12) + 1)
    n = min(n, len(graded))
    return n, n / len(graded), float(reached[n - 1])


def _priority(grade: pd.Series, next_grade_gap: pd.Series, revenue: pd.Series, pct: float) -> pd.Series:
    """high = A; medium = B, or C within pct of the B line; low = the rest."""
    near_b = (grade == "C") & next_grade_gap.notna() & (next_grade_gap <= pct * (revenue + next_grade_gap))
    return pd.Series(
        np.where(grade == "A", "high", np.where((grade == "B") | near_b, "medium", "low")), index=grade.index
    )


def _next_grade_gap(graded: pd.DataFrame) -> pd.Series:
    """Cents a B or C customer needs to reach the revenue of the lowest customer of the grade above."""
    gap = pd.Series(np.nan, index=graded.index)
    for grade, above in (("B", "A"), ("C", "B")):
        floor = graded.loc[graded["grade"] == above, "amount_cents"]
        if floor.empty:
            continue
        mask = graded["grade"] == grade
        gap[mask] = (int(floor.min()) - graded.loc[mask, "amount_cents"]).clip(lower=0)
    return gap


def recent_change(lines: pd.DataFrame | Lines, as_of: pd.Timestamp, period_days: int) -> pd.DataFrame:
    """Per customer: revenue in the last `period_days` up to as_of, and in the same length just before (engine)."""
    end = pd.Timestamp(as_of)
    mid = end - pd.Timedelta(days=period_days)
    start = mid - pd.Timedelta(days=period_days)
    frame = lines_table(lines).fetch(
        """SELECT customer_key,
                  SUM(CASE WHEN date > :mid THEN CAST(amount_cents AS DECIMAL(38, 0)) ELSE 0 END) AS latest_cents,
                  SUM(CASE WHEN date <= :mid THEN CAST(amount_cents AS DECIMAL(38, 0)) ELSE 0 END) AS previous_cents
           FROM {lines} AS l WHERE date > :start AND date <= :end GROUP BY customer_key""",
        {"start": start.date(), "mid": mid.date(), "end": end.date()},
    )
    return frame.set_index("customer_key")[["latest_cents", "previous_cents"]].astype("int64")


@dataclass(frozen=True)
class KeyCustomerReport:
    """Every customer graded, with band, recency, change and flags; plus the Pareto point and per-grade summary."""

    customers: pd.DataFrame
    summary: pd.DataFrame
    pareto: tuple[int, float, float]
    share: float
    cutoffs: tuple[float, float]
    as_of: pd.Timestamp | None

    def at_risk(self) -> pd.DataFrame:
        return self.customers[self.customers["at_risk"]].reset_index(drop=True)

    def upgrade_candidates(self) -> pd.DataFrame:
        c = self.customers
        return c[c["upgrade_candidate"] | c["near_next_grade"]].reset_index(drop=True)


def key_customers(
    lines: pd.DataFrame | Lines,
    totals: pd.DataFrame,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    share: float = DEFAULT_SHARE,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    lang: str = "zh",
    inactive_days: int = DEFAULT_INACTIVE_DAYS,
    drop_pct: float = DEFAULT_DROP_PCT,
    upgrade_pct: float = 0.20,
    as_of: object | None = None,
    unit: Unit | None = None,
) -> KeyCustomerReport:
    """Grade the customers of `totals` (per-customer totals of `lines`) and flag the ones to act on.

    At risk: an A or B customer with no order in the last `inactive_days` before as_of (default: the last date
    in the data), or whose revenue in the latest `inactive_days` fell by more than `drop_pct` against the
    `inactive_days` before.
    """
    graded = abc_grades(totals, cutoffs)
    banded = band_report(totals, thresholds, lang, upgrade_pct, unit=unit).customers.set_index("customer_key")
    graded = graded.join(banded[["band", "band_label", "gap_to_next", "upgrade_candidate"]], on="customer_key")
    gap = _next_grade_gap(graded)
    graded["gap_to_next_grade"] = gap / 100
    graded["near_next_grade"] = gap.notna() & (gap > 0) & (gap <= upgrade_pct * (graded["amount_cents"] + gap))
    graded["priority"] = _priority(graded["grade"], gap, graded["amount_cents"], upgrade_pct)
    graded["amount"] = graded["amount_cents"] / 100

    _, last = date_span(lines)
    day = None
    if last is not None:
        day = pd.Timestamp(as_of).normalize() if as_of is not None else last.normalize()
        graded["days_since_last"] = (day - pd.to_datetime(graded["last_date"])).dt.days
        change = recent_change(lines, day, inactive_days)
        graded = graded.join(change, on="customer_key")
        graded[["latest_cents", "previous_cents"]] = graded[["latest_cents", "previous_cents"]].fillna(0)
        prev = graded["previous_cents"]
        graded["change_pct"] = np.where(prev > 0, (graded["latest_cents"] - prev) / prev.where(prev > 0, 1), np.nan)
        inactive = graded["days_since_last"] > inactive_days
        fell = (prev > 0) & (graded["change_pct"] < -drop_pct)
        graded["at_risk"] = graded["grade"].isin(["A", "B"]) & (inactive | fell)
        graded["risk_reason"] = np.where(inactive, "inactive", np.where(fell, "revenue_drop", ""))
        graded.loc[~graded["at_risk"], "risk_reason"] = ""
    else:
        graded["days_since_last"] = np.nan
        graded["change_pct"] = np.nan
        graded["at_risk"] = False
        graded["risk_reason"] = ""

    summary = grade_summary(graded)
    return KeyCustomerReport(graded, summary, pareto_point(graded, share), share, validate_cutoffs(cutoffs), day)


def grade_summary(graded: pd.DataFrame) -> pd.DataFrame:
    """Per grade: customers, share of customers, revenue (net), share of positive revenue."""
    n = len(graded)
    rows = []
    for grade in GRADES:
        part = graded[graded["grade"] == grade]
        rows.append(
            {
                "grade": grade,
                "customers": len(part),
                "customer_share": len(part) / n if n else 0.0,
                "amount_cents": int(part["amount_cents"].sum()),
                "revenue_share": float(part["share"].sum()),
            }
        )
    frame = pd.DataFrame(rows)
    frame["amount"] = frame["amount_cents"] / 100
    return frame


def filter_customers(
    customers: pd.DataFrame,
    grades: Sequence[str] = (),
    bands: Sequence[int] = (),
    products: Sequence[str] = (),
    regions: Sequence[str] = (),
    reps: Sequence[str] = (),
    min_revenue: float | None = None,
    search: str = "",
) -> pd.DataFrame:
    """The graded list narrowed for display and download; grades themselves never change with a filter."""
    from funnel.values import name_key

    mask = pd.Series(True, index=customers.index)
    if grades:
        mask &= customers["grade"].isin(grades)
    if bands:
        mask &= customers["band"].isin(bands)
    if products:
        mask &= customers["main_product"].isin(products)
    if regions:
        mask &= customers["region"].isin(regions)
    if reps:
        mask &= customers["rep"].isin(reps)
    if min_revenue is not None:
        mask &= customers["amount_cents"] >= round(float(min_revenue) * 100)
    if search.strip():
        mask &= customers["customer_key"].str.contains(name_key(search), regex=False)
    return customers[mask].reset_index(drop=True)


NO_DEAL = "__no_deal__"
LOST_ALL = "__lost__"


@dataclass(frozen=True)
class ValueStage:
    """Customers on a grid of ABC grade × furthest sales stage, with the names that did not match."""

    customers: pd.DataFrame  # graded customers with 'stage' (a stage name, NO_DEAL or LOST_ALL)
    counts: pd.DataFrame
    revenue: pd.DataFrame
    pipeline_only: pd.DataFrame  # pipeline customers not in the sales report

    def cell(self, grade: str, stage: str) -> pd.DataFrame:
        c = self.customers
        return c[(c["grade"] == grade) & (c["stage"] == stage)].reset_index(drop=True)


def value_stage(graded: pd.DataFrame, deals: pd.DataFrame | Relation, stages: Sequence[str]) -> ValueStage:
    """Join the graded customers with pipeline deals on the normalised customer name (spaces, width, case folded);
    each customer's stage is the furthest one reached by its open or won deals (all lost: LOST_ALL; none: NO_DEAL).
    The deals are summed per customer by the engine (a frame's or a table's), so what comes back is per customer."""
    from funnel.pipeline_sql import customer_stages, deal_relation

    return value_stage_of(graded, customer_stages(deal_relation(deals, len(stages))), stages)


def value_stage_of(graded: pd.DataFrame, stages_per_customer: pd.DataFrame, stages: Sequence[str]) -> ValueStage:
    """`value_stage` from the engine's per-customer stages (`pipeline_sql.customer_stages`): the join with the
    grades is here, so new grade thresholds need no new query."""
    per_customer = stages_per_customer.set_index("customer_key")
    live = per_customer["live"].dropna()
    customers = graded.copy()
    index = customers["customer_key"].map(live)
    customers["stage"] = [
        stages[int(i)] if pd.notna(i) else (LOST_ALL if key in per_customer.index else NO_DEAL)
        for i, key in zip(index, customers["customer_key"], strict=True)
    ]
    columns = [*stages, LOST_ALL, NO_DEAL]
    counts = pd.crosstab(customers["grade"], customers["stage"]).reindex(
        index=list(GRADES), columns=columns, fill_value=0
    )
    revenue = (
        customers.pivot_table(
            index="grade", columns="stage", values="amount_cents", aggfunc="sum", fill_value=0
        ).reindex(index=list(GRADES), columns=columns, fill_value=0)
        / 100
    )
    only = per_customer[~per_customer.index.isin(set(customers["customer_key"]))]
    pipeline_only = pd.DataFrame(
        {
            "customer": only["customer"].to_numpy(),
            "deals": only["deals"].astype("int64").to_numpy(),
            "furthest": [stages[int(i)] for i in only["furthest"]],
        }
    )
    return ValueStage(customers, counts, revenue, pipeline_only)


@dataclass(frozen=True)
class BehaviourRules:
    """The real-estate example's grading rules (DOMAIN.md §4) as editable thresholds, not constants."""

    promote_after_viewings: int = 1  # C → B after this many viewings
    offer_within_viewings: int = 4  # B → A: an offer made within this many viewings
    demote_after_viewings: int = 9  # B → C: this many viewings without an offer
    drop_after_recommendations: int = 8  # C → F: this many recommendations without a viewing


BEHAVIOUR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "viewings": ("带看次数", "带看", "看房次数", "参观次数", "viewings", "visits", "site visits", "demos"),
    "offers": ("出价次数", "出价", "报价次数", "offers", "bids", "offer"),
    "recommendations": ("推荐次数", "推荐", "recommendations", "referrals", "pitches"),
}


def detect_behaviour_columns(columns: Sequence[str]) -> dict[str, str]:
    """Activity-count columns found among the headers (role → column)."""
    from funnel.columns import normalise_header

    found: dict[str, str] = {}
    for role, synonyms in BEHAVIOUR_SYNONYMS.items():
        for column in columns:
            if normalise_header(column) in synonyms and column not in found.values():
                found[role] = column
                break
    return found


def behaviour_grades(activity: pd.DataFrame, rules: BehaviourRules = BehaviourRules()) -> pd.Series:
    """A/B/C/F per row from viewings, offers and recommendations counts, checked in this order:
    A when an offer came within `offer_within_viewings` viewings; C when `demote_after_viewings` viewings brought
    no offer; B after `promote_after_viewings` viewings; F when `drop_after_recommendations` recommendations
    brought no viewing; C otherwise (a raw lead)."""
    zero = pd.Series(0, index=activity.index)
    viewings = pd.to_numeric(activity.get("viewings", zero), errors="coerce").fillna(0)
    offers = pd.to_numeric(activity.get("offers", zero), errors="coerce").fillna(0)
    recommendations = pd.to_numeric(activity.get("recommendations", zero), errors="coerce").fillna(0)
    grade = np.select(
        [
            (offers > 0) & (viewings <= rules.offer_within_viewings),
            (offers == 0) & (viewings >= rules.demote_after_viewings),
            viewings >= rules.promote_after_viewings,
            (viewings == 0) & (recommendations >= rules.drop_after_recommendations),
        ],
        ["A", "C", "B", "F"],
        default="C",
    )
    return pd.Series(grade, index=activity.index)


def behaviour_by_customer(
    frame: pd.DataFrame, customer_column: str, columns: dict[str, str], rules: BehaviourRules = BehaviourRules()
) -> pd.DataFrame:
    """Activity counts summed per customer (names normalised) and the behaviour grade they earn."""
    from funnel.values import clean_name, name_key

    names = frame[customer_column].map(clean_name)
    keep = names != ""
    activity = pd.DataFrame({role: pd.to_numeric(frame[col], errors="coerce") for role, col in columns.items()})[keep]
    activity["customer_key"] = names[keep].map(name_key)
    activity["customer"] = names[keep]
    g = activity.groupby("customer_key", sort=False)
    out = g[[r for r in columns]].sum()
    out.insert(0, "customer", g["customer"].first())
    out["grade"] = behaviour_grades(out, rules)
    return out.reset_index(drop=True)


def filter_options(customers: pd.DataFrame) -> dict[str, object]:
    """What the list filters can offer: band index → label, and the main products, regions and reps present."""

    def present(column: str) -> list[str]:
        return sorted(v for v in customers[column].astype(str).unique() if v)

    return {
        "bands": dict(zip(customers["band"], customers["band_label"], strict=True)),
        "products": present("main_product"),
        "regions": present("region"),
        "reps": present("rep"),
    }
