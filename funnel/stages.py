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
from funnel.errors import FunnelError
from funnel.pipeline import (
    PipelineMapping,
    check_mapping,
    detect_pipeline,
    detect_pipeline_mapping,
    detect_shape,
    resolve_stage_dates,
)
from funnel.read import RawReport
from funnel.schema import is_total, text_column
from funnel.stageorder import StageOrder, funnel_steps, infer_order
from funnel.values import name_key, parse_amounts, parse_dates
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
    """One row per deal: how far it got, its status, its dates per stage; plus the row account."""

    deals: pd.DataFrame
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

    @property
    def rows_used(self) -> int:
        return self.rows_read - sum(self.reasons.values())

    @property
    def has_dates(self) -> bool:
        return bool(self.deals[[f"d{k}" for k in range(len(self.stages))]].notna().to_numpy().any())

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
        d = self.deals
        return int(((d["status"] == "open") & d["amount_cents"].isna()).sum())


def mostly_unmatched_params(deals: Deals) -> dict[str, str]:
    """The share of unmatched stage values, the values with their rows, and the stage order, for the error."""
    listed = "、".join(f"{r.value} ({r.rows})" for r in deals.unmapped.head(12).itertuples(index=False))
    return {"share": f"{deals.unmatched_share:.0%}", "values": listed, "stages": "、".join(deals.stages)}


REASONS: tuple[str, ...] = ("empty_row", "total_row", "note_row", "blank_deal", "unknown_stage", "bad_date")


def _probabilities(series: pd.Series) -> pd.Series:
    """Probabilities in [0, 1]: '30%' and 0.3 and a bare 30 all mean 30%; anything else is NaN."""
    cents, bad = parse_amounts(series)
    p = cents / 100.0
    p = p.where(p <= 1.0, p / 100.0)
    return p.where(~bad & (p >= 0) & (p <= 1))


