"""Band migration and period-over-period change (客户变化): who grew, who shrank, who is new, who left.

A customer belongs to a period when it has at least one line dated in it; its band there comes from its net
total in that period (a negative net total sits in the lowest band, as on the band page). Customers seen only
in the second period come from "new"; those seen only in the first go to "lost".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnel.bands import DEFAULT_THRESHOLDS, assign_bands, band_labels, validate_thresholds
from funnel.errors import FunnelError

NEW, LOST = "new", "lost"
CHANGE_COLUMNS: tuple[str, ...] = (
    "product", "customers_from", "customers_to", "revenue_from", "revenue_to", "per_customer_from",
    "per_customer_to", "customer_growth", "revenue_growth", "new", "lost", "returning", "churn",
)  # fmt: skip
DEFAULT_CHURN_ALERT = 0.20


@dataclass(frozen=True)
class Period:
    """A closed date range [start, end]."""

    start: pd.Timestamp
    end: pd.Timestamp

    @classmethod
    def parse(cls, text: str) -> Period:
        """'2025-01-01..2025-12-31' → Period; a clear error otherwise."""
        parts = text.split("..")
        if len(parts) != 2:
            raise FunnelError("period_bad", value=text)
        try:
            start, end = (pd.Timestamp(p.strip()).normalize() for p in parts)
        except (ValueError, TypeError) as exc:
            raise FunnelError("period_bad", value=text) from exc
        if end < start:
            raise FunnelError("period_bad", value=text)
        return cls(start, end)

    def label(self) -> str:
        return f"{self.start.date()}..{self.end.date()}"

    def mask(self, dates: pd.Series) -> pd.Series:
        return (dates >= self.start) & (dates <= self.end)


def split_periods(lines: pd.DataFrame, earlier: Period, later: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lines dated in each of the two periods."""
    return lines[earlier.mask(lines["date"])], lines[later.mask(lines["date"])]


