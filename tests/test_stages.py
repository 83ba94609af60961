"""Stage funnels: known answers for each input shape, the funnel laws, bottleneck, breakdown, compare, window."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.errors import FunnelError
from funnel.stages import (
    breakdown,
    classify_values,
    compare,
    detect_pipeline_mapping,
    detect_shape,
    dropped_at,
    prepare_deals,
    stage_funnel,
    template_stages,
)

STAGES = ["潜在客户", "初步接触", "意向", "提案", "谈判", "成交"]


def snapshot(rows, lost_col=False):
    columns = ["商机编号", "客户名称", "销售阶段", "预计金额"] + (["输单阶段"] if lost_col else [])
    return pd.DataFrame(rows, columns=columns)


def test_snapshot_known_answer():
    frame = snapshot(
        [
            ("D1", "甲", "潜在客户", 100),
            ("D2", "乙", "意向", 200),
            ("D3", "丙", "提案", 300),
            ("D4", "丁", "赢单", 400),  # won: reached every stage
            ("D5", "戊", "输单", 500),  # lost, no lost-at column and no dates: first stage only
            ("D6", "己", "3. 意向", 600),  # numbered CRM value
        ]
    )
    deals = prepare_deals(frame, STAGES)
    assert deals.shape == "snapshot" and deals.lost_without_stage == 1
    f = stage_funnel(deals.deals, STAGES)
    assert f.table["reached"].tolist() == [6, 4, 4, 2, 1, 1]
    assert f.table["amount"].tolist() == [2100, 1500, 1500, 700, 400, 400]
    assert f.table["dropped"].tolist() == [2, 0, 2, 1, 0, 0]
    assert f.table["step_conversion"].tolist()[1:] == [4 / 6, 1, 0.5, 0.5, 1]
    assert f.bottleneck == 2  # drop shares 2/6, 0, 2/4, 1/2, 0: the first of the largest (意向 → 提案)
    assert f.win_rate == 0.5 and (f.won, f.lost) == (1, 1)


def test_bottleneck_is_the_largest_drop_share():
    frame = snapshot([(f"D{i}", "甲", stage, 1) for i, stage in enumerate(["潜在客户"] + ["意向"] * 4 + ["赢单"])])
    f = stage_funnel(prepare_deals(frame, STAGES).deals, STAGES)
    assert f.table["reached"].tolist() == [6, 5, 5, 1, 1, 1]
    assert f.bottleneck == 2  # 意向 → 提案 loses 4 of 5


def test_lost_deal_with_lost_at_stage_column():
    frame = snapshot([("D1", "甲", "输单", 1, "提案"), ("D2", "乙", "谈判", 1, None)], lost_col=True)
    deals = prepare_deals(frame, STAGES)
    assert deals.lost_without_stage == 0
    assert stage_funnel(deals.deals, STAGES).table["reached"].tolist() == [2, 2, 2, 2, 1, 0]


def stage_dates_frame():
    return pd.DataFrame(
        {
            "商机编号": ["D1", "D2", "D3"],
            "销售阶段": ["谈判", "输单", "赢单"],
            "预计金额": [10, 20, 30],
            "进入潜在客户日期": ["2026-01-01", "2026-01-01", "2026-01-01"],
            "进入初步接触日期": ["2026-01-11", "2026-01-05", "2026-01-03"],
            "进入意向日期": ["2026-01-31", None, "2026-01-05"],
            "进入提案日期": ["2026-02-10", None, "2026-01-09"],
            "进入谈判日期": ["2026-03-01", None, "2026-01-20"],
            "进入成交日期": [None, None, "2026-02-01"],
        }
    )


def test_stage_dates_shape_and_time_in_stage():
    frame = stage_dates_frame()
    mapping = detect_pipeline_mapping(list(frame.columns), STAGES)
    assert [s for s, _ in mapping.stage_dates] == STAGES
    assert detect_shape(frame, mapping) == "stage_dates"
    deals = prepare_deals(frame, STAGES)
    f = stage_funnel(deals.deals, STAGES)
    assert f.table["reached"].tolist() == [3, 3, 2, 2, 2, 1]  # the lost deal D2 got as far as its dates show
    assert deals.lost_without_stage == 0
    assert f.table["median_days_to_next"].tolist()[:5] == [4, 11, 7, 15, 12]  # medians of each deal own gaps


def test_conversion_window():
    deals = prepare_deals(stage_dates_frame(), STAGES).deals
    f = stage_funnel(deals, STAGES, window_days=30)
    # D1 entered 意向 on day 30 (in), 提案 on day 40 (out); D3 did everything within 31 days except 成交 (day 31)
    assert f.table["reached"].tolist() == [3, 3, 2, 1, 1, 0]


def event_log():
    return pd.DataFrame(
        [
            ("D1", "甲", "潜在客户", "2026-01-01", 100),
            ("D1", "甲", "意向", "2026-01-10", 100),
            ("D1", "甲", "提案", "2026-01-20", 120),
            ("D1", "甲", "意向", "2026-02-01", 120),  # moved back a stage (客户阶段倒退)
            ("D2", "乙", "潜在客户", "2026-01-05", 50),
            ("D2", "乙", "输单", "2026-01-15", 50),  # lost at its furthest stage: 潜在客户
            ("D3", "丙", "潜在客户", "2026-01-02", 70),
            ("D3", "丙", "谈判", "2026-03-01", 70),
            ("D3", "丙", "赢单", "2026-03-20", 80),
        ],
        columns=["商机编号", "客户名称", "阶段", "日期", "金额"],
    )


def test_event_log_counts_a_deal_once_per_stage_it_ever_reached():
    frame = event_log()
    deals = prepare_deals(frame, STAGES)
    assert deals.shape == "event_log"
    d = deals.deals.set_index("deal")
    assert d.loc["D1", "furthest"] == 3 and d.loc["D1", "status"] == "open"
    assert d.loc["D2", "status"] == "lost" and d.loc["D2", "furthest"] == 0
    assert d.loc["D3", "status"] == "won" and d.loc["D3", "amount_cents"] == 8000
    f = stage_funnel(deals.deals, STAGES)
    assert f.table["reached"].tolist() == [3, 2, 2, 2, 1, 1]
    assert f.table["median_days_to_next"].iloc[2] == 10  # D1: 意向 (01-10) → 提案 (01-20)
    assert f.win_rate == 0.5


def test_unknown_stage_values_are_listed_and_counted():
    frame = snapshot([("D1", "甲", "意向", 1), ("D2", "乙", "搁置", 1), ("D3", "丙", "搁置", 1), ("D4", "丁", None, 1)])
    with pytest.raises(FunnelError) as err:  # most rows match no stage: an error listing them, not a funnel of one
        prepare_deals(frame, STAGES)
    assert err.value.key == "stages_mostly_unmatched" and "搁置 (2)" in err.value.message("en")
    deals = prepare_deals(frame, STAGES, strict=False)
    assert deals.reasons == {"unknown_stage": 3}
    assert deals.unmapped.to_dict("records") == [{"value": "搁置", "rows": 2}]
    assert deals.rows_used + sum(deals.reasons.values()) == deals.rows_read
    mapped = prepare_deals(frame, STAGES, value_map={"搁置": "lost"})
    assert mapped.reasons == {"unknown_stage": 1} and mapped.deals["status"].tolist().count("lost") == 2


def test_english_values_and_templates():
    stages = template_stages("lead", "en")
    frame = snapshot([("D1", "A", "Proposal", 1), ("D2", "B", "Closed Won", 1), ("D3", "C", "意向", 1)])
    f = stage_funnel(prepare_deals(frame, stages).deals, stages)
    assert f.table["reached"].tolist() == [3, 3, 3, 2, 1, 1]
    assert classify_values(["谈判 (70%)"], STAGES) == {"谈判 (70%)": 4}


def test_breakdown_and_compare():
    frame = snapshot([("D1", "甲", "提案", 1), ("D2", "乙", "潜在客户", 1), ("D3", "丙", "谈判", 1)])
    frame["区域"] = ["华东", "华东", "华北"]
    deals = prepare_deals(frame, STAGES).deals
    groups = breakdown(deals, STAGES, "region")
    assert list(groups) == ["华东", "华北"]
    assert groups["华东"].table["reached"].tolist() == [2, 1, 1, 1, 0, 0]
    assert groups["华东"].bottleneck == 3  # 1 of 2 gone after 潜在客户, but 提案 → 谈判 lost its only deal
    delta = compare(groups["华东"], groups["华北"]).set_index("stage")
    assert delta.loc["初步接触", "change_pp"] == pytest.approx(50.0)


def test_dropped_at_lists_the_deals():
    frame = snapshot([("D1", "甲", "提案", 1), ("D2", "乙", "意向", 1), ("D3", "丙", "意向", 1)])
    deals = prepare_deals(frame, STAGES).deals
    assert sorted(dropped_at(deals, STAGES, 2)["deal"]) == ["D2", "D3"]


@pytest.mark.parametrize("stages", [["只有一个"], ["提案", "提案"]])
def test_bad_stage_lists(stages):
    with pytest.raises(FunnelError):
        prepare_deals(snapshot([("D1", "甲", "提案", 1)]), stages)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([*STAGES, "赢单", "输单", "搁置"]), st.integers(0, 10**6)),
        min_size=1,
        max_size=50,
    ),
    st.sampled_from([None, 5, 30]),
)
def test_funnel_laws(rows, window):
    frame = snapshot([(f"D{i}", f"客户{i}", s, a) for i, (s, a) in enumerate(rows)])
    frame["创建日期"] = "2026-01-01"
    deals = prepare_deals(frame, STAGES, strict=False)  # mostly unmatched rows are an error (tested elsewhere)
    assert deals.rows_used + sum(deals.reasons.values()) == deals.rows_read == len(rows)
    if deals.deals.empty:
        return
    t = stage_funnel(deals.deals, STAGES, window).table
    reached = t["reached"].to_numpy()
    assert (np.diff(reached) <= 0).all()
    for column in ("step_conversion", "cumulative_conversion"):
        values = t[column].dropna().to_numpy()
        assert ((values >= 0) & (values <= 1)).all()
    assert (t["dropped"].to_numpy()[:-1] == reached[:-1] - reached[1:]).all()
