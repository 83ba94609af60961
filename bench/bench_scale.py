"""Performance at the reader's limit (issue #12): the whole tool against the scripts an analyst would write,
measured in one run on generated ERP reports, every figure a ratio against a baseline measured in the same run.

    python bench/bench_scale.py                 # 100k and 300k rows, xlsx and csv, the app rerun (a few minutes)
    python bench/bench_scale.py --large         # also 1M rows
    python bench/bench_scale.py --sizes 300000 --repeat 5 --skip-openpyxl --skip-app

Every run is a fresh process (Python start-up and imports included on both sides), measured by the kernel's
accounting of the process and every child it waited for (os.wait4): CPU is user + system time, which is steadier
than wall time on a shared machine, and includes the worker process our reader forks. Peak memory is the largest
sum of resident memory of the process and its children, sampled every 5 ms. Each cell is the median of
`--repeat` fresh processes (pandas+openpyxl once: it takes minutes).

| row | what is compared |
|---|---|
| xlsx bands / fastexcel | `python -m funnel bands REPORT.xlsx --format json` vs fastexcel → pandas, groupby, pd.cut |
| openpyxl / xlsx bands | pandas.read_excel(engine="openpyxl") + groupby vs ours (higher is better) |
| csv bands / read_csv | `python -m funnel bands REPORT.csv --format json` vs pandas.read_csv + groupby + pd.cut |
| peak memory | the same two xlsx runs' peak resident memory (ours: the CLI and its reading worker together) |
| app rerun | streamlit.testing AppTest: CPU of the rerun after a threshold change, 100k-row upload vs the sample |

No timing is asserted anywhere: machines differ, the ratios within one run are what the issue's targets are.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
THRESHOLDS = [10_000, 50_000, 100_000, 200_000]
HEADER = ["单据日期", "单据编号", "客户名称", "货品名称", "数量", "单价", "价税合计", "区域", "业务员", "备注"]
TARGETS = {"xlsx": 1.3, "csv": 1.5, "openpyxl": 18.0, "memory": 1.2, "app": 1.5}
APP_SLACK_S = 0.050


# --- generated reports -----------------------------------------------------------------------------------------


def _rows(n: int, seed: int = 7):
    """n sales lines as columns: 5,000 customers buying as unevenly as real ones do (a few big accounts, a long
    tail: every band is filled), a few written two ways; 8 products, 4 regions, 40 reps."""
    import numpy as np

    rng = np.random.default_rng(seed)
    customers = np.array([f"客户{i:05d}有限公司" for i in range(5000)], dtype=object)
    variants = customers.copy()
    variants[::50] = [f"客户{i:05d}有限公司 " for i in range(0, 5000, 50)]  # a trailing space: the same customer
    weight = 1.0 / np.arange(1, 5001) ** 1.1
    cust = rng.choice(5000, size=n, p=weight / weight.sum())
    names = np.where(rng.random(n) < 0.02, variants[cust], customers[cust])
    qty = rng.integers(1, 20, n)
    amount = np.round(np.exp(rng.normal(7.0, 1.0, n)) * (100_000 / n) ** 0.5, 2)
    return {
        "day": rng.integers(45658, 46318, n),  # Excel serials: 2025-01-01 … 2026-10-22
        "order": np.arange(n) // 3,
        "customer": names,
        "product": rng.integers(0, 8, n),
        "qty": qty,
        "price": amount / qty,
        "amount": amount,
        "region": rng.integers(0, 4, n),
        "rep": rng.integers(0, 40, n),
    }


REGIONS = ["华东", "华北", "华南", "西南"]


def make_xlsx(rows: int) -> Path:
    """A one-sheet ERP export as Excel writes it: a title row, the header, shared strings, a date style, inline
    order numbers, a 4-decimal unit price and a 合计 row at the bottom (XML written directly: fast at 1M rows)."""
    path = OUT / f"report_{rows}.xlsx"
    if path.exists():
        return path
    from xml.sax.saxutils import escape

    d = _rows(rows)
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    strings = ["销售出库明细表", *HEADER, *sorted(set(d["customer"].tolist()))]
    strings += [f"产品{i}" for i in range(8)] + REGIONS + [f"业务员{i}" for i in range(40)] + ["正常", "合计"]
    index = {s: i for i, s in enumerate(strings)}
    cust = [index[c] for c in d["customer"].tolist()]
    sst = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName='
            '"/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="销售明细" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {ns}><cellXfs count="2"><xf numFmtId="0"/>'
            '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
        ),
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">{sst}</sst>',
    }
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    base = {name: index[name] for name in ("正常", "合计")}
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, text in parts.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            last = rows + 3
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><dimension ref="A1:J{last}"/>'.encode())
            f.write(b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2">')
            f.write("".join(f'<c t="s"><v>{j + 1}</v></c>' for j in range(10)).encode() + b"</row>")
            product0, region0, rep0 = index["产品0"], index[REGIONS[0]], index["业务员0"]
            block = []
            for i in range(rows):
                block.append(
                    f'<row r="{i + 3}"><c s="1"><v>{d["day"][i]}</v></c><c t="inlineStr"><is><t>XS{d["order"][i]:07d}'
                    f'</t></is></c><c t="s"><v>{cust[i]}</v></c><c t="s"><v>{product0 + d["product"][i]}</v></c>'
                    f"<c><v>{d['qty'][i]}</v></c><c><v>{d['price'][i]:.4f}</v></c><c><v>{d['amount'][i]}</v></c>"
                    f'<c t="s"><v>{region0 + d["region"][i]}</v></c><c t="s"><v>{rep0 + d["rep"][i]}</v></c>'
                    f'<c t="s"><v>{base["正常"]}</v></c></row>'
                )
                if len(block) == 10_000:
                    f.write("".join(block).encode())
                    block = []
            total = round(float(d["amount"].sum()), 2)
            block.append(f'<row r="{last}"><c t="s"><v>{base["合计"]}</v></c><c r="G{last}"><v>{total}</v></c></row>')
            f.write("".join(block).encode() + b"</sheetData></worksheet>")
    tmp.rename(path)
    return path


def make_csv(rows: int) -> Path:
    """The same lines as a UTF-8 CSV export: ISO dates, plain numbers, a header on the first line."""
    path = OUT / f"report_{rows}.csv"
    if path.exists():
        return path
    import datetime as dt

    d = _rows(rows)
    epoch = dt.date(1899, 12, 30)
    days = {int(s): (epoch + dt.timedelta(days=int(s))).isoformat() for s in set(d["day"].tolist())}
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(HEADER) + "\n")
        block = []
        for i in range(rows):
            block.append(
                f"{days[int(d['day'][i])]},XS{d['order'][i]:07d},{d['customer'][i]},产品{d['product'][i]},"
                f"{d['qty'][i]},{d['price'][i]:.4f},{d['amount'][i]},{REGIONS[d['region'][i]]},业务员{d['rep'][i]},正常\n"
            )
            if len(block) == 10_000:
                f.write("".join(block))
                block = []
        f.write("".join(block))
    tmp.rename(path)
    return path


# --- the baselines, each run as its own process ---------------------------------------------------------------


def child_fastexcel(path: str) -> None:
    """The bare script: fastexcel → pandas, sum per customer, count per band."""
    import fastexcel
    import numpy as np
    import pandas as pd

    frame = fastexcel.read_excel(path).load_sheet(0, header_row=1).to_pandas()
    totals = frame.groupby("客户名称")["价税合计"].sum()
    bands = pd.cut(totals, [-np.inf, *THRESHOLDS, np.inf], right=False).value_counts(sort=False)
    print(json.dumps(bands.tolist()))


def child_openpyxl(path: str) -> None:
    """The same with pandas' default xlsx reader (openpyxl)."""
    import numpy as np
    import pandas as pd

    frame = pd.read_excel(path, engine="openpyxl", header=1)
    totals = frame.groupby("客户名称")["价税合计"].sum()
    print(json.dumps(pd.cut(totals, [-np.inf, *THRESHOLDS, np.inf], right=False).value_counts(sort=False).tolist()))


