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
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from funnel.columns import normalise_header
from funnel.errors import FunnelError
from funnel.read import RawReport
from funnel.schema import is_total, text_column
from funnel.values import clean_name, name_key, parse_amounts, parse_dates

# --- stage templates (DOMAIN.md §3), each stage with its Chinese and English name
TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "lead": (
        ("潜在客户", "Leads"),
        ("初步接触", "Contact"),
        ("意向", "Engagement"),
        ("提案", "Proposal"),
        ("谈判", "Negotiation"),
        ("成交", "Closed"),
    ),
    "key4": (("目标市场", "Target market"), ("潜在客户", "Potential"), ("目标客户", "Target"), ("签约客户", "Signed")),
    "key_account": (
        ("潜在客户开发", "Prospecting"),
        ("需求了解与分析", "Needs analysis"),
        ("产品演示与方案制定", "Demo and solution"),
        ("商务谈判与签约", "Negotiation and signing"),
        ("售后服务与持续跟进", "After-sales follow-up"),
    ),
    "aida": (("意识", "Awareness"), ("兴趣", "Interest"), ("决策", "Decision"), ("行动", "Action")),
}
WON_VALUES: tuple[str, ...] = ("赢单", "成交", "已成交", "签约", "已签约", "won", "closed won", "closedwon", "win")
LOST_VALUES: tuple[str, ...] = ("输单", "丢单", "失败", "已流失", "流失", "lost", "closed lost", "closedlost", "lose")
SHAPES: tuple[str, ...] = ("snapshot", "stage_dates", "event_log")

PIPELINE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "deal": (
        "商机编号",
        "商机id",
        "机会编号",
        "机会id",
        "商机名称",
        "机会名称",
        "项目编号",
        "opportunity id",
        "opportunity",
        "deal id",
        "deal name",
        "deal",
        "record id",
    ),
    "customer": ("客户名称", "客户", "公司名称", "account name", "company name", "customer", "company", "account"),
    "stage": ("销售阶段", "商机阶段", "当前阶段", "阶段", "deal stage", "opportunity stage", "stage", "status"),
    "amount": ("预计金额", "商机金额", "合同金额", "金额", "amount", "deal amount", "opportunity amount", "value"),
    "date": ("创建日期", "日期", "变更日期", "阶段日期", "create date", "created date", "date", "event date"),
    "lost_stage": ("输单阶段", "丢单阶段", "流失阶段", "lost at stage", "lost stage", "closed lost stage"),
    "close_date": ("预计签约日期", "预计成交日期", "签约日期", "expected close date", "close date", "closing date"),
    "probability": ("赢率", "成交概率", "签约概率", "probability", "win probability", "deal probability"),
    "product": ("产品名称", "产品", "product"),
    "region": ("区域", "地区", "region", "territory"),
    "rep": ("业务员", "销售员", "负责人", "owner", "deal owner", "sales rep"),
    "category": ("预测类别", "forecast category", "category"),
}


def template_stages(key: str, lang: str = "zh") -> list[str]:
    """The stage names of a template in the user's language."""
    if key not in TEMPLATES:
        raise FunnelError("stages_unknown_template", value=key)
    return [zh if lang == "zh" else en for zh, en in TEMPLATES[key]]


def template_for_data(frame: pd.DataFrame, template: str, stage_column: str | None = None) -> list[str]:
    """A template's stages named in the data's own language: Chinese when the stage values (or the stage-date
    headers) are Chinese, else English."""
    probe = detect_pipeline_mapping([str(c) for c in frame.columns], template_stages(template, "zh"))
    column = stage_column or probe.stage
    values = frame[column].dropna().astype(str).head(200).tolist() if column in frame.columns else []
    chinese = any(re.search(r"[\u4e00-\u9fff]", v) for v in values) or bool(probe.stage_dates)
    return template_stages(template, "zh" if chinese else "en")


