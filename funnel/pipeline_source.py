"""A pipeline (CRM export) kept in an engine's table: Parquet, a DuckDB file, PostgreSQL or Spark.

The columns are detected on a sample of rows by the same rules as a file's (`load.pipeline_mapping`), the user's
options applied; every row is parsed in SQL into the pipeline rows `pipeline_sql` works from (column for column
what `stages.file_rows` gives for a file), and the deals, funnels and forecast sums are computed where the table
is. Amounts, probabilities and text dates are parsed by the file's own functions over their distinct values
(fetched, parsed, joined back as a lookup: bounded by distinct values, at most `table_rows.LOOKUP_LIMIT` per
column); a column with more distinct values is parsed by table_rows' SQL rules, as the sales path does, and named
in `Deals.parsed_in_sql` so the user is told.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace

import pandas as pd

from funnel.columns import header_scale
from funnel.engine import Engine, Relation, quote
from funnel.errors import FunnelError
from funnel.pipeline import PipelineMapping, shape_from_counts
from funnel.pipeline_sql import PipelineRows, repeated_deals
from funnel.table_rows import amount_stages, cents_of, clean_text, date_stages, is_total, name_key, nest
from funnel.values import parse_amounts, parse_dates

SAMPLE_ROWS = 5_000


class _Lookups:
    """The lookups one table's rows join: one per (column, parser), named lk0, lk1, …; a column with more than
    `table_rows.LOOKUP_LIMIT` distinct values is parsed by table_rows' SQL rules instead (`stages`, `in_sql`)."""

    def __init__(self, db: Engine, relation: str) -> None:
        self.db, self.relation = db, relation
        self.joins: list[str] = []
        self.params: dict[str, object] = {}
        self.seen: dict[tuple[str, str], str] = {}
        self.stages: list[list[str]] = []  # per column parsed in SQL: its nest() stages (table_rows.nest)
        self.in_sql: list[str] = []

    def value(
        self,
        column: str,
        kind: str,
        parse: Callable[[pd.Series], pd.Series],
        rules: Callable[[str, str, str], tuple[list[str], str]],
    ) -> str:
        """The parsed value of `column` from its distinct values (text: BIGINT or a date as text), or past
        LOOKUP_LIMIT from `rules(raw alias, out alias, prefix)`: SQL stages and the expression of the value."""
        from funnel import table_rows

        key = (column, kind)
        if key in self.seen:
            return self.seen[key]
        limit = table_rows.LOOKUP_LIMIT
        found = self.db.fetch(
            f"""SELECT DISTINCT CAST({quote(column)} AS VARCHAR) AS v FROM {self.relation} AS t
                WHERE {quote(column)} IS NOT NULL LIMIT {limit + 1}"""
        ).astype("object")
        if len(found) > limit:
            i = len(self.stages)
            raw = f"funnel_fb{i}"
            stages, expression = rules(raw, f"funnel_fbv{i}", f"funnel_fb{i}_")
            self.stages.append([f"s.{quote(column)} AS {raw}", *stages])
            if column not in self.in_sql:
                self.in_sql.append(column)
            self.seen[key] = expression
            return expression
        alias = f"lk{len(self.seen)}"
        frame = pd.DataFrame({"funnel_raw": found["v"], "funnel_value": parse(found["v"])})
        # named by what it holds: an engine keeps a lookup by name, and an app session keeps several deals relations
        # (other mappings of the same table) that must each go on reading their own
        name = hashlib.sha256("\x1f".join((self.relation, column, kind)).encode()).hexdigest()[:16]
        sql, params = self.db.lookup(f"funnel_pipeline_{name}", frame)
        self.params.update(params)
        self.joins.append(f" LEFT JOIN {sql} AS {alias} ON {alias}.funnel_raw = CAST(src.{quote(column)} AS VARCHAR)")
        self.seen[key] = f"{alias}.funnel_value"
        return self.seen[key]

    def source(self) -> str:
        """What the rows are read from: the table, with the SQL-parsed columns added when there are any."""
        if not self.stages:
            return self.relation
        return f"({nest(f'SELECT * FROM {self.relation} AS t', self.stages)})"


