"""Amount bands (金额分层): customers' net totals in half-open bands [lower, upper), counted and summed.

This is the seed's R script done right: its strict `<`/`>` dropped customers sitting exactly on 1万/5万/10万/20万;
here every customer lands in exactly one band, so band counts add up to the customer count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from funnel.engine import Lines, lines_table
from funnel.errors import FunnelError

if TYPE_CHECKING:
    from funnel.units import Unit

DEFAULT_THRESHOLDS: tuple[float, ...] = (10_000, 50_000, 100_000, 200_000)
DEFAULT_UPGRADE_PCT = 0.20


def to_cents(yuan: float) -> int:
    """Yuan → integer cents, rounded half away from zero."""
    value = float(yuan) * 100.0
    return int(np.sign(value) * np.floor(abs(value) + 0.5))


def validate_thresholds(thresholds: Sequence[float]) -> list[int]:
    """Thresholds in yuan → cents, or a clear FunnelError if empty, negative, duplicated or unsorted."""
    values = list(thresholds)
    if not values:
        raise FunnelError("bands_empty")
    for v in values:
        if v is None or not np.isfinite(float(v)):
            raise FunnelError("bands_not_number", value=v)
    cents = [to_cents(v) for v in values]
    negative = [v for v in values if float(v) < 0]
    if negative:
        raise FunnelError("bands_negative", value=format_amount(negative[0], "en"))
    dupes = sorted({v for v in cents if cents.count(v) > 1})
    if dupes:
        raise FunnelError("bands_duplicate", value=format_amount(dupes[0] / 100, "en"))
    if cents != sorted(cents):
        raise FunnelError("bands_unsorted", values=", ".join(format_amount(v, "en") for v in values))
    return cents


def parse_thresholds(text: str) -> list[float]:
    """'10000,50000,1e5' or '1万,5万' → [10000.0, 50000.0, 100000.0]; a clear error for anything else."""
    out = []
    for part in text.replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        factor = 1.0
        if part.endswith("万"):
            part, factor = part[:-1], 10_000.0
        try:
            out.append(float(part.replace("_", "")) * factor)
        except ValueError as exc:
            raise FunnelError("bands_not_number", value=part) from exc
    validate_thresholds(out)
    return out


def format_amount(yuan: float, lang: str) -> str:
    """A threshold as people say it: 50,000 in English, 5万 in Chinese (0.5万 for 5,000)."""
    if lang == "zh":
        wan = float(yuan) / 10_000
        text = f"{wan:.4f}".rstrip("0").rstrip(".")
        return f"{text}万"
    return f"{float(yuan):,.2f}".removesuffix(".00")


def band_labels(thresholds: Sequence[float], lang: str = "zh", unit: Unit | None = None) -> list[str]:
    """Labels for len(thresholds)+1 bands: 1万以下, 1–5万, …, 20万以上 · < 10,000, 10,000–50,000, …, ≥ 200,000;
    in a chosen money unit when one is given (funnel.units: 10,000–50,000元, $10,000–$50,000, 10k–50k…)."""
    if unit is not None:
        from funnel.units import band_labels as in_unit

        return in_unit(thresholds, unit, lang)
    t = [float(x) for x in thresholds]
    if lang == "zh":
        wan = [format_amount(x, "zh").removesuffix("万") for x in t]
        labels = [f"{wan[0]}万以下"]
        labels += [f"{wan[i]}–{wan[i + 1]}万" for i in range(len(t) - 1)]
        labels.append(f"{wan[-1]}万以上")
        return labels
    num = [format_amount(x, "en") for x in t]
    labels = [f"< {num[0]}"]
    labels += [f"{num[i]}–{num[i + 1]}" for i in range(len(t) - 1)]
    labels.append(f"≥ {num[-1]}")
    return labels


TOTALS_COLUMNS: tuple[str, ...] = (
    "customer_key", "customer", "amount_cents", "lines", "orders", "first_date", "last_date", "main_product",
    "region", "rep",
)  # fmt: skip

# Per customer from the lines, in one pass grouped by (customer, spelling, product, region, rep) plus one for
# distinct orders. "Main product" is the product with most revenue, region and rep those with most lines, the
# shown name the most frequent spelling; ties go to the value seen first (then the smallest value).
# Whether any order number exists is a scalar subquery (PostgreSQL runs it once as an InitPlan); as a cross-joined
# CTE PostgreSQL re-ran it per customer (40,000 customers: minutes).
_TOTALS_SQL = """
WITH l AS (SELECT * FROM {lines} AS src),
g AS (
    SELECT customer_key, customer, product, region, rep, COUNT(*) AS n,
           SUM(CAST(amount_cents AS DECIMAL(38, 0))) AS cents, MIN(seq) AS seen,
           MIN(date) AS first_date, MAX(date) AS last_date
    FROM l GROUP BY customer_key, customer, product, region, rep
),
{orders},
{picks},
base AS (
    SELECT customer_key, SUM(cents) AS amount_cents, SUM(n) AS lines, MIN(first_date) AS first_date,
           MAX(last_date) AS last_date
    FROM g GROUP BY customer_key
)
SELECT b.customer_key, p_customer.customer, CAST(b.amount_cents AS DECIMAL(38, 0)) AS amount_cents,
       CAST(b.lines AS BIGINT) AS lines,
       CAST(CASE WHEN (SELECT COUNT(*) FROM o) > 0 THEN COALESCE(o.orders, 0) ELSE b.lines END AS BIGINT) AS orders,
       b.first_date, b.last_date, p_product.product AS main_product, p_region.region, p_rep.rep
