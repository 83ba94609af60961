"""Text dates and amounts in a table mean what they mean in a file: real-shaped exports whose columns are all text
(a pharmacy POS with "2018-01-01 星期五", a Superstore-like m/d/Y export, an SAP billing list with 23.01.2019 and
1.234,56, an invoice-line export with quantity × unit price only) give the same figures as a CSV file, as an
all-text Parquet file, a DuckDB table and a PostgreSQL table, equal to a computation by hand; a table none of
whose rows is usable is an error, never 0 customers with success."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engines import PG_PASSWORD, absent, postgres_available, text_cluster, text_sources

from funnel.cli import main

WEEKDAYS = "一二三四五六日"


def pharmacy(rng: random.Random) -> tuple[list[str], list[list[str]], list[str]]:
    """A hospital pharmacy POS export (朝阳医院-style): purchase time with the weekday after it, social-security card
    as the customer, amounts as plain text."""
    header = ["购药时间", "社保卡号", "商品编码", "商品名称", "销售数量", "应收金额", "实收金额"]
    rows = []
    for i in range(300):
        d = date(2018, 1, 1) + timedelta(days=rng.randrange(180))
        qty = rng.randrange(1, 6)
        price = Decimal(rng.randrange(500, 30000)) / 100
        paid = (price * qty * Decimal("0.9")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        card = f"00{rng.randrange(10_000_000, 10_000_040)}"
        rows.append([f"{d.isoformat()} 星期{WEEKDAYS[d.weekday()]}", card, f"2367011{i % 9}", "高血压药", str(qty),
                     f"{price * qty:.2f}", f"{paid:.2f}"])  # fmt: skip
    rows.append(["", "001616528", "236701", "强力VC银翘片", "6", "82.8", "69"])  # no purchase time
    options = [
        "--customer-col",
        "社保卡号",
        "--amount-col",
        "实收金额",
        "--date-col",
        "购药时间",
        "--product-col",
        "商品名称",
    ]
    return header, rows, options


def superstore(rng: random.Random) -> tuple[list[str], list[list[str]], list[str]]:
    """A Superstore-like export: Order Date as m/d/Y (11/8/2016), Sales with many decimals."""
    header = ["Row ID", "Order ID", "Order Date", "Ship Date", "Customer ID", "Customer Name", "Segment", "Region",
              "Product Name", "Sales", "Quantity"]  # fmt: skip
    rows = []
    for i in range(300):
        d = date(2016, 1, 1) + timedelta(days=rng.randrange(700))
        ship = d + timedelta(days=4)
        c = rng.randrange(40)
        sales = Decimal(rng.randrange(100, 2_000_000)) / 10_000
        rows.append([str(i + 1), f"CA-2016-{152156 + i // 2}", f"{d.month}/{d.day}/{d.year}",
                     f"{ship.month}/{ship.day}/{ship.year}", f"CG-{12520 + c}", f"Claire Gute {c}", "Consumer",
                     "South", "Bush Somerset Collection Bookcase", f"{sales}", "2"])  # fmt: skip
    options = ["--customer-col", "Customer Name", "--amount-col", "Sales", "--date-col", "Order Date",
               "--product-col", "Product Name"]  # fmt: skip
    return header, rows, options


def sap_billing(rng: random.Random) -> tuple[list[str], list[list[str]], list[str]]:
    """An SAP billing list exported with German settings: 23.01.2019 and 1.234,56 (credit memos 1.234,56-)."""
    header = ["Fakturadatum", "Faktura", "Auftraggeber", "Name des Auftraggebers", "Material", "Nettowert", "Währung"]
    rows = []
    for i in range(300):
        d = date(2019, 1, 1) + timedelta(days=rng.randrange(365))
        cents = rng.randrange(1_000, 50_000_000)
        whole, frac = divmod(cents, 100)
        text = f"{whole:,}".replace(",", ".") + f",{frac:02d}"
        if rng.random() < 0.08:
            text += "-"
        c = rng.randrange(30)
        rows.append([f"{d.day:02d}.{d.month:02d}.{d.year}", f"9000{i:04d}", f"10{c:04d}", f"Müller GmbH {c}",
                     f"MAT-{i % 7}", text, "EUR"])  # fmt: skip
    options = ["--customer-col", "Name des Auftraggebers", "--amount-col", "Nettowert", "--date-col", "Fakturadatum",
               "--product-col", "Material"]  # fmt: skip
    return header, rows, options


def invoice_lines(rng: random.Random) -> tuple[list[str], list[list[str]], list[str]]:
    """An invoice-line export with quantity and unit price only (UCI Online Retail-like; 12/1/2010 8:26)."""
    header = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    rows = []
    for i in range(300):
        d = date(2010, 12, 1) + timedelta(days=rng.randrange(300))
        qty = rng.choice([1, 2, 3, 6, 12, 24, -1])
        price = rng.choice(["2.55", "3.39", "0.85", "1.25", "4.95", "0.29"])
        rows.append([f"{536365 + i // 4}", f"8512{i % 5}", "WHITE HANGING HEART T-LIGHT HOLDER", str(qty),
                     f"{d.month}/{d.day}/{d.year} {8 + i % 9}:{i % 60:02d}", price, f"{17850 + i % 25}",
                     "United Kingdom"])  # fmt: skip
    options = ["--customer-col", "CustomerID", "--date-col", "InvoiceDate", "--product-col", "Description"]
    return header, rows, options


EXPORTS = {"pharmacy": pharmacy, "superstore": superstore, "sap": sap_billing, "invoice": invoice_lines}


def by_hand(kind: str, rows: list[list[str]]) -> tuple[int, Decimal]:
    """(usable rows, total amount) computed without the package: the generator's own meaning of each row."""
    total, used = Decimal(0), 0
    for row in rows:
        if kind == "pharmacy":
            if not row[0]:
                continue
            value = Decimal(row[6])
        elif kind == "superstore":
            value = Decimal(row[9]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        elif kind == "sap":
            text = row[5].replace(".", "").replace(",", ".")
            value = -Decimal(text[:-1]) if text.endswith("-") else Decimal(text)
        else:
            value = (Decimal(row[3]) * Decimal(row[5])).quantize(Decimal("0.01"), ROUND_HALF_UP)
        used += 1
        total += value
    return used, total


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, dict]:
    """Each export as a CSV, an all-text Parquet file and a DuckDB database file."""
    folder = tmp_path_factory.mktemp("exports")
    out = {}
    for kind, make in EXPORTS.items():
        header, rows, options = make(random.Random(kind))
        out[kind] = {"header": header, "rows": rows, "options": options}
        out[kind] |= text_sources(folder, kind, header, rows, "sales")
    return out