def _date_rules(kind: str) -> Callable[[str, str, str], tuple[list[str], str]]:
    """table_rows' SQL date rules for a column of `kind` (a DATE)."""
    return lambda raw, out, p: (date_stages(raw, kind, out, p), f"src.{out}")


def _amount_rules(kind: str, scale: float) -> Callable[[str, str, str], tuple[list[str], str]]:
    """table_rows' SQL amount rules: whole cents (BIGINT) rounded as a file's, NULL when not an amount."""
    return lambda raw, out, p: (amount_stages(raw, kind, out, p), cents_of(f"src.{out}", scale))


def _ppm_rules(kind: str) -> Callable[[str, str, str], tuple[list[str], str]]:
    """`stages.probability_ppm` on table_rows' SQL amount rules: '30%', 0.3 and 30 are 300,000 ppm."""

    def rules(raw: str, out: str, p: str) -> tuple[list[str], str]:
        c = f"({cents_of(f'src.{out}')})"
        ppm = f"CASE WHEN {c} < 0 OR {c} > 10000 THEN NULL WHEN {c} <= 100 THEN {c} * 10000 ELSE {c} * 100 END"
        return amount_stages(raw, kind, out, p), ppm

    return rules


def _cents(values: pd.Series, scale: float = 1.0) -> pd.Series:
    cents, bad = parse_amounts(values, scale=scale)
    return cents.astype("object").where(~bad, None)


def _days(values: pd.Series) -> pd.Series:
    days, bad = parse_dates(values)
    return days.dt.strftime("%Y-%m-%d").where(~bad, None)


def _ppm(values: pd.Series) -> pd.Series:
    from funnel.stages import probability_ppm

    ppm = probability_ppm(values)
    return ppm.astype("object").where(ppm.notna(), None).map(lambda v: None if v is None else int(v))


def pipeline_rows_sql(
    db: Engine, relation: str, kinds: dict[str, str], mapping: PipelineMapping, shape: str, keep: Sequence[str]
) -> tuple[Relation, tuple[str, ...]]:
    """Every row of a pipeline table as the pipeline rows relation (see `pipeline_sql`), parsed in SQL; and the
    columns parsed by the SQL rules (more distinct values than LOOKUP_LIMIT) rather than the file's parsers."""
    lookups = _Lookups(db, relation)

    def text_kind(column: str) -> str:
        return "number" if kinds.get(column) == "number" else "text"  # anything else is read as its text

    def text(column: str | None) -> str:
        return clean_text(column) if column else "''"

    def day(column: str | None) -> str:
        if column is None:
            return "CAST(NULL AS DATE)"
        if kinds.get(column) == "date":
            return f"CAST(src.{quote(column)} AS DATE)"
        return f"CAST({lookups.value(column, 'date', _days, _date_rules(text_kind(column)))} AS DATE)"

    amount = "CAST(NULL AS BIGINT)"
    if mapping.amount:
        scale = header_scale(mapping.amount)
        rules = _amount_rules(text_kind(mapping.amount), scale)
        value = lookups.value(mapping.amount, f"amount{scale}", lambda v: _cents(v, scale), rules)
        amount = f"CAST({value} AS BIGINT)"
    p_ppm = (
        f"CAST({lookups.value(mapping.probability, 'ppm', _ppm, _ppm_rules(text_kind(mapping.probability)))} AS BIGINT)"
        if mapping.probability
        else "CAST(NULL AS BIGINT)"
    )
    blank = " AND ".join(f"NULLIF(TRIM(CAST(src.{quote(c)} AS VARCHAR)), '') IS NULL" for c in kinds) or "TRUE"
    first = next(iter(kinds))
    numbered = f"ROW_NUMBER() OVER (ORDER BY src.{quote(first)})"  # Spark numbers rows only in an order
    deal = text(mapping.deal) if mapping.deal else f"'#' || CAST({numbered} AS VARCHAR)"
    event = day(mapping.event_date or mapping.date) if shape == "event_log" else "CAST(NULL AS DATE)"
    columns = [
        f"{deal} AS deal",
        f"{text(mapping.customer) if mapping.customer else 'NULL'} AS customer_text",
        f"{text(mapping.stage)} AS stage",
        f"{text(mapping.status)} AS status",
        f"{text(mapping.lost_stage)} AS lost_stage",
        f"{f'{text(mapping.lost_reason)} <> {chr(39) * 2}' if mapping.lost_reason else 'FALSE'} AS lost_reason",
        f"{amount} AS amount_cents",
        f"{p_ppm} AS p_ppm",
        f"{day(mapping.close_date)} AS close_date",
        f"{day(mapping.date)} AS created",
        f"{event} AS event_date",
        *(f"{text(getattr(mapping, r))} AS {r}" for r in ("category", "product", "region", "rep")),
        *(f"{day(column)} AS s{j}" for j, (_, column) in enumerate(mapping.stage_dates)),
        *(f"{text(column)} AS g{j}" for j, column in enumerate(keep)),
        f"{text(first)} AS first_text",
        f"({blank}) AS is_empty",
    ]
    inner = f"SELECT {', '.join(columns)} FROM {lookups.source()} AS src{''.join(lookups.joins)}"
    pre = f"""CASE WHEN is_empty THEN 'empty_row' WHEN {is_total("first_text")} OR {is_total("deal")} THEN 'total_row'
               WHEN deal = '' THEN 'blank_deal' END"""
    outer = f"""SELECT CAST(NULL AS BIGINT) AS row_no, CAST(NULL AS BIGINT) AS seq, {pre} AS pre, r.*,
            COALESCE(customer_text, deal) AS customer, {name_key("COALESCE(customer_text, deal)")} AS customer_key
        FROM ({inner}) AS r"""
    return Relation(db, outer, lookups.params), tuple(lookups.in_sql)


