"""`python -m funnel …`: the same engine as the app, for scheduled weekly reports and for checks."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from funnel.bands import DEFAULT_THRESHOLDS, BandReport, band_report, customer_totals, parse_thresholds
from funnel.errors import FunnelError
from funnel.i18n import t
from funnel.keycustomers import KeyCustomerReport
from funnel.load import parse_day, read_file_bytes, resolve_products
from funnel.schema import SalesData
from funnel.sources import SalesSource
from funnel.stages import StageFunnel
from funnel.tables import band_summary_table


def default_lang() -> str:
    """Chinese when the environment's locale is Chinese, else English."""
    return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


def _common(parser: argparse.ArgumentParser, formats: tuple[str, ...] = ("table", "json", "csv")) -> None:
    parser.add_argument(
        "report",
        help="sales report (xlsx, xls, csv), a .parquet file or folder, or a URL: duckdb:///file.duckdb, "
        "postgresql://user@host:port/db (password from FUNNEL_DB_PASSWORD or PGPASSWORD), sc://host:port",
    )
    parser.add_argument("--table", help="the table (or schema.table) of a database source")
    parser.add_argument(
        "--engine", choices=("duckdb", "spark"), default="duckdb", help="engine for a Parquet source (default duckdb)"
    )
    parser.add_argument("--sheet", help="sheet name (default: the one that looks like a sales report)")
    parser.add_argument("--product", action="append", help="keep only this product (repeatable; default all)")
    parser.add_argument("--start", help="first day of the period, e.g. 2026-01-01")
    parser.add_argument("--end", help="last day of the period (inclusive)")
    for role in ("customer", "product", "amount", "date", "region", "rep"):
        parser.add_argument(f"--{role}-col", dest=f"{role}_col", help=f"the {role} column (default: detected)")
    parser.add_argument("--format", choices=formats, default="table")
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
    key = sub.add_parser("key-customers", help="Pareto/ABC grades and the key-customer list")
    _common(key, formats=("table", "json", "csv", "xlsx"))
    key.add_argument("--share", type=float, default=0.8, help="Pareto share to report (default 0.8)")
    key.add_argument("--cutoffs", default="0.8,0.95", help="A and B cumulative-share cut-offs (default 0.8,0.95)")
    key.add_argument("--grade", action="append", choices=("A", "B", "C"), help="list only these grades")
    key.add_argument("--inactive-days", type=int, default=90, help="A/B with no order this long are at risk")
    mig = sub.add_parser("migration", help="band migration and per-product change between two periods")
    _common(mig)
    mig.add_argument("--from", dest="period_from", required=True, help="earlier period START..END")
    mig.add_argument("--to", dest="period_to", required=True, help="later period START..END")
    mig.add_argument(
        "--thresholds", default=",".join(f"{x:g}" for x in DEFAULT_THRESHOLDS), help="band thresholds in yuan"
    )
    mig.add_argument("--churn-alert", type=float, default=20.0, help="flag products whose churn exceeds this %%")
    stages = sub.add_parser("stages", help="stage funnel: reached, conversion, drop-off and the bottleneck")
    stages.add_argument("report", help="pipeline export: xlsx, xls or csv")
    stages.add_argument("--sheet")
    stages.add_argument("--template", default="lead", help="stage template: lead, key4, key_account, aida")
    stages.add_argument("--order", help='stage order, e.g. "潜在客户,初步接触,意向,提案,谈判,成交"')
    stages.add_argument("--shape", choices=("snapshot", "stage_dates", "event_log"), help="default: detected")
    stages.add_argument("--stage-col", dest="stage_col")
    stages.add_argument("--id-col", dest="id_col")
    stages.add_argument("--amount-col", dest="amount_col")
    stages.add_argument("--won", help="values meaning won, comma-separated (added to 赢单/成交/Won…)")
    stages.add_argument("--lost", help="values meaning lost, comma-separated (added to 输单/丢单/Lost…)")
    stages.add_argument("--window", type=int, help="count a later stage only within N days of the first")
    stages.add_argument("--by", help="break down by this column (or product, region, rep)")
    stages.add_argument("--format", choices=("table", "json", "csv"), default="table")
    stages.add_argument("--out")
    stages.add_argument("--lang", choices=("zh", "en"), default=None)
    fc = sub.add_parser("forecast", help="weighted forecast per quarter or month")
    _pipeline_args(fc)
    fc.add_argument("--probabilities", help='stage probabilities, e.g. "提案=0.5,谈判=70%%" (others: defaults)')
    fc.add_argument("--ignore-probability-column", action="store_true", help="use the stage table for every deal")
    fc.add_argument("--by", choices=("quarter", "month"), default="quarter")
    fc.add_argument("--format", choices=("table", "json", "csv"), default="table")
    fc.add_argument("--out")
    snap = sub.add_parser("snapshot", help="weekly forecast snapshots (save, list, delete)")
    snap_sub = snap.add_subparsers(dest="action", required=True)
    save = snap_sub.add_parser("save", help="store the pipeline as it stands under an ISO week")
    _pipeline_args(save)
    save.add_argument("--db", help="database file (default: FUNNEL_DB or the user's data folder)")
    save.add_argument("--week", help="ISO week such as 2026-W48 (default: this week)")
    save.add_argument("--label", default="")
    save.add_argument("--replace", action="store_true", help="replace the week's snapshot if there is one")
    listing = snap_sub.add_parser("list", help="the saved snapshots")
    listing.add_argument("--db")
    listing.add_argument("--lang", choices=("zh", "en"), default=None)
    delete = snap_sub.add_parser("delete", help="delete one week's snapshot")
    delete.add_argument("week")
    delete.add_argument("--db")
    delete.add_argument("--yes", action="store_true", help="confirm without asking")
    delete.add_argument("--lang", choices=("zh", "en"), default=None)
    sample = sub.add_parser("sample", help="regenerate the bundled sample report(s) in data/")
    sample.add_argument("--out-dir", default=None, help="write the samples here instead of data/")
    return parser


