"""One call from a file to checked sales lines: read the report, map its columns, account for every row."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from funnel.bands import DEFAULT_THRESHOLDS, DEFAULT_UPGRADE_PCT, BandReport, band_report, customer_totals
from funnel.errors import FunnelError
from funnel.read import read_report
from funnel.schema import Mapping, SalesData, _flag, detect_sales, filter_lines, low_confidence, prepare_sales
from funnel.values import name_key


def read_file_bytes(path: str | Path) -> bytes:
    """The file's bytes, or a clear error when it is not there."""
    p = Path(path)
    if not p.is_file():
        raise FunnelError("cli_file_not_found", path=str(path))
    return p.read_bytes()


def load_sales(
    data: bytes,
    filename: str = "",
    sheet: str | None = None,
    overrides: dict[str, str | None] | None = None,
    derive_amount: bool = True,
    strict: bool = True,
) -> SalesData:
    """Read and prepare a report; `overrides` replaces the detected column for the roles it names.

    With `strict`, a required column guessed with too little evidence is an error naming the option to set,
    never a silent guess; `derive_amount` off refuses quantity × unit price when there is no amount column.
    """
    raw = read_report(data, filename, sheet)
    mapping, detected = detect_sales(raw.frame)
    mapping = replace(mapping, derive_amount=derive_amount)
    chosen = {role for role, column in (overrides or {}).items() if column is not None}
    for role in chosen:
        column = overrides[role]
        if column not in raw.frame.columns:
            raise FunnelError("schema_unknown_column", role=(f"role_{role}",), column=column, flag=_flag(role))
        mapping = mapping.with_role(role, column)
    doubtful = [r for r in low_confidence(mapping, detected) if r not in chosen]
    if strict and doubtful:
        raise FunnelError(
            "schema_low_confidence",
            roles=tuple(f"role_{r}" for r in doubtful),
            evidence=lambda lang: "; ".join(detected[r].sentence(lang) for r in doubtful),
            flags=" ".join(_flag(r) for r in doubtful),
        )
    return prepare_sales(raw, mapping, detected)


def resolve_products(sales: SalesData, wanted: list[str] | None) -> list[str]:
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
