"""Band migration between two periods: known moves, the matrix laws, per-product change, monthly trend."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.bands import band_report
from funnel.errors import FunnelError
from funnel.migration import Period, migration, monthly_trend, preset_periods, product_change
from funnel.schema import prepare_sales

P1 = Period.parse("2025-01-01..2025-12-31")
P2 = Period.parse("2026-01-01..2026-12-31")


def lines_of(rows):
    frame = pd.DataFrame(rows, columns=["客户名称", "货品名称", "价税合计", "日期"])
    return prepare_sales(frame).lines


ROWS = [
    ("升级", "门锁", 20_000, "2025-03-01"),
    ("升级", "门锁", 60_000, "2026-03-01"),  # 1–5万 → 5–10万
    ("降级", "门锁", 150_000, "2025-05-01"),
    ("降级", "门锁", 9_000, "2026-05-01"),  # 10–20万 → 1万以下
    ("新客", "摄像机", 30_000, "2026-02-01"),  # new → 1–5万
    ("流失", "摄像机", 250_000, "2025-07-01"),  # 20万以上 → lost
    ("退货", "摄像机", 12_000, "2025-08-01"),
    ("退货", "摄像机", -3_000, "2026-08-01"),  # 1–5万 → 1万以下 (net negative, still a customer)
    ("持平", "门锁", 50_000, "2025-09-01"),
    ("持平", "门锁", 50_000, "2026-09-01"),  # 5–10万 → 5–10万
    ("期外", "门锁", 99_999, "2024-12-31"),  # outside both periods: in neither
]


def test_known_moves():
    result = migration(lines_of(ROWS), P1, P2)
    move = dict(zip(result.customers["customer"], result.customers["move"], strict=True))
    assert move == {"升级": "up", "降级": "down", "新客": "new", "流失": "lost", "退货": "down", "持平": "stable"}
    cells = {(r.customer, r.from_band, r.to_band) for r in result.customers.itertuples()}
    assert ("退货", "1–5万", "1万以下") in cells
    assert ("新客", "new", "1–5万") in cells and ("流失", "20万以上", "lost") in cells
    assert result.matrix.loc["new", "lost"] == 0
    assert result.moves() == {"up": 1, "down": 2, "stable": 1, "new": 1, "lost": 1}
    assert result.cell("5–10万", "5–10万")["customer"].tolist() == ["持平"]


def test_matrix_margins_equal_each_period_band_counts():
    lines = lines_of(ROWS)
    result = migration(lines, P1, P2)
    from funnel.bands import customer_totals

    for period, margin, extra in ((P1, result.matrix.sum(axis=1), "new"), (P2, result.matrix.sum(axis=0), "lost")):
        counts = band_report(customer_totals(lines[period.mask(lines["date"])])).summary["customers"].tolist()
        assert margin.drop(extra).tolist() == counts


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=15),
            st.integers(min_value=-50_000, max_value=400_000),
            st.sampled_from(["2025-02-01", "2025-11-30", "2026-01-15", "2026-12-31", "2024-06-01"]),
        ),
        max_size=60,
    )
)
def test_every_customer_in_exactly_one_cell(rows):
    lines = lines_of([(f"客户{c}", "P", amount, day) for c, amount, day in rows])
    result = migration(lines, P1, P2)
    in_p1 = set(lines.loc[P1.mask(lines["date"]), "customer_key"])
    in_p2 = set(lines.loc[P2.mask(lines["date"]), "customer_key"])
    assert int(result.matrix.to_numpy().sum()) == len(in_p1 | in_p2) == len(result.customers)
    assert result.customers["customer_key"].is_unique
    assert int(result.matrix.loc["new"].sum()) == len(in_p2 - in_p1)
    assert int(result.matrix[["lost"]].sum().iloc[0]) == len(in_p1 - in_p2)


def test_product_change():
    change = product_change(lines_of(ROWS), P1, P2, churn_alert=0.2).set_index("product")
    lock = change.loc["门锁"]
    assert (lock.customers_from, lock.customers_to, lock.new, lock.lost, lock.returning) == (3, 3, 0, 0, 3)
    assert lock.revenue_from == 220_000 and lock.revenue_to == 119_000
    cam = change.loc["摄像机"]
    assert (cam.customers_from, cam.customers_to, cam.new, cam.lost) == (2, 2, 1, 1)
    assert cam.churn == 0.5 and cam.churn_alert
    assert cam.customer_growth == 0 and cam.revenue_growth == pytest.approx(27_000 / 262_000 - 1)
    assert cam.customers_outgrow_revenue  # 0% customers vs −90% revenue


def test_presets_and_parsing():
    earlier, later = preset_periods(pd.Timestamp("2026-10-30"), "year")
    assert later == Period(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-10-30"))
    assert earlier == Period(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-10-30"))
    earlier, later = preset_periods(pd.Timestamp("2026-05-20"), "quarter")
    assert later.start == pd.Timestamp("2026-04-01") and earlier.start == pd.Timestamp("2025-04-01")
    for bad in ("2025", "2026-01-01..2025-01-01", "a..b"):
        with pytest.raises(FunnelError):
            Period.parse(bad)


def test_monthly_trend():
    trend = monthly_trend(lines_of(ROWS)).set_index("month")
    assert trend.loc["2025-03", "customers"] == 1 and trend.loc["2025-03", "1–5万"] == 1
    assert trend.loc["2026-08", "revenue"] == -3000
    assert trend[["1万以下", "1–5万", "5–10万", "10–20万", "20万以上"]].sum(axis=1).equals(trend["customers"])