def _aliases(stages: Sequence[str]) -> dict[str, int]:
    """name_key of every known name of each stage (the given name, and its other-language twin) → index."""
    out: dict[str, int] = {}
    for i, stage in enumerate(stages):
        out[name_key(stage)] = i
        for pairs in TEMPLATES.values():
            for zh, en in pairs:
                if name_key(stage) in (name_key(zh), name_key(en)):
                    out.setdefault(name_key(zh), i)
                    out.setdefault(name_key(en), i)
    return out


WON, LOST = "__won__", "__lost__"


def classify_values(
    values: Sequence[object],
    stages: Sequence[str],
    value_map: dict[str, str] | None = None,
    won_values: Sequence[str] = WON_VALUES,
    lost_values: Sequence[str] = LOST_VALUES,
) -> dict[str, int | str | None]:
    """Each distinct raw stage value → a stage index, WON, LOST, or None (maps to no stage).

    `value_map` (raw value → stage name, 'won' or 'lost') is the user's own mapping and wins over the rest.
    """
    aliases = _aliases(stages)
    won, lost = {name_key(v) for v in won_values}, {name_key(v) for v in lost_values}
    user = {name_key(k): v for k, v in (value_map or {}).items()}
    stage_index = {name_key(s): i for i, s in enumerate(stages)}
    out: dict[str, int | str | None] = {}
    for raw in values:
        if raw is None or (isinstance(raw, float) and np.isnan(raw)):
            continue
        key = name_key(raw)
        target: int | str | None = None
        if key in user:
            choice = user[key]
            target = WON if choice == "won" else LOST if choice == "lost" else stage_index.get(name_key(choice))
        elif key in aliases:
            target = aliases[key]
        elif key in won:
            target = WON
        elif key in lost:
            target = LOST
        else:
            stripped = re.sub(r"^\s*(?:\d+[.、)）]|[a-z][.)])\s*", "", clean_name(raw)).strip()
            stripped = re.sub(r"[（(]?\d{1,3}\s*%[)）]?$", "", stripped).strip()  # '谈判 (70%)', '3. 提案'
            target = aliases.get(name_key(stripped))
        out[str(raw)] = target
    return out


@dataclass(frozen=True)
class PipelineMapping:
    """Which column plays which role in a pipeline export, plus the stage-date columns (stage → column)."""

    deal: str | None = None
    customer: str | None = None
    stage: str | None = None
    amount: str | None = None
    date: str | None = None
    lost_stage: str | None = None
    close_date: str | None = None
    probability: str | None = None
    product: str | None = None
    region: str | None = None
    rep: str | None = None
    category: str | None = None
    stage_dates: tuple[tuple[str, str], ...] = ()

    def stage_date_map(self) -> dict[str, str]:
        return dict(self.stage_dates)


def _score(header: object, synonyms: Sequence[str]) -> int:
    text = normalise_header(header)
    if text in synonyms:
        return 3
    if any(len(s) >= 2 and text.startswith(s) for s in synonyms):
        return 2
    return 0


def detect_pipeline_mapping(columns: Sequence[str], stages: Sequence[str]) -> PipelineMapping:
    """Best guess of each pipeline role's column, and which columns are 'date entered <stage>' columns."""
    aliases = _aliases(stages)
    stage_dates: dict[int, str] = {}
    used: set[str] = set()
    for column in columns:
        text = normalise_header(column)
        core = re.sub(r"^(进入|到达|date entered|entered|date)\s*[\"'“”‘’「」]?", "", text)
        core = re.sub(r"[\"'“”‘’「」]?\s*(的)?(日期|时间|date|entered|阶段日期)$", "", core).strip()
        if core != text and name_key(core) in aliases and aliases[name_key(core)] not in stage_dates:
            stage_dates[aliases[name_key(core)]] = column
            used.add(column)
    chosen: dict[str, str] = {}
    candidates = []
    for priority, (role, synonyms) in enumerate(PIPELINE_SYNONYMS.items()):
        for position, column in enumerate(columns):
            if column in used:
                continue
            score = _score(column, synonyms)
            if score:
                candidates.append((-score, priority, position, role, column))
    for _, _, _, role, column in sorted(candidates):
        if role not in chosen and column not in used:
            chosen[role] = column
            used.add(column)
    ordered = tuple((stages[i], stage_dates[i]) for i in sorted(stage_dates))
    return PipelineMapping(**chosen, stage_dates=ordered)


