"""What reading in a worker process costs: the guarded read against the same read in-process, measured in one run.

    python bench/bench_guard.py [--rows 100000] [--repeat 3]

Writes a 10-column ERP-style xlsx (dates, order numbers, customers, products, amounts; shared strings and a date
style, as Excel writes them) once, then reads it three ways: a bare fastexcel → pandas script, our reader
in-process (funnel.read.read_report), and our reader through funnel.guard (a forked worker). CPU is parent + child
(the child's from RUSAGE_CHILDREN once it is reaped); peak memory is each process's high-water mark. Prints the
medians and the ratios; no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hostile import content_types, root_rels, sst_xml, workbook_xml  # noqa: E402

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {NS}><cellXfs count="2"><xf numFmtId="0"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
)
HEADER = ["单据日期", "单据编号", "客户名称", "货品名称", "数量", "单价", "价税合计", "区域", "业务员", "备注"]


def make_workbook(path: Path, rows: int) -> Path:
    """A 10-column sheet written straight as XML (openpyxl would take minutes for a million rows)."""
    if path.exists():
        return path
    rng = np.random.default_rng(7)
    customers = [f"客户{i:05d}有限公司" for i in range(5000)]
    strings = [*HEADER, *customers, *(f"产品{i}" for i in range(8)), "华东", "华北", "华南", "西南"]
    strings += [f"业务员{i}" for i in range(40)] + ["正常"]
    cust, prod = rng.integers(0, 5000, rows), rng.integers(0, 8, rows)
    day, qty = rng.integers(45658, 46318, rows), rng.integers(1, 20, rows)
    amount = np.round(np.exp(rng.normal(8.5, 1.0, rows)), 2)
    region, rep = rng.integers(0, 4, rows), rng.integers(0, 40, rows)
    rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="x/sharedStrings" Target="sharedStrings.xml"/>'
        '<Relationship Id="rId3" Type="x/styles" Target="styles.xml"/></Relationships>'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr("[Content_Types].xml", content_types())
        z.writestr("_rels/.rels", root_rels())
        z.writestr("xl/workbook.xml", workbook_xml(["销售明细"]))
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/styles.xml", STYLES)
        z.writestr("xl/sharedStrings.xml", sst_xml(strings))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0"?><worksheet {NS}><dimension ref="A1:J{rows + 1}"/><sheetData>'.encode())
            f.write(('<row r="1">' + "".join(f'<c t="s"><v>{j}</v></c>' for j in range(10)) + "</row>").encode())
            block = []
            for i in range(rows):
                block.append(
                    f'<row r="{i + 2}"><c s="1"><v>{day[i]}</v></c><c t="inlineStr"><is><t>XS{i:07d}</t></is></c>'
                    f'<c t="s"><v>{10 + cust[i]}</v></c><c t="s"><v>{5010 + prod[i]}</v></c><c><v>{qty[i]}</v></c>'
                    f"<c><v>{amount[i] / qty[i]:.4f}</v></c><c><v>{amount[i]}</v></c>"
                    f'<c t="s"><v>{5018 + region[i]}</v></c><c t="s"><v>{5022 + rep[i]}</v></c>'
                    f'<c t="s"><v>{len(strings) - 1}</v></c></row>'
                )
                if len(block) == 10_000:
                    f.write("".join(block).encode())
                    block = []
            f.write("".join(block).encode() + b"</sheetData></worksheet>")
    return path


def bare(data: bytes) -> int:
    import fastexcel

    return len(fastexcel.read_excel(data).load_sheet(0).to_pandas())


def in_process(data: bytes) -> int:
    from funnel.read import read_report

    return len(read_report(data, "r.xlsx").frame)


def guarded(data: bytes) -> int:
    from funnel.guard import read_untrusted

    return len(read_untrusted(data, "r.xlsx").frame)


def measure(fn, data: bytes, repeat: int) -> tuple[float, float, int]:
    """(median wall s, median CPU s of this process and its reaped children, rows)."""
    walls, cpus, rows = [], [], 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        rows = fn(data)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before, strict=True)))
    return statistics.median(walls), statistics.median(cpus), rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = make_workbook(ROOT / "bench" / "out" / f"wide_{args.rows}.xlsx", args.rows)
    data = path.read_bytes()
    import funnel.guard  # noqa: F401  (imports paid before timing, as in the app)

    print(f"rows: {args.rows:,}  file: {len(data) / 2**20:.1f} MB  repeat: {args.repeat}  (medians)")
    results = {}
    for label, fn in (("bare fastexcel→pandas", bare), ("in-process read", in_process), ("guarded read", guarded)):
        wall, cpu, rows = measure(fn, data, args.repeat)
        results[label] = cpu
        print(f"{label:24s} wall {wall:6.2f} s   cpu {cpu:6.2f} s   rows {rows:,}")
    base, inproc, guard = results["bare fastexcel→pandas"], results["in-process read"], results["guarded read"]
    print(f"guarded / in-process CPU: {guard / inproc:.3f}   guarded / bare CPU: {guard / base:.3f}")
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"peak RSS: this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB, "
        f"largest worker {child:,.0f} MB"
    )


if __name__ == "__main__":
    main()
