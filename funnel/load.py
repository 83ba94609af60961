"""One call from a file to checked sales lines: read the report, map its columns, account for every row."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from funnel.bands import DEFAULT_THRESHOLDS, DEFAULT_UPGRADE_PCT, BandReport, band_report, customer_totals
from funnel.detect import Detection
from funnel.errors import FunnelError
from funnel.guard import read_untrusted
from funnel.limits import Limits, check_size
from funnel.pipeline import ROLE_ORDER as PIPELINE_ROLE_ORDER
from funnel.pipeline import PipelineMapping
from funnel.schema import Mapping, SalesData, cli_option, detect_sales, filter_lines, low_confidence, prepare_sales
from funnel.values import name_key

if TYPE_CHECKING:
    from funnel.sources import SalesSource
    from funnel.stages import Deals


def report_file(path: str | Path) -> Path:
    """A report file named on the command line, its size checked before a byte of it is read."""
    p = Path(path)
    if not p.is_file():
        raise FunnelError("cli_file_not_found", path=str(path))
    check_size(p.stat().st_size, Limits.from_env())
    return p


def load_sales(
    data: bytes | Path,
    filename: str = "",
    sheet: str | None = None,
    overrides: dict[str, str | None] | None = None,
    derive_amount: bool = True,
    strict: bool = True,
) -> SalesData:
    """Read (in a worker process, under the limits) and prepare a report; `overrides` replaces the detected
    column for the roles it names.

    With `strict`, a required column guessed with too little evidence is an error naming the option to set,
    never a silent guess; `derive_amount` off refuses quantity × unit price when there is no amount column.
    """
    raw = read_untrusted(data, filename, sheet)
    mapping, detected = detect_sales(raw.frame)
    mapping = replace(mapping, derive_amount=derive_amount)
    chosen = {role for role, column in (overrides or {}).items() if column is not None}
    for role in chosen:
        column = overrides[role]
        if column not in raw.frame.columns:
            raise FunnelError("schema_unknown_column", role=(f"role_{role}",), column=column, flag=cli_option(role))
        mapping = mapping.with_role(role, column)
    doubtful = [r for r in low_confidence(mapping, detected) if r not in chosen]
    if strict and doubtful:
        raise FunnelError(
            "schema_low_confidence",
            roles=tuple(f"role_{r}" for r in doubtful),
            evidence=lambda lang: "; ".join(detected[r].sentence(lang) for r in doubtful),
            flags=" ".join(cli_option(r) for r in doubtful),
        )
    return prepare_sales(raw, mapping, detected)


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


__all__ = [
    "Mapping",
    "analyse_bands",
    "load_pipeline",
    "load_sales",
    "parse_day",
    "pipeline_mapping",
    "report_file",
    "resolve_products",
]


PIPELINE_OPTION_ROLES: tuple[str, ...] = PIPELINE_ROLE_ORDER  # one --*-col option per pipeline role


def pipeline_mapping(
    frame: pd.DataFrame,
    overrides: dict[str, str | None] | None = None,
    stage_dates: dict[str, str] | None = None,
    stages: list[str] | None = None,
    strict: bool = True,
) -> tuple[PipelineMapping, dict[str, Detection]]:
    """The detected pipeline mapping with the user's columns put in; with `strict`, a stage column found only
    with weak evidence is an error naming --stage-col rather than a guess."""
    from funnel.pipeline import detect_pipeline

    found = detect_pipeline(frame, stages or ())
    mapping = found.mapping
    chosen = {role for role, column in (overrides or {}).items() if column}
    for role in chosen:
        column = overrides[role]
        if column not in frame.columns:
            raise FunnelError("schema_unknown_column", role=(f"role_{role}",), column=column, flag=cli_option(role))
        mapping = mapping.with_role(role, column)
    for stage, column in (stage_dates or {}).items():
        if column not in frame.columns:
            raise FunnelError("schema_unknown_column", role=("role_stage_date",), column=column, flag="--stage-date")
        mapping = mapping.with_stage_date(stage, column)
    stage = found.detections.get("stage")
    if strict and "stage" not in chosen and stage is not None and stage.column and not stage.confident:
        raise FunnelError(
            "schema_low_confidence", roles=("role_stage",), evidence=stage.sentence, flags=cli_option("stage")
        )
    return mapping, found.detections


def load_pipeline(
    data: bytes | Path,
    filename: str = "",
    sheet: str | None = None,
    overrides: dict[str, str | None] | None = None,
    stage_dates: dict[str, str] | None = None,
    order: list[str] | None = None,
    template: str | None = None,
    shape: str | None = None,
    value_map: dict[str, str] | None = None,
    keep: list[str] | None = None,
    user_probabilities: dict[str, float] | None = None,
    strict: bool = True,
) -> Deals:
    """Read a pipeline export and turn it into deals: columns detected (the user's override them), the stage order
    given (`order`), a template's (in the data's language), or inferred from the file."""
    from funnel.stages import prepare_deals, template_for_data

    raw = read_untrusted(data, filename, sheet)
    mapping, detected = pipeline_mapping(raw.frame, overrides, stage_dates, order, strict)
    stages = order or (template_for_data(raw.frame, template, mapping.stage) if template else None)
    deals = prepare_deals(raw, stages, mapping, shape, value_map, keep or (), user_probabilities, strict)
    deals.detections = {**detected, **_chosen(raw.frame, mapping, detected)}
    return deals


def _chosen(frame: pd.DataFrame, mapping: PipelineMapping, detected: dict[str, Detection]) -> dict[str, Detection]:
    """The evidence for the pipeline columns the user chose instead of the detected ones."""
    from funnel.pipeline import DETECTOR

    out = {}
    for role, column in mapping.as_dict().items():
        if column is not None and (role not in detected or detected[role].column != column):
            out[role] = DETECTOR.describe(frame, role, column)
        elif column is None and role in detected and detected[role].column is not None:
            out[role] = Detection(role, None)
    return out
