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

from funnel.bands import DEFAULT_THRESHOLDS, assign_bands, band_labels, totals_sql, validate_thresholds
from funnel.engine import Lines, lines_table
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


def in_periods(lines: pd.DataFrame | Lines, earlier: Period, later: Period) -> Lines:
    """The lines tagged `in_a` / `in_b` by the period they are dated in (a line can be in both)."""
    relation = lines_table(lines)
    params = {
        "a_start": earlier.start.date(),
        "a_end": earlier.end.date(),
        "b_start": later.start.date(),
        "b_end": later.end.date(),
    }
    sql = f"""SELECT *, COALESCE(date BETWEEN :a_start AND :a_end, FALSE) AS in_a,
                        COALESCE(date BETWEEN :b_start AND :b_end, FALSE) AS in_b FROM ({relation.sql}) AS t"""
    return Lines(relation.engine, sql, {**relation.params, **params}, relation.tables, relation.has_orders)


def two_reports(earlier_lines: pd.DataFrame, later_lines: pd.DataFrame) -> Lines:
    """Two sets of lines (two reports, or two periods already split) as one relation tagged in_a / in_b."""
    a = lines_table(earlier_lines, "earlier_lines")
    b = lines_table(later_lines, "later_lines")
    sql = f"""SELECT *, TRUE AS in_a, FALSE AS in_b FROM ({a.sql}) AS a
              UNION ALL SELECT *, FALSE AS in_a, TRUE AS in_b FROM ({b.sql}) AS b"""
    return Lines(a.engine, sql, {}, {**a.tables, **b.tables})


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


def period_totals(lines: pd.DataFrame | Lines, period: Period | None = None) -> pd.DataFrame:
    """Net cents per customer over the lines dated in the period, or all lines (customers with any line there)."""
    relation = lines_table(lines)
    if period is not None:
        relation = relation.where(start=period.start, end=period.end)
    frame = relation.fetch(totals_sql(relation.has_orders))
    return frame.set_index("customer_key")[["customer", "amount_cents"]]


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
    lines: pd.DataFrame | Lines,
    earlier: Period,
    later: Period,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    lang: str = "zh",
) -> Migration:
    """How customers moved between amount bands from the earlier period to the later one."""
    return band_moves(in_periods(lines, earlier, later), thresholds, lang, earlier.label(), later.label())


def migrate(
    earlier_lines: pd.DataFrame,
    later_lines: pd.DataFrame,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    lang: str = "zh",
    earlier: str = "",
    later: str = "",
) -> Migration:
    """Band migration between two sets of lines: two periods of one report, or two reports."""
    return band_moves(two_reports(earlier_lines, later_lines), thresholds, lang, earlier, later)


_MOVES_SQL = """
WITH l AS (SELECT * FROM {lines} AS t WHERE in_a OR in_b),
g AS (
    SELECT customer_key, customer,
           SUM(CASE WHEN in_a THEN 1 ELSE 0 END) AS n_a, SUM(CASE WHEN in_b THEN 1 ELSE 0 END) AS n_b,
           SUM(CASE WHEN in_a THEN CAST(amount_cents AS DECIMAL(38, 0)) ELSE 0 END) AS a,
           SUM(CASE WHEN in_b THEN CAST(amount_cents AS DECIMAL(38, 0)) ELSE 0 END) AS b,
           COUNT(*) AS n, MIN(seq) AS seen
    FROM l GROUP BY customer_key, customer
),
names AS (
    SELECT customer_key, customer FROM (
        SELECT customer_key, customer, ROW_NUMBER() OVER (
            PARTITION BY customer_key ORDER BY CASE WHEN n_a > 0 THEN 0 ELSE 1 END, n DESC, seen, customer) AS pick
        FROM g) AS x
    WHERE pick = 1
),
per AS (SELECT customer_key, SUM(n_a) AS n_a, SUM(n_b) AS n_b, SUM(a) AS a, SUM(b) AS b FROM g GROUP BY customer_key)
SELECT per.customer_key, names.customer, CAST(per.a AS DECIMAL(38, 0)) AS from_cents,
       CAST(per.b AS DECIMAL(38, 0)) AS to_cents,
       per.n_a AS lines_from, per.n_b AS lines_to
FROM per JOIN names ON names.customer_key = per.customer_key
ORDER BY per.b DESC, names.customer, per.customer_key
"""


def band_moves(
    tagged: Lines,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    lang: str = "zh",
    earlier: str = "",
    later: str = "",
) -> Migration:
    """Per customer, its net total in each period (in_a / in_b lines) from the engine, then its band there; the
    from × to matrix counts them."""
    cents = validate_thresholds(thresholds)
    labels = tuple(band_labels(thresholds, lang))
    customers = tagged.fetch(_MOVES_SQL)
    customers = customers.astype(dict.fromkeys(("from_cents", "to_cents", "lines_from", "lines_to"), "int64"))
    band_a = np.where(customers.pop("lines_from") > 0, assign_bands(customers["from_cents"], cents), -1)
    band_b = np.where(customers.pop("lines_to") > 0, assign_bands(customers["to_cents"], cents), -1)
    customers["from_index"], customers["to_index"] = band_a, band_b
    customers["from_band"] = [labels[i] if i >= 0 else NEW for i in band_a]
    customers["to_band"] = [labels[i] if i >= 0 else LOST for i in band_b]
    customers["move"] = np.select(
        [band_a < 0, band_b < 0, band_b > band_a, band_b < band_a], [NEW, LOST, "up", "down"], default="stable"
    )
    customers["from_amount"] = customers["from_cents"] / 100
    customers["to_amount"] = customers["to_cents"] / 100
    customers["change"] = customers["to_amount"] - customers["from_amount"]
    rows, cols = [*labels, NEW], [*labels, LOST]
    matrix = (
        pd.crosstab(customers["from_band"], customers["to_band"]).reindex(index=rows, columns=cols, fill_value=0)
    ).astype("int64")
    return Migration(customers.reset_index(drop=True), matrix, labels, earlier, later)


