"""What reading with no option costs: column detection (headers and values) and the derived amount, measured
against the same read with the columns given, in the same run.

    python bench/bench_detect.py [--rows 300000] [--repeat 3]

Prints the median seconds of each and the ratio detected / given (1.0 = detection is free). No timing is asserted
in tests: machines differ; the ratio within one run is what we track.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from funnel.load import load_sales  # noqa: E402
from funnel.read import read_report  # noqa: E402
from funnel.schema import Mapping, prepare_sales  # noqa: E402


def make_csv(path: Path, rows: int) -> Path:
    """Invoice lines in the UCI Online Retail shape: no amount column, a quarter without a customer id."""
    rng = random.Random(1)
    lines = ["InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"]
    for i in range(rows):
        day = f"{rng.randrange(1, 13)}/{rng.randrange(1, 29)}/2011 {rng.randrange(8, 18)}:{rng.randrange(60):02d}"
        customer = "" if rng.random() < 0.25 else str(12346 + rng.randrange(4000))
        qty, price = rng.randrange(-5, 48), rng.randrange(10, 2000) / 100
        lines.append(f"{536365 + i // 20},{85000 + i % 4000},ITEM {i % 4000},{qty},{day},{price:.2f},{customer},UK")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = make_csv(Path(folder) / "lines.csv", args.rows)
        data = path.read_bytes()
        given = Mapping(
            customer="CustomerID",
            product="Description",
            date="InvoiceDate",
            quantity="Quantity",
            unit_price="UnitPrice",
            order="InvoiceNo",
            region="Country",
        )
        detected = timed(lambda: load_sales(data, "lines.csv"), args.repeat)
        mapped = timed(lambda: prepare_sales(read_report(data, "lines.csv"), given), args.repeat)
    print(f"{args.rows:,} invoice lines, amount = Quantity × UnitPrice")
    print(f"  columns given   : {mapped:7.2f} s")
    print(f"  columns detected: {detected:7.2f} s")
    print(f"  ratio detected / given: {detected / mapped:.2f}")


if __name__ == "__main__":
    main()
