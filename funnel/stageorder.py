"""The stage order of a pipeline, from the user, a vocabulary, or the data itself; the won step always last.

Without an order given, the file's stage values decide: when one built-in vocabulary knows every open value its
order is used; otherwise the order is inferred from a probability column (ascending), from the dates each stage
was entered (which came first, deal by deal), or from the stage words (lead/线索 early, negotiation/谈判 late).
Values none of these can place are listed, so the user confirms or types the order instead of getting a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnel.vocab import (
    ALL_VOCABULARIES,
    TEMPLATE_WON_KEYS,
    WON_KEYS,
    default_probability,
    display_name,
    is_lost,
    is_status,
    is_won,
    stage_key,
    word_rank,
)

SOURCES: tuple[str, ...] = (
    "user",
    "template",
    "vocabulary",
    "probabilities",
    "probability",
    "dates",
    "words",
    "unknown",
)


@dataclass(frozen=True)
class StageOrder:
    """The funnel's steps (open stages in order, then the won step) and where that order came from."""

    stages: tuple[str, ...]
    source: str
    vocabulary: str | None = None  # the vocabulary's name ('salesforce') when one gave the order
    label: str = ""  # what to call the source in a sentence (Salesforce, the probability column…)
    unplaced: tuple[str, ...] = ()  # open values nothing could place: they sit at the end until the user says

    @property
    def confident(self) -> bool:
        return self.source != "unknown" and not self.unplaced

    @property
    def won_step(self) -> str:
        return self.stages[-1]

    def default_probabilities(self) -> dict[str, float]:
        """The vocabulary's default probability per stage where it has one (Salesforce, HubSpot, Zoho…)."""
        out = {}
        for stage in self.stages[:-1]:
            p = default_probability(stage, self.vocabulary) if self.vocabulary else None
            if p is not None:
                out[stage] = p
        return out

    def sentence(self, lang: str = "zh") -> str:
        """'Stage order from the Salesforce stage list' in the user's language."""
        from funnel.i18n import t

        text = t(f"order_{self.source}", lang, label=self.label)
        if self.unplaced:
            text += t("order_unplaced", lang, values="、".join(self.unplaced))
        return text


def _cjk(values: Sequence[str]) -> bool:
    return any(re.search(r"[\u3400-\u9fff]", v) for v in values)


def funnel_steps(order: Sequence[str], won_name: str | None = None) -> list[str]:
    """An order as funnel steps: lost words dropped, the won word (or a template's last stage) moved last, or a
    won step appended when the order has none ('赢单' or 'Won' in the order's language, or `won_name`)."""
    steps = [s.strip() for s in order if s and s.strip() and not is_lost(s)]
    won = [s for s in steps if stage_key(s) in WON_KEYS]
    if not won and steps and stage_key(steps[-1]) in TEMPLATE_WON_KEYS:
        won = [steps[-1]]
    rest = [s for s in steps if s not in won]
    last = won[0] if won else won_name or ("赢单" if _cjk(rest) else "Won")
    return [*rest, last]


def value_counts(values: pd.Series) -> pd.DataFrame:
    """Distinct non-blank values (stripped) with their rows: the input every order decision works from."""
    text = values.dropna().astype(str).str.strip()
    counts = text[text != ""].value_counts()
    return pd.DataFrame({"value": counts.index.astype(str), "rows": counts.to_numpy(dtype="int64")})