def table_sample(db: Engine, relation: str) -> pd.DataFrame:
    """The first SAMPLE_ROWS rows of a table (missing cells None): what its columns are detected on."""
    sample = db.fetch(f"SELECT * FROM {relation} AS t LIMIT {SAMPLE_ROWS}")
    return sample.astype("object").where(sample.notna(), None)


def table_shape(db: Engine, relation: str, mapping: PipelineMapping) -> str:
    """The input shape a table looks like (`pipeline.detect_shape` from its deal column's counts, on every row)."""
    counts = repeated_deals(Relation(db, f"SELECT * FROM {relation} AS t"), mapping.deal) if mapping.deal else None
    return shape_from_counts(mapping, *(counts or (0, 0)))


def table_deals(
    db: Engine,
    relation: str,
    overrides: dict[str, str | None] | None = None,
    stage_dates: dict[str, str] | None = None,
    order: list[str] | None = None,
    template: str | None = None,
    shape: str | None = None,
    value_map: dict[str, str] | None = None,
    keep: Sequence[str] = (),
    user_probabilities: dict[str, float] | None = None,
    strict: bool = True,
    mapping: PipelineMapping | None = None,
):
    """A pipeline table → Deals kept on its engine (`Deals.relation`), every row accounted, as `load_pipeline`.
    With `mapping` (the app's panel: every role as the user left it) nothing is detected; else the columns are
    detected on a sample and `overrides` / `stage_dates` put in."""
    from funnel.load import pipeline_mapping
    from funnel.pipeline import check_mapping
    from funnel.stages import build_deals, check_shape, template_for_data

    kinds = db.columns(relation)
    sample = table_sample(db, relation)
    detected = {}
    if mapping is None:
        mapping, detected = pipeline_mapping(sample, overrides, stage_dates, order, strict)
    check_mapping(sample, mapping)
    stages = order or (template_for_data(sample, template, mapping.stage) if template else None)
    shape = shape or table_shape(db, relation, mapping)
    check_shape(shape, mapping, list(kinds))
    for column in keep:
        if column not in kinds:
            raise FunnelError("schema_unknown_column", role=("col_group",), column=column, flag="--by")
    rows, in_sql = pipeline_rows_sql(db, relation, kinds, mapping, shape, keep)
    parsed = PipelineRows(rows, tuple(stage for stage, _ in mapping.stage_dates), tuple(keep))
    deals = build_deals(parsed, mapping, shape, stages, value_map, user_probabilities, strict, detected)
    return replace(deals, parsed_in_sql=in_sql)
