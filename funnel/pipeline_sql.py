"""The pipeline analyses as SQL: pipeline rows → deals → stage reached counts, amounts and forecast sums.

One text per analysis (DuckDB dialect, transpiled by `engine.compile_sql`) runs on every source: a file's parsed
rows handed to the in-memory DuckDB, a Parquet file, a DuckDB database, PostgreSQL or Spark. What Python decides
from distinct values only (which stage a value names, the stage order) comes in as bound parameters; every per-row
and per-deal step runs in the engine, and what comes back is bounded by stages × periods × groups.

The pipeline rows relation (one row per input row, parsed) has the columns:
row_no, seq (the file's row number and position; NULL for a table), pre (empty_row, total_row, note_row,
blank_deal or NULL), deal, customer, customer_key, stage, status, lost_stage (cleaned text, '' when blank),
lost_reason (a lost reason is given), amount_cents (NULL when blank or not a number), p_ppm (the row's own
probability in millionths, NULL when none), close_date, created, event_date (DATE), category, product, region,
rep, s0, s1, … (the stage-entry dates, in the mapping's order), g0, g1, … (extra columns kept for a breakdown).

The deals relation has row_no, seq, deal, customer, customer_key, amount_cents, p_ppm, close_date, created,
category, product, region, rep, g…, d0 … d{k-1} (the date each step was entered), furthest (the step reached),
status (open / won / lost), placed (how a lost deal's furthest step was found) and lost_known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from funnel.engine import Relation, deals_table, quote

PPM = 1_000_000  # probabilities travel as whole millionths: sums of cents × ppm are exact on every engine
LOST_CODE = -1  # a row's target: 0 … k-2 an open step, k-1 won, -1 lost, NULL no stage
ROW_TEXT: tuple[str, ...] = (
    "deal",
    "customer",
    "customer_key",
    "stage",
    "status",
    "lost_stage",
    "category",
    "product",
    "region",
    "rep",
)
CARRIED: tuple[str, ...] = ("customer", "customer_key", "category", "product", "region", "rep")


@dataclass(frozen=True)
class PipelineRows:
    """A pipeline's parsed rows on an engine, with what its numbered columns hold."""

    relation: Relation
    stage_dates: tuple[str, ...] = ()  # the stage named by each s0, s1, … column
    keep: tuple[str, ...] = ()  # the report column behind each g0, g1, … column


def _codes(column: str, mapping: Mapping[str, object], prefix: str, kind: str = "INTEGER") -> tuple[str, dict]:
    """`CASE WHEN column IN (…) THEN code …`: each distinct value a bound parameter, the codes ours (whole numbers
    as literals; text codes also as parameters, they come from the data)."""
    by_code: dict[object, list[str]] = {}
    for value, code in mapping.items():
        if code is not None:
            by_code.setdefault(code, []).append(str(value))
    if not by_code:
        return f"CAST(NULL AS {kind})", {}
    params: dict[str, object] = {}
    whens = []
    for i, (code, values) in enumerate(by_code.items()):
        names = [f"{prefix}{i}_{j}" for j in range(len(values))]
        params.update(zip(names, values, strict=True))
        if isinstance(code, int | np.integer):
            then = str(int(code))
        else:
            params[f"{prefix}{i}_code"] = str(code)
            then = f":{prefix}{i}_code"
        whens.append(f"WHEN {column} IN ({', '.join(':' + n for n in names)}) THEN {then}")
    return f"CASE {' '.join(whens)} END", params


# --- what the order and the classification are decided from ------------------------------------------------------


