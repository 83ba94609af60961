"""Weighted forecast, categories, targets and coverage, slipping deals — against hand-computed numbers."""

import pandas as pd
import pytest

from funnel.errors import FunnelError
from funnel.forecast import (
    against_targets,
    default_probabilities,
    forecast,
    forecast_by,
    parse_probabilities,
    slipping,
    weigh,
)
from funnel.stages import prepare_deals

STAGES = ["潜在客户", "初步接触", "意向", "提案", "谈判", "成交"]


def pipeline(with_probability=True):
    rows = [
        ("A", "甲", "赢单", 100, "2026-01-15", None, "张三"),
        ("B", "乙", "谈判", 200, "2026-02-01", "80%", "张三"),
        ("C", "丙", "提案", 300, "2026-03-01", "50%", "李四"),
        ("D", "丁", "初步接触", 400, "2026-04-10", "10%", "李四"),
        ("E", "戊", "输单", 999, "2026-02-01", "0%", "李四"),
    ]
    frame = pd.DataFrame(
        rows, columns=["商机编号", "客户名称", "销售阶段", "预计金额", "预计签约日期", "赢率", "业务员"]
    )
    if not with_probability:
        frame = frame.drop(columns=["赢率"])
    return prepare_deals(frame, STAGES).deals


def test_default_probabilities():
    assert list(default_probabilities(STAGES).values()) == [0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
    assert list(default_probabilities(["a", "b", "c", "d"]).values()) == [0.1, 0.5, 0.9, 1.0]


def test_weights_from_the_column_then_the_stage_table():
    w = weigh(pipeline(), STAGES).set_index("deal")
    assert w["p"].to_dict() == {"A": 1.0, "B": 0.8, "C": 0.5, "D": 0.1, "E": 0.0}
    assert w["forecast_category"].to_dict() == {
        "A": "closed",
        "B": "commit",
        "C": "best_case",
        "D": "pipeline",
        "E": "lost",
    }
    w2 = weigh(pipeline(with_probability=False), STAGES, parse_probabilities("提案=40%,谈判=0.75", STAGES))
    assert w2.set_index("deal")["p"].to_dict() == {"A": 1.0, "B": 0.75, "C": 0.4, "D": 0.3, "E": 0.0}


def test_forecast_per_quarter_known_answer():
    table = forecast(weigh(pipeline(), STAGES)).set_index("period")
    q1 = table.loc["2026Q1"]
    assert q1["weighted"] == 100 + 200 * 0.8 + 300 * 0.5
    assert (q1["closed"], q1["commit"], q1["best_case"], q1["open_amount"]) == (100, 300, 600, 500)
    assert q1["deals"] == 3  # the lost deal E (999, Q1) counts nowhere
    assert table.loc["2026Q2", "weighted"] == pytest.approx(40)
    months = forecast(weigh(pipeline(), STAGES), by="month").set_index("period")
    assert months.loc["2026-02", "weighted"] == 160


def test_targets_gap_and_coverage():
    table = against_targets(forecast(weigh(pipeline(), STAGES)), {"2026Q1": 1000, "2026Q2": 10})
    q1 = table.set_index("period").loc["2026Q1"]
    assert q1["gap"] == 900 and q1["coverage"] == pytest.approx(500 / 900)
    q2 = table.set_index("period").loc["2026Q2"]
    assert q2["gap"] == 10 and q2["coverage"] == pytest.approx(40.0)


def test_slipping_deals():
    late = slipping(weigh(pipeline(), STAGES), "2026-02-15")
    assert late["deal"].tolist() == ["B"]


def test_breakdown_by_rep():
    table = forecast_by(weigh(pipeline(), STAGES), "rep")
    assert table.loc["2026Q1", "张三"] == 260 and table.loc["2026Q1", "李四"] == 150


@pytest.mark.parametrize("text", ["提案=1.5", "不存在=0.2", "提案", "提案=abc"])
def test_bad_probabilities(text):
    with pytest.raises(FunnelError):
        parse_probabilities(text, STAGES)


def test_bad_bounds():
    with pytest.raises(FunnelError):
        weigh(pipeline(), STAGES, bounds=(0.3, 0.6))
