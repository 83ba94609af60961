"""Two periods compared fairly: comparison presets chosen among periods that have data, months with only part of
their days marked, and products flagged only when they are large enough, in one ranked table, worded right when the
figures fall.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from funnel.migration import Period

PRESETS: tuple[str, ...] = ("year", "quarter", "quarter_prev", "month_prev")
DEFAULT_MIN_CUSTOMERS = 5
FLAG_KINDS: tuple[str, ...] = ("churn", "per_customer_down")
FLAG_COLUMNS: tuple[str, ...] = (
    "product", "flags", "customers_from", "customers_to", "customer_growth", "revenue_growth", "churn", "lost",
    "revenue_at_stake",
)  # fmt: skip


def preset_span(last_date: pd.Timestamp, preset: str) -> tuple[Period, Period]:
    """(earlier, later) for a preset, the later one ending on the data's last day:
    year: this year to date vs the same days last year; quarter: this quarter to date vs the same quarter last
    year; quarter_prev: vs the same days of the previous quarter; month_prev: this month to date vs the same days
    of the previous month."""
    end = pd.Timestamp(last_date).normalize()
    if preset == "year":
        start, back = pd.Timestamp(year=end.year, month=1, day=1), pd.DateOffset(years=1)
    elif preset == "quarter":
        start, back = pd.Timestamp(year=end.year, month=3 * ((end.month - 1) // 3) + 1, day=1), pd.DateOffset(years=1)
    elif preset == "quarter_prev":
        start, back = pd.Timestamp(year=end.year, month=3 * ((end.month - 1) // 3) + 1, day=1), pd.DateOffset(months=3)
    elif preset == "month_prev":
        start, back = pd.Timestamp(year=end.year, month=end.month, day=1), pd.DateOffset(months=1)
    else:
        raise ValueError(preset)
    return Period(start - back, end - back), Period(start, end)


def presets_with_data(dates: pd.Series) -> list[str]:
    """The presets whose two periods both hold at least one dated line, in the order they are offered."""
    dated = pd.to_datetime(dates).dropna()
    if dated.empty:
        return []
    last = dated.max()
    usable = []
    for preset in PRESETS:
        earlier, later = preset_span(last, preset)
        if earlier.mask(dated).any() and later.mask(dated).any():
            usable.append(preset)
    return usable


def default_preset(dates: pd.Series) -> str:
    """The first preset (year, quarter, previous quarter, previous month) with data in both periods; 'custom'
    when none has (the page then proposes two halves of the data)."""
    usable = presets_with_data(dates)
    return usable[0] if usable else "custom"


def halves(first: pd.Timestamp, last: pd.Timestamp) -> tuple[Period, Period]:
    """The data's span cut in two: a fair default for two custom periods when no preset has data in both."""
    first, last = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    middle = first + (last - first) / 2
    middle = middle.normalize()
    return Period(first, middle), Period(min(middle + pd.Timedelta(days=1), last), last)


def partial_months(first_date: pd.Timestamp, last_date: pd.Timestamp) -> tuple[str, ...]:
    """The months ('2025-06') the data covers only in part: the first one when it starts after the 1st, the last
    one when it ends before the month's last day (a partial month is not a cliff)."""
    first, last = pd.Timestamp(first_date).normalize(), pd.Timestamp(last_date).normalize()
    out = []
    if first.day > 1:
        out.append(first.strftime("%Y-%m"))
    if last != last + pd.offsets.MonthEnd(0):
        month = last.strftime("%Y-%m")
        if month not in out:
            out.append(month)
    return tuple(out)


def product_flags(change: pd.DataFrame, churn_alert: float, min_customers: int = DEFAULT_MIN_CUSTOMERS) -> pd.DataFrame:
    """One row per flagged product, worst first: churn above the alert line among at least `min_customers` earlier
    customers, and revenue per customer falling (customers growing faster than revenue, or falling slower) where
    both periods have at least `min_customers`. `flags` holds the kinds ('churn', 'per_customer_down'); ranked by
    the revenue the product lost between the periods, then by churn."""
    c = change
    big_before = c["customers_from"] >= min_customers
    big_both = big_before & (c["customers_to"] >= min_customers)
    churn = big_before & (c["churn"].fillna(0) > churn_alert)
    cg, rg = c["customer_growth"], c["revenue_growth"]
    down = big_both & cg.notna() & rg.notna() & (cg > rg)
    flagged = c[churn | down].copy()
    flagged["flags"] = [
        tuple(k for k, on in (("churn", a), ("per_customer_down", b)) if on)
        for a, b in zip(churn[churn | down], down[churn | down], strict=True)
    ]
    flagged["revenue_at_stake"] = np.maximum(flagged["revenue_from"] - flagged["revenue_to"], 0.0)
    flagged = flagged.sort_values(["revenue_at_stake", "churn", "product"], ascending=[False, False, True])
    return flagged[list(FLAG_COLUMNS)].reset_index(drop=True)


def filter_flags(flags: pd.DataFrame, kinds: Sequence[str] = (), search: str = "") -> pd.DataFrame:
    """The flagged products of the chosen kinds (all when none) whose name contains `search` (any case)."""
    keep = pd.Series(True, index=flags.index)
    if kinds:
        keep &= flags["flags"].map(lambda f: any(k in f for k in kinds))
    if search.strip():
        keep &= flags["product"].astype(str).str.casefold().str.contains(search.strip().casefold(), regex=False)
    return flags[keep].reset_index(drop=True)


def per_customer_words(customer_growth: float, revenue_growth: float) -> str:
    """Which sentence says 'revenue per customer fell' right for the signs: both grew ('grew_faster'), customers
    grew while revenue fell ('grew_while_fell'), or both fell and revenue fell faster ('fell_faster')."""
    if customer_growth >= 0 and revenue_growth >= 0:
        return "grew_faster"
    if customer_growth >= 0 > revenue_growth:
        return "grew_while_fell"
    return "fell_faster"
