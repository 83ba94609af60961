"""What the CSV reading worker and its hand-over cost (issue #12), measured as the CLI runs them, in fresh processes.

    python bench/bench_csvworker.py [--rows 300000] [--repeat 7] [--tree CHECKOUT --tree OTHER …]

Each run is a fresh interpreter that does what `python -m funnel bands X.csv` does around the read: imports
funnel.guard, starts the read early (guard.prefetch forks the worker), imports pandas meanwhile, then takes the
report over (guard.read_untrusted: the receive and RawTable.report). Printed as medians per checkout: the worker's
CPU (user + system from RUSAGE_CHILDREN once it is reaped), minor page faults and peak resident memory, and the
parent's CPU and faults from the take-over to the pandas frame. CPU is steadier than wall time on a shared machine;
compare within a run (checkouts given together are measured in turn, run by run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import gc, json, resource, sys
gc.disable()
path = sys.argv[1]
from funnel.guard import prefetch, read_untrusted
from pathlib import Path
prefetch(path, Path(path).name)
import pandas  # the parent's imports run while the worker reads
gc.freeze()  # as funnel.__main__ does after its imports
gc.enable()
before = resource.getrusage(resource.RUSAGE_SELF)
report = read_untrusted(Path(path), Path(path).name)
after = resource.getrusage(resource.RUSAGE_SELF)
child = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "worker_cpu": child.ru_utime + child.ru_stime, "worker_user": child.ru_utime, "worker_sys": child.ru_stime,
    "worker_faults": child.ru_minflt, "worker_peak_mb": child.ru_maxrss / 1024,
    "take_cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
    "take_faults": after.ru_minflt - before.ru_minflt,
    "rows": len(report.frame), "check": int(report.frame.iloc[:, 2].str.len().sum()),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--tree", action="append", help="a checkout to measure (repeatable: runs interleaved; default: this one)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_scale import ENV, make_csv

    path = make_csv(args.rows)
    trees = args.tree or [str(ROOT)]
    runs: dict[str, list[dict]] = {tree: [] for tree in trees}
    for _ in range(args.repeat):
        for tree in trees:  # interleaved: a shared machine's load falls on every tree alike
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)], cwd=tree, env=ENV, capture_output=True, check=True
            ).stdout
            runs[tree].append(json.loads(out.decode().splitlines()[-1]))
    keys = ("worker_cpu", "worker_user", "worker_sys", "worker_faults", "worker_peak_mb", "take_cpu", "take_faults")
    for tree, done in runs.items():
        print(f"{tree}: median of {len(done)}")
        print("  " + " ".join(f"{k}={statistics.median(r[k] for r in done):.3f}" for k in keys))


if __name__ == "__main__":
    main()
