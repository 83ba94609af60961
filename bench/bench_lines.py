"""Checking 1M sales lines (money to cents, names cleaned and keyed, rows accounted) against plain pandas.

    python bench/bench_lines.py [--rows 1000000] [--repeat 3]

The frame is built in memory (no file reading), so this times only what funnel.values and funnel.schema add:
amounts parsed to exact cents under the per-line cap, customer names cleaned of invisible characters and
merged by key. The baseline, measured in the same run, is what an analyst does by hand: pd.to_numeric and a
groupby sum. Prints the median seconds and the ratio ours / baseline (lower is better for us).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from funnel.schema import prepare_sales  # noqa: E402


def make_frame(rows: int) -> pd.DataFrame:
    """An ERP-style frame: 5,000 customers (some written with a zero-width space or full-width brackets),
    amounts as numbers, one in ten as text ('¥1,234.50')."""
    rng = np.random.default_rng(7)
    customers = rng.integers(0, 5_000, rows)
    spelling = rng.integers(0, 20, rows)
    names = np.array([f"客户{i:05d}（北京）有限公司" for i in range(5_000)], dtype=object)[customers]
    names[spelling == 0] = np.char.add(names[spelling == 0].astype(str), "\u200b")
    amounts = np.round(np.exp(rng.normal(8.5, 1.0, rows)), 2).astype(object)
    text = rng.integers(0, 10, rows) == 0
    amounts[text] = [f"¥{v:,.2f}" for v in amounts[text]]
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 660, rows), unit="D")
    return pd.DataFrame(
        {
            "单据日期": days,
            "客户名称": names,
            "货品名称": [f"产品{i}" for i in rng.integers(0, 8, rows)],
            "价税合计": amounts,
        }
    )


def baseline(frame: pd.DataFrame) -> pd.Series:
    amounts = pd.to_numeric(frame["价税合计"], errors="coerce")
    return amounts.groupby(frame["客户名称"]).sum()


def ours(frame: pd.DataFrame) -> int:
    return prepare_sales(frame).rows_used


def timed(fn, frame: pd.DataFrame, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(frame)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = make_frame(args.rows)
    base_s = timed(baseline, frame, args.repeat)
    ours_s = timed(ours, frame, args.repeat)
    print(f"rows: {args.rows:,}  repeat: {args.repeat}  (median seconds)")
    print(f"pandas to_numeric + groupby (baseline): {base_s:6.2f} s")
    print(f"funnel prepare_sales:                   {ours_s:6.2f} s   ratio {ours_s / base_s:5.1f}x baseline")


if __name__ == "__main__":
    main()