def _pipeline_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report", help="pipeline export: xlsx, xls or csv")
    parser.add_argument("--sheet")
    parser.add_argument("--template", default="lead", help="stage template: lead, key4, key_account, aida")
    parser.add_argument("--order", help="stage order, comma-separated")
    parser.add_argument("--lang", choices=("zh", "en"), default=None)


def _pipeline(args: argparse.Namespace):
    """(raw report, stage order) for a pipeline export: --order, else the template named in the data's language."""
    from funnel.read import read_report
    from funnel.stages import template_for_data

    raw = read_report(read_file_bytes(args.report), Path(args.report).name, args.sheet)
    stages = [s.strip() for s in args.order.replace("，", ",").split(",") if s.strip()] if args.order else None
    return raw, stages or template_for_data(raw.frame, args.template, getattr(args, "stage_col", None))


def _load(args: argparse.Namespace) -> SalesSource:
    """The command's source (file, Parquet or database), rows accounted; a password is asked only on a terminal."""
    from funnel.sources import open_source

    overrides = {
        role: getattr(args, f"{role}_col") for role in ("customer", "product", "amount", "date", "region", "rep")
    }
    prompt = sys.stdin is not None and sys.stdin.isatty()
    return open_source(args.report, args.table, args.engine, args.sheet, overrides, prompt=prompt)


def accounting(sales: SalesData | SalesSource) -> dict[str, object]:
    """Rows read, used and left out per reason: the numbers every output carries."""
    return {"rows_read": sales.rows_read, "rows_used": sales.rows_used, "rows_dropped": dict(sales.reasons)}


def bands_json(sales: SalesData | SalesSource, report: BandReport) -> dict[str, object]:
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
    lines = sales.lines.where(resolve_products(sales, args.product), parse_day(args.start), parse_day(args.end))
    report = band_report(customer_totals(lines), parse_thresholds(args.thresholds), lang, args.upgrade_pct / 100)
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


def key_json(sales: SalesData | SalesSource, report: KeyCustomerReport) -> dict[str, object]:
    """The `key-customers` command's JSON object: every customer with grade and shares, plus per-grade summary."""
    n, pct, reached = report.pareto
    customers = [
        {
            "rank": int(r.rank),
            "customer": r.customer,
            "revenue": int(r.amount_cents) / 100,
            "share": round(float(r.share), 6),
            "cumulative_share": round(float(r.cum_share), 6),
            "grade": r.grade,
            "priority": r.priority,
            "band": r.band_label,
            "last_date": None if pd.isna(r.last_date) else pd.Timestamp(r.last_date).date().isoformat(),
            "at_risk": bool(r.at_risk),
        }
        for r in report.customers.itertuples(index=False)
    ]
    summary = {
        row.grade: {"customers": int(row.customers), "revenue": int(row.amount_cents) / 100}
        for row in report.summary.itertuples(index=False)
    }
    return {
        **accounting(sales),
        "customers_total": len(customers),
        "pareto": {
            "share": report.share,
            "customers": n,
            "customer_share": round(pct, 6),
            "reached": round(reached, 6),
        },
        "cutoffs": list(report.cutoffs),
        "summary": summary,
        "customers": customers,
    }


