"""One call from a file to checked sales lines: read the report, map its columns, account for every row."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from funnel.bands import DEFAULT_THRESHOLDS, DEFAULT_UPGRADE_PCT, BandReport, band_report, customer_totals
from funnel.errors import FunnelError
from funnel.read import read_report
from funnel.schema import Mapping, SalesData, detect_mapping, filter_lines, prepare_sales
from funnel.values import name_key

if TYPE_CHECKING:
    from funnel.sources import SalesSource


def read_file_bytes(path: str | Path) -> bytes:
    """The file's bytes, or a clear error when it is not there."""
    p = Path(path)
    if not p.is_file():
        raise FunnelError("cli_file_not_found", path=str(path))
    return p.read_bytes()


def load_sales(
    data: bytes, filename: str = "", sheet: str | None = None, overrides: dict[str, str | None] | None = None
) -> SalesData:
    """Read and prepare a report; `overrides` replaces the detected column for the roles it names."""
    raw = read_report(data, filename, sheet)
    mapping = detect_mapping([str(c) for c in raw.frame.columns])
    for role, column in (overrides or {}).items():
        if column is not None:
            mapping = mapping.with_role(role, column)
    return prepare_sales(raw, mapping)


def resolve_products(sales: SalesData | SalesSource, wanted: list[str] | None) -> list[str]:
    """Product names as the report spells them, matched loosely (spaces, width, case); unknown → clear error."""
    if not wanted:
        return []
    known = {name_key(p): p for p in sales.products}
    out = []
    for name in wanted:
        match = known.get(name_key(name))
        if match is None:
            raise FunnelError("cli_unknown_product", product=name, products="、".join(sales.products))
        out.append(match)
    return out


def parse_day(value: str | None) -> pd.Timestamp | None:
    """'2026-01-31' (or any form pandas reads) → a day; a clear error otherwise."""
    if value in (None, ""):
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError) as exc:
        raise FunnelError("cli_bad_date", value=value) from exc


def analyse_bands(
    sales: SalesData,
    products: list[str] | None = None,
    start: object | None = None,
    end: object | None = None,
    thresholds: tuple[float, ...] | list[float] = DEFAULT_THRESHOLDS,
    lang: str = "zh",
    upgrade_pct: float = DEFAULT_UPGRADE_PCT,
) -> BandReport:
    """The amount-band funnel for the chosen products and period, from the lines to the banded customers."""
    lines = filter_lines(sales.lines, products, start, end)
    return band_report(customer_totals(lines), thresholds, lang, upgrade_pct)


__all__ = ["Mapping", "analyse_bands", "load_sales", "parse_day", "read_file_bytes", "resolve_products"]