def preset_periods(last_date: pd.Timestamp, preset: str) -> tuple[Period, Period]:
    """(earlier, later) periods ending at the data's last date: 'year' (YTD vs same span last year) or 'quarter'."""
    end = pd.Timestamp(last_date).normalize()
    if preset == "year":
        start = pd.Timestamp(year=end.year, month=1, day=1)
    elif preset == "quarter":
        start = pd.Timestamp(year=end.year, month=3 * ((end.month - 1) // 3) + 1, day=1)
    else:
        raise FunnelError("period_bad", value=preset)
    earlier = Period(start - pd.DateOffset(years=1), end - pd.DateOffset(years=1))
    return earlier, Period(start, end)


def period_totals(lines: pd.DataFrame, period: Period | None = None) -> pd.DataFrame:
    """Net cents per customer over the lines dated in the period, or all lines (customers with any line there)."""
    part = lines[period.mask(lines["date"])] if period is not None else lines
    g = part.groupby("customer_key", sort=False)
    totals = pd.DataFrame({"customer": g["customer"].first(), "amount_cents": g["amount_cents"].sum().astype("int64")})
    totals.index = totals.index.astype("str")  # lines keep text as categoricals: two reports' need not agree
    return totals.astype({"customer": "str"})


@dataclass(frozen=True)
class Migration:
    """Per customer: band in each period (or new/lost) and the move; plus the from × to matrix."""

    customers: pd.DataFrame
    matrix: pd.DataFrame
    labels: tuple[str, ...]
    earlier: str
    later: str

    def moves(self) -> dict[str, int]:
        """Counts of upgraded, downgraded, stable, new and lost customers."""
        counts = self.customers["move"].value_counts()
        return {k: int(counts.get(k, 0)) for k in ("up", "down", "stable", NEW, LOST)}

    def cell(self, from_band: str, to_band: str) -> pd.DataFrame:
        """The customers of one matrix cell, largest later revenue first."""
        c = self.customers
        return c[(c["from_band"] == from_band) & (c["to_band"] == to_band)].reset_index(drop=True)


def migration(
    lines: pd.DataFrame,
    earlier: Period,
    later: Period,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    lang: str = "zh",
) -> Migration:
    """How customers moved between amount bands from the earlier period to the later one."""
    return migrate(
        lines[earlier.mask(lines["date"])],
        lines[later.mask(lines["date"])],
        thresholds,
        lang,
        earlier.label(),
        later.label(),
    )


def migrate(
    earlier_lines: pd.DataFrame,
    later_lines: pd.DataFrame,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    lang: str = "zh",
    earlier: str = "",
    later: str = "",
) -> Migration:
    """Band migration between two sets of lines: two periods of one report, or two reports."""
    cents = validate_thresholds(thresholds)
    labels = tuple(band_labels(thresholds, lang))
    a, b = period_totals(earlier_lines), period_totals(later_lines)
    both = a.join(b, how="outer", suffixes=("_from", "_to"))
    both["customer"] = both["customer_from"].fillna(both["customer_to"])
    seen_a, seen_b = both["amount_cents_from"].notna(), both["amount_cents_to"].notna()
    band_a = np.where(seen_a, assign_bands(both["amount_cents_from"].fillna(0).astype("int64"), cents), -1)
    band_b = np.where(seen_b, assign_bands(both["amount_cents_to"].fillna(0).astype("int64"), cents), -1)
    customers = pd.DataFrame(
        {
            "customer_key": both.index,
            "customer": both["customer"].to_numpy(),
            "from_cents": both["amount_cents_from"].fillna(0).astype("int64").to_numpy(),
            "to_cents": both["amount_cents_to"].fillna(0).astype("int64").to_numpy(),
            "from_index": band_a,
            "to_index": band_b,
            "from_band": [labels[i] if i >= 0 else NEW for i in band_a],
            "to_band": [labels[i] if i >= 0 else LOST for i in band_b],
        }
    )
    customers["move"] = np.select(
        [~seen_a.to_numpy(), ~seen_b.to_numpy(), band_b > band_a, band_b < band_a],
        [NEW, LOST, "up", "down"],
        default="stable",
    )
    customers["from_amount"] = customers["from_cents"] / 100
    customers["to_amount"] = customers["to_cents"] / 100
    customers["change"] = customers["to_amount"] - customers["from_amount"]
    customers = customers.sort_values(["to_cents", "customer"], ascending=[False, True], kind="stable")
    rows, cols = [*labels, NEW], [*labels, LOST]
    matrix = (
        pd.crosstab(customers["from_band"], customers["to_band"]).reindex(index=rows, columns=cols, fill_value=0)
    ).astype("int64")
    return Migration(customers.reset_index(drop=True), matrix, labels, earlier, later)


def product_change(
    lines: pd.DataFrame, earlier: Period, later: Period, churn_alert: float = DEFAULT_CHURN_ALERT
) -> pd.DataFrame:
    """Per product: customers, revenue and revenue per customer in each period, growth, new/lost/returning,
    churn (lost ÷ earlier customers), and the seed's two warning signs."""
    return change_between(*split_periods(lines, earlier, later), churn_alert)


def change_between(
    earlier_lines: pd.DataFrame, later_lines: pd.DataFrame, churn_alert: float = DEFAULT_CHURN_ALERT
) -> pd.DataFrame:
    """product_change for two sets of lines (two periods, or two reports)."""
    rows = []
    products = sorted(set(earlier_lines["product"]) | set(later_lines["product"]))
    for product in products:
        first = earlier_lines[earlier_lines["product"] == product]
        second = later_lines[later_lines["product"] == product]
        a, b = set(first["customer_key"]), set(second["customer_key"])
        rev_a, rev_b = int(first["amount_cents"].sum()), int(second["amount_cents"].sum())
        rows.append(
            {
                "product": product,
                "customers_from": len(a),
                "customers_to": len(b),
                "revenue_from": rev_a / 100,
                "revenue_to": rev_b / 100,
                "per_customer_from": rev_a / 100 / len(a) if a else np.nan,
                "per_customer_to": rev_b / 100 / len(b) if b else np.nan,
                "customer_growth": (len(b) - len(a)) / len(a) if a else np.nan,
                "revenue_growth": (rev_b - rev_a) / rev_a if rev_a > 0 else np.nan,
                "new": len(b - a),
                "lost": len(a - b),
                "returning": len(a & b),
                "churn": len(a - b) / len(a) if a else np.nan,
            }
        )
    columns = list(CHANGE_COLUMNS)
    frame = pd.DataFrame(rows, columns=columns)
    cg, rg = frame["customer_growth"], frame["revenue_growth"]
    frame["customers_outgrow_revenue"] = cg.notna() & rg.notna() & (cg > rg)
    frame["churn_alert"] = frame["churn"].fillna(0) > churn_alert
    return frame


def monthly_trend(
    lines: pd.DataFrame, thresholds: Sequence[float] = DEFAULT_THRESHOLDS, lang: str = "zh"
) -> pd.DataFrame:
    """Per month: customers, revenue, and customers per band of their net total in that month."""
    cents = validate_thresholds(thresholds)
    labels = band_labels(thresholds, lang)
    dated = lines[lines["date"].notna()]
    if dated.empty:
        return pd.DataFrame(columns=["month", "customers", "revenue", *labels])
    month = dated["date"].dt.to_period("M")
    per = dated.groupby([month, "customer_key"])["amount_cents"].sum().reset_index()
    per.columns = ["month", "customer_key", "amount_cents"]
    per["band"] = [labels[i] for i in assign_bands(per["amount_cents"], cents)]
    mix = pd.crosstab(per["month"], per["band"]).reindex(columns=labels, fill_value=0)
    g = per.groupby("month")
    out = pd.DataFrame({"customers": g.size(), "revenue": g["amount_cents"].sum() / 100}).join(mix)
    out = out.reset_index()
    out["month"] = out["month"].astype(str)
    return out