def child_read_csv(path: str) -> None:
    """pandas.read_csv → sum per customer, count per band."""
    import numpy as np
    import pandas as pd

    frame = pd.read_csv(path)
    totals = frame.groupby("客户名称")["价税合计"].sum()
    print(json.dumps(pd.cut(totals, [-np.inf, *THRESHOLDS, np.inf], right=False).value_counts(sort=False).tolist()))


def child_app(path: str, reruns: int = int(os.environ.get("BENCH_RERUNS", "3"))) -> None:
    """AppTest: load (the sample, or `path` uploaded), then CPU seconds of each rerun after a threshold change."""
    import resource

    from streamlit.testing.v1 import AppTest

    tree = Path.cwd()  # the checkout measured
    sys.path.insert(0, str(tree))
    app = AppTest.from_file(str(tree / "app.py"), default_timeout=600)
    app.run()
    if path != "sample":
        app.sidebar.file_uploader[0].upload(Path(path).name, Path(path).read_bytes()).run()
    assert not app.exception, app.exception
    assert not app.sidebar.error, [e.value for e in app.sidebar.error]
    times = []
    for i in range(reruns):
        box = app.sidebar.number_input(key="th_n_1")
        box.set_value(float(40_000 + 5_000 * (i % 2)))
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        app.run()
        after = resource.getrusage(resource.RUSAGE_SELF)
        assert not app.exception, app.exception
        times.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, time.perf_counter() - start))
    print(json.dumps({"cpu": statistics.median(t[0] for t in times), "wall": statistics.median(t[1] for t in times)}))