def detect_shape(frame: pd.DataFrame, mapping: PipelineMapping) -> str:
    """stage_dates when two or more stage-date columns exist; event_log when deal ids repeat; else snapshot."""
    if len(mapping.stage_dates) >= 2:
        return "stage_dates"
    if mapping.deal and mapping.stage and frame[mapping.deal].dropna().duplicated().any():
        return "event_log"
    return "snapshot"


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

    @property
    def rows_used(self) -> int:
        return self.rows_read - sum(self.reasons.values())

    @property
    def has_dates(self) -> bool:
        return bool(self.deals[[f"d{k}" for k in range(len(self.stages))]].notna().to_numpy().any())


REASONS: tuple[str, ...] = ("empty_row", "total_row", "blank_deal", "unknown_stage", "bad_date")


def prepare_deals(
    raw: RawReport | pd.DataFrame,
    stages: Sequence[str],
    mapping: PipelineMapping | None = None,
    shape: str | None = None,
    value_map: dict[str, str] | None = None,
    keep: Sequence[str] = (),
) -> Deals:
    """Turn a pipeline export into one row per deal, accounting for every input row.

    `keep` names extra report columns to carry onto each deal (to break the funnel down by them).
    """
    if isinstance(raw, pd.DataFrame):
        raw = RawReport(frame=raw, sheet="", sheets=[], header_row=1, row_numbers=pd.Series(range(2, len(raw) + 2)))
    stages = list(stages)
    if len(stages) < 2:
        raise FunnelError("stages_too_few")
    if len({name_key(s) for s in stages}) != len(stages):
        raise FunnelError("stages_duplicate")
    frame = raw.frame.reset_index(drop=True)
    mapping = mapping or detect_pipeline_mapping([str(c) for c in frame.columns], stages)
    shape = shape or detect_shape(frame, mapping)
    if shape not in SHAPES:
        raise FunnelError("stages_bad_shape", value=shape)
    if shape in ("snapshot", "event_log") and not mapping.stage:
        raise FunnelError("stages_no_stage_column", columns="、".join(map(str, frame.columns)))
    if shape == "stage_dates" and len(mapping.stage_dates) < 1:
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
    mark(deal_text == "", "blank_deal")

    stage_text = text_column(frame[mapping.stage]) if mapping.stage else pd.Series([""] * n, dtype="object")
    classes = classify_values(stage_text[stage_text != ""].unique().tolist(), stages, value_map)
    target = stage_text.map(lambda v: classes.get(v) if v else None)
    unmapped_mask = (stage_text != "") & target.isna()
    unmapped = stage_text[unmapped_mask & reason.isna()].value_counts().rename_axis("value").reset_index(name="rows")
    if shape != "stage_dates":
        mark(unmapped_mask | (stage_text == ""), "unknown_stage")

    event_dates = None
    if shape == "event_log":
        if not mapping.date:
            raise FunnelError("stages_no_date_column")
        event_dates, bad = parse_dates(frame[mapping.date])
        mark(bad, "bad_date")

    used = reason.isna().to_numpy()
    amount_cents, bad_amount = (
        parse_amounts(frame[mapping.amount])
        if mapping.amount
        else (pd.Series(0, index=frame.index), pd.Series(True, index=frame.index))
    )
    k = len(stages)
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
        }
    )
    for role in ("close_date", "date"):
        column = getattr(mapping, role)
        per_row[role] = parse_dates(frame[column])[0] if column else pd.NaT
    if mapping.probability:
        prob, bad_prob = parse_amounts(frame[mapping.probability])
        p = prob / 100.0
        p = p.where(p <= 1.0, p / 100.0)  # '30%' parses to 0.30; a bare 30 means 30%
        per_row["probability"] = p.where(~bad_prob)
    else:
        per_row["probability"] = np.nan
    per_row["category"] = text_column(frame[mapping.category]) if mapping.category else ""
    for column in keep:
        if column not in frame.columns:
            raise FunnelError("schema_unknown_column", role=("col_group",), column=column)
        per_row[f"by:{column}"] = text_column(frame[column])
    stage_date_columns = mapping.stage_date_map()
    for i, stage in enumerate(stages):
        column = stage_date_columns.get(stage)
        per_row[f"d{i}"] = parse_dates(frame[column])[0] if column else pd.NaT
    lost_at = None
    if mapping.lost_stage:
        lost_classes = classify_values(text_column(frame[mapping.lost_stage]).unique().tolist(), stages, value_map)
        lost_at = text_column(frame[mapping.lost_stage]).map(lambda v: lost_classes.get(v) if v else None)
    per_row = per_row[used]

    if shape == "event_log":
        deals, lost_without = _from_events(per_row, event_dates[used], k)
    else:
        deals, lost_without = _from_rows(per_row, k, shape, lost_at[used] if lost_at is not None else None)

    deals["customer_key"] = deals["customer"].map(name_key)
    left_out = frame[~used].copy()
    left_out.insert(0, "reason", reason[~used].to_numpy())
    left_out.insert(0, "row", raw.row_numbers.reset_index(drop=True)[~used].to_numpy())
    counts = reason[~used].value_counts()
    reasons = {code: int(counts.get(code, 0)) for code in REASONS if counts.get(code, 0)}
    return Deals(
        deals=deals.reset_index(drop=True),
        stages=stages,
        shape=shape,
        rows_read=n,
        reasons=reasons,
        left_out=left_out.reset_index(drop=True),
        unmapped=unmapped,
        lost_without_stage=lost_without,
        missing_amount=int(deals["amount_cents"].isna().sum()),
    )