def distinct_values(rows: PipelineRows) -> dict[str, pd.DataFrame]:
    """The distinct stage, status and lost-stage values with their rows (all rows, and the rows no earlier reason
    took): one scan, bounded by the number of distinct values."""
    frame = rows.relation.fetch(
        """SELECT GROUPING(stage) AS g_stage, GROUPING(status) AS g_status, stage, status, lost_stage,
                  COUNT(*) AS n, SUM(CASE WHEN pre IS NULL THEN 1 ELSE 0 END) AS open_rows
           FROM {lines} AS r GROUP BY GROUPING SETS ((stage), (status), (lost_stage))"""
    )
    out = {}
    for role, mask in (
        ("stage", frame["g_stage"] == 0),
        ("status", (frame["g_stage"] == 1) & (frame["g_status"] == 0)),
        ("lost_stage", (frame["g_stage"] == 1) & (frame["g_status"] == 1)),
    ):
        part = frame.loc[mask, [role, "n", "open_rows"]]
        part = part[part[role].notna() & (part[role] != "")]
        part = part.rename(columns={role: "value", "n": "rows"}).astype({"rows": "int64", "open_rows": "int64"})
        out[role] = part.sort_values(["rows", "value"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return out


def probability_medians(rows: PipelineRows, keys: Mapping[str, str]) -> dict[str, float]:
    """Median probability per stage key (value → key given), for ordering stages by the probability column."""
    key, params = _codes("stage", keys, "mk_", "VARCHAR")
    frame = rows.relation.fetch(
        f"""SELECT k, MEDIAN(p) AS median FROM (
                SELECT {key} AS k, CAST(p_ppm AS DOUBLE) / {PPM} AS p FROM {{lines}} AS r WHERE p_ppm IS NOT NULL
            ) AS m WHERE k IS NOT NULL GROUP BY k""",
        params,
    )
    return {str(r.k): float(r.median) for r in frame.itertuples(index=False)}


def date_scores(rows: PipelineRows, keys: Mapping[str, int]) -> dict[str, float]:
    """Copeland score per stage key with an entry-date column (key → s-column index): over deals, how often its
    date came after each other stage's, minus before, summed as signs."""
    pairs = [(a, b) for a in keys for b in keys if a != b]
    if not pairs:
        return {k: 0.0 for k in keys}
    sums = ", ".join(
        f"SUM(CASE WHEN s{keys[a]} > s{keys[b]} THEN 1 WHEN s{keys[a]} < s{keys[b]} THEN -1 ELSE 0 END) AS c{i}"
        for i, (a, b) in enumerate(pairs)
    )
    row = rows.relation.fetch(f"SELECT {sums} FROM {{lines}} AS r").iloc[0]
    scores = dict.fromkeys(keys, 0.0)
    for i, (a, _) in enumerate(pairs):
        scores[a] += float(np.sign(int(row[f"c{i}"] or 0)))
    return scores


def repeated_deals(relation: Relation, deal: str) -> tuple[int, int]:
    """(non-blank deal ids, distinct ones) of a table's deal column, for telling an event log from a snapshot."""
    column = quote(deal)
    row = relation.fetch(f"SELECT COUNT({column}) AS n, COUNT(DISTINCT {column}) AS d FROM {{lines}} AS t").iloc[0]
    return int(row["n"]), int(row["d"])


# --- rows → deals --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """The classification of distinct values, decided in Python and pushed down: stage value → target code
    (0 … k-2 open steps, k-1 won, -1 lost), status value → 'won' / 'lost', lost-at-stage value → open step."""

    stage: Mapping[str, int]
    status: Mapping[str, str]
    lost_at: Mapping[str, int]


def targeted(
    rows: PipelineRows, k: int, targets: Targets, shape: str, has_status: bool, has_lost_reason: bool
) -> Relation:
    """Every row with its `target` and `reason` (NULL: used): a status column's won/lost and a lost reason applied
    as a file's rows get them (`lost_from_status`: lost while in an open stage)."""
    t1, p1 = _codes("stage", targets.stage, "tg_")
    said, p2 = _codes("status", targets.status, "ts_", "VARCHAR")
    lost_at, p3 = _codes("lost_stage", targets.lost_at, "tl_")
    open_ = f"(t1 >= 0 AND t1 <= {k - 2})"
    if has_status:
        lfs = f"COALESCE(said = 'lost' AND {open_}, FALSE)"
    elif has_lost_reason:
        lfs = f"COALESCE(lost_reason AND {open_}, FALSE)"
    else:
        lfs = "FALSE"
    unknown = "" if shape == "stage_dates" else "WHEN target IS NULL THEN 'unknown_stage'"
    bad_date = "WHEN event_date IS NULL THEN 'bad_date'" if shape == "event_log" else ""
    sql = f"""SELECT c.*, CASE WHEN pre IS NOT NULL THEN pre {unknown} {bad_date} END AS reason FROM (
        SELECT b.*, CASE WHEN said = 'won' THEN {k - 1} WHEN said = 'lost' AND NOT lfs THEN {LOST_CODE}
                         ELSE t1 END AS target FROM (
            SELECT a.*, {lfs} AS lfs FROM (
                SELECT r.*, {t1} AS t1, {said} AS said, {lost_at} AS lost_at FROM {{lines}} AS r
            ) AS a
        ) AS b
    ) AS c"""
    return rows.relation.derive(sql, {**p1, **p2, **p3})


def row_account(rows: Relation) -> tuple[int, dict[str, int], pd.DataFrame, float]:
    """(rows read, rows left out per reason, unmatched stage values with their rows, unmatched share of the rows
    with a stage value and no earlier reason)."""
    frame = rows.fetch(
        """SELECT reason, unmatched, candidate, COUNT(*) AS n FROM (
               SELECT reason, CASE WHEN pre IS NULL AND stage <> '' AND target IS NULL THEN stage END AS unmatched,
                      CASE WHEN pre IS NULL AND stage <> '' THEN 1 ELSE 0 END AS candidate
               FROM {lines} AS r) AS a
           GROUP BY reason, unmatched, candidate"""
    )
    frame["n"] = frame["n"].astype("int64")
    reasons = frame[frame["reason"].notna()].groupby("reason")["n"].sum()
    unmatched = frame[frame["unmatched"].notna()].groupby("unmatched")["n"].sum()
    unmapped = pd.DataFrame({"value": unmatched.index.astype(str), "rows": unmatched.to_numpy(dtype="int64")})
    unmapped = unmapped.sort_values(["rows", "value"], ascending=[False, True], kind="stable").reset_index(drop=True)
    candidates = int(frame.loc[frame["candidate"] == 1, "n"].sum())
    share = float(unmapped["rows"].sum() / candidates) if candidates else 0.0
    return int(frame["n"].sum()), {str(r): int(n) for r, n in reasons.items()}, unmapped, share


def _first_true(conditions: Sequence[tuple[str, int]], otherwise: int) -> str:
    """CASE WHEN c1 THEN v1 … ELSE otherwise END (conditions NULL count as false)."""
    whens = " ".join(f"WHEN {c} THEN {v}" for c, v in conditions)
    return f"CASE {whens} ELSE {otherwise} END" if whens else str(otherwise)


def deals_from_rows(rows: Relation, k: int, shape: str, dated: Mapping[int, int], keep: int) -> Relation:
    """One deal per used row (snapshot, stage dates) or per deal id (event log), with its furthest step and status.

    A lost deal reached the furthest step any evidence shows, in order of trust: its stage-entry dates, a
    lost-at-stage column, the stage it was in when a status (or lost-reason) column marks it lost; with none of
    these only the first step (`placed` says which). In an event log a deal counts once for every step it ever
    reached (moving back does not undo it); `dated` maps a step to its s-column.
    """
    groups = "".join(f", g{j}" for j in range(keep))
    if shape == "event_log":
        return _deals_from_events(rows, k, groups)
    dates = ", ".join(f"{f's{dated[i]}' if i in dated else 'CAST(NULL AS DATE)'} AS d{i}" for i in range(k))
    furthest_dated = _first_true([(f"d{i} IS NOT NULL", i) for i in reversed(range(k))], -1)
    base = f"""SELECT row_no, seq, deal, customer, customer_key, amount_cents, p_ppm, close_date, created, category,
            product, region, rep{groups}, {dates}, target, lfs, lost_at FROM {{lines}} AS r WHERE reason IS NULL"""
    step1 = f"""SELECT a.*, {furthest_dated} AS fd,
            CASE WHEN lfs THEN 'lost' WHEN target = {k - 1} THEN 'won' WHEN target = {LOST_CODE} THEN 'lost'
                 ELSE 'open' END AS st0,
            CASE WHEN target >= 0 AND target <= {k - 2} THEN target ELSE -1 END AS cur,
            COALESCE(lost_at, -1) AS lk FROM ({base}) AS a"""
    step2 = f"""SELECT b.*, LEAST(fd, {k - 2}) AS bd, CASE WHEN lfs THEN cur ELSE -1 END AS bs FROM ({step1}) AS b"""
    step3 = f"""SELECT c.*, GREATEST(bd, lk, bs) AS best FROM ({step2}) AS c"""
    step4 = f"""SELECT e.*,
            CASE WHEN bd = best THEN 'dates' WHEN lk = best THEN 'lost_stage_column' ELSE 'current_stage' END AS src,
            CASE WHEN st0 = 'won' THEN {k - 1} WHEN st0 = 'lost' THEN best ELSE cur END AS f1 FROM ({step3}) AS e"""
    if shape == "stage_dates":  # an open deal with dates got as far as they show; a date for the won step is a win
        step5 = f"""SELECT h.*, CASE WHEN st0 = 'open' AND fd = {k - 1} THEN 'won' ELSE st0 END AS st,
                CASE WHEN st0 = 'open' AND fd = {k - 1} THEN {k - 1} WHEN st0 = 'open' THEN GREATEST(f1, fd)
                     ELSE f1 END AS f2 FROM ({step4}) AS h"""
    else:
        step5 = f"SELECT h.*, st0 AS st, f1 AS f2 FROM ({step4}) AS h"
    steps = ", ".join(f"d{i}" for i in range(k))
    sql = f"""SELECT row_no, seq, deal, customer, customer_key, amount_cents, p_ppm, close_date, created, category,
            product, region, rep{groups}, {steps}, GREATEST(f2, 0) AS furthest, st AS status,
            CASE WHEN st0 = 'lost' AND best >= 0 THEN src WHEN st0 = 'lost' THEN 'first_stage' ELSE '' END AS placed,
            NOT (st0 = 'lost' AND best < 0) AS lost_known
        FROM ({step5}) AS z"""
    return rows.derive(sql)


def _deals_from_events(rows: Relation, k: int, groups: str) -> Relation:
    """Event-log rows → deals: furthest open step ever reached, the last outcome (won/lost), entry dates per step,
    and each attribute as of the deal's last row that has one (same day: file order, then stage order)."""
    rank = f"CASE WHEN target = {LOST_CODE} THEN {k} ELSE target END"
    later = f"event_date DESC, row_no DESC NULLS LAST, {rank} DESC"

    def last_of(column: str) -> str:
        return f"ROW_NUMBER() OVER (PARTITION BY deal ORDER BY CASE WHEN {column} IS NULL THEN 1 ELSE 0 END, {later})"

    outcome = f"CASE WHEN target = {k - 1} OR target = {LOST_CODE} THEN 0 ELSE 1 END"
    ordered = f"""SELECT r.*, ROW_NUMBER() OVER (PARTITION BY deal ORDER BY {later}) AS o_last,
            {last_of("amount_cents")} AS o_amount, {last_of("close_date")} AS o_close, {last_of("p_ppm")} AS o_p,
            ROW_NUMBER() OVER (PARTITION BY deal ORDER BY {outcome}, {later}) AS o_outcome
        FROM {{lines}} AS r WHERE reason IS NULL"""
    carried = ", ".join(
        f"MAX(CASE WHEN o_last = 1 THEN {c} END) AS {c}"
        for c in ("row_no", "seq", *CARRIED, *(g.strip(", ") for g in groups.split(",") if g.strip()))
    )
    entered = ", ".join(f"MIN(CASE WHEN target = {i} THEN event_date END) AS d{i}" for i in range(k - 1))
    per_deal = f"""SELECT deal, {carried},
            MAX(CASE WHEN o_amount = 1 THEN amount_cents END) AS amount_cents,
            MAX(CASE WHEN o_close = 1 THEN close_date END) AS close_date,
            MAX(CASE WHEN o_p = 1 THEN p_ppm END) AS p_ppm,
            MIN(event_date) AS created, {entered + ", " if entered else ""}
            MIN(CASE WHEN target = {k - 1} THEN event_date END) AS d{k - 1},
            MAX(CASE WHEN target >= 0 AND target <= {k - 2} THEN target END) AS furthest_open,
            MAX(CASE WHEN o_outcome = 1 AND target = {k - 1} THEN 'won'
                     WHEN o_outcome = 1 AND target = {LOST_CODE} THEN 'lost' END) AS outcome
        FROM ({ordered}) AS o GROUP BY deal"""
    reach = f"""SELECT p.*, COALESCE(outcome, 'open') AS status,
            CASE WHEN outcome = 'won' THEN {k - 1} ELSE LEAST(COALESCE(furthest_open, -1), {k - 2}) END AS reach
        FROM ({per_deal}) AS p"""
    steps = ", ".join(f"d{i}" for i in range(k))
    sql = f"""SELECT row_no, seq, deal, customer, customer_key, amount_cents, p_ppm, close_date, created, category,
            product, region, rep{groups}, {steps}, GREATEST(reach, 0) AS furthest, status,
            CASE WHEN status = 'lost' AND reach >= 0 THEN 'dates' WHEN status = 'lost' THEN 'first_stage'
                 ELSE '' END AS placed,
            NOT (status = 'lost' AND reach < 0) AS lost_known
        FROM ({reach}) AS q"""
    return rows.derive(sql)


def deal_account(deals: Relation, k: int) -> dict[str, int]:
    """Deals, how lost deals were placed, deals without an amount (open ones too), and whether any has a date."""
    dated = " OR ".join(f"d{i} IS NOT NULL" for i in range(k))
    placements = ", ".join(
        f"SUM(CASE WHEN status = 'lost' AND placed = '{p}' THEN 1 ELSE 0 END) AS {p}"
        for p in ("dates", "lost_stage_column", "current_stage", "first_stage")
    )
    row = deals.fetch(
        f"""SELECT COUNT(*) AS deals, {placements},
                SUM(CASE WHEN amount_cents IS NULL THEN 1 ELSE 0 END) AS missing_amount,
                SUM(CASE WHEN status = 'open' AND amount_cents IS NULL THEN 1 ELSE 0 END) AS open_without_amount,
                MAX(CASE WHEN {dated} THEN 1 ELSE 0 END) AS has_dates
            FROM {{lines}} AS d"""
    ).iloc[0]
    return {name: int(0 if pd.isna(value) else value) for name, value in row.items()}


# --- the public deals frame and back ------------------------------------------------------------------------------


def deals_frame(deals: Relation, k: int, keep: Sequence[str], order: str = "seq") -> pd.DataFrame:
    """The deals as the pages and tests know them (row, deal, …, probability in [0, 1], date, by:<column>, d0 …,
    furthest, status, placed, lost_stage_known, customer_key); fetched whole, so for files and drill-downs."""
    frame = deals.fetch(f"SELECT * FROM {{lines}} AS d ORDER BY {order}, deal")
    frame["probability"] = frame["p_ppm"].astype("float64") / PPM
    frame["furthest"] = frame["furthest"].astype("int64")
    frame["amount_cents"] = frame["amount_cents"].astype("float64")
    renamed = {"row_no": "row", "created": "date", "lost_known": "lost_stage_known"}
    renamed.update({f"g{j}": f"by:{column}" for j, column in enumerate(keep)})
    frame = frame.rename(columns=renamed)
    columns = ["row", "deal", "customer", "amount_cents", "product", "region", "rep", "close_date", "date"]
    columns += ["probability", "category", *(f"by:{c}" for c in keep), *(f"d{i}" for i in range(k))]
    columns += ["furthest", "status", "placed", "lost_stage_known", "customer_key"]
    for column in ("close_date", "date", *(f"d{i}" for i in range(k))):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame[columns]


def deal_relation(deals: pd.DataFrame | Relation, k: int, group: str | None = None) -> Relation:
    """Deals on an engine: a Relation as it is, a deals frame (a page's, a filtered one) handed over with the columns
    the analyses read (`seq` its positions, `grp` the breakdown column)."""
    if isinstance(deals, Relation):
        return deals
    n = len(deals)

    def column(name: str, default: object = None) -> pd.Series:
        return deals[name] if name in deals else pd.Series([default] * n, index=deals.index, dtype="object")

    parts = {
        "seq": pd.Series(np.arange(n), index=deals.index),
        "deal": column("deal", ""),
        "customer": column("customer", ""),
        "customer_key": column("customer_key", ""),
        "furthest": pd.to_numeric(column("furthest", 0)).astype("int64"),
        "status": column("status", "open"),
        "amount_cents": pd.to_numeric(column("amount_cents"), errors="coerce").astype("float64"),
        "p_ppm": (pd.to_numeric(column("probability"), errors="coerce").astype("float64") * PPM).round(),
        "category": column("category", ""),
        "close_date": pd.to_datetime(column("close_date", pd.NaT)),
        "created": pd.to_datetime(column("date", pd.NaT)),
    }
    for i in range(k):
        parts[f"d{i}"] = pd.to_datetime(column(f"d{i}", pd.NaT))
    if group is not None:
        parts["grp"] = column(group).astype("object")
    frame = pd.DataFrame(parts)
    return deals_table(frame, "page_deals", whole=("amount_cents", "p_ppm"))


# --- deals → stage funnel -----------------------------------------------------------------------------------------


def furthest_within(k: int, window_days: int | None) -> str:
    """The furthest step a deal reached, counting a step only when entered within `window_days` of entering the
    first (or of its creation); reaching step j implies every step before it."""
    if window_days is None:
        return "furthest"
    start = "COALESCE(d0, created)"
    within = [
        (f"furthest >= {j} AND DATE_DIFF('day', {start}, d{j}) <= {int(window_days)}", j) for j in reversed(range(1, k))
    ]
    return _first_true(within, 0)


def funnel_sums(deals: Relation, k: int, window_days: int | None = None, grouped: bool = False) -> pd.DataFrame:
    """Per group (or in all): deals, won, lost, deals and amount (cents) reaching each step, and the median days from
    entering each step to entering the next (over deals that have both dates in order)."""
    reached = ", ".join(f"SUM(CASE WHEN fw >= {i} THEN 1 ELSE 0 END) AS r{i}" for i in range(k))
    amounts = ", ".join(
        f"SUM(CASE WHEN fw >= {i} THEN CAST(COALESCE(amount_cents, 0) AS DECIMAL(38, 0)) ELSE 0 END) AS a{i}"
        for i in range(k)
    )
    medians = "".join(
        f", MEDIAN(CASE WHEN d{i + 1} >= d{i} THEN CAST(DATE_DIFF('day', d{i}, d{i + 1}) AS DOUBLE) END) AS m{i}"
        for i in range(k - 1)
    )
    group = "CASE WHEN grp IS NULL OR grp = '' THEN '—' ELSE grp END" if grouped else "''"
    return deals.fetch(
        f"""SELECT g, COUNT(*) AS deals, SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END) AS won,
                SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END) AS lost, {reached}, {amounts}{medians}
            FROM (SELECT d.*, {furthest_within(k, window_days)} AS fw, {group} AS g FROM {{lines}} AS d) AS w
            GROUP BY g"""
    )


def positions(deals: Relation, where: str, params: Mapping[str, object] | None = None) -> list[int]:
    """The `seq` of the handed-over deals matching a condition (a filter computed by the engine)."""
    frame = deals.fetch(f"SELECT seq FROM {{lines}} AS d WHERE {where} ORDER BY seq", params)
    return frame["seq"].astype("int64").tolist()


# --- deals → forecast ---------------------------------------------------------------------------------------------


def weighed(
    deals: Relation,
    stages: Sequence[str],
    probabilities: Mapping[str, float],
    bounds: tuple[float, float],
    use_column: bool,
    categories: Mapping[str, str],
) -> Relation:
    """Every deal with its probability `p` (ppm: won 100%, lost 0%, else its own column, else the stage table),
    forecast category and signing date (a won deal's entry date into the won step, else its close date)."""
    table = {i: round(float(probabilities[s]) * PPM) for i, s in enumerate(stages) if s in probabilities}
    by_stage, p1 = _codes_by_step(table)
    given, p2 = _codes("category", categories, "fc_", "VARCHAR")
    own = "p_ppm" if use_column else "CAST(NULL AS BIGINT)"
    commit, best = (round(b * PPM) for b in bounds)
    last = f"d{len(stages) - 1}"
    sql = f"""SELECT w.*, CASE WHEN status = 'lost' THEN 'lost' WHEN status = 'won' THEN 'closed'
                WHEN given IS NOT NULL THEN given WHEN p >= {commit} THEN 'commit'
                WHEN p >= {best} THEN 'best_case' ELSE 'pipeline' END AS forecast_category FROM (
            SELECT d.*, CASE WHEN status = 'won' THEN {PPM} WHEN status = 'lost' THEN 0
                    ELSE LEAST(GREATEST(COALESCE({own}, {by_stage}, 0), 0), {PPM}) END AS p,
                {given} AS given,
                CASE WHEN status = 'won' AND {last} IS NOT NULL THEN {last} ELSE close_date END AS signing_date
            FROM {{lines}} AS d) AS w"""
    return deals.derive(sql, {**p1, **p2})


def _codes_by_step(table: Mapping[int, int]) -> tuple[str, dict]:
    """CASE furthest WHEN i THEN :ppm_i … END (NULL for a step without a probability)."""
    if not table:
        return "CAST(NULL AS BIGINT)", {}
    params = {f"pk_{i}": int(p) for i, p in table.items()}
    whens = " ".join(f"WHEN furthest = {i} THEN CAST(:pk_{i} AS BIGINT)" for i in table)
    return f"CASE {whens} END", params


def period_sql(column: str, by: str) -> str:
    """The period of a date as year * 100 + quarter or month (NULL when undated)."""
    part = "QUARTER" if by == "quarter" else "MONTH"
    return f"(EXTRACT(YEAR FROM {column}) * 100 + EXTRACT({part} FROM {column}))"


def period_label(code: object, by: str) -> str:
    """'2026Q4' or '2026-11' from a period code; '—' for deals without a signing date."""
    if code is None or pd.isna(code):
        return "—"
    year, part = divmod(int(code), 100)
    return f"{year}Q{part}" if by == "quarter" else f"{year}-{part:02d}"


def exact_yuan(value: object, scale: int = 100) -> float:
    """An exact sum (an integer written as text, in 1/scale yuan) as the nearest float."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return 0.0
    return float(Fraction(int(str(value)), scale))


def forecast_sums(weighed_deals: Relation, by: str, group: str | None = None) -> pd.DataFrame:
    """Per period (and group): the exact weighted sum (cents × ppm, as text), category and open sums (cents), deals
    and open deals without an amount. Lost deals only when grouping (they weigh nothing but show their period)."""
    cents = "CAST(COALESCE(amount_cents, 0) AS DECIMAL(38, 0))"
    sums = ", ".join(
        f"SUM(CASE WHEN forecast_category = '{c}' THEN {cents} ELSE 0 END) AS cat_{c}"
        for c in ("closed", "commit", "best_case", "pipeline")
    )
    grouped = group is not None
    label = "CASE WHEN grp IS NULL OR grp = '' THEN '—' ELSE grp END" if grouped else "''"
    where = "" if grouped else "WHERE status <> 'lost'"
    return weighed_deals.fetch(
        f"""SELECT period, g, CAST(SUM({cents} * p) AS VARCHAR) AS weighted_e8, {sums},
                SUM(CASE WHEN status = 'open' THEN {cents} ELSE 0 END) AS open_cents, COUNT(*) AS deals,
                SUM(CASE WHEN status = 'open' AND amount_cents IS NULL THEN 1 ELSE 0 END) AS no_amount
            FROM (SELECT w.*, {period_sql("signing_date", by)} AS period, {label} AS g FROM {{lines}} AS w {where}) AS f
            GROUP BY period, g"""
    )


def weighed_frame(weighed_deals: Relation) -> pd.DataFrame:
    """The per-deal columns `weigh` adds, in `seq` order: p (0–1), forecast category, signing date."""
    frame = weighed_deals.fetch("SELECT seq, p, forecast_category, signing_date FROM {lines} AS w ORDER BY seq")
    frame["p"] = frame["p"].astype("float64") / PPM
    frame["signing_date"] = pd.to_datetime(frame["signing_date"]).astype("datetime64[ns]")
    return frame


# --- deals → the value × stage grid ------------------------------------------------------------------------------


def customer_stages(deals: Relation) -> pd.DataFrame:
    """Per customer key: a name, deals, the furthest step of its open or won deals (NULL: all lost), of any deal."""
    frame = deals.fetch(
        """SELECT customer_key, MIN(customer) AS customer, COUNT(*) AS deals,
                MAX(CASE WHEN status <> 'lost' THEN furthest END) AS live, MAX(furthest) AS furthest
            FROM {lines} AS d GROUP BY customer_key"""
    )
    return frame.sort_values("customer_key", kind="stable").reset_index(drop=True)
