"""The pipeline analyses on every source: `stages` (with a breakdown), `forecast` and `snapshot save` give the same
figures from a CSV file as from an all-text Parquet file, a DuckDB table, PostgreSQL, Spark and a Spark Connect
server (sc://), for the three shapes CRMs export (a Salesforce-like snapshot with $ amounts, 20% probabilities and
m/d/Y close dates; a stage-dates export; a HubSpot-like stage-history event log), and the reached counts equal a
count by hand."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date, timedelta

import pytest
from engines import (
    IN_CI,
    PG_PASSWORD,
    absent,
    postgres_available,
    spark_connect_available,
    text_cluster,
    text_sources,
)

from funnel.cli import main

SF_STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review"]


def salesforce(rng: random.Random) -> tuple[list[str], list[list[str]]]:
    """A Salesforce opportunity report: Stage (Closed Won / Closed Lost terminal), Amount as '$12,500.00',
    Probability (%) as '20%', Close Date as 1/31/2026, Account Name, Opportunity Owner, Type."""
    header = ["Opportunity Name", "Account Name", "Stage", "Amount", "Probability (%)", "Close Date",
              "Created Date", "Opportunity Owner", "Type"]  # fmt: skip
    rows = []
    for i in range(240):
        r = rng.random()
        stage = "Closed Won" if r < 0.15 else "Closed Lost" if r < 0.3 else rng.choice(SF_STAGES)
        p = {"Closed Won": 100, "Closed Lost": 0}.get(
            stage, (SF_STAGES.index(stage) + 1) * 15 if stage in SF_STAGES else 0
        )
        close = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        created = close - timedelta(days=rng.randrange(30, 200))
        amount = "" if rng.random() < 0.05 else f"${rng.randrange(1_000, 900_000) / 4:,.2f}"
        rows.append([f"Opp {i:04d}", f"Account {rng.randrange(60)}", stage, amount, f"{p}%",
                     f"{close.month}/{close.day}/{close.year}", f"{created.month}/{created.day}/{created.year}",
                     rng.choice(["Ann Lee", "Bo Chen", "Cy Diaz"]),
                     rng.choice(["New Business", "Renewal"])])  # fmt: skip
    rows.append(["", "", "", "", "", "", "", "", ""])  # an empty row, counted
    return header, rows


def stage_history(rng: random.Random) -> tuple[list[str], list[list[str]]]:
    """A HubSpot-like deal stage history: one row per (deal, stage entered, date), deals moving back sometimes."""
    steps = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
             "contractsent"]  # fmt: skip
    header = ["Deal ID", "Deal Name", "Deal Stage", "Date entered", "Amount", "Company"]
    rows = []
    for d in range(120):
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(200))
        reach = rng.randrange(1, len(steps) + 1)
        amount = f"{rng.randrange(1_000, 90_000)}.{rng.randrange(100):02d}"
        for s in range(reach):
            day += timedelta(days=rng.randrange(1, 20))
            rows.append([str(900_000 + d), f"Deal {d}", steps[s], f"{day.isoformat()} 10:{d % 60:02d}", amount,
                         f"Company {d % 25}"])  # fmt: skip
        end = rng.random()
        if end < 0.3 or reach == len(steps):
            day += timedelta(days=3)
            outcome = "closedwon" if end < 0.15 or reach == len(steps) else "closedlost"
            rows.append([str(900_000 + d), f"Deal {d}", outcome, f"{day.isoformat()} 09:00", amount,
                         f"Company {d % 25}"])  # fmt: skip
    rng.shuffle(rows)
    return header, rows


def stage_dates() -> tuple[list[str], list[list[str]]]:
    """The product's own sample pipeline (one entry-date column per stage), every cell as text."""
    import tempfile
    from pathlib import Path

    import pandas as pd

    from funnel.sample import write_pipeline_sample

    with tempfile.TemporaryDirectory() as folder:
        frame = pd.read_excel(write_pipeline_sample(Path(folder) / "p.xlsx"), dtype=str)
    rows = [["" if pd.isna(v) else str(v) for v in row] for row in frame.itertuples(index=False)]
    return [str(c) for c in frame.columns], rows


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, dict]:

    folder = tmp_path_factory.mktemp("pipelines")
    made = {
        "salesforce": salesforce(random.Random(1)),
        "history": stage_history(random.Random(2)),
        "stage_dates": stage_dates(),
    }
    out = {}
    for kind, (header, rows) in made.items():
        out[kind] = {"header": header, "rows": rows, **text_sources(folder, kind, header, rows, "deals")}
    return out