@pytest.fixture(scope="module")
def postgres(exports):
    """A throwaway PostgreSQL cluster holding each export as an all-text table."""
    if not postgres_available():
        absent("PostgreSQL 15")
    with text_cluster(exports) as cluster:
        yield cluster


def bands(capsys, *args: str) -> dict:
    code = main(["bands", *args, "--format", "json", "--lang", "en"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    out.pop("columns", None)  # evidence: counted on every row of a file, on a sample of a table
    return out


@pytest.mark.parametrize("kind", list(EXPORTS))
def test_text_tables_give_the_figures_of_the_file(kind, exports, capsys, request, monkeypatch):
    export = exports[kind]
    options = export["options"]
    from_file = bands(capsys, export["csv"], *options)
    used, total = by_hand(kind, export["rows"])
    assert from_file["rows_used"] == used and from_file["customers"] > 0
    assert Decimal(str(from_file["total_amount"])) == total
    assert bands(capsys, export["parquet"], *options) == from_file
    assert bands(capsys, f"duckdb://{export['duckdb']}", "--table", "sales", *options) == from_file
    if postgres_available():
        cluster = request.getfixturevalue("postgres")
        monkeypatch.setenv("PGPASSWORD", PG_PASSWORD)
        assert bands(capsys, cluster.url(), "--table", kind, *options) == from_file


def test_key_customers_and_migration_of_a_day_first_table_equal_the_file(exports, capsys):
    export = exports["sap"]
    periods = ["--from", "2019-01-01..2019-06-30", "--to", "2019-07-01..2019-12-31"]
    for command in (["key-customers"], ["migration", *periods]):
        outputs = []
        for source in (export["csv"], export["parquet"]):
            code = main([*command, source, *export["options"], "--format", "json", "--lang", "en"])
            captured = capsys.readouterr()
            assert code == 0, captured.err
            out = json.loads(captured.out)
            out.pop("columns", None)
            outputs.append(out)
        assert outputs[0] == outputs[1]


def test_a_table_with_no_usable_row_is_an_error(tmp_path, capsys):
    path = tmp_path / "bad.parquet"
    pq.write_table(
        pa.table({"客户名称": ["甲公司", "乙公司"], "货品名称": ["门锁", "门锁"], "价税合计": ["n/a", "—"]}), path
    )
    code = main(["bands", str(path), "--amount-col", "价税合计", "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 2
    assert "None of the 2 rows is usable" in err and "Amount" in err and len(err.strip().splitlines()) == 1


def test_past_the_lookup_limit_the_sql_rules_parse_and_the_source_says_so(exports, tmp_path, capsys, monkeypatch):
    import funnel.table_rows

    monkeypatch.setattr(funnel.table_rows, "LOOKUP_LIMIT", 5)
    export = exports["superstore"]  # m/d/Y: read by the SQL rules, where 11/8/2016 is no date
    code = main(["bands", export["parquet"], *export["options"], "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 2 and "None of the 300 rows is usable" in err
    path = tmp_path / "iso.parquet"  # ISO dates and plain amounts: the SQL rules read them as the file's parsers do
    days = [f"2024-01-{d:02d}" for d in range(1, 11)]
    pq.write_table(pa.table({"客户名称": [f"客户{i % 3}" for i in range(10)], "单据日期": days,
                             "价税合计": [f"{100 + i}.50" for i in range(10)]}), path)  # fmt: skip
    code = main(["bands", str(path), "--lang", "en"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "more than 5 distinct values in 单据日期、价税合计, parsed by the SQL rules" in captured.out
    assert "Rows used: 10" in captured.out
    assert "Total revenue: 1,050.00" in captured.out  # 100.50 + … + 109.50, by hand


@pytest.mark.parametrize("kind", ["sap", "invoice"])
def test_spark_reads_text_dates_and_amounts_as_the_file_does(kind, exports, spark, capsys):
    export = exports[kind]
    from_file = bands(capsys, export["csv"], *export["options"])
    assert bands(capsys, export["parquet"], "--engine", "spark", *export["options"]) == from_file
