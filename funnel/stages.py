"""Stage funnels (销售漏斗): how many deals reach each sales stage, where they drop out, and the bottleneck.

Three input shapes, as CRMs and ERPs export them:
- snapshot: one row per deal with its current stage (won/lost are terminal values);
- stage_dates: one date column per stage (the date the deal entered it), HubSpot-style;
- event_log: one row per (deal, stage, date).
Whatever the shape, a deal that reached stage k has reached every stage before it, and a deal that moved back
counts once for every stage it ever reached. Reached counts therefore never increase along the order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from funnel.columns import header_scale
from funnel.detect import Detection
from funnel.engine import Relation, deals_table, quote
from funnel.errors import FunnelError
from funnel.pipeline import (
    PipelineMapping,
    check_mapping,
    detect_pipeline,
    detect_pipeline_mapping,
    detect_shape,
    resolve_stage_dates,
)
from funnel.pipeline_sql import (
    LOST_CODE,
    PPM,
    PipelineRows,
    Targets,
    date_scores,
    deal_account,
    deal_relation,
    deals_frame,
    deals_from_rows,
    distinct_values,
    funnel_sums,
    furthest_within,
    positions,
    probability_medians,
    row_account,
    targeted,
)
from funnel.read import RawReport
from funnel.schema import is_total, text_column
from funnel.stageorder import StageOrder, funnel_steps, order_from_counts
from funnel.values import name_key, on_distinct, parse_amounts, parse_dates
from funnel.vocab import LOST, WON, aliases, display_name, is_lost, is_won, stage_key, template_stages

__all__ = [
    "LOST",
    "WON",
    "Deals",
    "PipelineMapping",
    "StageFunnel",
    "breakdown",
    "classify_values",
    "compare",
    "detect_pipeline_mapping",
    "detect_shape",
    "dropped_at",
    "filter_deals",
    "first_date_range",
    "prepare_deals",
    "stage_funnel",
    "template_stages",
]

TEMPLATES: tuple[str, ...] = ("lead", "key4", "key_account", "aida")
SHAPES: tuple[str, ...] = ("snapshot", "stage_dates", "event_log")
PLACEMENTS: tuple[str, ...] = ("dates", "lost_stage_column", "current_stage", "first_stage")
MOSTLY = 0.5  # more than this share of stage values matching no stage: an error, not a funnel of the rest


def template_for_data(frame: pd.DataFrame, template: str, stage_column: str | None = None) -> list[str]:
    """A template's stages named in the data's own language: Chinese when the stage values (or the stage-date
    headers) are Chinese, else English."""
    probe = detect_pipeline_mapping([str(c) for c in frame.columns], template_stages(template, "zh"))
    column = stage_column or probe.stage
    values = frame[column].dropna().astype(str).head(200).tolist() if column in frame.columns else []
    chinese = any(re.search(r"[\u4e00-\u9fff]", v) for v in values) or bool(probe.stage_dates)
    return template_stages(template, "zh" if chinese else "en")


def stage_matcher(steps: Sequence[str], value_map: dict[str, str] | None = None) -> Callable[[object], object]:
    """raw value → step index, WON, LOST or None. The steps' own names first (the last step is won), then the
    won and lost words of every vocabulary, then other names of a step (its twin in the other language, a CRM's
    internal id); `value_map` (raw value → stage name, 'won' or 'lost') is the user's own and wins over all."""
    k = len(steps)
    exact = {stage_key(s): i for i, s in enumerate(steps)}
    known: dict[str, int] = {}
    for i, s in enumerate(steps):
        for key in aliases(s):
            known.setdefault(key, i)
    user = {stage_key(a): b for a, b in (value_map or {}).items()}

    def as_target(i: int | None) -> object:
        return None if i is None else WON if i == k - 1 else i

    def match(raw: object) -> object:
        key = stage_key(raw)
        if not key:
            return None
        if key in user:
            choice = user[key]
            return WON if choice == "won" else LOST if choice == "lost" else as_target(exact.get(stage_key(choice)))
        if key in exact:
            return as_target(exact[key])
        if is_won(raw):
            return WON
        if is_lost(raw):
            return LOST
        return as_target(known.get(key))

    return match


