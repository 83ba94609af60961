"""`python -m funnel bands`: JSON equal to an independent computation; errors are one line and non-zero."""

import json
import re
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal

import pandas as pd
import pytest
from conftest import xlsx_bytes

from funnel.cli import main


def independent_bands(rows, thresholds):
    """Band counts straight from the rows with Decimal arithmetic, written without the package."""
    header = rows[3]
    c, a = header.index("客户名称"), header.index("价税合计")
    totals = defaultdict(Decimal)
    for row in rows[4:]:
        customer, amount = row[c], row[a]
        if customer in (None, "", "合计") or not isinstance(amount, (int, float)):
            continue
        totals[customer] += Decimal(str(amount))
    edges = [Decimal(t) for t in thresholds]
    counts = [0] * (len(edges) + 1)
    sums = [Decimal(0)] * (len(edges) + 1)
    for value in totals.values():
        band = sum(1 for e in edges if value >= e)
        counts[band] += 1
        sums[band] += value
    return totals, counts, sums


def test_bands_json_equals_independent_count(tmp_path, capsys, erp_rows):
    path = tmp_path / "销售报表.xlsx"
    path.write_bytes(xlsx_bytes(erp_rows))
    assert main(["bands", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    totals, counts, sums = independent_bands(erp_rows, [10000, 50000, 100000, 200000])
    assert out["rows_read"] == 12 and out["rows_used"] == 9
    assert out["rows_dropped"] == {"total_row": 1, "blank_customer": 1, "bad_amount": 1}
    assert out["customers"] == len(totals) == 6
    assert Decimal(str(out["total_amount"])) == sum(totals.values())
    assert [b["customers"] for b in out["bands"]] == counts == [2, 1, 1, 1, 1]
    assert [Decimal(str(b["amount"])) for b in out["bands"]] == sums
    assert out["bands"][0]["lower"] is None and out["bands"][-1]["upper"] is None
    assert [b["lower"] for b in out["bands"][1:]] == [10000, 50000, 100000, 200000]


def test_product_and_period_filters(tmp_path, capsys, erp_rows):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes(erp_rows))
    args = ["bands", str(path), "--format", "json", "--product", "摄像机", "--start", "2026-02-05"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["customers"] == 1  # 己公司 only (戊公司 bought on 2026-02-04)
    assert out["total_amount"] == -2000


def test_csv_and_table_formats(tmp_path, capsys, erp_rows):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes(erp_rows))
    out_csv = tmp_path / "bands.csv"
    assert main(["bands", str(path), "--format", "csv", "--out", str(out_csv), "--lang", "zh"]) == 0
    text = out_csv.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("分层,客户数")
    assert "5–10万,1," in text
    assert main(["bands", str(path), "--lang", "en"]) == 0
    assert "10,000–50,000" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--thresholds", "50000,10000"], "ascending"),
        (["--product", "不存在"], "No product"),
        (["--start", "someday"], "not understood"),
        (["--amount-col", "没有这列"], "not in the file"),
    ],
)
def test_errors_are_one_line_and_non_zero(tmp_path, capsys, erp_rows, extra, needle):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes(erp_rows))
    assert main(["bands", str(path), "--lang", "en", *extra]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_module_entry_point_runs_as_a_process(tmp_path):
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF-1.4")
    done = subprocess.run([sys.executable, "-m", "funnel", "bands", str(bad), "--lang", "zh"], capture_output=True)
    assert done.returncode == 2
    assert "不是电子表格" in done.stderr.decode()
    assert b"Traceback" not in done.stderr


def test_key_customers_json_equals_an_independent_grading(tmp_path, capsys):
    revenues = {"甲公司": 500, "乙公司": 300, "丙公司": 120, "丁公司": 50, "戊公司": 30}
    rows = [["客户名称", "价税合计"], *[[c, v] for c, v in revenues.items()], ["乙公司", -100], ["合计", 900]]
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    assert main(["key-customers", str(path), "--format", "json", "--cutoffs", "0.6,0.9"]) == 0
    out = json.loads(capsys.readouterr().out)
    net = {**revenues, "乙公司": 200}
    total = sum(net.values())
    ranked = sorted(net, key=net.get, reverse=True)
    above, expected = 0, {}
    for name in ranked:
        expected[name] = "A" if above / total < 0.6 else "B" if above / total < 0.9 else "C"
        above += net[name]
    assert {c["customer"]: c["grade"] for c in out["customers"]} == expected
    assert [c["customer"] for c in out["customers"]] == ranked
    assert {c["customer"]: c["revenue"] for c in out["customers"]} == net
    assert out["summary"]["A"]["customers"] == sum(1 for g in expected.values() if g == "A")
    assert sum(s["revenue"] for s in out["summary"].values()) == total
    assert out["rows_dropped"] == {"total_row": 1}
    cumulative = [sum(net[c] for c in ranked[: i + 1]) / total for i in range(len(ranked))]
    assert out["pareto"]["customers"] == next(i + 1 for i, x in enumerate(cumulative) if x >= 0.8) == 3
    assert out["customers"][-1]["cumulative_share"] == 1.0


def test_key_customers_xlsx_needs_out(tmp_path, capsys, erp_rows):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes(erp_rows))
    assert main(["key-customers", str(path), "--format", "xlsx", "--lang", "en"]) == 2
    assert "--out" in capsys.readouterr().err
    out = tmp_path / "key.xlsx"
    assert main(["key-customers", str(path), "--format", "xlsx", "--out", str(out), "--grade", "A"]) == 0
    back = pd.read_excel(out, engine="openpyxl")
    assert back.iloc[0, 1] == "戊公司"


