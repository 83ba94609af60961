"""Band thresholds a person can set precisely: a slider scale that fits the customers' totals, suggested round
thresholds, and one threshold moved past another re-ordered instead of failing.

All values are in the data's money (yuan for a yuan report), as floats with at most two decimals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from funnel.bands import DEFAULT_THRESHOLDS

# Round numbers per decade: the slider's positions and what suggestions are rounded to.
MANTISSAS: tuple[float, ...] = (1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9)
SUGGEST_AT: tuple[float, ...] = (0.5, 0.75, 0.9, 0.97)  # share of customers below each suggested threshold
MAX_DECADES = 8


def nice(value: float) -> float:
    """The round number (a MANTISSAS value × 10ⁿ) nearest to `value` on a log scale; 0 stays 0.

    >>> nice(47_300), nice(1_234), nice(0.0)
    (50000.0, 1200.0, 0.0)
    """
    if value <= 0:
        return 0.0
    exponent = math.floor(math.log10(value))
    scale = 10.0**exponent
    candidates = [m * scale for m in MANTISSAS] + [10 * scale]
    best = min(candidates, key=lambda c: abs(math.log(c) - math.log(value)))
    return float(round(best, 2))


def scale(totals_cents: Sequence[int] | pd.Series | np.ndarray, thresholds: Sequence[float] = ()) -> list[float]:
    """The slider's positions: round numbers from below the smaller customers' totals to above the largest (equal
    steps on a log scale, so 100 → 200 is one step like 100,000 → 200,000), plus the current thresholds exactly.

    >>> scale([100_000, 2_000_000, 50_000_000])[:3], scale([100_000, 2_000_000, 50_000_000])[-1]
    ([100.0, 120.0, 150.0], 1000000.0)
    """
    yuan = np.asarray(totals_cents, dtype="float64") / 100
    positive = yuan[yuan > 0]
    wanted = [float(x) for x in thresholds if float(x) > 0]
    low_value = float(np.quantile(positive, 0.05)) if len(positive) else 1_000.0
    high_value = float(positive.max()) if len(positive) else 1_000_000.0
    low_value = min([low_value, *wanted]) if wanted else low_value
    high_value = max([high_value, *wanted]) if wanted else high_value
    low = math.floor(math.log10(max(low_value, 1.0)))
    high = max(low + 1, math.ceil(math.log10(max(high_value, 1.0)) + 1e-9))
    low = max(low, high - MAX_DECADES)
    grid = {round(m * 10.0**e, 2) for e in range(low, high) for m in MANTISSAS}
    grid.add(round(10.0**high, 2))
    grid.update(round(float(x), 2) for x in thresholds)
    return sorted(grid)


def suggest(totals_cents: Sequence[int] | pd.Series | np.ndarray, at: Sequence[float] = SUGGEST_AT) -> list[float]:
    """Round thresholds at quantiles of the customers' positive totals (half the customers below the first, three
    quarters below the second…), so each band holds a visible share; the default 万 set when there is no data.

    >>> suggest([i * 100 for i in range(1, 1001)])  # totals 1 … 1,000 yuan
    [500.0, 800.0, 900.0, 1000.0]
    """
    yuan = np.asarray(totals_cents, dtype="float64") / 100
    positive = yuan[yuan > 0]
    if len(positive) == 0:
        return list(DEFAULT_THRESHOLDS)
    values = sorted({nice(float(np.quantile(positive, q))) for q in at} - {0.0})
    return values or list(DEFAULT_THRESHOLDS)


def place(thresholds: Sequence[float], i: int, value: float, step: float) -> list[float]:
    """The thresholds after threshold `i` is set to `value`: kept in order (a value moved past its neighbour is
    re-ordered), never negative, and never equal to another one (a value landing on a neighbour stops one `step`
    short of it, on the side it came from), so the band count stays the same and the funnel never fails.

    >>> place([10_000, 50_000, 100_000], 0, 80_000, 1_000), place([10_000, 50_000], 0, 50_000, 1_000)
    ([50000.0, 80000.0, 100000.0], [49000.0, 50000.0])
    """
    values = [float(x) for x in thresholds]
    old = values[i]
    others = values[:i] + values[i + 1 :]
    new = max(round(float(value), 2), 0.0)
    step = max(float(step), 0.01)
    direction = -1.0 if new > old else 1.0
    while new in others:
        new = round(new + direction * step, 2)
        if new < 0:  # nothing free below: go the other way
            direction, new = 1.0, round(float(value) + step, 2)
    return sorted([*others, new])


def step_for(value: float) -> float:
    """The keyboard step of a threshold box: a tenth of its leading digit's place (50,000 → 1,000; 800 → 10)."""
    if value <= 0:
        return 100.0
    return max(10.0 ** (math.floor(math.log10(value)) - 1), 0.01)


def next_threshold(thresholds: Sequence[float]) -> float:
    """Where an added band starts: the round number nearest twice the top threshold (10,000 with none)."""
    if not thresholds:
        return 10_000.0
    return max(nice(2 * float(max(thresholds))), float(max(thresholds)) + 1.0)


def crowded(counts: Sequence[int], share: float = 0.8) -> bool:
    """True when one band holds more than `share` of the customers (thresholds that do not fit the data)."""
    total = sum(counts)
    return total > 0 and max(counts) > share * total
