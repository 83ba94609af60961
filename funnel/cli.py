"""`python -m funnel …`: the same engine as the app, for scheduled weekly reports and for checks."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from funnel.bands import (
    DEFAULT_THRESHOLDS,
    BandReport,
    band_report,
    customer_amounts,
    customer_totals,
    parse_thresholds,
)
from funnel.errors import FunnelError
from funnel.escape import terminal, terminal_json
from funnel.i18n import t
from funnel.load import PIPELINE_OPTION_ROLES, parse_day, report_file, resolve_products
from funnel.pipeline import resolve_stage_dates
from funnel.schema import ROLE_ORDER, SalesData, cli_option
from funnel.sources import SalesSource, is_table_source
from funnel.tables import band_summary_table

if TYPE_CHECKING:
    from funnel.keycustomers import KeyCustomerReport
    from funnel.stages import StageFunnel


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
    for role in SALES_OPTION_ROLES:
        option = cli_option(role)
        parser.add_argument(option, dest=f"{role}_col", help=f"the {role.replace('_', ' ')} column (default: detected)")
    parser.add_argument(
        "--no-derived-amount",
        dest="derive_amount",
        action="store_false",
        help="with no amount column, refuse quantity × unit price instead of deriving the amount",
    )
    parser.add_argument("--format", choices=formats, default="table")
    parser.add_argument("--out", help="write to this file instead of standard output")
    parser.add_argument("--lang", choices=("zh", "en"), default=None, help="language of labels and messages")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. Given the command about to run, only its options are added: the other commands
    are listed by name and help, all that `--help` shows of them (the pipeline commands' options: ~2 ms a start)."""
    parser = argparse.ArgumentParser(prog="python -m funnel", description="Customer Funnel (客户漏斗) command line")
    sub = parser.add_subparsers(dest="command", required=True)
    subparsers = {name: sub.add_parser(name, help=text) for name, text in COMMAND_HELP.items()}
    for name, add in _OPTIONS.items():
        if command is None or command == name:
            add(subparsers[name])
    return parser


COMMAND_HELP: dict[str, str] = {
    "bands": "customers and revenue per amount band",
    "key-customers": "Pareto/ABC grades and the key-customer list",
    "migration": "band migration and per-product change between two periods",
    "stages": "stage funnel: reached, conversion, drop-off and the bottleneck",
    "forecast": "weighted forecast per quarter or month",
    "snapshot": "weekly forecast snapshots (save, list, delete)",
    "sample": "regenerate the bundled sample report(s) in data/",
}


def _bands_options(bands: argparse.ArgumentParser) -> None:
    _common(bands)
    bands.add_argument(
        "--thresholds",
        default=",".join(f"{x:g}" for x in DEFAULT_THRESHOLDS),
        help="band thresholds in yuan, ascending, comma-separated (1万 style accepted)",
    )
    bands.add_argument("--upgrade-pct", type=float, default=20.0, help="upgrade candidates: within this %% of next")


def _key_options(key: argparse.ArgumentParser) -> None:
    _common(key, formats=("table", "json", "csv", "xlsx"))
    key.add_argument("--share", type=float, default=0.8, help="Pareto share to report (default 0.8)")
    key.add_argument("--cutoffs", default="0.8,0.95", help="A and B cumulative-share cut-offs (default 0.8,0.95)")
    key.add_argument("--grade", action="append", choices=("A", "B", "C"), help="list only these grades")
    key.add_argument("--inactive-days", type=int, default=90, help="A/B with no order this long are at risk")
    key.add_argument("--pipeline", help="a pipeline export: adds the value × stage grid (ABC grade × furthest stage)")
    _pipeline_args(key, prefix="pipeline-")