def test_migration_json_matrix_equals_an_independent_count(tmp_path, capsys):
    rows = [
        ["日期", "客户名称", "货品名称", "价税合计"],
        ["2025-02-01", "甲", "A", 20000],
        ["2026-02-01", "甲", "A", 60000],
        ["2025-03-01", "乙", "A", 5000],
        ["2026-04-01", "丙", "A", 250000],
        ["2025-05-01", "丁", "A", 100000],
        ["2026-05-01", "丁", "A", -1000],
    ]
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    args = ["migration", str(path), "--from", "2025-01-01..2025-12-31", "--to", "2026-01-01..2026-12-31"]
    assert main([*args, "--format", "json", "--lang", "zh"]) == 0
    out = json.loads(capsys.readouterr().out)
    cells = {(c["from_band"], c["to_band"]): c["customers"] for c in out["matrix"] if c["customers"]}
    assert cells == {("1–5万", "5–10万"): 1, ("1万以下", "lost"): 1, ("new", "20万以上"): 1, ("10–20万", "1万以下"): 1}
    assert sum(c["customers"] for c in out["matrix"]) == 4
    assert out["moves"] == {"up": 1, "down": 1, "stable": 0, "new": 1, "lost": 1}
    product = out["products"][0]
    assert (product["customers_from"], product["customers_to"], product["churn"]) == (3, 3, 1 / 3)


