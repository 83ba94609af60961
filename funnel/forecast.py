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

from funnel.engine import Relation, deals_table, quote
from funnel.errors import FunnelError
from funnel.pipeline_sql import PPM, deal_relation, exact_yuan, forecast_sums, period_label, weighed, weighed_frame
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


def categories_of(values: Sequence[object]) -> dict[str, str]:
    """A category column's distinct values → forecast category (closed, commit, best case, pipeline) where one is
    named; decided here, applied by the engine."""
    return {str(v): c for v in values if v and (c := _category_from_text(str(v))) is not None}


def _check_bounds(bounds: tuple[float, float]) -> None:
    commit_at, best_at = bounds
    if not 0 <= best_at <= commit_at <= 1:
        raise FunnelError("forecast_bad_bounds", commit=commit_at, best=best_at)


def weighed_relation(
    deals: Relation,
    stages: Sequence[str],
    probabilities: dict[str, float] | None = None,
    bounds: tuple[float, float] = DEFAULT_BOUNDS,
    use_column: bool = True,
) -> Relation:
    """The deals of an engine's table weighed where they are (probability, category, signing date per deal), for
    `forecast` and `forecast_by`; nothing per deal comes back."""
    _check_bounds(bounds)
    values = deals.fetch("SELECT DISTINCT category FROM {lines} AS d WHERE category <> ''")["category"]
    table = probabilities or default_probabilities(stages)
    return weighed(deals, stages, table, bounds, use_column, categories_of(values.tolist()))


def weigh(
    deals: pd.DataFrame,
    stages: Sequence[str],
    probabilities: dict[str, float] | None = None,
    bounds: tuple[float, float] = DEFAULT_BOUNDS,
    use_column: bool = True,
) -> pd.DataFrame:
    """Every deal with its probability, weighted amount, category (lost deals: 0% and 'lost', kept so snapshots hold
    the whole pipeline), and the signing date used for the forecast; the engine decides each, as for a table."""
    _check_bounds(bounds)
    table = probabilities or default_probabilities(stages)
    relation = deal_relation(deals, len(stages))
    categories = categories_of(deals["category"].astype(str).unique().tolist()) if "category" in deals else {}
    found = weighed_frame(weighed(relation, stages, table, bounds, use_column, categories))
    out = deals.copy()
    out["p"] = found["p"].to_numpy()
    out["stage"] = out["furthest"].map(lambda i: stages[int(i)])
    out["has_amount"] = out["amount_cents"].notna()
    out["amount"] = out["amount_cents"].fillna(0) / 100
    out["weighted"] = out["amount"] * out["p"]
    out["forecast_category"] = found["forecast_category"].to_numpy()
    out["signing_date"] = found["signing_date"].to_numpy()
    return out


def period_of(dates: pd.Series, by: str = "quarter") -> pd.Series:
    """'2026Q4' or '2026-11' for each date ('' when there is none)."""
    _check_period(by)
    periods = pd.to_datetime(dates).dt.to_period("Q" if by == "quarter" else "M")
    return periods.astype(str).where(periods.notna(), "")


def _check_period(by: str) -> None:
    if by not in ("quarter", "month"):
        raise FunnelError("forecast_bad_period", value=by)


def _weighed_relation(weighed_deals: pd.DataFrame | Relation, group: str | None = None) -> Relation:
    """A weighed frame handed over with what the forecast sums read (status, category, signing date, cents, p)."""
    if isinstance(weighed_deals, Relation):
        if group is None:
            return weighed_deals
        return weighed_deals.derive(f"SELECT w.*, {quote(group)} AS grp FROM {{lines}} AS w")
    w = weighed_deals
    parts = {
        "status": w["status"].astype("object"),
        "forecast_category": w["forecast_category"].astype("object"),
        "signing_date": pd.to_datetime(w["signing_date"]),
        "amount_cents": pd.to_numeric(w["amount_cents"], errors="coerce").astype("float64"),
        "p": (pd.to_numeric(w["p"], errors="coerce").astype("float64") * PPM).round(),
    }
    if group is not None:
        parts["grp"] = w[group].astype(str)
    return deals_table(pd.DataFrame(parts), "weighed_deals", whole=("amount_cents", "p"))


def forecast(weighed_deals: pd.DataFrame | Relation, by: str = "quarter") -> pd.DataFrame:
    """Per period: weighted forecast, closed won, commit and best case (each including the closed), open amount,
    and the four category sums (not cumulative) for a stacked chart. Deals without a signing date are 'undated';
    open deals without an amount are counted (`no_amount`), never summed as 0 unsaid. Summed by the engine, the
    weighted sum exactly (cents × millionths)."""
    _check_period(by)
    sums = forecast_sums(_weighed_relation(weighed_deals), by)
    rows = []
    for r in sums.itertuples(index=False):
        cat = {c: int(getattr(r, f"cat_{c}")) / 100 for c in CATEGORIES}
        rows.append(
            {
                "period": period_label(r.period, by),
                "weighted": exact_yuan(r.weighted_e8, 100 * PPM),
                "closed": cat["closed"],
                "commit": cat["closed"] + cat["commit"],
                "best_case": cat["closed"] + cat["commit"] + cat["best_case"],
                "open_amount": int(r.open_cents) / 100,
                "deals": int(r.deals),
                "no_amount": int(r.no_amount),
                **{f"cat_{c}": cat[c] for c in CATEGORIES},
            }
        )
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).sort_values("period", kind="stable").reset_index(drop=True)


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


def slipping_page(
    weighed_deals: Relation, stages: Sequence[str], today: object, limit: int
) -> tuple[pd.DataFrame, int]:
    """An engine's open deals whose signing date is past: the first `limit` by date (then deal), with the columns
    `slipping` gives for a frame, and how many there are in all; the rest stays where it is."""
    where = "status = 'open' AND signing_date IS NOT NULL AND signing_date < :slip_today"
    params = {"slip_today": pd.Timestamp(today).date()}
    total = weighed_deals.fetch(f"SELECT COUNT(*) AS n FROM {{lines}} AS w WHERE {where}", params)["n"].iloc[0]
    page = weighed_deals.fetch(
        f"""SELECT deal, customer, furthest, p, amount_cents, signing_date, status, product, region, rep
            FROM {{lines}} AS w WHERE {where} ORDER BY signing_date, deal LIMIT {int(limit)}""",
        params,
    )
    cents = pd.to_numeric(page["amount_cents"], errors="coerce").astype("float64")
    out = page.assign(
        p=page["p"].astype("float64") / PPM,
        stage=[stages[int(i)] for i in page["furthest"]],
        amount_cents=cents,
        has_amount=cents.notna(),
        amount=cents.fillna(0) / 100,
        signing_date=pd.to_datetime(page["signing_date"]).astype("datetime64[ns]"),
    )
    out["weighted"] = out["amount"] * out["p"]
    return out.reset_index(drop=True), int(total or 0)


def forecast_by(weighed_deals: pd.DataFrame | Relation, column: str, by: str = "quarter") -> pd.DataFrame:
    """Weighted forecast per period (rows) and value of `column` (columns), summed by the engine."""
    _check_period(by)
    sums = forecast_sums(_weighed_relation(weighed_deals, column), by, group=column)
    frame = pd.DataFrame(
        {
            "period": [period_label(p, by) for p in sums["period"]],
            "group": sums["g"].astype(str),
            "weighted": [exact_yuan(v, 100 * PPM) for v in sums["weighted_e8"]],
        }
    )
    return frame.pivot_table(index="period", columns="group", values="weighted", aggfunc="sum", fill_value=0.0)


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
