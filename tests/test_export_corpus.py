"""Real export shapes read with no option but the file: stage funnel, forecast and band funnel equal the answers
computed independently in export_corpus.py; renaming headers among synonyms or reordering columns changes nothing."""

from __future__ import annotations

import io
import json
import random
from decimal import Decimal

import pandas as pd
import pytest
from export_corpus import pipeline_cases, quarter, sales_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.cli import main

PIPELINES = pipeline_cases()
SALES = sales_cases()


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_export_corpus_is_broad():
    assert len(PIPELINES) + len(SALES) >= 25
    assert {c.shape for c in PIPELINES} == {"snapshot", "stage_dates", "event_log"}
    assert sum(c.derived for c in SALES) >= 3  # quantity × unit price only
    placements = {p for c in PIPELINES for p, n in c.placements.items() if n}
    assert placements == {"dates", "lost_stage_column", "current_stage", "first_stage"}


@pytest.mark.parametrize("case", PIPELINES, ids=[c.name for c in PIPELINES])
def test_stage_funnel_with_no_option_but_the_file(case, tmp_path, capsys):
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    code, out, err = run_cli(capsys, "stages", str(path), "--format", "json", "--lang", "en")
    assert code == 0, err
    result = json.loads(out)
    assert [s["stage"] for s in result["stages"]] == case.stages
    assert result["stage_order"]["stages"][-1] == case.stages[-1]  # won is the last step
    assert [s["reached"] for s in result["stages"]] == case.reached
    assert result["stages"][-1]["reached"] == case.won
    assert (result["won"], result["lost"]) == (case.won, case.lost)
    assert result["win_rate"] == pytest.approx(case.win_rate)
    neck = case.bottleneck
    assert (result["bottleneck"] or {}).get("from") == (None if neck is None else case.stages[neck])
    assert result["lost_placement"] == case.placements
    assert sum(result["lost_placement"].values()) == case.lost
    assert result["rows_dropped"] == case.rows_dropped
    assert result["shape"] == case.shape
    assert result["unmapped_values"] == {}


@pytest.mark.parametrize("case", PIPELINES, ids=[c.name for c in PIPELINES])
def test_weighted_forecast_per_quarter(case, tmp_path, capsys):
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    code, out, err = run_cli(capsys, "forecast", str(path), "--format", "json", "--lang", "en")
    assert code == 0, err
    result = json.loads(out)
    weighted = {p["period"]: Decimal(str(p["weighted"])) for p in result["periods"]}
    assert set(weighted) == set(case.weighted)
    for period, expected in case.weighted.items():
        assert abs(weighted[period] - expected) <= Decimal("0.01"), period
    assert result["open_deals_without_amount"] == case.no_amount
    assert sum(p["deals_without_amount"] for p in result["periods"]) == case.no_amount


@pytest.mark.parametrize("case", SALES, ids=[c.name for c in SALES])
def test_band_funnel_with_no_option_but_the_file(case, tmp_path, capsys):
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    code, out, err = run_cli(capsys, "bands", str(path), "--format", "json", "--lang", "en")
    assert code == 0, err
    result = json.loads(out)
    assert result["customers"] == case.customers
    assert round(Decimal(str(result["total_amount"])) * 100) == case.total_cents
    assert [b["customers"] for b in result["bands"]] == case.bands
    assert result["rows_dropped"] == case.reasons
    assert (result["derived_amount"] is not None) == case.derived
    assert result["rows_used"] + sum(result["rows_dropped"].values()) == result["rows_read"]


def test_the_evidence_of_each_column_is_stated(tmp_path, capsys):
    case = next(c for c in SALES if c.name == "pharmacy_pos")
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    _code, out, _ = run_cli(capsys, "bands", str(path), "--format", "json", "--lang", "en")
    columns = json.loads(out)["columns"]
    frame = pd.read_excel(io.BytesIO(case.data), dtype=str)
    dated = int(frame["购药时间"].notna().sum())
    assert columns["date"]["evidence"] == f"购药时间: {dated:,} of {len(frame):,} values are dates"
    assert columns["customer"]["column"] == "社保卡号"
    assert columns["amount"]["column"] == "实收金额" and "应收金额" in columns["amount"]["evidence"]  # the choice said
    assert columns["product"]["column"] == "商品名称"


