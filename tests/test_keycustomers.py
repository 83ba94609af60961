"""Key customers: ABC grades (ties, single customer, negative totals), Pareto point, at-risk, filters, exports."""

import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from funnel.bands import customer_totals
from funnel.errors import FunnelError
from funnel.export import to_csv_bytes, to_xlsx_bytes
from funnel.keycustomers import abc_grades, filter_customers, key_customers, pareto_point
from funnel.schema import prepare_sales
from funnel.tables import KEY_COLUMNS, customer_list


def totals_of(revenues: dict[str, float]) -> pd.DataFrame:
    frame = pd.DataFrame({"客户名称": list(revenues), "价税合计": list(revenues.values())})
    return customer_totals(prepare_sales(frame).lines)


def grades(revenues, cutoffs=(0.8, 0.95)) -> dict[str, str]:
    graded = abc_grades(totals_of(revenues), cutoffs)
    return dict(zip(graded["customer"], graded["grade"], strict=True))


def test_known_answer():
    g = grades({"甲": 50, "乙": 30, "丙": 10, "丁": 5, "戊": 5})
    assert g == {"甲": "A", "乙": "A", "丙": "B", "丁": "B", "戊": "B"}  # 甲+乙 = 80% exactly → A
    g = grades({"甲": 50, "乙": 29, "丙": 11, "丁": 6, "戊": 4})
    assert g == {"甲": "A", "乙": "A", "丙": "A", "丁": "B", "戊": "C"}  # 丙 crosses 80% → still A


def test_ties_at_a_cutoff_share_a_grade():
    assert grades({"甲": 40, "乙": 40, "丙": 20}, (0.3, 0.9)) == {"甲": "A", "乙": "A", "丙": "B"}
    assert grades({"甲": 60, "乙": 20, "丙": 20}, (0.6, 0.7)) == {"甲": "A", "乙": "B", "丙": "B"}


def test_single_customer_is_a():
    graded = abc_grades(totals_of({"甲": 1000}))
    assert graded["grade"].tolist() == ["A"]
    assert pareto_point(graded, 0.8) == (1, 1.0, 1.0)


def test_negative_and_zero_totals_are_c_with_no_share():
    graded = abc_grades(totals_of({"甲": 100, "乙": -20, "丙": 0}))
    g = dict(zip(graded["customer"], graded["grade"], strict=True))
    assert g == {"甲": "A", "乙": "C", "丙": "C"}
    assert graded.set_index("customer").loc["乙", "share"] == 0


def test_all_negative():
    assert set(grades({"甲": -1, "乙": -2}).values()) == {"C"}


def test_pareto_point():
    graded = abc_grades(totals_of({c: v for c, v in zip("ABCDEFGHIJ", [50, 20, 10, 5, 5, 4, 3, 1, 1, 1], strict=True)}))
    assert pareto_point(graded, 0.8) == (3, 0.3, 0.8)
    assert pareto_point(graded, 0.81)[0] == 4


@pytest.mark.parametrize("cutoffs", [(0.9, 0.8), (0, 0.5), (0.5, 1.2), (0.8,)])
def test_bad_cutoffs(cutoffs):
    with pytest.raises(FunnelError) as err:
        abc_grades(totals_of({"甲": 1}), cutoffs)
    assert err.value.key == "abc_bad_cutoffs"


def independent_grade(revenues: list[int], a: float, b: float) -> list[str]:
    """Brute force: the share of positive revenue held by customers with strictly more revenue."""
    total = sum(r for r in revenues if r > 0)
    out = []
    for r in revenues:
        if r <= 0 or total == 0:
            out.append("C")
            continue
        above = sum(x for x in revenues if x > r) / total
        out.append("A" if above < a else "B" if above < b else "C")
    return out


@settings(max_examples=150, deadline=None)
@given(
    revenues=st.lists(st.integers(min_value=-(10**6), max_value=10**8), min_size=1, max_size=40),
    a=st.floats(min_value=0.05, max_value=0.9),
    gap=st.floats(min_value=0.01, max_value=0.5),
)
def test_grades_equal_brute_force_and_are_monotone_in_rank(revenues, a, gap):
    b = min(1.0, a + gap)
    totals = pd.DataFrame(
        {
            "customer_key": [f"c{i:03d}" for i in range(len(revenues))],
            "customer": [f"c{i:03d}" for i in range(len(revenues))],
            "amount_cents": pd.Series(revenues, dtype="int64"),
        }
    )
    graded = abc_grades(totals, (a, b))
    expected = dict(zip(totals["customer"], independent_grade(revenues, a, b), strict=True))
    assert dict(zip(graded["customer"], graded["grade"], strict=True)) == expected
    order = graded["grade"].map({"A": 0, "B": 1, "C": 2}).tolist()
    assert order == sorted(order)  # ranked by revenue, grades never get better further down


def dated_lines():
    rows = [
        ("大客户甲", 500_000, "2026-01-10"),  # A, but nothing for > 90 days before 2026-06-30 → at risk
        ("大客户乙", 200_000, "2026-02-01"),
        ("大客户乙", 20_000, "2026-05-01"),  # previous 90 days 200k, latest 20k → fell 90% → at risk
        ("大客户丙", 150_000, "2026-03-15"),
        ("大客户丙", 160_000, "2026-06-30"),  # growing → fine
        ("小客户丁", 1_000, "2025-01-01"),  # C: never at risk
    ]
    frame = pd.DataFrame(rows, columns=["客户名称", "价税合计", "日期"])
    return prepare_sales(frame).lines


