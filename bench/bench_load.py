"""Load + first funnel on a 100k-row, 7-column xlsx: our engine against pandas+openpyxl, measured in the same run.

    python bench/bench_load.py [--rows 100000] [--repeat 3]

Prints the median seconds of each and the ratio baseline / ours (higher is better for us). No timing is asserted
in tests: machines differ; the ratio within one run is what we track.
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

from funnel.load import analyse_bands, load_sales  # noqa: E402

THRESHOLDS = [10_000, 50_000, 100_000, 200_000]


def make_workbook(path: Path, rows: int) -> Path:
    """A 7-column ERP-style sheet: date, order, customer, product, quantity, amount, region."""
    if path.exists():
        return path
    from openpyxl import Workbook

    rng = np.random.default_rng(7)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("销售明细")
    ws.append(["单据日期", "单据编号", "客户名称", "货品名称", "数量", "价税合计", "区域"])
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 660, rows), unit="D")
    customers = rng.integers(0, 5_000, rows)
    products = rng.integers(0, 8, rows)
    amounts = np.round(np.exp(rng.normal(8.5, 1.0, rows)), 2)
    for i in range(rows):
        ws.append(
            [
                days[i].to_pydatetime(),
                f"XS{i:07d}",
                f"客户{customers[i]:05d}有限公司",
                f"产品{products[i]}",
                int(rng.integers(1, 20)),
                float(amounts[i]),
                "华东",
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def baseline(path: Path) -> pd.Series:
    """What an analyst does by hand: pandas+openpyxl, sum per customer, count per band."""
    frame = pd.read_excel(path, engine="openpyxl")
    totals = frame.groupby("客户名称")["价税合计"].sum()
    bins = [-np.inf, *THRESHOLDS, np.inf]
    return pd.cut(totals, bins, right=False).value_counts(sort=False)


def pandas_calamine(path: Path) -> pd.Series:
    frame = pd.read_excel(path, engine="calamine")
    totals = frame.groupby("客户名称")["价税合计"].sum()
    return pd.cut(totals, [-np.inf, *THRESHOLDS, np.inf], right=False).value_counts(sort=False)


def ours(path: Path) -> list[int]:
    sales = load_sales(path.read_bytes(), path.name)
    return analyse_bands(sales, thresholds=THRESHOLDS).summary["customers"].tolist()


def timed(fn, path: Path, repeat: int) -> tuple[float, object]:
    runs, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(path)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = make_workbook(ROOT / "bench" / "out" / f"sales_{args.rows}.xlsx", args.rows)
    base_s, base = timed(baseline, path, args.repeat)
    cal_s, _ = timed(pandas_calamine, path, args.repeat)
    ours_s, mine = timed(ours, path, args.repeat)
    assert list(base) == mine, f"results differ: {list(base)} vs {mine}"
    from funnel.bands import band_report, customer_totals

    totals = customer_totals(load_sales(path.read_bytes(), path.name).lines)
    reband_s, _ = timed(lambda _: band_report(totals, [20_000, 60_000, 100_000, 300_000]), path, args.repeat * 5)
    print(f"rows: {args.rows:,}  repeat: {args.repeat}  (median seconds, load + first funnel)")
    print(f"pandas+openpyxl (baseline): {base_s:7.2f} s")
    print(f"pandas+calamine:            {cal_s:7.2f} s   ratio {base_s / cal_s:5.1f}x")
    print(f"funnel (fastexcel):         {ours_s:7.2f} s   ratio {base_s / ours_s:5.1f}x")
    print(f"moving a threshold (re-band cached totals): {reband_s * 1000:6.1f} ms   ratio {base_s / reband_s:7.0f}x")


if __name__ == "__main__":
    main()