def test_derived_amount_can_be_switched_off(tmp_path, capsys):
    case = next(c for c in SALES if c.name == "uci_online_retail")
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    code, out, err = run_cli(capsys, "bands", str(path), "--lang", "en")
    assert code == 0 and "Amount = Quantity × UnitPrice" in out  # stated in the table output too
    code, _, err = run_cli(capsys, "bands", str(path), "--no-derived-amount", "--lang", "en")
    assert code == 2 and err.count("\n") == 1 and "--amount-col" in err


def test_a_period_asked_of_a_dateless_report_is_an_error(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("客户名称,价税合计\n甲,100\n乙,200\n", encoding="utf-8")
    for command in ("bands", "key-customers"):
        code, _, err = run_cli(capsys, command, str(path), "--start", "2026-01-01", "--lang", "en")
        assert code == 2 and err.count("\n") == 1 and "--date-col" in err
    code, out, _ = run_cli(capsys, "bands", str(path), "--format", "json")
    assert code == 0 and json.loads(out)["customers"] == 2  # without a period the report is fine


def test_most_rows_matching_no_stage_is_an_error_listing_them(tmp_path, capsys):
    rows = ["商机编号,客户名称,销售阶段,预计金额"] + [
        f"D{i},客户{i},{s},100" for i, s in enumerate(["提案"] + ["搁置"] * 3)
    ]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "stages", str(path), "--order", "潜在客户,意向,提案,谈判", "--lang", "en")
    assert code == 2 and err.count("\n") == 1 and "搁置 (3)" in err and "--order" in err


def test_an_order_the_file_does_not_tell_is_asked_for(tmp_path, capsys):
    rows = ["Deal,Company,Stage,Amount"] + [f"D{i},C{i},{s},100" for i, s in enumerate(["Alpha", "Bravo", "Won"])]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "stages", str(path), "--lang", "en")
    assert code == 2 and "Alpha" in err and "--order" in err
    code, out, _ = run_cli(capsys, "stages", str(path), "--order", "Bravo,Alpha", "--format", "json")
    assert code == 0 and [s["stage"] for s in json.loads(out)["stages"]] == ["Bravo", "Alpha", "Won"]


def test_a_stage_named_won_in_the_order_is_the_last_step(tmp_path, capsys):
    rows = ["Deal,Stage,Amount"] + [f"D{i},{s},100" for i, s in enumerate(["A", "B", "Won", "Won", "Lost"])]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _, out, _ = run_cli(capsys, "stages", str(path), "--order", "Won,A,B", "--format", "json")
    result = json.loads(out)
    assert [s["stage"] for s in result["stages"]] == ["A", "B", "Won"]
    assert [s["reached"] for s in result["stages"]] == [5, 3, 2] and result["win_rate"] == 2 / 3
    _code, out, _ = run_cli(capsys, "forecast", str(path), "--order", "A,B,Won", "--format", "json")
    assert json.loads(out)["periods"][0]["closed"] == 200


def test_probabilities_name_the_files_own_stages(tmp_path, capsys):
    rows = ["商机编号,销售阶段,预计金额,预计签约日期"]
    rows += [
        f"D{i},{s},1000,2026-02-01" for i, s in enumerate(["初步接触", "需求确认", "方案报价", "商务谈判", "赢单"])
    ]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ("forecast", str(path), "--probabilities", "需求确认=0.3,商务谈判=75%", "--format", "json")
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    result = json.loads(out)
    assert result["probabilities"]["需求确认"] == 0.3 and result["probabilities"]["商务谈判"] == 0.75
    # 初步接触 and 方案报价 keep the vocabulary's defaults (10% and 60%); won counts in full
    assert result["periods"][0]["weighted"] == pytest.approx(1000 * (0.1 + 0.3 + 0.6 + 0.75 + 1))
    code, _, err = run_cli(capsys, "forecast", str(path), "--probabilities", "不存在=0.2", "--lang", "en")
    assert code == 2 and "不存在" in err