@pytest.fixture(scope="module")
def postgres(exports):
    if not postgres_available():
        absent("PostgreSQL 15")
    with text_cluster(exports) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def connect(exports, spark_connect) -> str:
    """The Spark Connect server's URL, each export saved on it as a managed text table named after its kind."""
    for kind, export in exports.items():
        spark_connect.load(kind, export["header"], export["rows"])
    return spark_connect.url


def run(capsys, *args: str) -> dict:
    code = main([*args, "--format", "json", "--lang", "en"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    out.pop("columns", None)  # evidence: counted on every row of a file, on a sample of a table
    return out


OPTIONS = {
    "salesforce": ["--by", "Type"],
    "history": [
        "--order",
        "appointmentscheduled,qualifiedtobuy,presentationscheduled,decisionmakerboughtin,contractsent,closedwon",
        "--lost",
        "closedlost",
        "--by",
        "Company",
    ],
    "stage_dates": ["--by", "region"],
}


def sources(kind: str, export: dict, request, monkeypatch) -> list[list[str]]:
    out = [[export["parquet"]], [f"duckdb://{export['duckdb']}", "--table", "deals"]]
    if postgres_available():
        cluster = request.getfixturevalue("postgres")
        monkeypatch.setenv("PGPASSWORD", PG_PASSWORD)
        out.append([cluster.url(), "--table", kind])
    if spark_connect_available() or IN_CI:
        out.append([request.getfixturevalue("connect"), "--table", kind])
    return out


@pytest.mark.parametrize("kind", list(OPTIONS))
def test_stages_and_forecast_are_equal_on_every_source(kind, exports, capsys, request, monkeypatch):
    export = exports[kind]
    options = OPTIONS[kind]
    forecast_options = [o for o in options if o not in options[options.index("--by") :]]
    stages = run(capsys, "stages", export["csv"], *options)
    forecast = run(capsys, "forecast", export["csv"], *forecast_options)
    assert stages["deals"] > 0 and forecast["periods"]
    for source in sources(kind, export, request, monkeypatch):
        assert run(capsys, "stages", *source, *options) == stages, source
        assert run(capsys, "forecast", *source, *forecast_options) == forecast, source


def test_reached_counts_of_the_event_log_equal_a_count_by_hand(exports, capsys):
    export = exports["history"]
    steps = OPTIONS["history"][1].split(",")
    reached: dict[str, int] = {}
    for deal_id, _, stage, *_ in export["rows"]:
        if stage in steps:
            reached[deal_id] = max(reached.get(deal_id, -1), steps.index(stage))
    by_hand = [sum(1 for r in reached.values() if r >= i) for i in range(len(steps))]
    out = run(capsys, "stages", export["parquet"], *OPTIONS["history"][:4])
    assert [s["reached"] for s in out["stages"]] == by_hand


def test_snapshot_save_from_a_table_holds_what_the_file_gives(exports, tmp_path, capsys):
    export = exports["salesforce"]
    saved = {}
    for name, source in (("file", [export["csv"]]), ("table", [export["parquet"]])):
        db = tmp_path / f"{name}.db"
        code = main(["snapshot", "save", *source, "--db", str(db), "--week", "2026-W10", "--lang", "en"])
        assert code == 0, capsys.readouterr().err
        capsys.readouterr()
        with sqlite3.connect(db) as con:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            deal_table = next(t for t in tables if "deal" in t.lower())
            columns = [r[1] for r in con.execute(f'PRAGMA table_info("{deal_table}")')]
            keep = [c for c in columns if c not in ("id", "snapshot_id", "source")]
            rows = con.execute(f'SELECT {", ".join(keep)} FROM "{deal_table}"').fetchall()
        saved[name] = sorted(map(repr, rows))
    assert len(saved["file"]) == 240 and saved["file"] == saved["table"]


@pytest.mark.parametrize("kind", ["salesforce", "history"])
def test_spark_gives_the_file_figures(kind, exports, spark, capsys):
    export = exports[kind]
    options = OPTIONS[kind]
    assert run(capsys, "stages", export["parquet"], "--engine", "spark", *options) == run(
        capsys, "stages", export["csv"], *options
    )


def test_key_customers_value_by_stage_with_a_pipeline_table_equals_the_file(exports, tmp_path, capsys, request):
    from funnel.sample import write_sales_sample

    sales = str(write_sales_sample(tmp_path / "sales.xlsx"))
    export = exports["stage_dates"]
    pipelines = [[export["csv"]], [export["parquet"]], [f"duckdb://{export['duckdb']}", "--pipeline-table", "deals"]]
    if spark_connect_available() or IN_CI:
        pipelines.append([request.getfixturevalue("connect"), "--pipeline-table", "stage_dates"])
    outputs = [run(capsys, "key-customers", sales, "--pipeline", *pipeline) for pipeline in pipelines]
    for out in outputs:
        out["pipeline"].pop("columns", None)
    assert outputs[0]["value_stage"]["cells"]
    differ = [pipeline[0] for pipeline, out in zip(pipelines, outputs, strict=True) if out != outputs[0]]
    assert not differ, differ


def test_past_the_lookup_limit_a_pipeline_table_is_parsed_by_the_sql_rules_and_says_so(tmp_path, capsys, monkeypatch):
    """More distinct amounts, probabilities and dates than LOOKUP_LIMIT: no longer refused, the sales path's SQL
    rules read them (ISO dates, ¥ and separators, '30%' and 0.3): the same figures as the file's parsers and as a
    sum by hand (Decimal), and the account names the columns."""
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    import funnel.table_rows

    rng = random.Random(5)
    stages = ["Prospecting", "Qualification", "Proposal/Price Quote", "Negotiation/Review", "Closed Won"]
    rows = []
    for i in range(60):
        stage = rng.choice([*stages, "Closed Lost"])
        cents = rng.randrange(10_000, 5_000_000)
        p = {"Closed Won": 100, "Closed Lost": 0}.get(stage, rng.choice([10, 25, 40, 60, 75, 90]))
        rows.append({"Opportunity Name": f"Opp {i:03d}", "Stage": stage,
                     "Amount": [f"¥{cents / 100:,.2f}", f"{cents / 100:.2f}"][i % 2],
                     "Probability (%)": [f"{p}%", f"{p / 100}"][i % 2],
                     "Close Date": (date(2026, 1, 1) + timedelta(days=rng.randrange(365))).isoformat()})  # fmt: skip
    path = tmp_path / "deals.parquet"
    pq.write_table(pa.table({k: [r[k] for r in rows] for k in rows[0]}), path)
    order = ["--order", ",".join(stages)]
    parsed = run(capsys, "stages", str(path), *order), run(capsys, "forecast", str(path), *order)
    monkeypatch.setattr(funnel.table_rows, "LOOKUP_LIMIT", 5)
    in_sql = run(capsys, "stages", str(path), *order), run(capsys, "forecast", str(path), *order)
    assert in_sql == parsed
    weighted: dict[str, Decimal] = {}
    for r in rows:
        day = date.fromisoformat(r["Close Date"])
        quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
        p = Decimal(r["Probability (%)"].rstrip("%")) / (100 if r["Probability (%)"].endswith("%") else 1)
        p = 1 if r["Stage"] == "Closed Won" else 0 if r["Stage"] == "Closed Lost" else p
        weighted[quarter] = weighted.get(quarter, Decimal(0)) + Decimal(r["Amount"].lstrip("¥").replace(",", "")) * p
    shown = {row["period"]: Decimal(str(row["weighted"])) for row in in_sql[1]["periods"]}
    assert shown == {q: v.quantize(Decimal("0.01")) for q, v in weighted.items()}
    main(["stages", str(path), *order, "--lang", "en"])
    note = capsys.readouterr()
    assert "more than 5 distinct values in Amount、Probability (%)、Close Date, parsed by the SQL rules" in (
        note.out + note.err
    )