def stage_order_of(
    frame: pd.DataFrame,
    mapping: PipelineMapping,
    stages: Sequence[str] | None = None,
    user_probabilities: dict[str, float] | None = None,
    dates_of: Callable[[str], pd.Series] | None = None,
) -> StageOrder:
    """The funnel's steps: the user's order (won step added or moved last), else inferred from the file."""
    values = frame[mapping.stage] if mapping.stage else pd.Series(dtype="object")
    if stages:
        spelled = [v for v in values.dropna().astype(str).str.strip().value_counts().index if is_won(v)]
        return StageOrder(tuple(funnel_steps(stages, display_name(spelled[0]) if spelled else None)), "user")
    dates_of = dates_of or (lambda column: parse_dates(frame[column])[0])
    probability = _probabilities(frame[mapping.probability]) if mapping.probability else None
    entered = {name: dates_of(column) for name, column in mapping.stage_dates}
    status = frame[mapping.status] if mapping.status else None
    return infer_order(values, probability, entered, user_probabilities, status)


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
    most rows matching no stage is an error listing the values.
    """
    if isinstance(raw, pd.DataFrame):
        raw = RawReport(frame=raw, sheet="", sheets=[], header_row=1, row_numbers=pd.Series(range(2, len(raw) + 2)))
    frame = raw.frame.reset_index(drop=True)
    detections: dict[str, Detection] = {}
    if mapping is None:
        found = detect_pipeline(frame, stages or ())
        mapping, detections = found.mapping, found.detections
    check_mapping(frame, mapping)
    parsed: dict[str, tuple[pd.Series, pd.Series]] = {}

    def dates(column: str) -> tuple[pd.Series, pd.Series]:
        if column not in parsed:
            parsed[column] = parse_dates(frame[column])
        return parsed[column]

    shape = shape or detect_shape(frame, mapping)
    if shape not in SHAPES:
        raise FunnelError("stages_bad_shape", value=shape)
    if shape in ("snapshot", "event_log") and not mapping.stage and not mapping.status:
        raise FunnelError("stages_no_stage_column", columns="、".join(map(str, frame.columns)))
    order = stage_order_of(frame, mapping, stages, user_probabilities, lambda c: dates(c)[0])
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

    n = len(frame)
    reason = pd.Series([None] * n, dtype="object")

    def mark(mask, code: str) -> None:
        reason[np.asarray(mask) & reason.isna().to_numpy()] = code

    mark(frame.isna().all(axis=1), "empty_row")
    first = text_column(frame.iloc[:, 0])
    deal_text = (
        text_column(frame[mapping.deal])
        if mapping.deal
        else pd.Series([f"#{r}" for r in raw.row_numbers], dtype="object")
    )
    mark(is_total(first) | is_total(deal_text), "total_row")
    stage_text = text_column(frame[mapping.stage]) if mapping.stage else pd.Series([""] * n, dtype="object")
    mark((frame.notna().sum(axis=1) == 1) & (stage_text == ""), "note_row")  # 'Confidential…', '制表人：…'
    mark(deal_text == "", "blank_deal")

    match = stage_matcher(steps, value_map)
    target = _on_values(stage_text, match)
    lost_from_status = pd.Series(False, index=frame.index)
    if mapping.status:
        said = _on_values(text_column(frame[mapping.status]), match)
        won_said, lost_said = said == WON, said == LOST
        lost_from_status = lost_said & target.map(lambda v: isinstance(v, int | np.integer))
        target = target.where(~won_said, WON).where(~(lost_said & ~lost_from_status), LOST)
    elif mapping.lost_reason:
        gave_reason = text_column(frame[mapping.lost_reason]) != ""
        lost_from_status = gave_reason & target.map(lambda v: isinstance(v, int | np.integer))
    unmapped_mask = (stage_text != "") & target.isna()
    candidates = reason.isna() & (stage_text != "")
    unmapped = stage_text[unmapped_mask & reason.isna()].value_counts().rename_axis("value").reset_index(name="rows")
    unmatched_share = float((unmapped_mask & candidates).sum() / candidates.sum()) if candidates.any() else 0.0
    if shape != "stage_dates":
        mark(target.isna(), "unknown_stage")

    event_dates = None
    if shape == "event_log":
        column = mapping.event_date or mapping.date
        if not column:
            raise FunnelError("stages_no_date_column")
        event_dates, bad = dates(column)
        mark(bad, "bad_date")

    used = reason.isna().to_numpy()
    amount_cents, bad_amount = (
        parse_amounts(frame[mapping.amount], scale=header_scale(mapping.amount))
        if mapping.amount
        else (pd.Series(0, index=frame.index), pd.Series(True, index=frame.index))
    )
    k = len(steps)
    per_row = pd.DataFrame(
        {
            "row": raw.row_numbers.reset_index(drop=True),
            "deal": deal_text,
            "customer": text_column(frame[mapping.customer]) if mapping.customer else deal_text,
            "target": target,
            "amount_cents": amount_cents.where(~bad_amount),
            "product": text_column(frame[mapping.product]) if mapping.product else "",
            "region": text_column(frame[mapping.region]) if mapping.region else "",
            "rep": text_column(frame[mapping.rep]) if mapping.rep else "",
            "lost_from_status": lost_from_status.to_numpy(),
        }
    )
    for role in ("close_date", "date"):
        column = getattr(mapping, role)
        per_row[role] = dates(column)[0] if column else pd.NaT
    per_row["probability"] = _probabilities(frame[mapping.probability]) if mapping.probability else np.nan
    per_row["category"] = text_column(frame[mapping.category]) if mapping.category else ""
    for column in keep:
        if column not in frame.columns:
            raise FunnelError("schema_unknown_column", role=("col_group",), column=column, flag="--by")
        per_row[f"by:{column}"] = text_column(frame[column])
    for i, stage in enumerate(steps):
        column = dated.get(stage)
        per_row[f"d{i}"] = dates(column)[0] if column else pd.NaT
    lost_at = None
    if mapping.lost_stage:
        lost_at = _on_values(text_column(frame[mapping.lost_stage]), match)
    per_row = per_row[used]

    if shape == "event_log":
        deals = _from_events(per_row, event_dates[used], k)
    else:
        deals = _from_rows(per_row, k, shape, lost_at[used] if lost_at is not None else None)

    deals["customer_key"] = deals["customer"].map(name_key)
    left_out = frame[~used].copy()
    left_out.insert(0, "reason", reason[~used].to_numpy())
    left_out.insert(0, "row", raw.row_numbers.reset_index(drop=True)[~used].to_numpy())
    counts = reason[~used].value_counts()
    reasons = {code: int(counts.get(code, 0)) for code in REASONS if counts.get(code, 0)}
    lost = deals[deals["status"] == "lost"]
    placed = lost["placed"].value_counts()
    result = Deals(
        deals=deals.reset_index(drop=True),
        stages=steps,
        shape=shape,
        rows_read=n,
        reasons=reasons,
        left_out=left_out.reset_index(drop=True),
        unmapped=unmapped,
        lost_without_stage=int(placed.get("first_stage", 0)),
        missing_amount=int(deals["amount_cents"].isna().sum()),
        order=order,
        placements={p: int(placed.get(p, 0)) for p in PLACEMENTS},
        mapping=mapping,
        detections=detections,
        unmatched_share=unmatched_share,
    )
    if strict:
        result.check_matched()
        if order.unplaced:
            raise FunnelError("stages_order_unknown", values="、".join(order.unplaced))
    return result


def _on_values(text: pd.Series, match: Callable[[object], object]) -> pd.Series:
    """`match` applied once per distinct value ('' → None)."""
    table = {v: match(v) for v in text.unique() if v}
    return text.map(lambda v: table.get(v) if v else None).astype("object")


def _from_rows(rows: pd.DataFrame, k: int, shape: str, lost_at: pd.Series | None) -> pd.DataFrame:
    """Snapshot and stage-date rows: one deal per row.

    A lost deal reached the furthest stage any evidence shows, in order of trust: its stage-entry dates, a
    lost-at-stage column, the stage it was in when a status (or lost-reason) column marks it lost; with none of
    these only the first stage. `placed` says which.
    """
    deals = rows.copy()
    target = deals["target"]
    dates = deals[[f"d{i}" for i in range(k)]]
    from_dates = dates.notna().to_numpy()
    furthest_dated = np.where(from_dates.any(axis=1), k - 1 - np.argmax(from_dates[:, ::-1], axis=1), -1)
    status = np.where(target == WON, "won", np.where(target == LOST, "lost", "open"))
    lost_status = deals["lost_from_status"].to_numpy()
    status = np.where(lost_status, "lost", status)
    current = pd.to_numeric(target.where(~target.isin([WON, LOST])), errors="coerce").fillna(-1).astype(int).to_numpy()
    lost = status == "lost"
    lost_known = np.full(len(deals), -1)
    if lost_at is not None:
        lost_known = (
            pd.to_numeric(lost_at.where(~lost_at.isin([WON, LOST])), errors="coerce").fillna(-1).astype(int).to_numpy()
        )
    by_dates = np.minimum(furthest_dated, k - 2)
    by_status = np.where(lost_status, current, -1)
    evidence = np.stack([by_dates, lost_known, by_status], axis=1)
    best = evidence.max(axis=1)
    source = np.array(PLACEMENTS[:3])[np.argmax(evidence == best[:, None], axis=1)]
    furthest = np.where(status == "won", k - 1, current)
    furthest = np.where(lost, best, furthest)
    if shape == "stage_dates":
        furthest = np.where(status == "open", np.maximum(furthest, furthest_dated), furthest)
        status = np.where((status == "open") & (furthest_dated == k - 1), "won", status)
        furthest = np.where(status == "won", k - 1, furthest)
    placed = np.where(lost & (best >= 0), source, np.where(lost, "first_stage", ""))
    deals["furthest"] = np.where(furthest < 0, 0, furthest)
    deals["status"] = status
    deals["placed"] = placed
    deals["lost_stage_known"] = ~(lost & (best < 0))
    return deals.drop(columns=["target", "lost_from_status"])


def _from_events(rows: pd.DataFrame, dates: pd.Series, k: int) -> pd.DataFrame:
    """Event-log rows: a deal's furthest stage is the furthest it ever reached (moving back does not undo it)."""
    ev = rows.assign(event_date=dates.to_numpy())
    stage_rows = ev[~ev["target"].isin([WON, LOST])].copy()
    stage_rows["target"] = stage_rows["target"].astype(int)
    furthest = stage_rows.groupby("deal")["target"].max()
    entered = stage_rows.groupby(["deal", "target"])["event_date"].min().unstack()
    outcome = ev[ev["target"].isin([WON, LOST])].sort_values("event_date").groupby("deal")["target"].last()
    last = ev.sort_values("event_date", kind="stable").groupby("deal").last()
    deals = pd.DataFrame(index=last.index)
    carried = ["row", "customer", "product", "region", "rep", "close_date", "probability", "category"]
    for column in carried + [c for c in rows.columns if c.startswith("by:")]:
        deals[column] = last[column]
    deals["amount_cents"] = (
        ev.dropna(subset=["amount_cents"]).sort_values("event_date").groupby("deal")["amount_cents"].last()
    )
    deals["date"] = ev.groupby("deal")["event_date"].min()
    status = outcome.reindex(deals.index).map({WON: "won", LOST: "lost"}).fillna("open")
    reach = furthest.reindex(deals.index)
    won_dates = ev[ev["target"] == WON].groupby("deal")["event_date"].min()
    for i in range(k):
        deals[f"d{i}"] = entered[i].reindex(deals.index) if i in entered.columns else pd.NaT
    deals[f"d{k - 1}"] = deals[f"d{k - 1}"].fillna(won_dates.reindex(deals.index))
    reach = np.where(status == "won", k - 1, np.minimum(reach.fillna(-1).to_numpy(), k - 2))
    is_lost_ = (status == "lost").to_numpy()
    deals["furthest"] = np.where(reach < 0, 0, reach).astype(int)
    deals["status"] = status.to_numpy()
    deals["placed"] = np.where(is_lost_ & (reach >= 0), "dates", np.where(is_lost_, "first_stage", ""))
    deals["lost_stage_known"] = ~(is_lost_ & (reach < 0))
    return deals.reset_index()


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


