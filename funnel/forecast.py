"""Sales forecast (销售预测): weighted pipeline per expected signing month or quarter, categories, targets.

Probability of a deal: 100% when won, 0% when lost; for an open deal, its own probability column when the export
has one, else the user's stage → probability table (defaults spread from 10% to 90% over the open stages, 100%
for the last). Categories, from the probability unless the export has a category column: closed (won), commit
(≥ the commit bound, default 70%), best case (≥ the best-case bound, default 40%), pipeline (the rest).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from funnel.errors import FunnelError
from funnel.values import name_key

CATEGORIES: tuple[str, ...] = ("closed", "commit", "best_case", "pipeline")
DEFAULT_BOUNDS: tuple[float, float] = (0.70, 0.40)  # commit ≥ 70%, best case ≥ 40%
_CATEGORY_WORDS = {
    "closed": ("closed", "closed won", "won", "已成交", "赢单", "成交"),
    "commit": ("commit", "committed", "承诺", "确定"),
    "best_case": ("best case", "bestcase", "best", "最佳", "乐观", "可能"),
    "pipeline": ("pipeline", "管道", "跟进", "待定"),
}


def default_probabilities(stages: Sequence[str], known: dict[str, float] | None = None) -> dict[str, float]:
    """10% at the first stage rising evenly to 90% before the last, which is 100% (10/30/50/70/90/100 for six);
    `known` (a CRM's own defaults, such as Salesforce's Value Proposition 50%) replaces the spread where given."""
    n = len(stages)
    if n < 2:
        raise FunnelError("stages_too_few")
    open_ = np.linspace(0.10, 0.90, n - 1) if n > 2 else np.array([0.5])
    table = {stage: round(float(p), 4) for stage, p in zip(stages, [*open_, 1.0], strict=True)}
    table.update({s: p for s, p in (known or {}).items() if s in table and s != stages[-1]})
    return table


def read_probabilities(text: str) -> dict[str, float]:
    """'提案=0.5,谈判=70%' → {name: probability} as typed; a clear error for anything that is not name=p."""
    out: dict[str, float] = {}
    for part in (text or "").replace("，", ",").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise FunnelError("forecast_bad_probability", value=part.strip())
        name, value = (x.strip() for x in part.split("=", 1))
        try:
            p = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
        except ValueError as exc:
            raise FunnelError("forecast_bad_probability", value=part.strip()) from exc
        if not name or not 0 <= p <= 1:
            raise FunnelError("forecast_bad_probability", value=part.strip())
        out[name] = p
    return out


def parse_probabilities(text: str, stages: Sequence[str], known: dict[str, float] | None = None) -> dict[str, float]:
    """'提案=0.5,谈判=70%' → {stage: probability}, over the defaults. A name is matched to a stage loosely (width,
    case, step numbers, a CRM's internal id); one that names no stage is an error listing the stages."""
    from funnel.vocab import aliases, stage_key

    table = default_probabilities(stages, known)
    for name, p in read_probabilities(text).items():
        stage = next((s for s in stages if stage_key(s) == stage_key(name)), None)
        stage = stage or next((s for s in stages if stage_key(name) in aliases(s)), None)
        if stage is None:
            raise FunnelError("forecast_unknown_stage", value=name, stages="、".join(stages))
        table[stage] = p
    return table


def _category_from_text(text: str) -> str | None:
    key = name_key(text)
    for category, words in _CATEGORY_WORDS.items():
        if key in {name_key(w) for w in words}:
            return category
    return None


def weigh(
    deals: pd.DataFrame,
    stages: Sequence[str],
    probabilities: dict[str, float] | None = None,
    bounds: tuple[float, float] = DEFAULT_BOUNDS,
    use_column: bool = True,
) -> pd.DataFrame:
    """Every deal with its probability, weighted amount, category (lost deals: 0% and 'lost', kept so snapshots hold
    the whole pipeline), and the signing date used for the forecast."""
    commit_at, best_at = bounds
    if not 0 <= best_at <= commit_at <= 1:
        raise FunnelError("forecast_bad_bounds", commit=commit_at, best=best_at)
    table = probabilities or default_probabilities(stages)
    out = deals.copy()
    by_stage = out["furthest"].map(lambda i: table.get(stages[int(i)], np.nan))
    own = out["probability"] if use_column and "probability" in out else pd.Series(np.nan, index=out.index)
    p = own.where(own.notna(), by_stage).fillna(0.0).clip(0, 1)
    p = p.where(out["status"] != "won", 1.0).where(out["status"] != "lost", 0.0)
    out["p"] = p
    out["stage"] = out["furthest"].map(lambda i: stages[int(i)])
    out["has_amount"] = out["amount_cents"].notna()
    out["amount"] = out["amount_cents"].fillna(0) / 100
    out["weighted"] = out["amount"] * out["p"]
    category = np.where(
        out["status"] == "won",
        "closed",
        np.where(p >= commit_at, "commit", np.where(p >= best_at, "best_case", "pipeline")),
    )
    if "category" in out and (out["category"].astype(str) != "").any():
        given = out["category"].astype(str).map(_category_from_text)
        category = np.where(given.notna() & (out["status"] != "won"), given, category)
    out["forecast_category"] = np.where(out["status"] == "lost", "lost", category)
    last = f"d{len(stages) - 1}"
    signing = out["close_date"] if "close_date" in out else pd.Series(pd.NaT, index=out.index)
    if last in out:
        signing = signing.where(~((out["status"] == "won") & out[last].notna()), out[last])
    out["signing_date"] = pd.to_datetime(signing)
    return out


def period_of(dates: pd.Series, by: str = "quarter") -> pd.Series:
    """'2026Q4' or '2026-11' for each date ('' when there is none)."""
    if by not in ("quarter", "month"):
        raise FunnelError("forecast_bad_period", value=by)
    periods = pd.to_datetime(dates).dt.to_period("Q" if by == "quarter" else "M")
    return periods.astype(str).where(periods.notna(), "")


def forecast(weighed: pd.DataFrame, by: str = "quarter") -> pd.DataFrame:
    """Per period: weighted forecast, closed won, commit and best case (each including the closed), open amount,
    and the four category sums (not cumulative) for a stacked chart. Deals without a signing date are 'undated';
    open deals without an amount are counted (`no_amount`), never summed as 0 unsaid."""
    live = weighed[weighed["status"] != "lost"]
    frame = live.assign(period=period_of(live["signing_date"], by).replace("", "—"))
    rows = []
    for period, part in frame.groupby("period", sort=True):
        sums = {c: float(part.loc[part["forecast_category"] == c, "amount"].sum()) for c in CATEGORIES}
        open_part = part[part["status"] == "open"]
        rows.append(
            {
                "period": period,
                "weighted": float(part["weighted"].sum()),
                "closed": sums["closed"],
                "commit": sums["closed"] + sums["commit"],
                "best_case": sums["closed"] + sums["commit"] + sums["best_case"],
                "open_amount": float(open_part["amount"].sum()),
                "deals": len(part),
                "no_amount": int((~open_part["has_amount"]).sum()) if "has_amount" in part else 0,
                **{f"cat_{c}": sums[c] for c in CATEGORIES},
            }
        )
    return pd.DataFrame(rows)


def against_targets(table: pd.DataFrame, targets: dict[str, float]) -> pd.DataFrame:
    """Per period with a target: closed to date, commit, best case, gap to target and pipeline coverage
    (open pipeline ÷ remaining gap; empty when the target is already met)."""
    out = table[["period", "closed", "commit", "best_case", "weighted", "open_amount"]].copy()
    out["target"] = out["period"].map(lambda p: targets.get(p, np.nan)).astype(float)
    gap = out["target"] - out["closed"]
    out["gap"] = gap.clip(lower=0)
    out["coverage"] = np.where(gap > 0, out["open_amount"] / gap.where(gap > 0, np.nan), np.nan)
    return out


def slipping(weighed: pd.DataFrame, today: object) -> pd.DataFrame:
    """Open deals whose expected signing date is already past."""
    day = pd.Timestamp(today).normalize()
    mask = (weighed["status"] == "open") & weighed["signing_date"].notna() & (weighed["signing_date"] < day)
    return weighed[mask].sort_values("signing_date").reset_index(drop=True)


def forecast_by(weighed: pd.DataFrame, column: str, by: str = "quarter") -> pd.DataFrame:
    """Weighted forecast per period (rows) and value of `column` (columns)."""
    frame = weighed.assign(period=period_of(weighed["signing_date"], by).replace("", "—"))
    groups = frame[column].astype(str).replace("", "—")
    return frame.assign(group=groups).pivot_table(
        index="period", columns="group", values="weighted", aggfunc="sum", fill_value=0.0
    )


def probability_frame(probabilities: dict[str, float], stage_label: str, percent_label: str) -> pd.DataFrame:
    """The stage → probability table as an editable frame, in percent."""
    return pd.DataFrame({stage_label: list(probabilities), percent_label: [p * 100 for p in probabilities.values()]})


def probabilities_from_frame(frame: pd.DataFrame, stage_label: str, percent_label: str) -> dict[str, float]:
    """Back from the edited frame: stage → probability in [0, 1] (a blank cell counts as 0)."""
    values = pd.to_numeric(frame[percent_label], errors="coerce").fillna(0).clip(0, 100) / 100
    return dict(zip(frame[stage_label], values, strict=True))


def target_frame(periods: list[str], saved: dict[str, float], period_label: str, target_label: str) -> pd.DataFrame:
    """An editable period → target frame, pre-filled with the targets already entered."""
    return pd.DataFrame({period_label: periods, target_label: [saved.get(p) for p in periods]})


def targets_from_frame(frame: pd.DataFrame, period_label: str, target_label: str) -> dict[str, float]:
    """Back from the edited frame: the periods that have a target."""
    values = pd.to_numeric(frame[target_label], errors="coerce")
    return {p: float(v) for p, v in zip(frame[period_label], values, strict=True) if pd.notna(v)}