def _migration_options(mig: argparse.ArgumentParser) -> None:
    _common(mig)
    mig.add_argument("--from", dest="period_from", required=True, help="earlier period START..END")
    mig.add_argument("--to", dest="period_to", required=True, help="later period START..END")
    mig.add_argument(
        "--thresholds", default=",".join(f"{x:g}" for x in DEFAULT_THRESHOLDS), help="band thresholds in yuan"
    )
    mig.add_argument("--churn-alert", type=float, default=20.0, help="flag products whose churn exceeds this %%")


def _stages_options(stages: argparse.ArgumentParser) -> None:
    _pipeline_args(stages)
    stages.add_argument("--window", type=int, help="count a later stage only within N days of the first")
    stages.add_argument("--by", help="break down by this column (or product, region, rep)")
    stages.add_argument("--format", choices=("table", "json", "csv"), default="table")
    stages.add_argument("--out")


def _forecast_options(fc: argparse.ArgumentParser) -> None:
    _pipeline_args(fc)
    fc.add_argument("--probabilities", help='stage probabilities, e.g. "提案=0.5,谈判=70%%" (others: defaults)')
    fc.add_argument("--ignore-probability-column", action="store_true", help="use the stage table for every deal")
    fc.add_argument("--by", choices=("quarter", "month"), default="quarter")
    fc.add_argument("--format", choices=("table", "json", "csv"), default="table")
    fc.add_argument("--out")


def _snapshot_options(snap: argparse.ArgumentParser) -> None:
    snap_sub = snap.add_subparsers(dest="action", required=True)
    save = snap_sub.add_parser("save", help="store the pipeline as it stands under an ISO week")
    _pipeline_args(save)
    _book_args(save)
    save.add_argument("--week", help="ISO week such as 2026-W48 (default: this week)")
    save.add_argument("--label", default="")
    save.add_argument("--replace", action="store_true", help="replace the week's snapshot if there is one")
    listing = snap_sub.add_parser("list", help="the saved snapshots")
    _book_args(listing)
    listing.add_argument("--lang", choices=("zh", "en"), default=None)
    delete = snap_sub.add_parser("delete", help="delete one week's snapshot")
    delete.add_argument("week")
    _book_args(delete)
    delete.add_argument("--yes", action="store_true", help="confirm without asking")
    delete.add_argument("--lang", choices=("zh", "en"), default=None)


def _sample_options(sample: argparse.ArgumentParser) -> None:
    sample.add_argument("--out-dir", default=None, help="write the samples here instead of data/")


_OPTIONS = {
    "bands": _bands_options,
    "key-customers": _key_options,
    "migration": _migration_options,
    "stages": _stages_options,
    "forecast": _forecast_options,
    "snapshot": _snapshot_options,
    "sample": _sample_options,
}


