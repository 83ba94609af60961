"""Amount bands: half-open intervals, exact money, returns netted, thresholds checked, the partition law."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.bands import (
    assign_bands,
    band_labels,
    band_report,
    customer_amounts,
    customer_totals,
    parse_thresholds,
    validate_thresholds,
)
from funnel.errors import FunnelError
from funnel.schema import prepare_sales


def lines_of(pairs):
    frame = pd.DataFrame({"客户名称": [c for c, _ in pairs], "价税合计": [a for _, a in pairs]})
    return prepare_sales(frame).lines


def test_customers_exactly_on_each_threshold_land_in_the_upper_band():
    lines = lines_of([("a", 10000), ("b", 50000), ("c", 100000), ("d", 200000), ("e", 9999.99)])
    report = band_report(customer_totals(lines))
    band = dict(zip(report.customers["customer"], report.customers["band_label"], strict=True))
    assert band == {"a": "1–5万", "b": "5–10万", "c": "10–20万", "d": "20万以上", "e": "1万以下"}
    assert report.summary["customers"].tolist() == [1, 1, 1, 1, 1]


def test_returns_are_netted_and_negative_totals_sit_in_the_lowest_band():
    lines = lines_of([("a", 120000), ("a", -20000), ("b", 3000), ("b", -5000), ("c", 0)])
    report = band_report(customer_totals(lines))
    totals = dict(zip(report.customers["customer"], report.customers["amount_cents"], strict=True))
    assert totals == {"a": 10_000_000, "b": -200_000, "c": 0}
    assert report.summary["customers"].tolist() == [2, 0, 0, 1, 0]
    assert report.summary["amount_cents"].tolist() == [-200_000, 0, 0, 10_000_000, 0]


def test_float_drift_cannot_push_a_customer_below_a_threshold():
    lines = lines_of([("a", 49999.7), ("a", 0.1), ("a", 0.2)])
    report = band_report(customer_totals(lines))
    assert report.customers["amount_cents"].tolist() == [5_000_000]
    assert report.customers["band_label"].tolist() == ["5–10万"]


@pytest.mark.parametrize(
    ("thresholds", "key"),
    [
        ([50000, 10000], "bands_unsorted"),
        ([10000, 10000, 50000], "bands_duplicate"),
        ([-1, 10000], "bands_negative"),
        ([], "bands_empty"),
        ([float("nan")], "bands_not_number"),
    ],
)
def test_bad_thresholds_get_a_clear_message(thresholds, key):
    with pytest.raises(FunnelError) as err:
        validate_thresholds(thresholds)
    assert err.value.key == key
    assert err.value.message("zh") != err.value.message("en")


def test_threshold_text():
    assert parse_thresholds("1万, 5万，100000,2e5") == [10000, 50000, 100000, 200000]
    with pytest.raises(FunnelError):
        parse_thresholds("10000,abc")


def test_labels():
    assert band_labels([10000, 50000, 100000, 200000], "zh") == ["1万以下", "1–5万", "5–10万", "10–20万", "20万以上"]
    assert band_labels([10000, 50000], "en") == ["< 10,000", "10,000–50,000", "≥ 50,000"]
    assert band_labels([5000, 15000], "zh") == ["0.5万以下", "0.5–1.5万", "1.5万以上"]


def test_upgrade_candidates_within_pct_of_next_threshold():
    lines = lines_of([("a", 40000), ("b", 39999.99), ("c", 9000), ("d", 250000)])
    report = band_report(customer_totals(lines), upgrade_pct=0.2)
    flags = dict(zip(report.customers["customer"], report.customers["upgrade_candidate"], strict=True))
    assert flags == {"a": True, "b": False, "c": True, "d": False}  # a: gap 10,000 = 20% of 50,000
    gaps = dict(zip(report.customers["customer"], report.customers["gap_to_next"], strict=True))
    assert gaps["a"] == 10000 and gaps["c"] == 1000 and pd.isna(gaps["d"])
    assert report.band_customers(1, upgrade_only=True)["customer"].tolist() == ["a"]


def test_totals_per_customer():
    frame = pd.DataFrame(
        {
            "客户名称": ["甲", "甲", "乙"],
            "货品名称": ["A", "B", "A"],
            "价税合计": [100, 300, 50],
            "日期": ["2026-01-01", "2026-03-01", "2026-02-01"],
            "单据编号": ["X1", "X1", "X2"],
        }
    )
    totals = customer_totals(prepare_sales(frame).lines).set_index("customer")
    assert totals.loc["甲", "amount_cents"] == 40000
    assert totals.loc["甲", "lines"] == 2 and totals.loc["甲", "orders"] == 1
    assert totals.loc["甲", "main_product"] == "B"
    assert totals.loc["甲", "first_date"] == pd.Timestamp("2026-01-01")
    assert totals.loc["甲", "last_date"] == pd.Timestamp("2026-03-01")


def test_amounts_per_customer_are_the_netted_sums_of_the_chosen_lines():
    frame = pd.DataFrame(
        {
            "客户名称": ["甲", "甲", "乙", "甲公司 ", "丙", "丙"],
            "货品名称": ["A", "B", "A", "A", "B", "B"],
            "价税合计": ["100.005", "300", "50", "-20.5", "7", "-7"],
            "日期": ["2026-01-01", "2026-03-01", "2026-02-01", "2026-02-01", "2026-01-05", "2026-04-01"],
        }
    )
    lines = prepare_sales(frame).lines
    amounts = customer_amounts(lines)
    by_name = dict(zip(lines["customer_key"], lines["customer"], strict=True))
    assert [(by_name[k], c) for k, c in amounts.itertuples(index=False)] == [
        ("甲", 10001 + 30000),
        ("乙", 5000),
        ("丙", 0),
        ("甲公司", -2050),
    ]
    only_a = customer_amounts(lines, products=["A"], start="2026-01-15")
    assert [(by_name[k], c) for k, c in only_a.itertuples(index=False)] == [("乙", 5000), ("甲公司", -2050)]
    totals = customer_totals(lines)
    assert amounts.equals(totals[["customer_key", "amount_cents"]])  # the band counts read the same either way


money = st.integers(min_value=-(10**9), max_value=10**10)  # cents


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(money, min_size=0, max_size=60),
    thresholds=st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=6, unique=True),
)
def test_every_customer_lands_in_exactly_one_band(amounts, thresholds):
    thresholds = sorted(thresholds)
    totals = pd.DataFrame(
        {
            "customer_key": [f"c{i}" for i in range(len(amounts))],
            "customer": [f"c{i}" for i in range(len(amounts))],
            "amount_cents": pd.Series(amounts, dtype="int64"),
        }
    )
    yuan = [t / 100 for t in thresholds]
    report = band_report(totals, yuan)
    s = report.summary
    assert s["customers"].sum() == len(amounts)
    assert s["amount_cents"].sum() == sum(amounts)
    # independent membership: band i holds exactly the amounts in [t[i-1], t[i]) (band 0 also everything below)
    edges = [-(10**18), *thresholds, 10**18]
    for i in range(len(thresholds) + 1):
        expected = [a for a in amounts if (edges[i] <= a or i == 0) and a < edges[i + 1]]
        assert s.loc[i, "customers"] == len(expected)
        assert s.loc[i, "amount_cents"] == sum(expected)


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=5, unique=True), money)
def test_band_index_is_monotone_in_amount(thresholds, amount):
    thresholds = sorted(thresholds)
    here, above = assign_bands([amount, amount + 1], thresholds)
    assert here <= above