def _from_rows(rows: pd.DataFrame, k: int, shape: str, lost_at: pd.Series | None) -> tuple[pd.DataFrame, int]:
    """Snapshot and stage-date rows: one deal per row."""
    deals = rows.copy()
    target = deals["target"]
    dates = deals[[f"d{i}" for i in range(k)]]
    from_dates = dates.notna().to_numpy()
    furthest_dated = np.where(from_dates.any(axis=1), k - 1 - np.argmax(from_dates[:, ::-1], axis=1), -1)
    status = np.where(target == WON, "won", np.where(target == LOST, "lost", "open"))
    current = pd.to_numeric(target.where(~target.isin([WON, LOST])), errors="coerce").fillna(-1).astype(int)
    furthest = np.where(status == "won", k - 1, current.to_numpy())
    lost = status == "lost"
    lost_known = np.full(len(deals), -1)
    if lost_at is not None:
        lost_known = (
            pd.to_numeric(lost_at.where(~lost_at.isin([WON, LOST])), errors="coerce").fillna(-1).astype(int).to_numpy()
        )
    furthest = np.where(lost & (lost_known >= 0), lost_known, furthest)
    furthest = np.where(lost & (lost_known < 0), furthest_dated, furthest)
    if shape == "stage_dates":
        furthest = np.maximum(furthest, furthest_dated)
        status = np.where((status == "open") & (furthest_dated == k - 1), "won", status)
    lost_without = int((lost & (furthest < 0)).sum())
    furthest = np.where(furthest < 0, 0, furthest)
    deals["furthest"] = furthest
    deals["status"] = status
    deals["lost_stage_known"] = ~(lost & (lost_known < 0) & (furthest_dated < 0))
    return deals.drop(columns=["target"]), lost_without


def _from_events(rows: pd.DataFrame, dates: pd.Series, k: int) -> tuple[pd.DataFrame, int]:
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
    reach = np.where(status == "won", k - 1, reach.fillna(-1).to_numpy())
    lost_without = int(((status == "lost") & (reach < 0)).sum())
    deals["furthest"] = np.where(reach < 0, 0, reach).astype(int)
    deals["status"] = status.to_numpy()
    deals["lost_stage_known"] = ~((status == "lost") & (reach < 0)).to_numpy()
    deals = deals.reset_index()
    return deals, lost_without


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