FROM base AS b
LEFT JOIN o ON o.customer_key = b.customer_key
{joins}
ORDER BY b.amount_cents DESC, p_customer.customer, b.customer_key
"""


def _pick_sql(column: str, weight: str) -> str:
    """A CTE naming, per customer, the value of `column` with the largest `weight` (ties: first seen, smallest)."""
    return f"""p_{column} AS (
    SELECT customer_key, {column} FROM (
        SELECT customer_key, {column}, ROW_NUMBER() OVER (
            PARTITION BY customer_key ORDER BY w DESC, seen, {column}) AS pick
        FROM (SELECT customer_key, {column}, {weight} AS w, MIN(seen) AS seen FROM g
              GROUP BY customer_key, {column}) AS x
    ) AS y WHERE pick = 1
)"""


_ORDERS = """o AS (SELECT customer_key, COUNT(DISTINCT "order") AS orders FROM l WHERE "order" <> ''
               GROUP BY customer_key)"""
_NO_ORDERS = "o AS (SELECT customer_key, CAST(0 AS BIGINT) AS orders FROM g WHERE FALSE)"  # spares a pass


def totals_sql(has_orders: bool = True) -> str:
    """The per-customer totals query over `{lines}` (any engine); without order numbers, orders = lines."""
    picks = [("customer", "SUM(n)"), ("product", "SUM(cents)"), ("region", "SUM(n)"), ("rep", "SUM(n)")]
    return _TOTALS_SQL.format(
        lines="{lines}",
        orders=_ORDERS if has_orders else _NO_ORDERS,
        picks=",\n".join(_pick_sql(c, w) for c, w in picks),
        joins="\n".join(f"JOIN p_{c} ON p_{c}.customer_key = b.customer_key" for c, _ in picks),
    )


def customer_totals(
    lines: pd.DataFrame | Lines, products: Sequence[str] | None = None, start: object = None, end: object = None
) -> pd.DataFrame:
    """One row per customer of the (chosen products' and period's) lines: net amount (returns netted in), lines,
    orders, first/last date, main product, region, rep; computed by the engine, largest first."""
    relation = lines_table(lines).where(products, start, end)
    totals = relation.fetch(totals_sql(relation.has_orders))
    totals["first_date"] = pd.to_datetime(totals["first_date"]).astype("datetime64[ns]")
    totals["last_date"] = pd.to_datetime(totals["last_date"]).astype("datetime64[ns]")
    return totals[list(TOTALS_COLUMNS)].astype({"amount_cents": "int64", "lines": "int64", "orders": "int64"})


_AMOUNTS_SQL = """
SELECT customer_key, SUM(CAST(amount_cents AS DECIMAL(38, 0))) AS amount_cents
FROM {lines} AS l
GROUP BY customer_key
ORDER BY amount_cents DESC, customer_key
"""


def customer_amounts(
    lines: pd.DataFrame | Lines, products: Sequence[str] | None = None, start: object = None, end: object = None
) -> pd.DataFrame:
    """Each customer's net amount (customer_key, amount_cents) of the chosen lines, largest first: all that band
    counts and sums need (the CLI's `bands`, which shows no customer); customer_totals adds the rest per customer
    (a 300k-line report: 0.02 s against 0.15 s)."""
    relation = lines_table(lines).where(products, start, end)
    return relation.fetch(_AMOUNTS_SQL).astype({"amount_cents": "int64"})


def assign_bands(amount_cents: pd.Series | np.ndarray, thresholds_cents: Sequence[int]) -> np.ndarray:
    """Band index 0..k for each amount: band i is [threshold[i-1], threshold[i]); below the first (or ≤ 0) is band 0."""
    return np.searchsorted(
        np.asarray(thresholds_cents, dtype="int64"), np.asarray(amount_cents, dtype="int64"), side="right"
    )


@dataclass(frozen=True)
class BandReport:
    """Per band: customers and revenue with shares; per customer: band, gap to the next threshold, upgrade flag."""

    summary: pd.DataFrame
    customers: pd.DataFrame
    thresholds: tuple[float, ...]
    labels: tuple[str, ...]
    total_cents: int
    upgrade_pct: float

    @property
    def n_customers(self) -> int:
        return len(self.customers)

    def band_customers(self, band: int, upgrade_only: bool = False) -> pd.DataFrame:
        """The customers of one band, largest first; only the upgrade candidates if asked."""
        rows = self.customers[self.customers["band"] == band]
        if upgrade_only:
            rows = rows[rows["upgrade_candidate"]]
        return rows.reset_index(drop=True)


def band_report(
    totals: pd.DataFrame,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    lang: str = "zh",
    upgrade_pct: float = DEFAULT_UPGRADE_PCT,
    unit: Unit | None = None,
) -> BandReport:
    """Band the per-customer totals. Upgrade candidates: within `upgrade_pct` of the next threshold (gap ≤ pct × it).
    Band labels are in `unit` when given (see band_labels)."""
    cents = validate_thresholds(thresholds)
    if not 0 <= upgrade_pct <= 1:
        raise FunnelError("bands_bad_pct", value=upgrade_pct)
    labels = band_labels(thresholds, lang, unit)
    customers = totals.copy()
    band = assign_bands(customers["amount_cents"], cents)
    customers["band"] = band.astype("int64")
    customers["band_label"] = [labels[i] for i in band]
    next_cents = np.array([*cents, 0], dtype="int64")[band]
    has_next = band < len(cents)
    gap = np.where(has_next, next_cents - customers["amount_cents"].to_numpy(), 0)
    customers["gap_to_next_cents"] = pd.array(np.where(has_next, gap, 0), dtype="int64")
    customers["upgrade_candidate"] = has_next & (gap * 1.0 <= upgrade_pct * next_cents)
    customers["amount"] = customers["amount_cents"] / 100
    customers["gap_to_next"] = np.where(has_next, gap / 100, np.nan)

    total = int(customers["amount_cents"].sum())
    n = len(customers)
    # per band with numpy on the band indices (a pandas groupby on 5 bands cost ~2 ms more); sums stay exact int64
    counts = np.bincount(band, minlength=len(labels)).astype("int64")
    sums = np.zeros(len(labels), dtype="int64")
    np.add.at(sums, band, customers["amount_cents"].to_numpy(dtype="int64"))
    upgrades = np.bincount(band[customers["upgrade_candidate"].to_numpy()], minlength=len(labels)).astype("int64")
    lowers = [None, *list(thresholds)]
    uppers = [*list(thresholds), None]
    summary = pd.DataFrame(
        {
            "band": range(len(labels)),
            "label": labels,
            "lower": lowers,
            "upper": uppers,
            "customers": counts,
            "customer_share": counts / n if n else np.zeros(len(labels)),
            "amount_cents": sums,
            "amount": sums / 100,
            "amount_share": sums / total if total else np.zeros(len(labels)),
            "upgrade_candidates": upgrades,
        }
    )
    return BandReport(summary, customers, tuple(float(x) for x in thresholds), tuple(labels), total, upgrade_pct)