def test_at_risk_key_customers():
    lines = dated_lines()
    report = key_customers(lines, customer_totals(lines), inactive_days=90, drop_pct=0.3)
    assert report.as_of == pd.Timestamp("2026-06-30")
    risk = report.at_risk().set_index("customer")
    assert set(risk.index) == {"大客户甲", "大客户乙"}
    assert risk.loc["大客户甲", "risk_reason"] == "inactive"
    assert risk.loc["大客户乙", "risk_reason"] == "revenue_drop"
    assert risk.loc["大客户甲", "days_since_last"] == 171


def test_filters_narrow_the_list_but_never_regrade():
    lines = dated_lines()
    report = key_customers(lines, customer_totals(lines))
    before = report.customers.set_index("customer")["grade"].to_dict()
    shown = filter_customers(report.customers, grades=["A"], search="客户丙")
    assert shown["customer"].tolist() == ["大客户丙"]
    assert shown["grade"].tolist() == [before["大客户丙"]]
    assert filter_customers(report.customers, min_revenue=300_000)["customer"].tolist() == ["大客户甲", "大客户丙"]
    assert filter_customers(report.customers, search="ＸＹＺ").empty


def test_exports_round_trip_with_chinese_and_formula_names():
    frame = pd.DataFrame(
        {
            "客户名称": ["华信科技（北京）有限公司", '=HYPERLINK("http://evil","点我")', "@SUM(1)"],
            "价税合计": [300_000, 100_000, 5_000],
        }
    )
    lines = prepare_sales(frame).lines
    report = key_customers(lines, customer_totals(lines))
    table = customer_list(report.customers, "zh", KEY_COLUMNS)
    xlsx = load_workbook(io.BytesIO(to_xlsx_bytes(table)))
    ws = xlsx.active
    names = [ws.cell(row=r, column=2).value for r in range(2, 5)]
    assert names == table["客户"].tolist()
    assert all(ws.cell(row=r, column=2).data_type == "s" for r in range(2, 5))
    back = pd.read_excel(io.BytesIO(to_xlsx_bytes(table)), engine="openpyxl")
    columns = ["排名", "客户", "销售额", "等级"]
    pd.testing.assert_frame_equal(back[columns], table[columns], check_dtype=False)
    csv = pd.read_csv(io.BytesIO(to_csv_bytes(table)), encoding="utf-8-sig")
    assert csv["客户"].tolist() == ["华信科技（北京）有限公司", '\'=HYPERLINK("http://evil","点我")', "'@SUM(1)"]
    assert csv["销售额"].tolist() == [300000, 100000, 5000]


def test_value_by_stage_matrix_joins_on_normalised_names():
    from funnel.keycustomers import LOST_ALL, NO_DEAL, value_stage
    from funnel.stages import prepare_deals

    stages = ["潜在客户", "意向", "提案", "成交"]
    totals = totals_of({"甲（北京）有限公司": 800, "乙公司": 150, "丙公司": 40, "丁公司": 10})
    graded = abc_grades(totals)
    frame = pd.DataFrame(
        [
            ("D1", "甲(北京)有限公司", "意向"),  # half-width brackets: still 甲
            ("D2", "甲（北京）有限公司", "提案"),  # the furthest open deal wins
            ("D3", "乙公司 ", "输单"),  # only a lost deal
            ("D4", "新客户公司", "潜在客户"),  # not in the sales report
        ],
        columns=["商机编号", "客户名称", "销售阶段"],
    )
    deals = prepare_deals(frame, stages).deals
    grid = value_stage(graded, deals, stages)
    stage = dict(zip(grid.customers["customer"], grid.customers["stage"], strict=True))
    assert stage == {"甲（北京）有限公司": "提案", "乙公司": LOST_ALL, "丙公司": NO_DEAL, "丁公司": NO_DEAL}
    assert grid.counts.loc["A", "提案"] == 1 and int(grid.counts.to_numpy().sum()) == 4
    assert grid.revenue.loc["A", "提案"] == 800
    assert grid.pipeline_only["customer"].tolist() == ["新客户公司"]
    assert grid.cell("A", "提案")["customer"].tolist() == ["甲（北京）有限公司"]


def test_behaviour_grading_follows_the_editable_rules():
    from funnel.keycustomers import BehaviourRules, behaviour_grades, detect_behaviour_columns

    activity = pd.DataFrame(
        {
            "viewings": [0, 1, 3, 9, 10, 0, 5],
            "offers": [0, 0, 1, 0, 0, 0, 1],
            "recommendations": [2, 0, 0, 0, 0, 8, 0],
        }
    )
    assert behaviour_grades(activity).tolist() == ["C", "B", "A", "C", "C", "F", "B"]
    strict = BehaviourRules(promote_after_viewings=2, offer_within_viewings=6, demote_after_viewings=12)
    assert behaviour_grades(activity, strict).tolist() == ["C", "C", "A", "B", "B", "F", "A"]
    assert detect_behaviour_columns(["客户名称", "带看次数", "出价次数", "推荐次数"]) == {
        "viewings": "带看次数",
        "offers": "出价次数",
        "recommendations": "推荐次数",
    }