def classify_values(
    values: Sequence[object], stages: Sequence[str], value_map: dict[str, str] | None = None
) -> dict[str, int | str | None]:
    """Each distinct raw stage value → a stage index, WON, LOST, or None (maps to no stage)."""
    match = stage_matcher(stages, value_map)
    return {str(v): match(v) for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))}


@dataclass
class Deals:
    """One row per deal: how far it got, its status, its dates per stage; plus the row account.

    A file's deals are a frame (`deals`); an engine's table keeps them where they are (`relation`, `deals` None) and
    the analyses run there. `source` is whichever of the two the analyses take.
    """

    deals: pd.DataFrame | None
    stages: list[str]
    shape: str
    rows_read: int
    reasons: dict[str, int]
    left_out: pd.DataFrame
    unmapped: pd.DataFrame = field(default_factory=pd.DataFrame)
    lost_without_stage: int = 0
    missing_amount: int = 0
    order: StageOrder | None = None
    placements: dict[str, int] = field(default_factory=dict)
    mapping: PipelineMapping = field(default_factory=PipelineMapping)
    detections: dict[str, Detection] = field(default_factory=dict)
    unmatched_share: float = 0.0
    relation: Relation | None = field(default=None, repr=False)
    counts: dict[str, int] = field(default_factory=dict)  # deals, open ones without an amount, any dated
    keep: tuple[str, ...] = ()  # the extra report columns carried for a breakdown (by:<column>)
    parsed_in_sql: tuple[str, ...] = ()  # a table's text columns with too many distinct values for the file's parsers

    @property
    def rows_used(self) -> int:
        return self.rows_read - sum(self.reasons.values())

    @property
    def source(self) -> pd.DataFrame | Relation:
        """What the analyses take: the deals' relation on their engine, else the frame."""
        return self.relation if self.relation is not None else self.deals

    @property
    def n_deals(self) -> int:
        return int(self.counts.get("deals", 0 if self.deals is None else len(self.deals)))

    @property
    def has_dates(self) -> bool:
        return bool(self.counts.get("has_dates", 0))

    @property
    def mostly_unmatched(self) -> bool:
        return self.unmatched_share > MOSTLY

    def check_matched(self) -> None:
        """A clear error when most rows' stages match no stage (never a funnel of the remaining minority)."""
        if self.mostly_unmatched:
            raise FunnelError("stages_mostly_unmatched", **mostly_unmatched_params(self))

    @property
    def open_without_amount(self) -> int:
        """Open deals whose amount is blank or not a number (not in any forecast sum)."""
        return int(self.counts.get("open_without_amount", 0))

    def group_column(self, by: str) -> str:
        """The column a breakdown by `by` reads: product, region, rep, or a kept report column (by:<column>)."""
        if by in self.keep:
            return f"by:{by}" if self.relation is None else f"g{self.keep.index(by)}"
        return by


def mostly_unmatched_params(deals: Deals) -> dict[str, str]:
    """The share of unmatched stage values, the values with their rows, and the stage order, for the error."""
    listed = "、".join(f"{r.value} ({r.rows})" for r in deals.unmapped.head(12).itertuples(index=False))
    return {"share": f"{deals.unmatched_share:.0%}", "values": listed, "stages": "、".join(deals.stages)}


REASONS: tuple[str, ...] = ("empty_row", "total_row", "note_row", "blank_deal", "unknown_stage", "bad_date")


def probability_ppm(series: pd.Series) -> pd.Series:
    """Probabilities in millionths: '30%' and 0.3 and a bare 30 all mean 300,000; anything else is NaN. Whole
    numbers, so a weighted sum is exact on every engine (a probability is read to the cent of its number)."""
    cents, bad = parse_amounts(series)
    ppm = np.where(cents <= 100, cents * 10_000, cents * 100).astype("float64")
    return pd.Series(np.where(bad | (cents < 0) | (cents > 10_000), np.nan, ppm), index=series.index)


def _probabilities(series: pd.Series) -> pd.Series:
    """Probabilities in [0, 1]: '30%' and 0.3 and a bare 30 all mean 30%; anything else is NaN."""
    return probability_ppm(series) / PPM


