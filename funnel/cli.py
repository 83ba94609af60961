"""`python -m funnel …`: the same engine as the app, for scheduled weekly reports and for checks."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from funnel.bands import DEFAULT_THRESHOLDS, BandReport, parse_thresholds
from funnel.errors import FunnelError
from funnel.i18n import t
from funnel.load import analyse_bands, load_sales, parse_day, read_file_bytes, resolve_products
from funnel.schema import SalesData
from funnel.tables import band_summary_table


def default_lang() -> str:
    """Chinese when the environment's locale is Chinese, else English."""
    return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report", help="sales report: xlsx, xls or csv")
    parser.add_argument("--sheet", help="sheet name (default: the one that looks like a sales report)")
    parser.add_argument("--product", action="append", help="keep only this product (repeatable; default all)")
    parser.add_argument("--start", help="first day of the period, e.g. 2026-01-01")
    parser.add_argument("--end", help="last day of the period (inclusive)")
    for role in ("customer", "product", "amount", "date", "region", "rep"):
        parser.add_argument(f"--{role}-col", dest=f"{role}_col", help=f"the {role} column (default: detected)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--out", help="write to this file instead of standard output")
    parser.add_argument("--lang", choices=("zh", "en"), default=None, help="language of labels and messages")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m funnel", description="Customer Funnel (客户漏斗) command line")
    sub = parser.add_subparsers(dest="command", required=True)
    bands = sub.add_parser("bands", help="customers and revenue per amount band")
    _common(bands)
    bands.add_argument(
        "--thresholds",
        default=",".join(f"{x:g}" for x in DEFAULT_THRESHOLDS),
        help="band thresholds in yuan, ascending, comma-separated (1万 style accepted)",
    )
    bands.add_argument("--upgrade-pct", type=float, default=20.0, help="upgrade candidates: within this %% of next")
    sample = sub.add_parser("sample", help="regenerate the bundled sample report(s) in data/")
    sample.add_argument("--out-dir", default=None, help="write the samples here instead of data/")
    return parser


def _load(args: argparse.Namespace) -> SalesData:
    overrides = {
        role: getattr(args, f"{role}_col") for role in ("customer", "product", "amount", "date", "region", "rep")
    }
    return load_sales(read_file_bytes(args.report), Path(args.report).name, args.sheet, overrides)


def accounting(sales: SalesData) -> dict[str, object]:
    """Rows read, used and left out per reason: the numbers every output carries."""
    return {"rows_read": sales.rows_read, "rows_used": sales.rows_used, "rows_dropped": dict(sales.reasons)}


def bands_json(sales: SalesData, report: BandReport) -> dict[str, object]:
    """The `bands` command's JSON object."""
    bands = [
        {
            "label": row.label,
            "lower": None if pd.isna(row.lower) else float(row.lower),
            "upper": None if pd.isna(row.upper) else float(row.upper),
            "customers": int(row.customers),
            "amount": int(row.amount_cents) / 100,
        }
        for row in report.summary.itertuples(index=False)
    ]
    return {
        **accounting(sales),
        "customers": report.n_customers,
        "total_amount": report.total_cents / 100,
        "bands": bands,
    }


def _bands_table(report: BandReport, lang: str) -> pd.DataFrame:
    """The band summary with shares and money written out, for text and CSV output."""
    table = band_summary_table(report, lang)
    for column in (t("customer_share", lang), t("revenue_share", lang)):
        table[column] = table[column].map(lambda v: f"{v:.1%}")
    table[t("revenue", lang)] = table[t("revenue", lang)].map(lambda v: f"{v:,.2f}")
    return table


def _emit(text: str | bytes, out: str | None) -> None:
    if out:
        Path(out).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    else:
        sys.stdout.write(text.decode("utf-8-sig") if isinstance(text, bytes) else text)


def run_bands(args: argparse.Namespace, lang: str) -> None:
    sales = _load(args)
    report = analyse_bands(
        sales,
        resolve_products(sales, args.product),
        parse_day(args.start),
        parse_day(args.end),
        parse_thresholds(args.thresholds),
        lang,
        args.upgrade_pct / 100,
    )
    if args.format == "json":
        _emit(json.dumps(bands_json(sales, report), ensure_ascii=False, indent=2) + "\n", args.out)
    elif args.format == "csv":
        from funnel.export import to_csv_bytes

        _emit(to_csv_bytes(_bands_table(report, lang)), args.out)
    else:
        lines = [
            f"{t('rows_read', lang)}: {sales.rows_read}  {t('rows_used', lang)}: {sales.rows_used}  "
            f"{t('rows_left_out', lang)}: {sales.rows_left_out}",
            *(f"  {t('reason_' + k, lang)}: {v}" for k, v in sales.reasons.items()),
            f"{t('total_customers', lang)}: {report.n_customers}  "
            f"{t('total_revenue', lang)}: {report.total_cents / 100:,.2f}",
            "",
            _bands_table(report, lang).to_string(index=False),
            "",
        ]
        _emit("\n".join(lines), args.out)


def run_sample(args: argparse.Namespace, lang: str) -> None:
    from funnel import sample

    out_dir = Path(args.out_dir) if args.out_dir else sample.SAMPLE_SALES.parent
    for path in sample.write_all(out_dir):
        print(path)


COMMANDS = {"bands": run_bands, "sample": run_sample}


def main(argv: list[str] | None = None) -> int:
    """Run a command; a problem with the input is one line on stderr and exit code 2, never a traceback."""
    args = build_parser().parse_args(argv)
    lang = getattr(args, "lang", None) or default_lang()
    try:
        COMMANDS[args.command](args, lang)
    except FunnelError as exc:
        print(f"error: {exc.message(lang)}", file=sys.stderr)
        return 2
    except Exception as exc:  # the last line of defence: one line, no traceback
        print(f"error: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    return 0