def test_every_pipeline_command_takes_the_same_column_options(tmp_path, capsys):
    rows = ["编号,名称,进度,预计,日期甲"] + [
        f"D{i},客户{i},{s},{100 * (i + 1)},2026-0{1 + i % 3}-01" for i, s in enumerate(["意向", "提案", "赢单"])
    ]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    options = ["--stage-col", "进度", "--id-col", "编号", "--customer-col", "名称", "--amount-col", "预计"]
    options += ["--close-date-col", "日期甲", "--order", "意向,提案"]
    code, out, err = run_cli(capsys, "stages", str(path), *options, "--format", "json")
    assert code == 0, err
    assert [s["reached"] for s in json.loads(out)["stages"]] == [3, 2, 1]
    code, out, err = run_cli(capsys, "forecast", str(path), *options, "--format", "json")
    assert code == 0 and {p["period"] for p in json.loads(out)["periods"]} == {"2026Q1"}
    code, out, err = run_cli(capsys, "snapshot", "save", str(path), *options, "--db", str(tmp_path / "s.db"))
    assert code == 0, err
    code, _, err = run_cli(capsys, "stages", str(path), "--stage-col", "没有这列", "--lang", "en")
    assert code == 2 and "--stage-col" in err


def test_key_customers_with_a_pipeline_gives_the_value_by_stage_grid(tmp_path, capsys):
    sales = tmp_path / "s.csv"
    sales.write_text("客户名称,价税合计\n甲公司,90000\n乙公司,9000\n丙公司,900\n", encoding="utf-8")
    pipe = tmp_path / "p.csv"
    pipe.write_text("商机编号,客户名称,销售阶段\nD1,甲公司,提案\nD2,乙公司,输单\nD3,丁公司,意向\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "key-customers", str(sales), "--pipeline", str(pipe), "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    cells = {(c["grade"], c["stage"]): c["customers"] for c in result["value_stage"]["cells"] if c["customers"]}
    assert cells == {("A", "提案"): 1, ("B", "all_lost"): 1, ("C", "no_deal"): 1}
    assert result["value_stage"]["pipeline_only_customers"] == 1
    code, out, _ = run_cli(
        capsys, "key-customers", str(sales), "--pipeline", str(pipe), "--pipeline-stage-col", "客户名称"
    )
    assert code == 2


def test_unmatched_and_left_out_rows_are_in_the_table_output(tmp_path, capsys):
    rows = ["商机编号,客户名称,销售阶段,预计金额"] + [
        f"D{i},客户{i},{s},100" for i, s in enumerate(["提案", "谈判", "挂起", "赢单"])
    ]
    rows.append("合计,,,400")
    path = tmp_path / "p.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "stages", str(path), "--lang", "en")
    assert code == 0 and "挂起 (1)" in out and "Total or subtotal row: 1" in out and "Rows read: 5" in out
    code, out, err = run_cli(capsys, "stages", str(path), "--format", "csv", "--lang", "en")
    assert "挂起 (1)" in err and "挂起" not in out  # CSV stays a clean table; the account goes beside it
    code, out, _ = run_cli(capsys, "forecast", str(path), "--lang", "en")
    assert "挂起 (1)" in out and "Rows read: 5" in out


# --- renaming headers among synonyms or reordering columns never changes a result

SALES_NAMES = {
    "customer": ["客户名称", "客户", "购货单位", "Customer", "customer_name", "CustomerName", "Account Name", "Client"],
    "product": ["产品名称", "货品名称", "商品名称", "存货名称", "Product", "product_name", "ItemName", "Description"],
    "date": ["单据日期", "开票日期", "日期", "Order Date", "invoice_date", "InvoiceDate", "Date", "交易时间"],
    "amount": ["价税合计", "金额", "销售额", "含税金额", "Sales", "Amount", "sales_amount", "Revenue"],
    "region": ["区域", "地区", "Region", "sales_region", "Territory"],
    "rep": ["业务员", "销售员", "Sales Rep", "salesperson", "SalesAgent"],
}
PIPELINE_NAMES = {
    "deal": ["商机编号", "opportunity_id", "Opportunity ID", "Deal ID", "Record ID", "机会编号"],
    "customer": ["客户名称", "account", "Account Name", "Company", "Associated Company", "客户"],
    "stage": ["销售阶段", "deal_stage", "Stage", "Deal Stage", "商机阶段", "Pipeline Phase", "阶段"],
    "amount": ["预计金额", "close_value", "Amount", "Deal Value", "商机金额(元)", "Est. Revenue", "金额"],
    "probability": ["赢率", "Probability (%)", "Deal probability", "win_probability", "成交概率"],
    "close_date": ["预计签约日期", "close_date", "Close Date", "Expected Close Date", "预计成交日期", "closingDate"],
}


def sales_frame() -> pd.DataFrame:
    rng = random.Random(5)
    rows = []
    for i in range(60):
        rows.append(
            {
                "customer": f"客户{rng.randrange(12)}",
                "product": rng.choice(["门锁", "摄像机"]),
                "date": f"2026-0{1 + i % 6}-{1 + i % 27:02d}",
                "amount": f"{rng.randrange(100, 9_000_000) / 100:.2f}",
                "region": rng.choice(["华东", "华北"]),
                "rep": rng.choice(["张三", "李四"]),
            }
        )
    return pd.DataFrame(rows)


def pipeline_frame() -> pd.DataFrame:
    rng = random.Random(6)
    stages = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Closed Won", "Closed Lost"]
    rows = []
    for i in range(50):
        stage = stages[i % 6] if i < 6 else rng.choice(stages)
        rows.append(
            {
                "deal": f"006{i:05d}",
                "customer": f"Customer {rng.randrange(15)}",
                "stage": stage,
                "amount": f"{rng.randrange(1000, 500000)}",
                "probability": f"{rng.choice([10, 20, 50, 75])}%",
                "close_date": f"2026-{1 + i % 12:02d}-15",
            }
        )
    return pd.DataFrame(rows)


def renamed(frame: pd.DataFrame, names: dict[str, list[str]], data) -> bytes:
    picked = {role: data.draw(st.sampled_from(options)) for role, options in names.items()}
    order = data.draw(st.permutations(list(frame.columns)))
    out = frame[list(order)].rename(columns=picked)
    return out.to_csv(index=False).encode("utf-8")


def cli_json(tmp_path, capsys, *args) -> dict:
    code, out, err = run_cli(capsys, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sales_headers_renamed_or_reordered_change_nothing(tmp_path, capsys, data):
    path = tmp_path / "renamed.csv"
    path.write_bytes(renamed(sales_frame(), SALES_NAMES, data))
    result = cli_json(tmp_path, capsys, "bands", str(path), "--start", "2026-02-01", "--end", "2026-05-31")
    frame = sales_frame()
    frame = frame[(frame["date"] >= "2026-02-01") & (frame["date"] <= "2026-05-31")]
    totals = frame.groupby("customer")["amount"].apply(lambda s: sum(Decimal(x) for x in s))
    edges = [Decimal(10000), Decimal(50000), Decimal(100000), Decimal(200000)]
    counts = [0] * 5
    for total in totals:
        counts[sum(1 for e in edges if total >= e)] += 1
    assert [b["customers"] for b in result["bands"]] == counts
    assert Decimal(str(result["total_amount"])) == sum(totals)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_pipeline_headers_renamed_or_reordered_change_nothing(tmp_path, capsys, data):
    path = tmp_path / "renamed.csv"
    path.write_bytes(renamed(pipeline_frame(), PIPELINE_NAMES, data))
    stages = cli_json(tmp_path, capsys, "stages", str(path))
    forecast = cli_json(tmp_path, capsys, "forecast", str(path))
    frame = pipeline_frame()
    order = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Closed Won"]
    furthest = [4 if s == "Closed Won" else 0 if s == "Closed Lost" else order.index(s) for s in frame["stage"]]
    assert [s["stage"] for s in stages["stages"]] == order
    assert [s["reached"] for s in stages["stages"]] == [sum(f >= k for f in furthest) for k in range(5)]
    live = frame[frame["stage"] != "Closed Lost"]
    weighted: dict[str, Decimal] = {}
    for row in live.itertuples(index=False):
        p = Decimal(1) if row.stage == "Closed Won" else Decimal(row.probability.rstrip("%")) / 100
        key = quarter(pd.Timestamp(row.close_date).date())
        weighted[key] = weighted.get(key, Decimal(0)) + Decimal(row.amount) * p
    got = {p["period"]: Decimal(str(p["weighted"])) for p in forecast["periods"]}
    assert got == {k: v.quantize(Decimal("0.01")) for k, v in weighted.items()}