def _book_args(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db", help="snapshot database file (default: FUNNEL_DB, else the default book)")
    where.add_argument("--book", help="a book in the data folder (FUNNEL_DATA_DIR), by name, as the app lists them")


SALES_OPTION_ROLES: tuple[str, ...] = ROLE_ORDER  # one --*-col option per sales role


def _pipeline_args(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """The options of every command that reads a pipeline (prefixed 'pipeline-' beside a sales report)."""
    from funnel.stages import SHAPES  # the stage funnel's modules, imported by the commands that read a pipeline

    dest = prefix.replace("-", "_")
    if not prefix:
        parser.add_argument(
            "report",
            help="pipeline export: xlsx, xls or csv, a .parquet file or folder, or a URL (duckdb:///file.duckdb, "
            "postgresql://user@host:port/db, sc://host:port)",
        )
        parser.add_argument("--lang", choices=("zh", "en"), default=None)
    parser.add_argument(f"--{prefix}table", dest=f"{dest}table", help="the table of a database source")
    parser.add_argument(
        f"--{prefix}engine", dest=f"{dest}engine", choices=("duckdb", "spark"), default="duckdb",
        help="engine for a Parquet source (default duckdb)",
    )  # fmt: skip
    parser.add_argument(f"--{prefix}sheet", dest=f"{dest}sheet")
    parser.add_argument(
        f"--{prefix}template", dest=f"{dest}template", help="stage template: lead, key4, key_account, aida"
    )
    parser.add_argument(
        f"--{prefix}order", dest=f"{dest}order", help="stage order, comma-separated (default: from the file)"
    )
    parser.add_argument(f"--{prefix}shape", dest=f"{dest}shape", choices=SHAPES, help="default: detected")
    for role in PIPELINE_OPTION_ROLES:
        if prefix or role not in ("deal",):
            name = "id" if role == "deal" and not prefix else role.replace("_", "-")
            parser.add_argument(
                f"--{prefix}{name}-col", dest=f"{dest}{role}_col", help=f"the {role.replace('_', ' ')} column"
            )
    if not prefix:
        parser.add_argument("--id-col", "--deal-col", dest="deal_col", help="the deal id column")
    parser.add_argument(
        f"--{prefix}stage-date",
        dest=f"{dest}stage_date",
        action="append",
        metavar="STAGE=COLUMN",
        help="the column holding the date a stage was entered (repeatable)",
    )
    parser.add_argument(
        f"--{prefix}won", dest=f"{dest}won", help="values meaning won, comma-separated (added to 赢单/Won…)"
    )
    parser.add_argument(
        f"--{prefix}lost", dest=f"{dest}lost", help="values meaning lost, comma-separated (added to 输单/Lost…)"
    )


def _split(text: str | None) -> list[str]:
    return [v.strip() for v in (text or "").replace("，", ",").split(",") if v.strip()]


def _deals(args: argparse.Namespace, prefix: str = "", probabilities: dict[str, float] | None = None, keep=()):
    """The deals of the pipeline a command names, with every column option applied."""
    from funnel.load import load_pipeline

    dest = prefix.replace("-", "_")

    def opt(name: str):
        return getattr(args, f"{dest}{name}", None)

    path = args.pipeline if prefix else args.report
    table_source = is_table_source(path)
    stage_dates = {}
    for item in opt("stage_date") or []:
        stage, sep, column = item.partition("=")
        if not sep or not stage.strip() or not column.strip():
            raise FunnelError("cli_bad_stage_date", value=item)
        stage_dates[stage.strip()] = column.strip()
    value_map = {v: "won" for v in _split(opt("won"))} | {v: "lost" for v in _split(opt("lost"))}
    overrides = {role: opt(f"{role}_col") for role in PIPELINE_OPTION_ROLES}
    rules = (
        stage_dates,
        _split(opt("order")) or None,
        opt("template"),
        opt("shape"),
        value_map,
        list(keep),
        probabilities,
    )
    if table_source:
        from funnel.pipeline_source import table_deals
        from funnel.sources import _guarded, open_table

        prompt = sys.stdin is not None and sys.stdin.isatty()
        db, relation, _ = open_table(path, opt("table"), opt("engine") or "duckdb", prompt)
        _opened(args).append(db)
        return _guarded(db, lambda: table_deals(db, relation, overrides, *rules))
    return load_pipeline(report_file(path), Path(path).name, opt("sheet"), overrides, *rules)


def _load(args: argparse.Namespace) -> SalesSource:
    """The command's source (file, Parquet or database), rows accounted; a password is asked only on a terminal."""
    from funnel.sources import open_source

    overrides = {role: getattr(args, f"{role}_col") for role in SALES_OPTION_ROLES}
    derive = getattr(args, "derive_amount", True)
    prompt = sys.stdin is not None and sys.stdin.isatty()
    source = open_source(
        args.report, args.table, args.engine, args.sheet, overrides, prompt=prompt, derive_amount=derive
    )
    _opened(args).append(source)
    return source


def _opened(args: argparse.Namespace) -> list:
    """The engines and sources this command opened, closed when it ends (a Spark Connect session is the server's
    until it is stopped: its staged rows stay cached there)."""
    if not hasattr(args, "opened"):
        args.opened = []
    return args.opened


def _close_opened(args: argparse.Namespace) -> None:
    """Release what the command opened; a failure to release (a server gone away) changes nothing of its output."""
    import contextlib

    for item in reversed(getattr(args, "opened", [])):
        with contextlib.suppress(Exception):
            item.close()


def columns_json(detections: dict, lang: str) -> dict[str, object]:
    """Each role's column with its evidence and confidence, for the JSON outputs."""
    return {role: d.as_json(lang) for role, d in detections.items() if d.column is not None}


def sales_extras(sales: SalesData | SalesSource, lang: str) -> dict[str, object]:
    """What every sales JSON adds to the row account: the columns found and how the amount was obtained."""
    derived = None
    if sales.derived_amount:
        derived = {"quantity": sales.mapping.quantity, "unit_price": sales.mapping.unit_price}
    return {"columns": columns_json(sales.detections, lang), "derived_amount": derived}


def account_lines(read: int, used: int, reasons: dict[str, int], lang: str) -> list[str]:
    """The row account as text lines: read, used, left out per reason."""
    left = sum(reasons.values())
    head = f"{t('rows_read', lang)}: {read}  {t('rows_used', lang)}: {used}  {t('rows_left_out', lang)}: {left}"
    return [head, *(f"  {t('reason_' + k, lang)}: {v}" for k, v in reasons.items())]


def sales_lines(sales: SalesData | SalesSource, lang: str) -> list[str]:
    """The account of a sales report for text output, with the derived amount said."""
    lines = account_lines(sales.rows_read, sales.rows_used, sales.reasons, lang)
    if sales.derived_amount:
        q, p = sales.mapping.quantity, sales.mapping.unit_price
        lines.append(t("evidence_derived", lang, quantity=q, unit_price=p))
    if getattr(sales, "parsed_in_sql", ()):
        from funnel.table_rows import LOOKUP_LIMIT

        lines.append(t("table_parsed_in_sql", lang, columns="、".join(sales.parsed_in_sql), limit=f"{LOOKUP_LIMIT:,}"))
    return lines


def deals_lines(deals, lang: str) -> list[str]:
    """The account of a pipeline for text output: rows, unmatched values, stage order, lost placement, amounts."""
    lines = account_lines(deals.rows_read, deals.rows_used, deals.reasons, lang)
    if len(deals.unmapped):
        values = "、".join(f"{r.value} ({r.rows})" for r in deals.unmapped.itertuples(index=False))
        lines.append(t("unmapped_line", lang, values=values))
    if deals.order is not None:
        lines.append(deals.order.sentence(lang))
    if any(deals.placements.values()):
        lines.append(t("placement_line", lang, **{way: f"{n:,}" for way, n in deals.placements.items()}))
    if deals.open_without_amount:
        lines.append(t("no_amount_note", lang, n=deals.open_without_amount))
    if deals.parsed_in_sql:
        from funnel.table_rows import LOOKUP_LIMIT

        limit = f"{LOOKUP_LIMIT:,}"
        lines.append(t("table_parsed_in_sql", lang, columns="、".join(deals.parsed_in_sql), limit=limit))
    return lines


def _note(lines: list[str]) -> None:
    """The account beside a CSV or XLSX output (on standard error, so the file stays a clean table)."""
    for line in lines:
        print(terminal(line), file=sys.stderr)


def deals_json(deals, lang: str) -> dict[str, object]:
    """What every pipeline JSON carries: the row account, unmatched values, order, placement, columns."""
    order = deals.order
    return {
        "rows_read": deals.rows_read,
        "rows_used": deals.rows_used,
        "rows_dropped": dict(deals.reasons),
        "unmapped_values": {r.value: int(r.rows) for r in deals.unmapped.itertuples(index=False)},
        "stage_order": {
            "stages": list(deals.stages),
            "source": order.source if order else "user",
            "vocabulary": order.vocabulary if order else None,
            "evidence": order.sentence(lang) if order else "",
        },
        "lost_placement": dict(deals.placements),
        "deals_without_amount": int(deals.missing_amount),
        "open_deals_without_amount": deals.open_without_amount,
        "columns": columns_json(deals.detections, lang),
        "stage_dates": dict(resolve_stage_dates(deals.mapping.stage_dates, deals.stages)),
    }


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
        **sales_extras(sales, "en"),
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


def _json(data: object) -> str:
    """Indented JSON whose strings carry no raw control or bidi character (they are \\u escapes)."""
    return terminal_json(json.dumps(data, ensure_ascii=False, indent=2)) + "\n"


def _emit(text: str | bytes, out: str | None) -> None:
    """Write a result: text (tables, sentences) always without escape sequences or control characters from the file;
    CSV or XLSX bytes exactly as made, except CSV shown on a terminal, which is cleaned like text."""
    if isinstance(text, str):
        text = terminal(text, keep_newlines=True)
    if out:
        Path(out).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    elif isinstance(text, bytes):
        shown = text.decode("utf-8-sig")
        sys.stdout.write(terminal(shown, keep_newlines=True) if sys.stdout.isatty() else shown)
    else:
        sys.stdout.write(text)


def run_bands(args: argparse.Namespace, lang: str) -> None:
    sales = _load(args)
    lines = sales.where(resolve_products(sales, args.product), parse_day(args.start), parse_day(args.end))
    report = band_report(customer_amounts(lines), parse_thresholds(args.thresholds), lang, args.upgrade_pct / 100)
    if args.format == "json":
        _emit(_json(bands_json(sales, report)), args.out)
    elif args.format == "csv":
        from funnel.export import to_csv_bytes

        _note(sales_lines(sales, lang))
        _emit(to_csv_bytes(_bands_table(report, lang)), args.out)
    else:
        lines = [
            *sales_lines(sales, lang),
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
        **sales_extras(sales, "en"),
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


def value_stage_json(grid) -> dict[str, object]:
    """The value × stage grid as JSON: per grade and stage, customers and revenue; pipeline-only customers."""
    from funnel.keycustomers import LOST_ALL, NO_DEAL

    def name(stage: str) -> str:
        return {NO_DEAL: "no_deal", LOST_ALL: "all_lost"}.get(stage, stage)

    cells = [
        {
            "grade": grade,
            "stage": name(stage),
            "customers": int(grid.counts.loc[grade, stage]),
            "revenue": round(float(grid.revenue.loc[grade, stage]), 2),
        }
        for grade in grid.counts.index
        for stage in grid.counts.columns
    ]
    return {"cells": cells, "pipeline_only_customers": len(grid.pipeline_only)}


def run_key_customers(args: argparse.Namespace, lang: str) -> None:
    from funnel.keycustomers import filter_customers, key_customers, value_stage
    from funnel.tables import KEY_COLUMNS, customer_list

    sales = _load(args)
    cutoffs = [float(x) for x in args.cutoffs.replace("，", ",").split(",") if x.strip()]
    lines = sales.where(resolve_products(sales, args.product), parse_day(args.start), parse_day(args.end))
    report = key_customers(
        lines, customer_totals(lines), cutoffs, args.share, lang=lang, inactive_days=args.inactive_days
    )
    deals = grid = None
    if args.pipeline:
        deals = _deals(args, prefix="pipeline-")
        grid = value_stage(report.customers, deals.source, deals.stages)
    if args.format == "json":
        out = key_json(sales, report)
        if grid is not None:
            out["pipeline"] = deals_json(deals, "en")
            out["value_stage"] = value_stage_json(grid)
        _emit(_json(out), args.out)
        return
    table = customer_list(filter_customers(report.customers, args.grade or ()), lang, KEY_COLUMNS)
    notes = sales_lines(sales, lang) + (deals_lines(deals, lang) if deals is not None else [])
    if args.format == "csv":
        from funnel.export import to_csv_bytes

        _note(notes)
        _emit(to_csv_bytes(table), args.out)
    elif args.format == "xlsx":
        from funnel.export import to_xlsx_bytes

        if not args.out:
            raise FunnelError("cli_xlsx_needs_out")
        _note(notes)
        _emit(to_xlsx_bytes(table, sheet=t("page_key", lang)), args.out)
    else:
        from funnel.tables import localise_columns

        n, pct, reached = report.pareto
        head = t("pareto_sentence", lang, n=f"{n:,}", pct=f"{pct:.1%}", share=f"{reached:.1%}")
        text = [*sales_lines(sales, lang), head, "", table.to_string(index=False), ""]
        if grid is not None:
            from funnel.keycustomers import LOST_ALL, NO_DEAL

            named = {NO_DEAL: t("stage_no_deal", lang), LOST_ALL: t("stage_all_lost", lang)}
            counts, revenue = (localise_columns(g.rename(columns=named), lang) for g in (grid.counts, grid.revenue))
            text += [*deals_lines(deals, lang), t("matrix_vs_header", lang), counts.to_string(), ""]
            text += [revenue.to_string(), ""]
        _emit("\n".join(text), args.out)


def run_migration(args: argparse.Namespace, lang: str) -> None:
    from funnel.migration import Period, migration, product_change
    from funnel.tables import migration_matrix_table, product_change_table

    sales = _load(args)
    earlier, later = Period.parse(args.period_from), Period.parse(args.period_to)
    if not sales.has_dates:
        raise FunnelError("cli_needs_dates")
    lines = sales.where(resolve_products(sales, args.product))
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
            **sales_extras(sales, "en"),
            "from": earlier.label(),
            "to": later.label(),
            "moves": result.moves(),
            "matrix": matrix,
            "products": products,
        }
        _emit(_json(out), args.out)
    elif args.format == "csv":
        from funnel.export import to_csv_bytes

        _note(sales_lines(sales, lang))
        _emit(to_csv_bytes(migration_matrix_table(result, lang)), args.out)
    else:
        text = [
            *sales_lines(sales, lang),
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
    from funnel.stages import breakdown, stage_funnel
    from funnel.tables import stage_table

    by = args.by
    keep = [by] if by and by not in ("product", "region", "rep") else []
    deals = _deals(args, keep=keep)
    stages = deals.stages
    funnel = stage_funnel(deals.source, stages, args.window)
    groups = breakdown(deals.source, stages, deals.group_column(by), args.window) if by else {}
    if args.format == "json":
        out = {
            **deals_json(deals, "en"),
            "shape": deals.shape,
            "deals": deals.n_deals,
            "stages": _stage_rows(funnel),
            "bottleneck": _bottleneck(funnel),
            "win_rate": funnel.win_rate,
            "won": funnel.won,
            "lost": funnel.lost,
            "lost_without_stage": deals.lost_without_stage,
        }
        if groups:
            out["by"] = by
            out["groups"] = {
                name: {"stages": _stage_rows(f), "bottleneck": _bottleneck(f), "win_rate": f.win_rate}
                for name, f in groups.items()
            }
        _emit(_json(out), args.out)
        return
    table = stage_table(funnel, lang)
    if args.format == "csv":
        from funnel.export import to_csv_bytes

        _note(deals_lines(deals, lang))
        _emit(to_csv_bytes(table), args.out)
        return
    text = [*deals_lines(deals, lang), "", table.to_string(index=False), ""]
    if funnel.win_rate is not None:
        text.append(f"{t('win_rate', lang)}: {funnel.win_rate:.1%}")
    if funnel.bottleneck is not None:
        b = funnel.bottleneck
        share = f"{funnel.table['drop_share'].iloc[b]:.1%}"
        n = int(funnel.table["dropped"].iloc[b])
        text.append(t("bottleneck_sentence", lang, a=stages[b], b=stages[b + 1], share=share, n=n))
    for name, f in groups.items():
        text += ["", f"== {name}", stage_table(f, lang).to_string(index=False)]
    _emit("\n".join(text) + "\n", args.out)


def _weighed(args: argparse.Namespace, lang: str):
    """(deals, the probability table used, every deal weighed) for the forecast and snapshot commands."""
    from funnel.forecast import parse_probabilities, read_probabilities, weigh, weighed_relation

    given = read_probabilities(getattr(args, "probabilities", None) or "")
    deals = _deals(args, probabilities=given or None)
    known = deals.order.default_probabilities() if deals.order else {}
    table = parse_probabilities(getattr(args, "probabilities", None) or "", deals.stages, known)
    use_column = not getattr(args, "ignore_probability_column", False)
    if deals.relation is not None:  # a table's deals are weighed where they are
        return deals, table, weighed_relation(deals.relation, deals.stages, table, use_column=use_column)
    return deals, table, weigh(deals.deals, deals.stages, table, use_column=use_column)


def run_forecast(args: argparse.Namespace, lang: str) -> None:
    from funnel.forecast import forecast
    from funnel.tables import forecast_table

    deals, probabilities, weighed = _weighed(args, lang)
    table = forecast(weighed, args.by)
    if args.format == "json":
        keys = ("weighted", "commit", "best_case", "closed", "open_amount")
        periods = [
            {
                "period": r["period"],
                **{k: round(float(r[k]), 2) for k in keys},
                "deals_without_amount": int(r["no_amount"]),
            }
            for _, r in table.iterrows()
        ]
        out = {**deals_json(deals, "en"), "by": args.by, "probabilities": probabilities, "periods": periods}
        _emit(_json(out), args.out)
    elif args.format == "csv":
        from funnel.export import to_csv_bytes

        _note(deals_lines(deals, lang))
        _emit(to_csv_bytes(forecast_table(table, lang)), args.out)
    else:
        text = [*deals_lines(deals, lang), "", forecast_table(table, lang).to_string(index=False), ""]
        _emit("\n".join(text), args.out)


def run_snapshot(args: argparse.Namespace, lang: str) -> None:
    from funnel.snapshots import Store, book_path, check_week, default_db_path, iso_week

    path = Path(args.db) if args.db else book_path(args.book) if args.book else default_db_path()
    with Store(path, writable=args.action != "list", book=args.db or args.book or str(path)) as store:
        if args.action == "save":
            deals, probabilities, weighed = _weighed(args, lang)
            if deals.relation is not None:  # a snapshot holds every deal: a table's are fetched, then weighed
                from funnel.forecast import weigh
                from funnel.pipeline_sql import deals_frame

                frame = deals_frame(deals.relation, len(deals.stages), deals.keep, "deal")
                use_column = not getattr(args, "ignore_probability_column", False)
                weighed = weigh(frame, deals.stages, probabilities, use_column=use_column)
            week = check_week(args.week or iso_week())
            n = store.save(weighed, week, args.label, Path(args.report).name, replace=args.replace)
            for line in deals_lines(deals, lang):
                print(terminal(line), file=sys.stderr)
            print(t("snap_saved", lang, week=week, n=n))
        elif args.action == "list":
            weeks = store.weeks()
            _emit((t("snap_none", lang) if weeks.empty else weeks.to_string(index=False)) + "\n", None)
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
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv)
    lang = getattr(args, "lang", None) or default_lang()
    try:
        COMMANDS[args.command](args, lang)
    except FunnelError as exc:
        print(f"error: {_one_line(exc.message(lang, 'cli'))}", file=sys.stderr)
        return 2
    except Exception as exc:  # the last line of defence: one line, no traceback
        print(f"error: {_one_line(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        return 1
    finally:
        _close_opened(args)
    return 0


ERROR_CHARS = 600  # an error line a person can read (a file's text inside it is already cut to a few items)


def _one_line(text: str) -> str:
    """An error as one readable line: no escape sequence or control character from the file, at most ERROR_CHARS."""
    line = terminal(text)
    return line if len(line) <= ERROR_CHARS else line[: ERROR_CHARS - 1] + "…"