CHILDREN = {"fastexcel": child_fastexcel, "openpyxl": child_openpyxl, "read_csv": child_read_csv, "app": child_app}


# --- measuring a fresh process ---------------------------------------------------------------------------------


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 once it is gone)."""
    total, todo, page = 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm", "rb") as f:
                total += int(f.read().split()[1]) * page
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", "rb") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # an installed app has its .pyc


def measure(cmd: list[str], cwd: Path = ROOT) -> dict[str, float]:
    """Run `cmd` as a fresh process: CPU (user + system, with every child it waited for), wall, peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            done.wait(0.005)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    chunks: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda name=name, f=f: chunks.__setitem__(name, f.read()), daemon=True)
        for name, f in (("out", proc.stdout), ("err", proc.stderr))
    ]  # both at once: a child filling its stderr pipe while we wait on stdout would hang
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    for reader in readers:
        reader.join()
    out, err = chunks["out"], chunks["err"]
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return {
        "cpu": usage.ru_utime + usage.ru_stime,
        "wall": wall,
        "peak_mb": peak[0] / 2**20,
        "maxrss_mb": usage.ru_maxrss / 1024,
        "out": out.decode(),
    }


def median_of(cmd: list[str], repeat: int, cwd: Path = ROOT) -> dict[str, float]:
    runs = [measure(cmd, cwd) for _ in range(repeat)]
    keys = ("cpu", "wall", "peak_mb", "maxrss_mb")
    return {k: statistics.median(r[k] for r in runs) for k in keys} | {"out": runs[-1]["out"]}


def _child(kind: str, path: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(path.resolve())]