def run_key_customers(args: argparse.Namespace, lang: str) -> None:
    from funnel.keycustomers import filter_customers, key_customers
    from funnel.tables import KEY_COLUMNS, customer_list

    sales = _load(args)
    cutoffs = [float(x) for x in args.cutoffs.replace("，", ",").split(",") if x.strip()]
    lines = sales.lines.where(resolve_products(sales, args.product), parse_day(args.start), parse_day(args.end))
    report = key_customers(
        lines, customer_totals(lines), cutoffs, args.share, lang=lang, inactive_days=args.inactive_days
    )
    if args.format == "json":
        _emit(json.dumps(key_json(sales, report), ensure_ascii=False, indent=2) + "\n", args.out)
        return
    table = customer_list(filter_customers(report.customers, args.grade or ()), lang, KEY_COLUMNS)
    if args.format == "csv":
        from funnel.export import to_csv_bytes

        _emit(to_csv_bytes(table), args.out)
    elif args.format == "xlsx":
        from funnel.export import to_xlsx_bytes

        if not args.out:
            raise FunnelError("cli_xlsx_needs_out")
        _emit(to_xlsx_bytes(table, sheet=t("page_key", lang)), args.out)
    else:
        n, pct, reached = report.pareto
        head = t("pareto_sentence", lang, n=f"{n:,}", pct=f"{pct:.1%}", share=f"{reached:.1%}")
        _emit(head + "\n\n" + table.to_string(index=False) + "\n", args.out)


def run_migration(args: argparse.Namespace, lang: str) -> None:
    from funnel.migration import Period, migration, product_change
    from funnel.tables import migration_matrix_table, product_change_table

    sales = _load(args)
    earlier, later = Period.parse(args.period_from), Period.parse(args.period_to)
    if not sales.has_dates:
        raise FunnelError("cli_needs_dates")
    lines = sales.lines.where(resolve_products(sales, args.product))
    result = migration(lines, earlier, later, parse_thresholds(args.thresholds), lang)
    change = product_change(lines, earlier, later, args.churn_alert / 100)
    if args.format == "json":
        matrix = [
            {"from_band": a, "to_band": b, "customers": int(result.matrix.loc[a, b])}
            for a in result.matrix.index
            for b in result.matrix.columns
        ]
        products = [
            {
                k: (None if isinstance(v, float) and v != v else (v.item() if hasattr(v, "item") else v))
                for k, v in row.items()
            }
            for row in change.to_dict(orient="records")
        ]
        out = {
            **accounting(sales),
            "from": earlier.label(),
            "to": later.label(),
            "moves": result.moves(),
            "matrix": matrix,
            "products": products,
        }
        _emit(json.dumps(out, ensure_ascii=False, indent=2) + "\n", args.out)
    elif args.format == "csv":
        from funnel.export import to_csv_bytes

        _emit(to_csv_bytes(migration_matrix_table(result, lang)), args.out)
    else:
        text = [
            t("periods_caption", lang, a=earlier.label(), b=later.label()),
            t("moves_line", lang, **result.moves()),
            "",
            migration_matrix_table(result, lang).to_string(index=False),
            "",
            product_change_table(change, lang).to_string(index=False),
            "",
        ]
        _emit("\n".join(text), args.out)


def _stage_rows(funnel: StageFunnel) -> list[dict[str, object]]:
    def num(v):
        return None if v is None or v != v else round(float(v), 6)

    return [
        {
            "stage": r.stage,
            "reached": int(r.reached),
            "amount": round(float(r.amount), 2),
            "step_conversion": num(r.step_conversion),
            "cumulative_conversion": num(r.cumulative_conversion),
            "dropped": int(r.dropped),
            "drop_share": num(r.drop_share),
            "median_days_to_next": num(r.median_days_to_next),
        }
        for r in funnel.table.itertuples(index=False)
    ]


def _bottleneck(funnel: StageFunnel) -> dict[str, object] | None:
    if funnel.bottleneck is None:
        return None
    t_ = funnel.table
    b = funnel.bottleneck
    return {
        "from": t_["stage"].iloc[b],
        "to": t_["stage"].iloc[b + 1],
        "drop_share": round(float(t_["drop_share"].iloc[b]), 6),
    }