def product_change(
    lines: pd.DataFrame | Lines, earlier: Period, later: Period, churn_alert: float = DEFAULT_CHURN_ALERT
) -> pd.DataFrame:
    """Per product: customers, revenue and revenue per customer in each period, growth, new/lost/returning,
    churn (lost ÷ earlier customers), and the seed's two warning signs."""
    return product_moves(in_periods(lines, earlier, later), churn_alert)


def change_between(
    earlier_lines: pd.DataFrame, later_lines: pd.DataFrame, churn_alert: float = DEFAULT_CHURN_ALERT
) -> pd.DataFrame:
    """product_change for two sets of lines (two periods, or two reports)."""
    return product_moves(two_reports(earlier_lines, later_lines), churn_alert)


_PRODUCT_SQL = """
WITH pc AS (
    SELECT product, customer_key,
           MAX(CASE WHEN in_a THEN 1 ELSE 0 END) AS a, MAX(CASE WHEN in_b THEN 1 ELSE 0 END) AS b,
           SUM(CASE WHEN in_a THEN CAST(amount_cents AS DECIMAL(38, 0)) ELSE 0 END) AS ra,
           SUM(CASE WHEN in_b THEN CAST(amount_cents AS DECIMAL(38, 0)) ELSE 0 END) AS rb
    FROM {lines} AS t WHERE in_a OR in_b GROUP BY product, customer_key
)
SELECT product, CAST(SUM(a) AS BIGINT) AS customers_from, CAST(SUM(b) AS BIGINT) AS customers_to,
       CAST(SUM(ra) AS DECIMAL(38, 0)) AS cents_from, CAST(SUM(rb) AS DECIMAL(38, 0)) AS cents_to,
       CAST(SUM(CASE WHEN b = 1 AND a = 0 THEN 1 ELSE 0 END) AS BIGINT) AS new,
       CAST(SUM(CASE WHEN a = 1 AND b = 0 THEN 1 ELSE 0 END) AS BIGINT) AS lost,
       CAST(SUM(CASE WHEN a = 1 AND b = 1 THEN 1 ELSE 0 END) AS BIGINT) AS returning
FROM pc GROUP BY product
"""


def product_moves(tagged: Lines, churn_alert: float = DEFAULT_CHURN_ALERT) -> pd.DataFrame:
    """Per product from lines tagged in_a / in_b: counts and revenue by the engine, then growth and churn."""
    per = tagged.fetch(_PRODUCT_SQL)
    per = per.sort_values("product", key=lambda s: s.map(str)).reset_index(drop=True)
    a, b = per["customers_from"].astype("int64"), per["customers_to"].astype("int64")
    rev_a, rev_b = per["cents_from"].astype("int64") / 100, per["cents_to"].astype("int64") / 100
    frame = pd.DataFrame(
        {
            "product": per["product"],
            "customers_from": a,
            "customers_to": b,
            "revenue_from": rev_a,
            "revenue_to": rev_b,
            "per_customer_from": (rev_a / a).where(a > 0),
            "per_customer_to": (rev_b / b).where(b > 0),
            "customer_growth": ((b - a) / a).where(a > 0),
            "revenue_growth": ((rev_b - rev_a) / rev_a).where(rev_a > 0),
            "new": per["new"].astype("int64"),
            "lost": per["lost"].astype("int64"),
            "returning": per["returning"].astype("int64"),
            "churn": (per["lost"] / a).where(a > 0),
        },
        columns=list(CHANGE_COLUMNS),
    )
    cg, rg = frame["customer_growth"], frame["revenue_growth"]
    frame["customers_outgrow_revenue"] = cg.notna() & rg.notna() & (cg > rg)
    frame["churn_alert"] = frame["churn"].fillna(0) > churn_alert
    return frame


def monthly_trend(
    lines: pd.DataFrame | Lines, thresholds: Sequence[float] = DEFAULT_THRESHOLDS, lang: str = "zh"
) -> pd.DataFrame:
    """Per month: customers, revenue, and customers per band of their net total in that month (engine)."""
    cents = validate_thresholds(thresholds)
    labels = band_labels(thresholds, lang)
    per = lines_table(lines).fetch(
        """SELECT CAST(DATE_TRUNC('month', date) AS DATE) AS month, customer_key,
                  CAST(SUM(CAST(amount_cents AS DECIMAL(38, 0))) AS DECIMAL(38, 0)) AS cents
           FROM {lines} AS l WHERE date IS NOT NULL
           GROUP BY CAST(DATE_TRUNC('month', date) AS DATE), customer_key"""
    )  # one row per month and customer: the band mix needs each customer's month total
    if per.empty:
        return pd.DataFrame(columns=["month", "customers", "revenue", *labels])
    per["month"] = pd.to_datetime(per["month"]).dt.strftime("%Y-%m")
    per["band"] = [labels[i] for i in assign_bands(per["cents"], cents)]
    mix = pd.crosstab(per["month"], per["band"]).reindex(columns=labels, fill_value=0)
    g = per.groupby("month")
    out = pd.DataFrame({"customers": g.size(), "revenue": g["cents"].sum() / 100}).join(mix)
    return out.reset_index()