def _child_app(path: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", "app", path]


def _ours(path: Path) -> list[str]:
    return [sys.executable, "-m", "funnel", "bands", str(path.resolve()), "--format", "json", "--lang", "en"]


def expected_bands(rows: int) -> list[int]:
    """Customers per band computed from the generator's own numbers (integer cents, the spellings merged)."""
    import numpy as np

    d = _rows(rows)
    cents = np.round(d["amount"] * 100).astype("int64")
    keys = np.array([c.strip() for c in d["customer"].tolist()])
    _, codes = np.unique(keys, return_inverse=True)
    totals = np.bincount(codes, weights=cents).astype("int64")  # exact: well below 2**53
    edges = np.array(THRESHOLDS, dtype="int64") * 100
    return np.bincount(np.searchsorted(edges, totals, side="right"), minlength=len(edges) + 1).tolist()


def _bands(out: str) -> list[int]:
    """Customers per band from either side's output."""
    data = json.loads(out)
    return [b["customers"] for b in data["bands"]] if isinstance(data, dict) else data


# --- the run ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,300000", help="rows of the generated reports, comma-separated")
    parser.add_argument("--large", action="store_true", help="add the 1,000,000-row reports")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per measurement (median)")
    parser.add_argument("--app-rows", type=int, default=100_000, help="rows of the file uploaded in the app rerun")
    parser.add_argument("--skip-openpyxl", action="store_true")
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--skip-app", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--tree", default=str(ROOT), help="the checkout to measure (default: this one)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        CHILDREN[args.child[0]](args.child[1])
        return
    tree = Path(args.tree).resolve()
    subprocess.run([sys.executable, "-c", "import funnel.cli, app"], cwd=tree, env=ENV, capture_output=True)  # .pyc
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.large and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    results: list[dict[str, object]] = []

    def row(what: str, size: int, ours: float, base: float, target: float, higher: bool = False, unit: str = "s"):
        ratio = base / ours if higher else ours / base
        ok = ratio >= target if higher else ratio <= target
        results.append({"what": what, "rows": size, "ours": ours, "base": base, "ratio": ratio, "target": target})
        sign = "≥" if higher else "≤"
        fmt = "{:8.0f} MB" if unit == "MB" else "{:8.2f} s "
        print(
            f"{what:34s} {size:>9,} {fmt.format(ours)} {fmt.format(base)} {ratio:7.2f}×  {sign} {target:<5g} "
            f"{'ok' if ok else 'MISSED'}",
            flush=True,
        )

    print(
        f"{tree}: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
        f"median of {args.repeat}"
    )
    print(f"{'':34s} {'rows':>9s} {'ours':>11s} {'baseline':>11s} {'ratio':>8s}  target")
    for size in sizes:
        xlsx = make_xlsx(size)
        bare = median_of(_child("fastexcel", xlsx), args.repeat)
        ours = median_of(_ours(xlsx), args.repeat, tree)
        if _bands(ours["out"]) != expected_bands(size):
            print(f"  WRONG: customers per band {_bands(ours['out'])}, independently {expected_bands(size)}")
        row("xlsx bands CPU / fastexcel script", size, ours["cpu"], bare["cpu"], TARGETS["xlsx"])
        row("xlsx peak memory / fastexcel", size, ours["peak_mb"], bare["peak_mb"], TARGETS["memory"], unit="MB")
        if not args.skip_openpyxl:
            slow = median_of(_child("openpyxl", xlsx), 1)
            row("pandas+openpyxl CPU / xlsx bands", size, ours["cpu"], slow["cpu"], TARGETS["openpyxl"], higher=True)
        if not args.skip_csv:
            csv = make_csv(size)
            base = median_of(_child("read_csv", csv), args.repeat)
            mine = median_of(_ours(csv), args.repeat, tree)
            if _bands(mine["out"]) != expected_bands(size):
                print(f"  WRONG: customers per band {_bands(mine['out'])}, independently {expected_bands(size)}")
            row("csv bands CPU / read_csv script", size, mine["cpu"], base["cpu"], TARGETS["csv"])
    if not args.skip_app:
        upload = make_xlsx(args.app_rows)
        sample = [json.loads(measure(_child_app("sample"), tree)["out"].splitlines()[-1]) for _ in range(args.repeat)]
        large = [json.loads(measure(_child_app(str(upload)), tree)["out"].splitlines()[-1]) for _ in range(args.repeat)]
        s_cpu = statistics.median(r["cpu"] for r in sample)
        l_cpu = statistics.median(r["cpu"] for r in large)
        ratio = (l_cpu - APP_SLACK_S) / s_cpu
        ok = l_cpu <= TARGETS["app"] * s_cpu + APP_SLACK_S
        results.append({"what": "app rerun", "rows": args.app_rows, "ours": l_cpu, "base": s_cpu, "ratio": ratio})
        print(
            f"{'app rerun CPU, upload / sample':34s} {args.app_rows:>9,} {l_cpu:8.3f} s  {s_cpu:8.3f} s  "
            f"{l_cpu / s_cpu:7.2f}×  ≤ 1.5 × sample + 50 ms {'ok' if ok else 'MISSED'}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
