"""A pipeline export's columns: roles found by the same detector as sales reports, plus one date per stage.

Stage-entry date columns are recognised by name: HubSpot's `Date entered "Contract Sent (Sales Pipeline)"`,
`进入提案日期`, and any `<stage> date` / `<stage>日期` whose stage is one of the file's own stage values
(`engage_date` ↔ Engaging, `方案日期` ↔ 方案报价). Columns that name a role exactly (close date, create date) are
never taken for a stage's date, nor are exit dates and times in stage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import pandas as pd

from funnel.columns import PIPELINE_ROLES, header_match, normalise_header
from funnel.detect import Detection, Detector
from funnel.errors import FunnelError
from funnel.vocab import LOST_KEYS, WON_KEYS, aliases, is_stage_word, is_status, stage_key

ROLE_ORDER: tuple[str, ...] = tuple(PIPELINE_ROLES)
DETECTOR = Detector(
    PIPELINE_ROLES,
    words={"stage": is_stage_word, "status": is_status},
    rescue=("stage", "status", "customer"),
    exact=True,
)


@dataclass(frozen=True)
class PipelineMapping:
    """Which column plays which role in a pipeline export, plus the stage-date columns (stage → column)."""

    deal: str | None = None
    customer: str | None = None
    stage: str | None = None
    amount: str | None = None
    date: str | None = None
    lost_stage: str | None = None
    close_date: str | None = None
    probability: str | None = None
    product: str | None = None
    region: str | None = None
    rep: str | None = None
    category: str | None = None
    status: str | None = None
    lost_reason: str | None = None
    event_date: str | None = None
    stage_dates: tuple[tuple[str, str], ...] = ()

    def stage_date_map(self) -> dict[str, str]:
        return dict(self.stage_dates)

    def as_dict(self) -> dict[str, str | None]:
        """Role → column for every role (stage dates left out)."""
        return {k: v for k, v in asdict(self).items() if k != "stage_dates"}

    def with_role(self, role: str, column: str | None) -> PipelineMapping:
        """A copy with one role remapped; a column used by another role (or as a stage date) is freed from it."""
        changes: dict[str, object] = {
            r: None for r, c in self.as_dict().items() if column is not None and c == column and r != role
        }
        changes["stage_dates"] = tuple((s, c) for s, c in self.stage_dates if c != column)
        changes[role] = column
        return replace(self, **changes)

    def with_stage_date(self, stage: str, column: str | None) -> PipelineMapping:
        """A copy with the entry-date column of one stage set (None: the stage has none)."""
        kept = [(s, c) for s, c in self.stage_dates if stage_key(s) != stage_key(stage) and c != column]
        freed = {r: None for r, c in self.as_dict().items() if column is not None and c == column}
        if column is not None:
            kept.append((stage, column))
        return replace(self, **freed, stage_dates=tuple(kept))


_ENTERED = re.compile(
    r"^\s*(?:date\s*entered|entered|entry\s*date|进入|到达)\s*[:：]?\s*(.+?)\s*(?:的)?\s*(?:日期|时间|date)?\s*$",
    re.IGNORECASE,
)
_SUFFIX = re.compile(r"^(.+?)\s*(?:日期|时间|date|time|entered|entry date|on)$", re.IGNORECASE)
_NOT_ENTRY = re.compile(r"exit|time in|cumulative|latest|duration|时长|离开|退出|天数|days", re.IGNORECASE)
_PIPELINE_NAME = re.compile(r"\s*[(（][^()（）]*(?:pipeline|管道|流程)[^()（）]*[)）]\s*$", re.IGNORECASE)


def _stem(key: str) -> str:
    return re.sub(r"(?:ation|ing|ment|ed|es|e|s)$", "", key) if key.isascii() else key


def _same_stage(a: str, b: str) -> bool:
    """Two stage keys that name the same stage: equal, or one's stem starts the other's (engage ↔ engaging)."""
    if not a or not b:
        return False
    if a == b or a in aliases(b):
        return True
    sa, sb = _stem(a), _stem(b)
    short, long_ = sorted((sa, sb), key=len)
    enough = len(short) >= (2 if not short.isascii() else 4)
    return enough and long_.startswith(short)


def stage_date_columns(columns: Sequence[str], stage_names: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(stage as named, column) for every column holding the date a stage was entered.

    An explicit 'date entered X' / '进入X日期' names its stage; a bare 'X date' counts only when X is one of
    `stage_names` (the file's stage values or the stage order). Won and lost get no entry column here except won.
    """
    known = [stage_key(s) for s in stage_names if s]
    out = []
    for column in columns:
        raw = str(column)
        if _NOT_ENTRY.search(raw):
            continue
        m = _ENTERED.match(raw.replace("“", '"').replace("”", '"'))
        stage = None
        if m and not re.fullmatch(r"\s*(?:日期|时间|date)?\s*", m.group(1)):
            stage = _PIPELINE_NAME.sub("", m.group(1).strip(" \"'「」"))
        else:
            if any(header_match(raw, spec)[0] >= 1 for spec in PIPELINE_ROLES.values()):
                continue
            s = _SUFFIX.match(normalise_header(raw))
            if s:
                key = stage_key(s.group(1))
                match = next((n for n, k in zip(stage_names, known, strict=True) if _same_stage(key, k)), None)
                stage = match
        if stage and stage_key(stage) not in LOST_KEYS:
            out.append((stage, raw))
    return out