def _spellings(counts: pd.DataFrame) -> pd.DataFrame:
    """Distinct values grouped by key: key, the most frequent spelling, rows (most rows first; ties by name, so the
    result does not depend on the order rows came in)."""
    if counts.empty:
        return pd.DataFrame(columns=["key", "name", "rows"])
    frame = pd.DataFrame({"key": counts["value"].map(stage_key), "name": counts["value"], "rows": counts["rows"]})
    frame = frame.groupby(["key", "name"], as_index=False)["rows"].sum()
    frame = frame.sort_values(["rows", "name"], ascending=[False, True], kind="stable")
    first = frame.drop_duplicates("key")
    rows = frame.groupby("key")["rows"].sum()
    first = first.assign(rows=first["key"].map(rows))
    return first.sort_values(["rows", "name"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _vocabulary_order(open_: pd.DataFrame) -> tuple[list[str], object] | None:
    """The vocabulary that knows most of the open values (at least half of them and of their rows, no two values
    on one of its stages, none left out that reads like a stage); values it does not know ('挂起') stay unmatched
    and are listed, as with any given order."""
    found = []
    total_rows = max(int(open_["rows"].sum()), 1)
    for rank, v in enumerate(ALL_VOCABULARIES):
        keys = v.stage_keys()
        index = {}
        for key in open_["key"]:
            hits = [i for i, ks in enumerate(keys) if key in ks]
            if hits:
                index[key] = hits[0]
        if not index or len(set(index.values())) != len(index):
            continue
        if any(
            word_rank(name) is not None
            for key, name in zip(open_["key"], open_["name"], strict=True)
            if key not in index
        ):
            continue  # a value that reads like a stage but is not this vocabulary's: the order must come from elsewhere
        rows = int(open_.loc[open_["key"].isin(index), "rows"].sum())
        if 2 * len(index) < len(open_) or (open_["rows"].sum() and 2 * rows < total_rows):
            continue
        found.append((-len(index), -rows, len(keys) - len(index), rank, v, index))
    if not found:
        return None
    *_, v, index = min(found, key=lambda f: f[:4])
    if v.template:
        return [name for name, _, _ in v.stages], v
    names = dict(zip(open_["key"], open_["name"], strict=True))
    return [display_name(names[k]) for k, _ in sorted(index.items(), key=lambda kv: kv[1])], v


def _distinct_order(keys: list[str], score: dict[str, float]) -> list[str] | None:
    """Keys sorted by score when every key has one and no two are equal."""
    values = [score.get(k) for k in keys]
    if any(v is None or v != v for v in values) or len(set(values)) != len(values):
        return None
    return [k for _, k in sorted(zip(values, keys, strict=True))]


def _date_scores(keys: list[str], entered: dict[str, pd.Series]) -> dict[str, float]:
    """Per stage with a date column: how often, deal by deal, it was entered after the others (Copeland score)."""
    dated = {k: pd.to_datetime(entered[k]) for k in keys if k in entered}
    scores = {}
    for a, da in dated.items():
        score = 0.0
        for b, db in dated.items():
            if a == b:
                continue
            both = da.notna() & db.notna()
            score += float(np.sign((da[both] > db[both]).sum() - (da[both] < db[both]).sum()))
        scores[a] = score
    return scores


def infer_order(
    values: pd.Series,
    probability: pd.Series | None = None,
    entered: dict[str, pd.Series] | None = None,
    user_probabilities: dict[str, float] | None = None,
    status: pd.Series | None = None,
) -> StageOrder:
    """The stage order of a pipeline given as columns: `values` is the stage of each row, `probability` each row's
    probability in [0, 1], `entered` the date columns per stage name, `status` an open/won/lost column. The counts
    and scores are taken here; `order_from_counts` decides (an engine's source gives it the same from SQL)."""
    by_key = {stage_key(k): v for k, v in (entered or {}).items()}

    def medians(keys: dict[str, str]) -> dict[str, float]:
        frame = pd.DataFrame({"key": values.map(stage_key), "p": probability})
        return frame.dropna().groupby("key")["p"].median().to_dict()

    return order_from_counts(
        value_counts(values),
        list(entered or {}),
        medians if probability is not None else None,
        lambda keys: _date_scores(keys, by_key),
        user_probabilities,
        value_counts(status)["value"].tolist() if status is not None else (),
    )


def order_from_counts(
    counts: pd.DataFrame,
    entered_names: Sequence[str] = (),
    medians: Callable[[dict[str, str]], dict[str, float]] | None = None,
    date_scores: Callable[[list[str]], dict[str, float]] | None = None,
    user_probabilities: dict[str, float] | None = None,
    status_values: Sequence[str] = (),
) -> StageOrder:
    """The stage order a pipeline's own data gives: a vocabulary, the user's probabilities, the probability
    column, stage-entry dates, or stage words, in that order of trust; open values nothing places are listed.

    Works from distinct values only: `counts` (value, rows) of the stage column, the stage names of the
    stage-entry date columns, `medians` (value → key in, key → median probability out) and `date_scores` (keys in,
    Copeland scores out), asked only when the order needs them, and the distinct values of a status column (then
    the stage column holds open stages only).
    """
    entered_names_by_key = {stage_key(k): k for k in entered_names}
    spelled = _spellings(counts)
    terminal = spelled["name"].map(lambda v: is_won(v) or is_lost(v) or is_status(v)) if len(spelled) else []
    open_ = spelled[~np.asarray(terminal, dtype=bool)] if len(spelled) else spelled
    extra = [k for k in entered_names_by_key if k not in set(open_["key"]) and k not in WON_KEYS and not is_lost(k)]
    if extra:
        more = pd.DataFrame({"key": extra, "name": [entered_names_by_key[k] for k in extra], "rows": 0})
        open_ = pd.concat([open_, more], ignore_index=True)
    won_names = [display_name(n) for n in spelled["name"] if is_won(n)] if len(spelled) else []
    won_names += [display_name(n) for n in status_values if is_won(n)]
    names = dict(zip(open_["key"], open_["name"], strict=True))
    keys = list(open_["key"])

    def done(order_keys: list[str], source: str, label: str = "", vocab=None, unplaced=()) -> StageOrder:
        order = [names[k] for k in order_keys]
        won = won_names[0] if won_names else (vocab.won[0] if vocab is not None else None)
        return StageOrder(tuple(funnel_steps(order, won)), source, getattr(vocab, "name", None), label, tuple(unplaced))

    if not keys:
        return done([], "unknown")
    found = _vocabulary_order(open_)
    if found is not None:
        order, v = found
        won = v.won[0] if v.template or not won_names else won_names[0]
        source = "template" if v.template else "vocabulary"
        return StageOrder(tuple(funnel_steps(order, won)), source, None if v.template else v.name, v.label)
    words = {k: word_rank(names[k]) for k in keys}
    if user_probabilities:
        given = {stage_key(k): p for k, p in user_probabilities.items()}
        order = _distinct_order(keys, given)
        if order:
            return done(order, "probabilities")
    if medians is not None:
        found_medians = medians({str(v): stage_key(v) for v in counts["value"]})
        tie_broken = {k: found_medians.get(k) for k in keys}
        order = _distinct_order(keys, tie_broken)
        if order is None and all(tie_broken[k] is not None for k in keys):
            combined = {k: tie_broken[k] + (words[k] or 0) / 1000 for k in keys if words[k] is not None}
            order = _distinct_order(keys, combined)
        if order:
            return done(order, "probability")
    with_dates = [k for k in keys if k in entered_names_by_key]
    scores = date_scores(with_dates) if date_scores is not None and with_dates else {}
    order = _distinct_order(keys, scores)
    if order:
        return done(order, "dates")
    order = _distinct_order(keys, words)
    if order:
        return done(order, "words")
    placed = sorted((k for k in keys if words[k] is not None), key=lambda k: words[k])
    unplaced = [k for k in keys if words[k] is None]
    return done(placed + unplaced, "unknown", unplaced=[names[k] for k in unplaced])
