"""Band funnel on a generated Parquet table: through embedded DuckDB (`python -m funnel bands t.parquet`) against
the pandas path (read every row into a DataFrame, group, band), measured in the same run, each in its own process.

    python bench/bench_warehouse.py [--rows 10000000] [--customers 50000] [--postgres] [--spark]

Prints seconds and peak RSS of each and the ratios pandas / DuckDB (higher is better for us). Two pandas
baselines: a bare groupby (no cleaning, no row account) and the file path's own cleaning (schema.prepare_sales)
before the groupby, which is what the DuckDB path does in SQL. With --postgres
(a throwaway cluster, as in the tests) and --spark (local mode) the same command runs on those too, and every
engine's band counts are checked equal to DuckDB's. The data is generated into a temporary folder and deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = [10_000, 50_000, 100_000, 200_000]


def make_parquet(path: Path, rows: int, customers: int, chunk: int = 1_000_000) -> None:
    """ERP-like lines (date, order, customer, product, amount with returns, region) written chunk by chunk."""
    rng = np.random.default_rng(11)
    names = pa.array([f"客户{i:06d}有限公司" for i in range(customers)])
    products = pa.array(["门锁", "摄像机", "门禁", "报警器", "对讲机"])
    regions = pa.array(["华东", "华北", "华南", "西南"])
    writer = None
    lines_each = rows / customers
    size = np.exp(rng.normal(np.log(60_000 / lines_each), 1.2, customers))  # customers spread over every band
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        who = rng.integers(0, customers, n)
        cents = np.round(size[who] * rng.uniform(0.2, 1.8, n) * 100).astype("int64")
        cents[rng.random(n) < 0.03] *= -1  # returns
        table = pa.table(
            {
                "单据日期": pa.array(np.datetime64("2024-01-01") + rng.integers(0, 730, n).astype("timedelta64[D]")),
                "单据编号": pa.array([f"XS{start + i:09d}" for i in range(0, n)]),
                "客户名称": names.take(pa.array(who)),
                "货品名称": products.take(pa.array(rng.integers(0, len(products), n))),
                "价税合计": pa.array(cents / 100),
                "区域": regions.take(pa.array(rng.integers(0, len(regions), n))),
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


PANDAS = """
import json, re, sys, numpy as np, pandas as pd
def peak_kb():  # VmHWM: this program's own peak RSS (ru_maxrss would include the parent's at fork)
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
frame = pd.read_parquet(sys.argv[1])
cents = np.sign(frame["价税合计"] * 100) * np.floor(np.abs(frame["价税合计"] * 100) + 0.5)
totals = cents.astype("int64").groupby(frame["客户名称"]).sum()
bands = np.searchsorted(np.array([1000000, 5000000, 10000000, 20000000]), totals.to_numpy(), side="right")
counts = np.bincount(bands, minlength=5).tolist()
print(json.dumps({"counts": counts, "rss_kb": peak_kb()}))
"""

PRODUCT_PANDAS = """
import json, re, sys, numpy as np, pandas as pd
def peak_kb():  # VmHWM: this program's own peak RSS (ru_maxrss would include the parent's at fork)
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
from funnel.schema import prepare_sales
sales = prepare_sales(pd.read_parquet(sys.argv[1]))  # the file path's cleaning and row account, in pandas
totals = sales.lines.groupby("customer_key")["amount_cents"].sum()
bands = np.searchsorted(np.array([1000000, 5000000, 10000000, 20000000]), totals.to_numpy(), side="right")
counts = np.bincount(bands, minlength=5).tolist()
print(json.dumps({"counts": counts, "rss_kb": peak_kb()}))
"""

FUNNEL = """
import json, re, sys
from funnel.cli import main
def peak_kb():
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
rc = main(["bands", *sys.argv[1:-1], "--format", "json", "--out", sys.argv[-1]])
out = json.load(open(sys.argv[-1]))
print(json.dumps({"counts": [b["customers"] for b in out["bands"]], "rows_used": out["rows_used"],
                  "rss_kb": peak_kb()}))
sys.exit(rc)
"""


def run(code: str, *args: str, env: dict | None = None) -> tuple[float, dict]:
    """Seconds and the JSON a fresh Python process prints (its own peak RSS included)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})}
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--postgres", action="store_true", help="also load the table into a throwaway PostgreSQL")
    parser.add_argument("--spark", action="store_true", help="also run it on Spark in local mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="funnel-bench-") as tmp:
        path = Path(tmp) / "sales.parquet"
        started = time.perf_counter()
        make_parquet(path, args.rows, args.customers)
        size = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s ({size:.0f} MB)")
        out = str(Path(tmp) / "out.json")
        pandas_s, pandas = run(PANDAS, str(path))
        product_s, product = run(PRODUCT_PANDAS, str(path))
        duck_s, duck = run(FUNNEL, str(path), out)
        assert duck["counts"] == pandas["counts"] == product["counts"], (duck["counts"], pandas["counts"])
        assert duck["rows_used"] == args.rows
        print(f"pandas path : {pandas_s:6.1f} s  peak {pandas['rss_kb'] / 1024:6.0f} MB  bands {pandas['counts']}")
        print(
            f"pandas, with the file path's cleaning (prepare_sales): {product_s:6.1f} s  peak "
            f"{product['rss_kb'] / 1024:6.0f} MB"
        )
        print(f"DuckDB      : {duck_s:6.1f} s  peak {duck['rss_kb'] / 1024:6.0f} MB  bands {duck['counts']}")
        memory = pandas["rss_kb"] / duck["rss_kb"]
        print(f"ratio pandas/DuckDB: time {pandas_s / duck_s:.2f}x, peak memory {memory:.2f}x")
        memory = product["rss_kb"] / duck["rss_kb"]
        print(f"ratio pandas with cleaning/DuckDB: time {product_s / duck_s:.2f}x, peak memory {memory:.2f}x")
        if args.spark:
            spark_s, spark = run(FUNNEL, str(path), "--engine", "spark", out)
            assert spark["counts"] == duck["counts"]
            print(f"Spark local : {spark_s:6.1f} s  peak {spark['rss_kb'] / 1024:6.0f} MB (Python; the JVM is apart)")
        if args.postgres:
            sys.path.insert(0, str(ROOT / "tests"))
            from engines import PG_PASSWORD, PostgresCluster

            cluster = PostgresCluster().start()
            try:
                with cluster.connect() as con:
                    con.execute(
                        'CREATE TABLE sales ("单据日期" date, "单据编号" text, "客户名称" text, "货品名称" text, '
                        '"价税合计" numeric(14, 2), "区域" text)'
                    )
                    loaded = time.perf_counter()
                    with con.cursor().copy("COPY sales FROM STDIN") as copy:
                        for batch in pq.ParquetFile(path).iter_batches(200_000):
                            for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                                copy.write_row(row)
                    print(f"loaded PostgreSQL in {time.perf_counter() - loaded:.1f} s")
                pg_s, pg = run(FUNNEL, cluster.url(), "--table", "sales", out, env={"PGPASSWORD": PG_PASSWORD})
                assert pg["counts"] == duck["counts"]
                print(f"PostgreSQL  : {pg_s:6.1f} s  peak {pg['rss_kb'] / 1024:6.0f} MB (Python process)")
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
