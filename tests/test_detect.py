"""Known answers for the pieces of zero-configuration reading: header normalisation, column evidence and
confidence, exact derived amounts, stage vocabularies and order, dates as real exports write them."""

from decimal import Decimal

import pandas as pd
import pytest

from funnel.columns import normalise_header
from funnel.derived import derived_amount_cents
from funnel.schema import detect_sales
from funnel.stageorder import funnel_steps, infer_order
from funnel.values import parse_dates
from funnel.vocab import is_lost, is_won, stage_key


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        ("deal_stage", "deal stage"),
        ("CustomerID", "customer id"),
        ("InvoiceNo", "invoice no"),
        ("商机金额(元)", "商机金额"),
        ("Probability (%)", "probability"),
        ("Deal - Value", "value"),
        ('Date entered "Contract Sent (Sales Pipeline)"', "date entered contract sent sales pipeline"),
        ("Est. Revenue", "est revenue"),
        ("金额（万元）", "金额"),
    ],
)
def test_headers_are_compared_normalised(header, normal):
    assert normalise_header(header) == normal


def test_values_confirm_and_rescue_columns():
    frame = pd.DataFrame(
        {
            "日期": ["甲", "乙", "丙", "丁"],  # called a date, holds names
            "Col7": ["2026-01-05", "2026-01-06", "2026-02-01", "2026-03-01"],  # unknown header, holds dates
            "客户名称": ["A", "B", "A", "B"],
            "价税合计": ["1", "2", "3", "4"],
        }
    )
    mapping, found = detect_sales(frame)
    assert mapping.customer == "客户名称" and mapping.amount == "价税合计"
    assert found["date"].column == "Col7" and found["date"].rescued
    sentence = found["date"].sentence("en")
    assert sentence == "Col7: 4 of 4 values are dates (unknown header, recognised by its values); also possible: 日期"


def test_an_id_column_found_only_by_its_values_is_not_confident():
    frame = pd.DataFrame({"编码": ["C1", "C2", "C1", "C3"], "价税合计": ["1", "2", "3", "4"]})
    mapping, found = detect_sales(frame)
    assert mapping.customer == "编码" and found["customer"].rescued and not found["customer"].confident


def test_received_is_preferred_to_due_and_the_choice_is_said():
    frame = pd.DataFrame({"客户": ["甲"], "应收金额": ["100"], "实收金额": ["90"]})
    _, found = detect_sales(frame)
    assert found["amount"].column == "实收金额"
    assert "应收金额" in found["amount"].sentence("zh")


def test_derived_amount_is_exact_to_the_cent():
    cents, bad = derived_amount_cents(
        pd.Series(["6", "-6", "3", "1,000", "2.5", None]), pd.Series(["2.55", "2.55", "0.335", "¥1.005", "x", "1"])
    )
    assert cents[:4].tolist() == [1530, -1530, 101, 100500]  # 3 × 0.335 = 1.005 → 1.01 (half away from zero)
    assert bad.tolist() == [False, False, False, False, True, True]
    assert Decimal("3") * Decimal("0.335") == Decimal("1.005")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2018-01-01 星期五", "2018-01-01"),
        ("12/1/2010 8:26", "2010-12-01"),
        ("01-Jan-2023", "2023-01-01"),
        ("Jan 5, 2023", "2023-01-05"),
        ("2023-01-05T10:00:00.000Z", "2023-01-05"),
        ("2023-01-05 10:00:00+08:00", "2023-01-05"),
        ("2026年1月5日 10:20", "2026-01-05"),
    ],
)
def test_dates_as_real_exports_write_them(text, day):
    assert parse_dates(pd.Series([text]))[0].iloc[0] == pd.Timestamp(day)


def test_stage_words():
    assert stage_key("3. 意向") == stage_key("意向") and stage_key("谈判 (70%)") == stage_key("谈判")
    assert stage_key("1-Qualify") == "qualify"
    assert is_won("closedwon") and is_won("Closed - Won") and is_won("赢单") and not is_won("Contract Sent")
    assert is_lost("Closed Lost to Competition") and is_lost("丢单") and is_lost("Out-Sold")


def test_won_is_always_the_last_step():
    assert funnel_steps(["Won", "A", "B"]) == ["A", "B", "Won"]
    assert funnel_steps(["初步接触", "需求确认"]) == ["初步接触", "需求确认", "赢单"]
    assert funnel_steps(["A", "Lost", "B"]) == ["A", "B", "Won"]
    assert funnel_steps(["Leads", "Contact", "Closed"]) == ["Leads", "Contact", "Closed"]  # a template's last step


@pytest.mark.parametrize(
    ("values", "stages", "source"),
    [
        (["Engaging", "Prospecting", "Won", "Lost"], ["Prospecting", "Engaging", "Won"], "vocabulary"),
        (
            ["contractsent", "appointmentscheduled", "closedwon"],
            ["Appointment Scheduled", "Contract Sent", "Closed Won"],
            "vocabulary",
        ),
        (
            ["商务谈判", "初步接触", "方案报价", "需求确认", "输单"],
            ["初步接触", "需求确认", "方案报价", "商务谈判", "赢单"],
            "vocabulary",
        ),
        (["2-Develop", "1-Qualify", "4-Close"], ["1-Qualify", "2-Develop", "4-Close", "Won"], "vocabulary"),
        (
            ["Contract Review", "Discovery Call", "Solution Demo"],
            ["Discovery Call", "Solution Demo", "Contract Review", "Won"],
            "words",
        ),
    ],
)
def test_the_order_a_file_gives(values, stages, source):
    order = infer_order(pd.Series(values))
    assert list(order.stages) == stages and order.source == source and order.confident


def test_order_from_probabilities_and_from_dates():
    by_p = infer_order(pd.Series(["Y", "X", "Z", "Y"]), probability=pd.Series([0.5, 0.2, 0.9, 0.5]))
    assert list(by_p.stages) == ["X", "Y", "Z", "Won"] and by_p.source == "probability"
    entered = {
        "X": pd.Series(pd.to_datetime(["2026-01-01", "2026-01-01"])),
        "Y": pd.Series(pd.to_datetime(["2026-02-01", None])),
        "Z": pd.Series(pd.to_datetime(["2026-01-15", "2026-01-20"])),
    }
    by_dates = infer_order(pd.Series(["X", "Y", "Z", "Y"][:2]), entered=entered)
    assert list(by_dates.stages) == ["X", "Z", "Y", "Won"] and by_dates.source == "dates"
    unknown = infer_order(pd.Series(["Alpha", "Bravo"]))
    assert not unknown.confident and set(unknown.unplaced) == {"Alpha", "Bravo"}