def file_rows(raw: RawReport, mapping: PipelineMapping, shape: str, keep: Sequence[str] = ()) -> pd.DataFrame:
    """A pipeline file's rows parsed as a file's values are (text cleaned, amounts, probabilities, dates), with the
    reasons that need the file's own cells (empty, total, note rows; blank deal ids): the pipeline rows that
    `pipeline_sql` takes over from here, column for column what `pipeline_rows` gives for a table."""
    frame = raw.frame.reset_index(drop=True)
    n = len(frame)
    numbers = raw.row_numbers.reset_index(drop=True)
    pre = pd.Series([None] * n, dtype="object")

    def mark(mask, code: str) -> None:
        pre[np.asarray(mask, dtype=bool) & pre.isna().to_numpy()] = code

    def text(column: str | None) -> pd.Series:
        return text_column(frame[column]) if column else pd.Series([""] * n, dtype="object")

    def dates(column: str | None) -> pd.Series:
        return parse_dates(frame[column])[0] if column else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")

    mark(frame.isna().all(axis=1), "empty_row")
    first = text_column(frame.iloc[:, 0])
    deal = text(mapping.deal) if mapping.deal else pd.Series([f"#{r}" for r in numbers], dtype="object")
    mark(is_total(first) | is_total(deal), "total_row")
    stage = text(mapping.stage)
    mark((frame.notna().sum(axis=1) == 1) & (stage == ""), "note_row")  # 'Confidential…', '制表人：…'
    mark(deal == "", "blank_deal")
    customer = text(mapping.customer) if mapping.customer else deal
    if mapping.amount:
        cents, bad = parse_amounts(frame[mapping.amount], scale=header_scale(mapping.amount))
        amount = cents.astype("float64").where(~bad)
    else:
        amount = pd.Series(np.nan, index=frame.index)
    rows = pd.DataFrame(
        {
            "row_no": numbers.to_numpy(dtype="int64"),
            "seq": np.arange(n, dtype="int64"),
            "pre": pre,
            "deal": deal,
            "customer": customer,
            "customer_key": on_distinct(customer, lambda u: u.map(name_key), "").astype("object"),
            "stage": stage,
            "status": text(mapping.status),
            "lost_stage": text(mapping.lost_stage),
            "lost_reason": (text(mapping.lost_reason) != "").to_numpy() if mapping.lost_reason else False,
            "amount_cents": amount,
            "p_ppm": probability_ppm(frame[mapping.probability]) if mapping.probability else np.nan,
            "close_date": dates(mapping.close_date),
            "created": dates(mapping.date),
            "event_date": dates(mapping.event_date or mapping.date) if shape == "event_log" else dates(None),
            "category": text(mapping.category),
            "product": text(mapping.product),
            "region": text(mapping.region),
            "rep": text(mapping.rep),
        }
    )
    for j, (_, column) in enumerate(mapping.stage_dates):
        rows[f"s{j}"] = dates(column)
    for j, column in enumerate(keep):
        rows[f"g{j}"] = text(column)
    return rows


def prepare_deals(
    raw: RawReport | pd.DataFrame,
    stages: Sequence[str] | None = None,
    mapping: PipelineMapping | None = None,
    shape: str | None = None,
    value_map: dict[str, str] | None = None,
    keep: Sequence[str] = (),
    user_probabilities: dict[str, float] | None = None,
    strict: bool = True,
) -> Deals:
    """Turn a pipeline export into one row per deal, accounting for every input row.

    `stages` is the user's order (None: inferred from the file); the won step is always the last step.
    `keep` names extra report columns to carry onto each deal (to break the funnel down by them). With `strict`,
    most rows matching no stage is an error listing the values. The file's cells are parsed here; the deals are
    derived by the same SQL as an engine's table (`build_deals`), over the parsed rows in the in-memory DuckDB.
    """
    if isinstance(raw, pd.DataFrame):
        raw = RawReport(frame=raw, sheet="", sheets=[], header_row=1, row_numbers=pd.Series(range(2, len(raw) + 2)))
    frame = raw.frame.reset_index(drop=True)
    detections: dict[str, Detection] = {}
    if mapping is None:
        found = detect_pipeline(frame, stages or ())
        mapping, detections = found.mapping, found.detections
    check_mapping(frame, mapping)
    shape = shape or detect_shape(frame, mapping)
    check_shape(shape, mapping, [str(c) for c in frame.columns])
    for column in keep:
        if column not in frame.columns:
            raise FunnelError("schema_unknown_column", role=("col_group",), column=column, flag="--by")
    rows = deals_table(file_rows(raw, mapping, shape, keep), "file_pipeline", whole=("amount_cents", "p_ppm"))
    names = tuple(stage for stage, _ in mapping.stage_dates)
    parsed = PipelineRows(rows, names, tuple(keep))
    return build_deals(parsed, mapping, shape, stages, value_map, user_probabilities, strict, detections, frame)


