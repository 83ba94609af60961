"""What the CSV reading worker and its hand-over cost (issue #12), measured as the CLI runs them, in fresh processes.

    python bench/bench_csvworker.py [--rows 300000] [--repeat 7]

Each run is a fresh interpreter that does what `python -m funnel bands X.csv` does around the read: imports
funnel.guard, starts the read early (guard.prefetch forks the worker), imports pandas meanwhile, then takes the
report over (guard.read_untrusted: the receive and RawTable.report). Printed per run and as medians: the worker's
CPU (user + system from RUSAGE_CHILDREN once it is reaped) and minor page faults, and the parent's CPU and faults
from the take-over to the pandas frame. CPU is steadier than wall time on a shared machine; compare within a run.
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
gc.enable()
before = resource.getrusage(resource.RUSAGE_SELF)
report = read_untrusted(Path(path), Path(path).name)
after = resource.getrusage(resource.RUSAGE_SELF)
child = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "worker_cpu": child.ru_utime + child.ru_stime, "worker_user": child.ru_utime, "worker_sys": child.ru_stime,
    "worker_faults": child.ru_minflt,
    "take_cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
    "take_faults": after.ru_minflt - before.ru_minflt,
    "rows": len(report.frame), "check": int(report.frame.iloc[:, 2].str.len().sum()),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--tree", default=str(ROOT), help="the checkout to measure (default: this one)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_scale import ENV, make_csv

    path = make_csv(args.rows)
    runs = []
    for _ in range(args.repeat):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], cwd=args.tree, env=ENV, capture_output=True, check=True
        ).stdout
        runs.append(json.loads(out.decode().splitlines()[-1]))
        print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in runs[-1].items()))
    keys = ("worker_cpu", "worker_user", "worker_sys", "worker_faults", "take_cpu", "take_faults")
    print("median " + " ".join(f"{k}={statistics.median(r[k] for r in runs):.3f}" for k in keys))


if __name__ == "__main__":
    main()