@dataclass(frozen=True)
class PipelineDetection:
    """The detected mapping of a pipeline export with the evidence for each role."""

    mapping: PipelineMapping
    detections: dict[str, Detection] = field(default_factory=dict)


def detect_pipeline(frame: pd.DataFrame, stages: Sequence[str] = ()) -> PipelineDetection:
    """Roles from headers and values, then the stage-date columns (named by the stage values found)."""
    explicit = stage_date_columns([str(c) for c in frame.columns])
    first = DETECTOR.detect(frame, exclude=[c for _, c in explicit])
    names = list(stages)
    stage_column = first["stage"].column
    if stage_column is not None:
        values = frame[stage_column].dropna().astype(str).str.strip()
        names += [v for v in values.value_counts().index[:60] if v]
    for role in ("lost_stage", "status"):
        column = first[role].column
        if column is not None:
            names += [v for v in frame[column].dropna().astype(str).str.strip().unique()[:60] if v]
    names = [n for n in dict.fromkeys(names) if stage_key(n) not in LOST_KEYS]
    dated = stage_date_columns([str(c) for c in frame.columns], names)
    taken = {c for _, c in dated}
    found = DETECTOR.detect(frame, exclude=list(taken)) if taken - {c for _, c in explicit} else first
    mapping = PipelineMapping(**{r: d.column for r, d in found.items()}, stage_dates=tuple(dated))
    return PipelineDetection(mapping, found)


def detect_pipeline_mapping(columns: Sequence[str], stages: Sequence[str] = ()) -> PipelineMapping:
    """Header-only detection (no values), with stage dates named as in `stages` where they match one."""
    mapping = detect_pipeline(pd.DataFrame(columns=[str(c) for c in columns]), stages).mapping
    return replace(mapping, stage_dates=tuple(resolve_stage_dates(mapping.stage_dates, stages).items()))


def resolve_stage_dates(found: Sequence[tuple[str, str]], steps: Sequence[str]) -> dict[str, str]:
    """Stage-date columns named by the funnel's own steps (a HubSpot label matched to the file's spelling)."""
    out: dict[str, str] = {}
    for stage, column in found:
        key = stage_key(stage)
        step = next((s for s in steps if _same_stage(key, stage_key(s))), None)
        if step is None and key in WON_KEYS and steps:
            step = steps[-1]
        if step is not None and step not in out:
            out[step] = column
    if not steps:
        return {stage: column for stage, column in found}
    return out


def detect_shape(frame: pd.DataFrame, mapping: PipelineMapping) -> str:
    """stage_dates when two or more stage-date columns exist; event_log when deal ids repeat (with a stage-change
    date column, or on a fifth of the rows or more: a few repeated deal names do not make a log); else snapshot."""
    if mapping.deal and mapping.stage:
        ids = frame[mapping.deal].dropna()
        return shape_from_counts(mapping, len(ids), int(ids.nunique()))
    return shape_from_counts(mapping, 0, 0)


def shape_from_counts(mapping: PipelineMapping, ids: int, distinct: int) -> str:
    """detect_shape from the deal column's counts (non-blank ids, distinct ids): what an engine's table gives."""
    if len(mapping.stage_dates) >= 2:
        return "stage_dates"
    if mapping.deal and mapping.stage and ids > distinct and (mapping.event_date or (ids - distinct) / ids >= 0.2):
        return "event_log"
    return "snapshot"


def check_mapping(frame: pd.DataFrame, mapping: PipelineMapping) -> None:
    """Every column the mapping names exists in the file (a clear error naming the option otherwise)."""
    for role, column in [*mapping.as_dict().items(), *(("stage_date", c) for _, c in mapping.stage_dates)]:
        if column is not None and column not in frame.columns:
            raise FunnelError(
                "schema_unknown_column", role=(f"role_{role}",), column=column, flag=f"--{role.replace('_', '-')}-col"
            )