def check_shape(shape: str, mapping: PipelineMapping, columns: Sequence[str]) -> None:
    """A known shape, and a stage (or status) column for the shapes that read one."""
    if shape not in SHAPES:
        raise FunnelError("stages_bad_shape", value=shape)
    if shape in ("snapshot", "event_log") and not mapping.stage and not mapping.status:
        raise FunnelError("stages_no_stage_column", columns="、".join(columns))


def order_of(
    rows: PipelineRows,
    values: dict[str, pd.DataFrame],
    mapping: PipelineMapping,
    stages: Sequence[str] | None = None,
    user_probabilities: dict[str, float] | None = None,
) -> StageOrder:
    """The funnel's steps: the user's order (won step added or moved last), else inferred from the distinct stage
    values, with the probability medians and stage-date scores asked of the engine only when needed."""
    counts = values["stage"][["value", "rows"]] if mapping.stage else pd.DataFrame(columns=["value", "rows"])
    if stages:
        spelled = [v for v in counts["value"] if is_won(v)]
        return StageOrder(tuple(funnel_steps(stages, display_name(spelled[0]) if spelled else None)), "user")
    column_of = {stage_key(name): j for j, (name, _) in enumerate(mapping.stage_dates)}
    return order_from_counts(
        counts,
        [name for name, _ in mapping.stage_dates],
        (lambda keys: probability_medians(rows, keys)) if mapping.probability else None,
        lambda keys: date_scores(rows, {k: column_of[k] for k in keys}),
        user_probabilities,
        values["status"]["value"].tolist() if mapping.status else (),
    )


def build_deals(
    rows: PipelineRows,
    mapping: PipelineMapping,
    shape: str,
    stages: Sequence[str] | None = None,
    value_map: dict[str, str] | None = None,
    user_probabilities: dict[str, float] | None = None,
    strict: bool = True,
    detections: dict[str, Detection] | None = None,
    frame: pd.DataFrame | None = None,
) -> Deals:
    """Parsed pipeline rows (a file's or a table's) → deals, on their engine: the distinct stage values are
    classified here (vocabularies, the user's words, the stage order), everything per row in SQL. With `frame`
    (a file's cells) the deals come back as a frame and the rows left out are listed; a table keeps them."""
    values = distinct_values(rows)
    order = order_of(rows, values, mapping, stages, user_probabilities)
    steps = list(order.stages)
    if len(steps) < 2:
        raise FunnelError("stages_too_few" if stages else "stages_no_open_values")
    if len({stage_key(s) for s in steps}) != len(steps):
        raise FunnelError("stages_duplicate")
    dated = resolve_stage_dates(mapping.stage_dates, steps)
    if shape == "stage_dates" and len(dated) < 1:
        raise FunnelError("stages_no_date_columns")
    if shape == "event_log" and not mapping.deal:
        raise FunnelError("stages_no_deal_column")
    if shape == "event_log" and not (mapping.event_date or mapping.date):
        raise FunnelError("stages_no_date_column")
    k = len(steps)
    match = stage_matcher(steps, value_map)

    def code(target: object) -> int | None:
        return k - 1 if target == WON else LOST_CODE if target == LOST else None if target is None else int(target)

    said = {WON: "won", LOST: "lost"}
    targets = Targets(
        stage={v: code(match(v)) for v in values["stage"]["value"]},
        status={v: said.get(match(v)) for v in values["status"]["value"]},
        lost_at={v: t for v in values["lost_stage"]["value"] if isinstance(t := match(v), int | np.integer)},
    )
    has_lost_reason = bool(mapping.lost_reason) and not mapping.status
    classified = rows.relation.engine.keep(
        targeted(rows, k, targets, shape, bool(mapping.status), has_lost_reason), "funnel_pipeline_rows"
    )
    rows_read, reasons, unmapped, share = row_account(classified)
    column_of = {column: j for j, (_, column) in enumerate(mapping.stage_dates)}
    by_step = {i: column_of[dated[step]] for i, step in enumerate(steps) if step in dated}
    deals = deals_from_rows(classified, k, shape, by_step, len(rows.keep))
    account = deal_account(deals, k)
    frame_of_deals, left_out = None, pd.DataFrame()
    if frame is not None:
        frame_of_deals = deals_frame(deals, k, rows.keep, "deal" if shape == "event_log" else "seq")
        left_out = _left_out(classified, frame)
    result = Deals(
        deals=frame_of_deals,
        stages=steps,
        shape=shape,
        rows_read=rows_read,
        reasons={code_: reasons[code_] for code_ in REASONS if reasons.get(code_)},
        left_out=left_out,
        unmapped=unmapped,
        lost_without_stage=account["first_stage"],
        missing_amount=account["missing_amount"],
        order=order,
        placements={p: account[p] for p in PLACEMENTS},
        mapping=mapping,
        detections=detections or {},
        unmatched_share=share,
        relation=None if frame is not None else deals,
        counts=account,
        keep=rows.keep,
    )
    if strict:
        result.check_matched()
        if order.unplaced:
            raise FunnelError("stages_order_unknown", values="、".join(order.unplaced))
    return result