def test_stages_json_equals_an_independent_count(tmp_path, capsys):
    order = ["潜在客户", "初步接触", "意向", "提案", "谈判", "成交"]
    current = ["潜在客户", "意向", "意向", "提案", "赢单", "输单", "丢单", "谈判", "意向", "挂起"]
    lost_at = [None, None, None, None, None, "提案", None, None, None, None]
    rows = [["商机编号", "客户名称", "销售阶段", "预计金额", "输单阶段", "区域"]]
    rows += [
        [f"D{i}", f"客户{i}", s, 1000 * (i + 1), lost_at[i], "华东" if i % 2 else "华北"] for i, s in enumerate(current)
    ]
    rows.append(["合计", None, None, 55000, None, None])
    path = tmp_path / "pipeline.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    assert main(["stages", str(path), "--format", "json", "--lost", "丢单", "--by", "区域"]) == 0
    out = json.loads(capsys.readouterr().out)
    # independent: furthest stage index per deal (won → last; lost → lost-at column, else first stage)
    furthest = []
    amounts = []
    for i, s in enumerate(current):
        if s == "挂起":
            continue
        if s == "赢单":
            k = 5
        elif s in ("输单", "丢单"):
            k = order.index(lost_at[i]) if lost_at[i] else 0
        else:
            k = order.index(s)
        furthest.append(k)
        amounts.append(1000 * (i + 1))
    reached = [sum(1 for f in furthest if f >= k) for k in range(6)]
    assert [s["reached"] for s in out["stages"]] == reached == [9, 7, 7, 4, 2, 1]
    assert [s["amount"] for s in out["stages"]] == [
        sum(a for f, a in zip(furthest, amounts, strict=False) if f >= k) for k in range(6)
    ]
    assert [s["dropped"] for s in out["stages"]] == [reached[k] - reached[k + 1] for k in range(5)] + [0]
    assert out["win_rate"] == 1 / 3 and out["lost_without_stage"] == 1
    assert out["rows_dropped"] == {"total_row": 1, "unknown_stage": 1}
    assert out["unmapped_values"] == {"挂起": 1}
    shares = [(reached[k] - reached[k + 1]) / reached[k] for k in range(5)]
    assert out["bottleneck"]["from"] == order[shares.index(max(shares))]
    assert set(out["groups"]) == {"华东", "华北"}
    assert sum(g["stages"][0]["reached"] for g in out["groups"].values()) == 9


def test_forecast_json_equals_an_independent_sum(tmp_path, capsys):
    rows = [["商机编号", "客户名称", "销售阶段", "预计金额", "预计签约日期", "赢率"]]
    deals = [
        ("A", "赢单", 1000, "2026-01-10", None),
        ("B", "谈判", 2000, "2026-02-10", None),  # stage table: 谈判 = 0.75 (given below)
        ("C", "提案", 3000, "2026-04-01", "40%"),  # own column wins
        ("D", "输单", 4000, "2026-02-01", None),
        ("E", "潜在客户", 500, "2026-05-01", None),  # default 10%
    ]
    rows += [[d, f"客户{d}", s, a, day, p] for d, s, a, day, p in deals]
    path = tmp_path / "p.xlsx"
    path.write_bytes(xlsx_bytes(rows))
    assert main(["forecast", str(path), "--format", "json", "--probabilities", "谈判=0.75"]) == 0
    out = {p["period"]: p for p in json.loads(capsys.readouterr().out)["periods"]}
    assert out["2026Q1"]["weighted"] == 1000 + 2000 * 0.75
    assert out["2026Q1"]["closed"] == 1000 and out["2026Q1"]["commit"] == 3000  # 75% ≥ 70%: commit
    assert out["2026Q1"]["open_amount"] == 2000
    assert out["2026Q2"]["weighted"] == 3000 * 0.4 + 500 * 0.1
    assert out["2026Q2"]["best_case"] == 3000 and out["2026Q2"]["commit"] == 0


def test_snapshot_commands(capsys, no_real_home):
    from funnel.sample import SAMPLE_PIPELINE

    assert main(["snapshot", "save", str(SAMPLE_PIPELINE), "--week", "2026-W47", "--lang", "en"]) == 0
    assert "900 deals" in capsys.readouterr().out
    assert main(["snapshot", "save", str(SAMPLE_PIPELINE), "--week", "2026-W47", "--lang", "en"]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main(["snapshot", "save", str(SAMPLE_PIPELINE), "--week", "2026-W47", "--replace"]) == 0
    assert main(["snapshot", "list"]) == 0
    assert "2026-W47" in capsys.readouterr().out
    assert main(["snapshot", "delete", "2026-W47", "--lang", "en"]) == 2  # not confirmed
    assert main(["snapshot", "delete", "2026-W47", "--yes"]) == 0
    assert main(["snapshot", "delete", "2026-W47", "--yes", "--lang", "en"]) == 2
    assert "no snapshot" in capsys.readouterr().err
    assert (no_real_home / "funnel-cli" / "snapshots.db").exists()  # FUNNEL_DB, pointed at the test's home


def test_migration_without_dates_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("客户名称,价税合计\n甲,100\n", encoding="utf-8")
    assert (
        main(
            [
                "migration",
                str(path),
                "--from",
                "2025-01-01..2025-12-31",
                "--to",
                "2026-01-01..2026-12-31",
                "--lang",
                "en",
            ]
        )
        == 2
    )
    assert "--date-col" in capsys.readouterr().err


# --- snapshot store failures: exit 2 and one sentence, never exit 1 with SQLite's text
def _foreign(path):
    import sqlite3

    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); PRAGMA user_version = 3;")
    db.close()
    return path.read_bytes()


