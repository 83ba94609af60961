"""The pipeline read from a database table: a source and table chosen in the pipeline expander with the sales
source's own widgets (pages.dbsource.choose_table), its columns detected on a sample by the file's rules, and the
deals and every figure computed by the engine (funnel.pipeline_source, funnel.pipeline_sql).

Each query runs through pages.dbsource.run_query (status line, Cancel, FUNNEL_QUERY_SECONDS) and is memoised per
session under what it depends on, so a rerun that asks nothing new (a language switch, a target typed, a grade
threshold moved) sends no query. What comes back is bounded by stages, periods, groups and customers; lists of
deals come a page at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from funnel.catalog import CatalogSource, table_relation
from funnel.engine import Engine
from funnel.pipeline import PipelineDetection, PipelineMapping, detect_pipeline
from funnel.pipeline_source import table_deals, table_sample, table_shape
from funnel.stages import Deals
from pages.dbsource import _memo, choose_table, run_query

T = TypeVar("T")
DRILL_PAGE = 200  # deals fetched per page of a drill-down list


@dataclass(frozen=True)
class PipelineTable:
    """A pipeline kept in a table of a named source: where, its columns and the detection on a sample."""

    source: CatalogSource
    table: str
    relation: str
    columns: tuple[str, ...]
    detection: PipelineDetection = field(compare=False, repr=False)
    engine: Engine = field(compare=False, repr=False)

    @property
    def name(self) -> str:
        """How the table is named to the user (and in a snapshot): source · table, never a URL or path."""
        return f"{self.source.name} · {self.table}"

    @property
    def digest(self) -> str:
        """The table's identity, as a file's digest: its choices (mapping, stage order, shape) are its own."""
        return hashlib.sha256(f"db\x1f{self.source.name}\x1f{self.table}".encode()).hexdigest()

    @property
    def is_sample(self) -> bool:
        return False


def choose_pipeline_table(sources: dict[str, CatalogSource], where) -> PipelineTable:
    """The pipeline's source and table (widgets in `where`), its columns and their detection (one memoised query)."""
    source, table, engine = choose_table(sources, "pdb", where)

    def work() -> tuple[str, tuple[str, ...], PipelineDetection]:
        relation = table_relation(source, engine, table)
        return relation, tuple(engine.columns(relation)), detect_pipeline(table_sample(engine, relation))

    relation, columns, detection = run_query(("pdetect", source.name, table), table, work, engine, where)
    return PipelineTable(source, table, relation, columns, detection, engine)


def shape_of(pipeline: PipelineTable, mapping: PipelineMapping) -> str:
    """The input shape the table looks like with this mapping (counted on every row, once per mapping)."""
    key = ("pshape", pipeline.source.name, pipeline.table, mapping)
    engine = pipeline.engine
    return run_query(key, pipeline.table, lambda: table_shape(engine, pipeline.relation, mapping), engine)


def deals_of(
    pipeline: PipelineTable,
    stages: tuple[str, ...] | None,
    shape: str | None,
    value_map: tuple,
    mapping: PipelineMapping,
) -> Deals:
    """The table's deals for a stage list, shape, value mapping and columns, kept on the engine (Deals.relation)."""
    key = ("pdeals", pipeline.source.name, pipeline.table, stages, shape, value_map, mapping)

    def work() -> Deals:
        order = list(stages) if stages else None
        return table_deals(
            pipeline.engine,
            pipeline.relation,
            order=order,
            shape=shape,
            value_map=dict(value_map),
            strict=False,
            mapping=mapping,
        )

    return run_query(key, pipeline.table, work, pipeline.engine)


def deals_query(deals: Deals, tag: str, args: tuple, work: Callable[[], T]) -> T:
    """An analysis of a table's deals (`work`), memoised per those deals and `args`, cancellable."""
    found = next((k for k, v in _memo().items() if v is deals), None)  # the deals' own memo key
    name = found[1] if found else "?"
    return run_query((tag, name, found or id(deals), *args), name, work, deals.relation.engine)
