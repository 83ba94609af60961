"""Fair comparisons (funnel.trends): presets among periods that have data, partial months, and product flags with
minimum sizes, ranked, filtered and worded right when figures fall — against hand-computed figures."""

from __future__ import annotations

import pandas as pd
import pytest

from funnel.migration import change_between
from funnel.trends import (
    default_preset,
    filter_flags,
    halves,
    partial_months,
    per_customer_words,
    preset_span,
    presets_with_data,
    product_flags,
)


def days(*texts: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(texts)))


def test_presets_end_on_the_last_day_and_look_back_by_a_year_a_quarter_or_a_month():
    last = pd.Timestamp("2025-11-20")
    earlier, later = preset_span(last, "year")
    assert (later.start, later.end) == (pd.Timestamp("2025-01-01"), last)
    assert (earlier.start, earlier.end) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-11-20"))
    earlier, later = preset_span(last, "quarter_prev")
    assert (later.start, earlier.start, earlier.end) == (
        pd.Timestamp("2025-10-01"),
        pd.Timestamp("2025-07-01"),
        pd.Timestamp("2025-08-20"),
    )
    earlier, later = preset_span(last, "month_prev")
    assert (earlier.start, earlier.end, later.start) == (
        pd.Timestamp("2025-10-01"),
        pd.Timestamp("2025-10-20"),
        pd.Timestamp("2025-11-01"),
    )


def test_a_one_year_file_defaults_to_a_preset_with_data_on_both_sides():
    one_year = days("2025-01-03", "2025-05-10", "2025-08-15", "2025-11-20")
    assert presets_with_data(one_year) == ["quarter_prev"]
    assert default_preset(one_year) == "quarter_prev"
    two_years = days("2024-02-01", "2025-03-01")
    assert default_preset(two_years) == "year"
    assert default_preset(days("2025-11-20")) == "custom"


def test_halves_split_the_span():
    a, b = halves(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-11"))
    assert (a.start, a.end, b.start, b.end) == tuple(
        pd.Timestamp(x) for x in ("2025-01-01", "2025-01-06", "2025-01-07", "2025-01-11")
    )


def test_partial_months_are_the_first_and_last_ones_the_data_only_touches():
    assert partial_months(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-12")) == ("2025-06",)
    assert partial_months(pd.Timestamp("2025-01-15"), pd.Timestamp("2025-06-30")) == ("2025-01",)
    assert partial_months(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31")) == ()
    assert partial_months(pd.Timestamp("2025-03-02"), pd.Timestamp("2025-03-20")) == ("2025-03",)


def lines(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["product", "customer_key", "amount_cents"])


def test_flags_need_enough_customers_and_are_ranked_by_revenue_lost():
    earlier = lines(
        [("甲", f"k{i}", 100_000) for i in range(10)]  # 10 customers, 10,000 yuan
        + [("乙", "p1", 5_000), ("乙", "p2", 5_000)]  # 2 customers: one lost is 50% churn
        + [("丙", f"q{i}", 500_000) for i in range(6)]
    )
    later = lines(
        [("甲", f"k{i}", 50_000) for i in range(6)]  # 6 stay, 3,000 yuan: both fall, revenue faster
        + [("乙", "p1", 5_000)]
        + [("丙", f"q{i}", 400_000) for i in range(6)]
        + [("丙", "new", 100_000)]
    )
    change = change_between(earlier, later, 0.2)
    flags = product_flags(change, churn_alert=0.2, min_customers=5)
    assert flags["product"].tolist() == ["甲", "丙"]  # 乙 (2 customers) is too small to flag
    by_product = flags.set_index("product")
    assert by_product.loc["甲", "revenue_at_stake"] == pytest.approx(7_000.0)  # 10,000 → 3,000
    assert by_product.loc["丙", "revenue_at_stake"] == pytest.approx(5_000.0)  # 30,000 → 25,000
    assert by_product.loc["甲", "flags"] == ("churn", "per_customer_down")  # 4 of 10 lost; −40% vs −70%
    assert by_product.loc["丙", "flags"] == ("per_customer_down",)  # +16.7% customers, −16.7% revenue
    assert by_product.loc["甲", "churn"] == pytest.approx(0.4)


def test_words_for_revenue_per_customer_falling():
    assert per_customer_words(0.10, 0.05) == "grew_faster"
    assert per_customer_words(0.10, -0.20) == "grew_while_fell"
    assert per_customer_words(-0.40, -0.70) == "fell_faster"


def test_flags_filter_by_kind_and_name():
    flags = pd.DataFrame({"product": ["Door lock", "门禁系统"], "flags": [("churn",), ("churn", "per_customer_down")]})
    assert filter_flags(flags, ["per_customer_down"])["product"].tolist() == ["门禁系统"]
    assert filter_flags(flags, search="door")["product"].tolist() == ["Door lock"]
    assert len(filter_flags(flags)) == 2