def run_stages(args: argparse.Namespace, lang: str) -> None:
    from dataclasses import replace

    from funnel.stages import breakdown, detect_pipeline_mapping, prepare_deals, stage_funnel
    from funnel.tables import stage_table

    raw, stages = _pipeline(args)
    mapping = detect_pipeline_mapping([str(c) for c in raw.frame.columns], stages)
    for role, value in (("stage", args.stage_col), ("deal", args.id_col), ("amount", args.amount_col)):
        if value:
            if value not in raw.frame.columns:
                raise FunnelError("schema_unknown_column", role=(f"role_{role}",), column=value)
            mapping = replace(mapping, **{role: value})
    value_map = {v.strip(): "won" for v in (args.won or "").split(",") if v.strip()}
    value_map |= {v.strip(): "lost" for v in (args.lost or "").split(",") if v.strip()}
    by = args.by
    keep = [by] if by and by not in ("product", "region", "rep") else []
    deals = prepare_deals(raw, stages, mapping, args.shape, value_map, keep=keep)
    funnel = stage_funnel(deals.deals, stages, args.window)
    account = {"rows_read": deals.rows_read, "rows_used": deals.rows_used, "rows_dropped": dict(deals.reasons)}
    groups = breakdown(deals.deals, stages, f"by:{by}" if keep else by, args.window) if by else {}
    if args.format == "json":
        out = {
            **account,
            "shape": deals.shape,
            "deals": len(deals.deals),
            "stages": _stage_rows(funnel),
            "bottleneck": _bottleneck(funnel),
            "win_rate": funnel.win_rate,
            "won": funnel.won,
            "lost": funnel.lost,
            "lost_without_stage": deals.lost_without_stage,
            "unmapped_values": {r.value: int(r.rows) for r in deals.unmapped.itertuples(index=False)},
        }
        if groups:
            out["by"] = by
            out["groups"] = {
                name: {"stages": _stage_rows(f), "bottleneck": _bottleneck(f), "win_rate": f.win_rate}
                for name, f in groups.items()
            }
        _emit(json.dumps(out, ensure_ascii=False, indent=2) + "\n", args.out)
        return
    table = stage_table(funnel, lang)
    if args.format == "csv":
        from funnel.export import to_csv_bytes

        _emit(to_csv_bytes(table), args.out)
        return
    text = [table.to_string(index=False), ""]
    if funnel.bottleneck is not None:
        b = funnel.bottleneck
        share = f"{funnel.table['drop_share'].iloc[b]:.1%}"
        n = int(funnel.table["dropped"].iloc[b])
        text.append(t("bottleneck_sentence", lang, a=stages[b], b=stages[b + 1], share=share, n=n))
    for name, f in groups.items():
        text += ["", f"== {name}", stage_table(f, lang).to_string(index=False)]
    _emit("\n".join(text) + "\n", args.out)


def _weighed(args: argparse.Namespace, lang: str):
    from funnel.forecast import parse_probabilities, weigh
    from funnel.stages import prepare_deals

    raw, stages = _pipeline(args)
    deals = prepare_deals(raw, stages)
    table = parse_probabilities(getattr(args, "probabilities", None) or "", stages)
    use_column = not getattr(args, "ignore_probability_column", False)
    return deals, weigh(deals.deals, stages, table, use_column=use_column)


def run_forecast(args: argparse.Namespace, lang: str) -> None:
    from funnel.forecast import forecast
    from funnel.tables import forecast_table

    deals, weighed = _weighed(args, lang)
    table = forecast(weighed, args.by)
    if args.format == "json":
        keys = ("weighted", "commit", "best_case", "closed", "open_amount")
        periods = [{"period": r["period"], **{k: round(float(r[k]), 2) for k in keys}} for _, r in table.iterrows()]
        account = {"rows_read": deals.rows_read, "rows_used": deals.rows_used, "rows_dropped": dict(deals.reasons)}
        _emit(json.dumps({**account, "by": args.by, "periods": periods}, ensure_ascii=False, indent=2) + "\n", args.out)
    elif args.format == "csv":
        from funnel.export import to_csv_bytes

        _emit(to_csv_bytes(forecast_table(table, lang)), args.out)
    else:
        _emit(forecast_table(table, lang).to_string(index=False) + "\n", args.out)


def run_snapshot(args: argparse.Namespace, lang: str) -> None:
    from funnel.snapshots import Store, check_week, iso_week

    with Store(args.db) as store:
        if args.action == "save":
            _, weighed = _weighed(args, lang)
            week = check_week(args.week or iso_week())
            n = store.save(weighed, week, args.label, Path(args.report).name, replace=args.replace)
            print(t("snap_saved", lang, week=week, n=n))
        elif args.action == "list":
            weeks = store.weeks()
            print(t("snap_none", lang) if weeks.empty else weeks.to_string(index=False))
        else:
            week = check_week(args.week)
            if not args.yes:
                answer = input(t("snap_delete_q", lang, week=week) + " [y/N] ") if sys.stdin.isatty() else ""
                if answer.strip().lower() not in ("y", "yes", "是"):
                    raise FunnelError("snapshot_delete_unconfirmed", week=week)
            if not store.delete(week):
                raise FunnelError("snapshot_not_found", week=week)
            print(t("snap_deleted", lang, week=week))


def run_sample(args: argparse.Namespace, lang: str) -> None:
    from funnel import sample

    out_dir = Path(args.out_dir) if args.out_dir else sample.SAMPLE_SALES.parent
    for path in sample.write_all(out_dir):
        print(path)


COMMANDS = {
    "bands": run_bands,
    "key-customers": run_key_customers,
    "migration": run_migration,
    "stages": run_stages,
    "forecast": run_forecast,
    "snapshot": run_snapshot,
    "sample": run_sample,
}


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