def _left_out(rows: Relation, frame: pd.DataFrame) -> pd.DataFrame:
    """A file's rows left out, as they were, with their row number and reason."""
    out = rows.fetch("SELECT seq, row_no, reason FROM {lines} AS r WHERE reason IS NOT NULL ORDER BY seq")
    left = frame.iloc[out["seq"].astype("int64").to_numpy()].copy()
    left.insert(0, "reason", out["reason"].to_numpy())
    left.insert(0, "row", out["row_no"].astype("int64").to_numpy())
    return left.reset_index(drop=True)


@dataclass(frozen=True)
class StageFunnel:
    """Per stage: reached, amount, conversions, drop-off, days to next; plus the bottleneck and win rate."""

    table: pd.DataFrame
    bottleneck: int | None  # index of the step k → k+1 with the largest drop-off share
    win_rate: float | None
    won: int
    lost: int

    @property
    def stages(self) -> list[str]:
        return self.table["stage"].tolist()


def _funnel(sums: pd.Series | None, stages: Sequence[str]) -> StageFunnel:
    """A stage funnel from the engine's sums for one group (None: no deal): conversions, drop-off and the
    bottleneck are arithmetic on k numbers."""
    k = len(stages)

    def get(name: str, default: float = 0) -> float:
        return default if sums is None or pd.isna(sums[name]) else sums[name]

    counts = np.array([int(get(f"r{i}")) for i in range(k)], dtype="int64")
    amount = np.array([int(get(f"a{i}")) for i in range(k)], dtype="int64") / 100
    nxt = np.append(counts[1:], 0)
    dropped = np.where(np.arange(k) < k - 1, counts - nxt, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(np.arange(k) == 0, 1.0, counts / np.where(np.roll(counts, 1) > 0, np.roll(counts, 1), np.nan))
        cumulative = counts / counts[0] if counts[0] else np.full(k, np.nan)
        drop_share = np.where(np.arange(k) < k - 1, dropped / np.where(counts > 0, counts, np.nan), np.nan)
    days = [float(get(f"m{i}", np.nan)) for i in range(k - 1)] + [np.nan]
    table = pd.DataFrame(
        {
            "stage": list(stages),
            "reached": counts,
            "amount": amount,
            "step_conversion": step,
            "cumulative_conversion": cumulative,
            "dropped": dropped.astype(int),
            "drop_share": drop_share,
            "median_days_to_next": days,
        }
    )
    steps = table["drop_share"].iloc[: k - 1]
    bottleneck = int(steps.idxmax()) if steps.notna().any() and steps.max() > 0 else None
    won, lost = int(get("won")), int(get("lost"))
    win_rate = won / (won + lost) if won + lost else None
    return StageFunnel(table, bottleneck, win_rate, won, lost)


def stage_funnel(deals: pd.DataFrame | Relation, stages: Sequence[str], window_days: int | None = None) -> StageFunnel:
    """The funnel over the defined stage order (never sorted by value), counted by the engine."""
    sums = funnel_sums(deal_relation(deals, len(stages)), len(stages), window_days)
    return _funnel(sums.iloc[0] if len(sums) else None, stages)


def breakdown(
    deals: pd.DataFrame | Relation, stages: Sequence[str], by: str, window_days: int | None = None
) -> dict[str, StageFunnel]:
    """One funnel per value of `by` (product, region, rep…), largest group first (ties by name); one query."""
    k = len(stages)
    if isinstance(deals, Relation):
        relation = deals.derive(f"SELECT d.*, {quote(by)} AS grp FROM {{lines}} AS d")
    else:
        relation = deal_relation(deals, k, group=by)
    sums = funnel_sums(relation, k, window_days, grouped=True)
    sums = sums.assign(n=sums["deals"].astype("int64")).sort_values(["n", "g"], ascending=[False, True])
    return {str(row["g"]): _funnel(row, stages) for _, row in sums.iterrows()}


def compare(before: StageFunnel, after: StageFunnel) -> pd.DataFrame:
    """Step conversion in each funnel and the change in percentage points (after − before)."""
    a, b = before.table.set_index("stage"), after.table.set_index("stage")
    out = pd.DataFrame(
        {
            "stage": a.index,
            "reached_before": a["reached"].to_numpy(),
            "reached_after": b["reached"].reindex(a.index).to_numpy(),
            "conversion_before": a["step_conversion"].to_numpy(),
            "conversion_after": b["step_conversion"].reindex(a.index).to_numpy(),
        }
    )
    out["change_pp"] = (out["conversion_after"] - out["conversion_before"]) * 100
    return out


def dropped_at(
    deals: pd.DataFrame | Relation,
    stages: Sequence[str],
    step: int,
    window_days: int | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> pd.DataFrame:
    """The deals that reached stage `step` but not the next one (open ones included, with their status). A frame's
    are all returned; an engine's come a page at a time (`limit` from `offset`, by deal id)."""
    k = len(stages)
    if step >= k - 1:
        return deals.iloc[0:0] if isinstance(deals, pd.DataFrame) else pd.DataFrame()
    fw = furthest_within(k, window_days)
    if isinstance(deals, pd.DataFrame):
        found = positions(deal_relation(deals, k), f"({fw}) = {int(step)}")
        return deals.iloc[found].reset_index(drop=True)
    page = deals.derive(
        f"""SELECT * FROM {{lines}} AS d WHERE ({fw}) = {int(step)}
            ORDER BY deal LIMIT {int(limit)} OFFSET {int(offset)}"""
    )
    return deals_frame(page, k, (), "deal") if limit else pd.DataFrame()


def first_date_range(deals: pd.DataFrame | Relation) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Earliest and latest date a deal entered the first stage (or was created); None without dates."""
    relation = deal_relation(deals, 1)
    row = relation.fetch("SELECT MIN(COALESCE(d0, created)) AS a, MAX(COALESCE(d0, created)) AS b FROM {lines} AS d")
    first, last = row["a"].iloc[0], row["b"].iloc[0]
    return None if pd.isna(first) else (pd.Timestamp(first), pd.Timestamp(last))


def filter_deals(
    deals: pd.DataFrame | Relation, start: object | None = None, end: object | None = None
) -> pd.DataFrame | Relation:
    """Deals whose first date (entered the first stage, else created) falls in [start, end]."""
    conditions, params = [], {}
    for name, op, value in (("start", ">=", start), ("end", "<=", end)):
        if value is not None:
            conditions.append(f"COALESCE(d0, created) {op} :first_{name}")
            params[f"first_{name}"] = pd.Timestamp(value).date()
    if not conditions:
        return deals
    where = " AND ".join(conditions)
    if isinstance(deals, Relation):
        return deals.derive(f"SELECT * FROM {{lines}} AS d WHERE {where}", params)
    return deals.iloc[positions(deal_relation(deals, 1), where, params)]