def reached_matrix(deals: pd.DataFrame, k: int, window_days: int | None = None) -> np.ndarray:
    """deals × stages: did the deal reach the stage (within `window_days` of entering the first, if given)?"""
    furthest = deals["furthest"].to_numpy()
    reached = np.arange(k)[None, :] <= furthest[:, None]
    if window_days is None:
        return reached
    dates = deals[[f"d{i}" for i in range(k)]].apply(pd.to_datetime)
    start = dates["d0"].fillna(deals.get("date", pd.NaT))
    lag = dates.sub(start, axis=0).apply(lambda c: c.dt.days).to_numpy()
    within = reached & ~np.isnan(lag) & (lag <= window_days)
    within[:, 0] = reached[:, 0]
    return np.flip(np.logical_or.accumulate(np.flip(within, axis=1), axis=1), axis=1)  # reach k if within at j ≥ k


def stage_funnel(deals: pd.DataFrame, stages: Sequence[str], window_days: int | None = None) -> StageFunnel:
    """The funnel over the defined stage order (never sorted by value)."""
    k = len(stages)
    reached = reached_matrix(deals, k, window_days)
    counts = reached.sum(axis=0).astype(int)
    amounts = deals["amount_cents"].fillna(0).to_numpy()
    amount = (reached * amounts[:, None]).sum(axis=0) / 100
    nxt = np.append(counts[1:], 0)
    dropped = np.where(np.arange(k) < k - 1, counts - nxt, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(np.arange(k) == 0, 1.0, counts / np.where(np.roll(counts, 1) > 0, np.roll(counts, 1), np.nan))
        cumulative = counts / counts[0] if counts[0] else np.full(k, np.nan)
        drop_share = np.where(np.arange(k) < k - 1, dropped / np.where(counts > 0, counts, np.nan), np.nan)
    days = []
    for i in range(k):
        if i == k - 1:
            days.append(np.nan)
            continue
        a, b = pd.to_datetime(deals[f"d{i}"]), pd.to_datetime(deals[f"d{i + 1}"])
        gap = (b - a).dt.days
        gap = gap[gap.notna() & (gap >= 0)]
        days.append(float(gap.median()) if len(gap) else np.nan)
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
    won = int((deals["status"] == "won").sum())
    lost = int((deals["status"] == "lost").sum())
    win_rate = won / (won + lost) if won + lost else None
    return StageFunnel(table, bottleneck, win_rate, won, lost)


def breakdown(
    deals: pd.DataFrame, stages: Sequence[str], by: str, window_days: int | None = None
) -> dict[str, StageFunnel]:
    """One funnel per value of `by` (product, region, rep…), largest group first."""
    groups = deals[by].fillna("").replace("", "—")
    order = groups.value_counts().index.tolist()
    return {g: stage_funnel(deals[groups == g], stages, window_days) for g in order}


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


def dropped_at(deals: pd.DataFrame, stages: Sequence[str], step: int, window_days: int | None = None) -> pd.DataFrame:
    """The deals that reached stage `step` but not the next one (open ones included, with their status)."""
    reached = reached_matrix(deals, len(stages), window_days)
    if step >= len(stages) - 1:
        return deals.iloc[0:0]
    mask = reached[:, step] & ~reached[:, step + 1]
    return deals[mask].reset_index(drop=True)


def first_date_range(deals: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Earliest and latest date a deal entered the first stage (or was created); None without dates."""
    first = deals["d0"].fillna(deals["date"]) if "date" in deals else deals["d0"]
    first = pd.to_datetime(first).dropna()
    return (first.min(), first.max()) if len(first) else None


def filter_deals(deals: pd.DataFrame, start: object | None = None, end: object | None = None) -> pd.DataFrame:
    """Deals whose first date (entered the first stage, else created) falls in [start, end]."""
    first = deals["d0"].fillna(deals["date"]) if "date" in deals else deals["d0"]
    mask = pd.Series(True, index=deals.index)
    if start is not None:
        mask &= first >= pd.Timestamp(start)
    if end is not None:
        mask &= first <= pd.Timestamp(end)
    return deals[mask]