def test_snapshot_store_failures_are_exit_2_and_one_sentence(tmp_path, capsys):
    from funnel.sample import SAMPLE_PIPELINE

    foreign, empty, text = tmp_path / "places.data", tmp_path / "empty.db", tmp_path / "notes.db"
    before = _foreign(foreign)
    empty.write_bytes(b"")
    text.write_text("hello")
    for path, words in ((foreign, "not a snapshot book"), (empty, "empty file"), (text, "not a snapshot book")):
        for command in (["list"], ["save", str(SAMPLE_PIPELINE)], ["delete", "2026-W47", "--yes"]):
            assert main(["snapshot", *command, "--db", str(path), "--lang", "en"]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and err.startswith("error: ") and words in err
            assert "sqlite" not in err.lower()
    assert foreign.read_bytes() == before and empty.read_bytes() == b""


def test_snapshot_books_by_name_in_the_data_folder(tmp_path, capsys, monkeypatch):
    from funnel.sample import SAMPLE_PIPELINE

    monkeypatch.setenv("FUNNEL_DATA_DIR", str(tmp_path / "books"))
    assert main(["snapshot", "save", str(SAMPLE_PIPELINE), "--book", "华东", "--week", "2026-W47"]) == 0
    assert (tmp_path / "books" / "华东.db").exists()
    assert main(["snapshot", "list", "--book", "华东"]) == 0
    assert "2026-W47" in capsys.readouterr().out
    assert main(["snapshot", "list", "--book", "../escape", "--lang", "en"]) == 2
    assert "cannot name a snapshot book" in capsys.readouterr().err
    assert main(["snapshot", "list", "--book", "nothing-yet"]) == 0  # reading creates nothing
    assert sorted(p.name for p in (tmp_path / "books").iterdir()) == ["华东.db"]


# --- terminal output: nothing from a file can drive the terminal, errors stay readable
ANSI = "\x1b[2J\x1b[31m红\x1b]0;pwned\x07\x9b1m"


def test_escape_sequences_from_a_file_are_not_printed(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(f"客户名称,价税合计\n{ANSI}甲\u202e,100\n乙,50000\n", encoding="utf-8")
    for fmt in ("table", "json"):
        done = subprocess.run(
            [sys.executable, "-m", "funnel", "key-customers", str(path), "--format", fmt, "--lang", "en"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert not any(ch in done.stdout for ch in "\x1b\x07\x9b\u202e"), fmt
    # the name itself loses its control and bidi characters (values.clean_name), so it is one customer, shown flat
    assert json.loads(done.stdout)["customers"][1]["customer"] == "[2J[31m红]0;pwned1m甲"


def test_a_huge_error_is_one_readable_line(tmp_path):
    path = tmp_path / "wide.csv"
    # under the column limit (2,000), but named so that listing every column would be ~690,000 characters
    header = ",".join(f"\x1b[31mcolumn_{i:05d}" + "x" * 40 for i in range(1_500))
    path.write_text(header + "\n" + ",".join(["1"] * 1_500) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "funnel", "bands", str(path), "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    err = done.stderr
    assert err.count("\n") == 1 and len(err) < 600 and "\x1b" not in err
    assert "column_00000" + "x" * 40 in err and re.search(r"… and 1,4\d\d more", err)


def test_csv_on_a_terminal_is_cleaned_and_piped_csv_is_exact(capsys, monkeypatch):
    from funnel.cli import _emit

    data = "客户\n\x1b[31m甲\n".encode("utf-8-sig")
    _emit(data, None)
    assert capsys.readouterr().out == "客户\n\x1b[31m甲\n"  # piped: the data as it is
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    _emit(data, None)
    assert capsys.readouterr().out == "客户\n甲\n"
