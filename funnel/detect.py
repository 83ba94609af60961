"""Which column plays which role, decided from headers and values, each choice with its evidence and confidence.

One mechanism for sales reports and pipeline exports: a header that names a role makes the column a candidate,
its values confirm it (dates parse, amounts are numbers, a customer column repeats names or ids), and a column
whose header is unknown is rescued by its values alone (a column of dates is a date candidate whatever it is
called). Each column plays at most one role, the one its header and values fit best. Below CONFIDENT a caller
asks (the app) or stops and names the option to set (the CLI) instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from funnel.coded import WHITE_SPACE, distinct
from funnel.columns import RoleSpec, header_match
from funnel.values import iso_days_valid, may_be_dates_arrow, parse_amounts, parse_dates

CONFIDENT = 0.5
SAMPLE_ROWS = 5_000


@dataclass(frozen=True)
class Detection:
    """One role's column with why: an i18n evidence key and its parameters, a confidence in [0, 1]."""

    role: str
    column: str | None
    confidence: float = 0.0
    evidence: str = "evidence_none"
    params: tuple[tuple[str, object], ...] = ()
    alternatives: tuple[str, ...] = ()
    rescued: bool = False
    chosen: bool = False  # set by the user (mapping panel, a --*-col option), not detected

    @property
    def confident(self) -> bool:
        return self.column is not None and self.confidence >= CONFIDENT

    def sentence(self, lang: str = "zh") -> str:
        """'购药时间: 6,553 of 6,578 values are dates' in the user's language."""
        from funnel.i18n import t

        params = dict(self.params)
        text = t(self.evidence, lang, column=self.column or "", **params)
        if self.chosen:
            text += t("evidence_chosen", lang)
        elif self.rescued:
            text += t("evidence_rescued", lang)
        if self.alternatives and self.evidence != "evidence_preferred":
            text += t("evidence_alternatives", lang, others="、".join(self.alternatives))
        return text

    def as_json(self, lang: str = "en") -> dict[str, object]:
        return {
            "column": self.column,
            "confidence": round(self.confidence, 3),
            "evidence": self.sentence(lang),
            "alternatives": list(self.alternatives),
        }


@dataclass(frozen=True)
class Fit:
    """How well a column's values suit a kind: `ok` of `filled` non-blank values fit; `distinct` values."""

    ok: int
    filled: int
    distinct: int
    repeats: bool

    @property
    def share(self) -> float:
        return self.ok / self.filled if self.filled else 1.0


def _distinct(series: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """Non-blank values as stripped text (what `.astype(str).str.strip()` makes of them) → (distinct texts, how
    many rows hold each), counted in Arrow."""
    array = getattr(series.array, "_pa_array", None) if isinstance(series.dtype, pd.StringDtype) else None
    if array is None:  # not Arrow text yet: as str, blanks dropped
        text = series[series.notna()].astype(str)
        array = getattr(text.array, "_pa_array", None)
    if array is None:  # text kept in Python objects: stripped by str.strip()
        counts = text.str.strip().pipe(lambda t: t[t != ""]).value_counts(sort=False)
        return pa.array(counts.index.tolist(), type=pa.large_string()), counts.to_numpy()
    stripped = pc.utf8_trim_whitespace(array)  # what .str.strip() runs on Arrow text
    counts = pc.value_counts(stripped.filter(pc.not_equal(stripped, "")))
    return counts.field("values"), counts.field("counts").to_numpy(zero_copy_only=False)


# What Python's \d matches (Unicode category Nd, as this Python's unicodedata knows it) as an RE2 class: RE2's
# own \d is ASCII only and its \p{Nd} may know digits this Python does not (tests/test_detect_fit.py checks it).
_ND = (
    (0x30, 0x39), (0x660, 0x669), (0x6F0, 0x6F9), (0x7C0, 0x7C9), (0x966, 0x96F), (0x9E6, 0x9EF), (0xA66, 0xA6F),
    (0xAE6, 0xAEF), (0xB66, 0xB6F), (0xBE6, 0xBEF), (0xC66, 0xC6F), (0xCE6, 0xCEF), (0xD66, 0xD6F), (0xDE6, 0xDEF),
    (0xE50, 0xE59), (0xED0, 0xED9), (0xF20, 0xF29), (0x1040, 0x1049), (0x1090, 0x1099), (0x17E0, 0x17E9),
    (0x1810, 0x1819), (0x1946, 0x194F), (0x19D0, 0x19D9), (0x1A80, 0x1A89), (0x1A90, 0x1A99), (0x1B50, 0x1B59),
    (0x1BB0, 0x1BB9), (0x1C40, 0x1C49), (0x1C50, 0x1C59), (0xA620, 0xA629), (0xA8D0, 0xA8D9), (0xA900, 0xA909),
    (0xA9D0, 0xA9D9), (0xA9F0, 0xA9F9), (0xAA50, 0xAA59), (0xABF0, 0xABF9), (0xFF10, 0xFF19), (0x104A0, 0x104A9),
    (0x10D30, 0x10D39), (0x11066, 0x1106F), (0x110F0, 0x110F9), (0x11136, 0x1113F), (0x111D0, 0x111D9),
    (0x112F0, 0x112F9), (0x11450, 0x11459), (0x114D0, 0x114D9), (0x11650, 0x11659), (0x116C0, 0x116C9),
    (0x11730, 0x11739), (0x118E0, 0x118E9), (0x11950, 0x11959), (0x11C50, 0x11C59), (0x11D50, 0x11D59),
    (0x11DA0, 0x11DA9), (0x16A60, 0x16A69), (0x16AC0, 0x16AC9), (0x16B50, 0x16B59), (0x1D7CE, 0x1D7FF),
    (0x1E140, 0x1E149), (0x1E2F0, 0x1E2F9), (0x1E950, 0x1E959), (0x1FBF0, 0x1FBF9),
)  # fmt: skip
DIGIT = "[" + "".join(f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in _ND) + "]"
# Python's re.match of these patterns, in RE2: \d as DIGIT, and `$` also before a final newline as in Python.
_INTEGER = f"^[+-]?{DIGIT}+(\\.0+)?\\n?$"
_NUMERIC = f"^[+-]?({DIGIT}+(\\.{DIGIT}*)?|\\.{DIGIT}+)([eE][+-]?{DIGIT}+)?\\n?$"


# A plain number under 10^8 written in ASCII digits: parse_amounts reads every one as a valid amount (however
# its float is rounded, it is finite and far below MAX_AMOUNT), so only the other values are parsed.
_SMALL_NUMBER = r"^[+-]?([0-9]{1,8}(\.[0-9]*)?|\.[0-9]+)$"


def _matches(texts: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(texts, pattern).to_numpy(zero_copy_only=False)


def value_fit(series: pd.Series, kind: str, header_says: bool = True, words: Callable | None = None) -> Fit:
    """Count the non-blank values of a column that fit a kind (date, money, number, percent, party, text, id,
    stage, status). Pure numbers count as dates only when the header says date (else 5,000 would be 1913); a
    status column must hold status words, and so must a stage column recognised by its values alone.
    Each distinct value is judged once, its shape in Arrow, dates and amounts by funnel.values."""
    return _fit(_distinct(series), kind, header_says, words)


def _fit(values: tuple[pa.Array, np.ndarray], kind: str, header_says: bool, words: Callable | None) -> Fit:
    """value_fit of a column's distinct values (as `_distinct` gives them)."""
    texts, weight = values
    n, distinct = int(weight.sum()), len(texts)
    if n == 0:
        return Fit(0, 0, 0, False)
    if kind in ("money", "number"):
        ok = _matches(texts, _SMALL_NUMBER)
        if not ok.all():
            ok[~ok] = ~parse_amounts(_objects(texts.filter(pa.array(~ok))))[1].to_numpy()
    elif kind == "percent":
        cents, bad = parse_amounts(_objects(texts))
        ok = (~bad & (cents >= 0) & (cents <= 10_000)).to_numpy()
    elif kind == "date":
        ok = iso_days_valid(texts)  # (an ISO day is no plain number)
        if ok is None:  # parsed in Python: only what may be a date (leaving others out changes no reading)
            ok = may_be_dates_arrow(texts)
            if not header_says:
                ok &= ~_numeric(texts)
            if ok.any():
                ok[ok] = ~parse_dates(_objects(texts.filter(pa.array(ok))))[1].to_numpy()
    else:
        numeric = _numeric(texts)
        ok = ~_dated(texts, numeric) & ~(numeric & ~_matches(texts, _INTEGER))  # no date, no decimal
        if words is not None and (kind == "status" or not header_says):  # known words: a status, or a rescue
            ok &= _objects(texts).map(words).astype(bool).to_numpy()
        elif kind == "stage" and distinct > max(50, n // 20):
            ok &= False
    return Fit(int(weight[ok].sum()), n, distinct, distinct < n)


def _objects(texts: pa.Array) -> pd.Series:
    """Arrow texts as an object Series, as funnel.values parses them."""
    return pd.Series(texts.to_pylist(), dtype="object")


def _numeric(texts: pa.Array) -> np.ndarray:
    """True for each text that is a plain number once its commas are dropped."""
    return _matches(pc.replace_substring(texts, ",", ""), _NUMERIC)


def _dated(texts: pa.Array, numeric: np.ndarray) -> np.ndarray:
    """True for each value that reads as a date and is not a plain number. Only values with a digit, no number
    and no character a date never holds (客户00012有限公司) are parsed: a plain number cannot be written as a
    day-first date, so leaving numbers out changes no other value's reading."""
    dated = _matches(texts, DIGIT) & ~numeric
    if dated.any():
        dated[dated] = may_be_dates_arrow(texts.filter(pa.array(dated)))
    if dated.any():
        dated[dated] = ~parse_dates(_objects(texts.filter(pa.array(dated))))[1].to_numpy()
    return dated


def _whole_column(series: pd.Series, sample: Fit, kind: str) -> Fit:
    """A large column's fit without parsing all of it again: its filled (and, where the evidence names them,
    distinct) values counted, the share that fits taken from the sample (the sales reader replaces date and
    amount counts with exact ones)."""
    if kind in _SHOWS_DISTINCT:
        filled, distinct = filled_and_distinct(series)
        return Fit(round(sample.share * filled), filled, distinct, distinct < filled)
    filled = filled_cells(series)
    return Fit(round(sample.share * filled), filled, sample.distinct, sample.repeats)


def filled_cells(series: pd.Series) -> int:
    """Cells holding something other than white space."""
    if isinstance(series.dtype, pd.StringDtype):
        text = pa.array(series.array)
        chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
        return len(text) - text.null_count - sum(_blank_cells(chunk) for chunk in chunks)
    values = series[series.notna()]
    if values.dtype == object:
        return int(sum(1 for v in values.tolist() if str(v).strip()))
    return len(values)


# The first UTF-8 byte of every character str.strip() strips: a cell starting with another byte is filled.
_WHITE_LEADS = np.zeros(256, dtype=bool)
_WHITE_LEADS[[ch.encode()[0] for ch in WHITE_SPACE]] = True


def _blank_cells(chunk: pa.Array) -> int:
    """Cells of an Arrow text array that are empty or only white space; only those that start with a white-space
    byte are trimmed to tell (read cells seldom do)."""
    if chunk.type in (pa.string(), pa.large_string()) and len(chunk):
        width = np.int32 if chunk.type == pa.string() else np.int64
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
        data = np.frombuffer(chunk.buffers()[2] or b"", dtype=np.uint8)
        if not len(data):  # every cell empty
            return len(chunk) - chunk.null_count
        starts = offsets[:-1]
        maybe = _WHITE_LEADS[data.take(starts, mode="clip")]  # an empty cell's byte is another's: it counts below
        maybe |= starts == offsets[1:]
        if chunk.null_count:
            maybe &= chunk.is_valid().to_numpy(zero_copy_only=False)
        if not maybe.any():
            return 0
        chunk = chunk.filter(pa.array(maybe))
    return int(pc.sum(pc.equal(pc.utf8_trim(chunk, characters=WHITE_SPACE), "")).as_py() or 0)


def filled_and_distinct(series: pd.Series) -> tuple[int, int]:
    """(non-blank cells, distinct non-blank values) of a column, values stripped as `_distinct` strips them;
    counted over the column's distinct cells, not its rows."""
    codes, uniques = distinct(series)
    if isinstance(uniques, pa.Array) and not uniques.null_count:  # text: stripped in Arrow, as str.strip() does
        stripped = pc.utf8_trim(uniques, characters=WHITE_SPACE)
        kept = pc.not_equal(stripped, "").to_numpy(zero_copy_only=False)
        if kept.all():  # no value blank: every coded cell is filled
            filled = int(np.count_nonzero(codes >= 0))
        else:
            filled = int(np.bincount(codes[codes >= 0], minlength=len(uniques))[kept].sum())
        if pc.all(pc.equal(pc.binary_length(stripped), pc.binary_length(uniques))).as_py() is not False:
            return filled, int(kept.sum())  # nothing stripped: the values are still distinct
        return filled, int(pc.count_distinct(stripped.filter(pa.array(kept))).as_py())
    texts = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip().to_numpy(dtype=object)
    blank = texts == ""
    filled = int(np.bincount(codes[codes >= 0], minlength=len(uniques))[~blank].sum())
    return filled, len(set(texts[~blank].tolist()))


def with_counts(detection: Detection, ok: int, n: int) -> Detection:
    """The detection with its 'ok of n' counted exactly (by whoever parsed the whole column)."""
    params = dict(detection.params) | {"ok": f"{ok:,}", "n": f"{n:,}"}
    return replace(detection, params=tuple(params.items()))


_EVIDENCE = {
    "date": "evidence_dates",
    "money": "evidence_amounts",
    "number": "evidence_numbers",
    "percent": "evidence_percent",
    "party": "evidence_distinct",
    "text": "evidence_distinct",
    "id": "evidence_distinct",
    "stage": "evidence_distinct",
    "status": "evidence_status",
}
_SHOWS_DISTINCT = frozenset(kind for kind, key in _EVIDENCE.items() if key == "evidence_distinct")


@dataclass
class _Candidate:
    column: str
    position: int
    level: float
    tier: int
    rank: int
    fit: Fit
    rescued: bool = False

    @property
    def quality(self) -> float:
        return self.level * (0.3 + 0.7 * self.fit.share)


# Values rescue an unknown header among the first RESCUE_COLUMNS such columns only: judging values costs a few
# milliseconds a column, and a report whose customer or date hides past its 200th unnamed column is not a report
# we should guess about (a 60,000-column frame took over 20 minutes to judge).
RESCUE_COLUMNS = 200


@dataclass
class Detector:
    """Detect roles over a frame; `words` gives stage/status kinds a test of known values."""

    specs: dict[str, RoleSpec]
    words: dict[str, Callable[[str], bool]] = field(default_factory=dict)
    rescue: tuple[str, ...] = ()  # roles a column may be given for its values alone (header unknown)
    exact: bool = False  # count the evidence on every row (else on a sample; the caller counts what it parses)

    def detect(self, frame: pd.DataFrame, exclude: Sequence[str] = ()) -> dict[str, Detection]:
        """Each role's best column (or None) with evidence; every column plays one role at most."""
        sample = frame.head(SAMPLE_ROWS)
        columns = [c for c in map(str, frame.columns) if c not in set(exclude)]
        cands: dict[str, list[_Candidate]] = {role: [] for role in self.specs}
        best_quality: dict[str, float] = {}
        fits: dict[tuple[str, str], Fit] = {}
        seen: dict[str, tuple[pa.Array, np.ndarray]] = {}

        def values(column: str) -> tuple[pa.Array, np.ndarray]:  # a column's distinct values, found once
            if column not in seen:
                seen[column] = _distinct(sample[column])
            return seen[column]

        for position, column in enumerate(columns):
            for role, spec in self.specs.items():
                level, tier, rank = header_match(column, spec)
                if not level:
                    continue
                if (column, spec.kind) not in fits:
                    fits[column, spec.kind] = _fit(values(column), spec.kind, True, self.words.get(spec.kind))
                fit = fits[column, spec.kind]
                cand = _Candidate(column, position, level, tier, rank, fit)
                cands[role].append(cand)
                best_quality[column] = max(best_quality.get(column, 0.0), cand.quality)
        taken: set[str] = set()
        out: dict[str, Detection] = {}
        for role, spec in self.specs.items():
            fitting = [c for c in cands[role] if c.quality >= best_quality[c.column] - 1e-9 and c.column not in taken]
            fitting.sort(key=lambda c: (c.fit.share < 0.5, c.tier, -c.level, -c.fit.share, c.rank, c.position))
            if fitting:
                chosen = fitting[0]
                taken.add(chosen.column)
                full = fits[chosen.column, spec.kind] if len(frame) <= SAMPLE_ROWS else None
                out[role] = self._detection(frame, spec, chosen, fitting[1:], full)
        for role, spec in self.specs.items():
            if role not in self.rescue or (role in out and out[role].confidence >= CONFIDENT):
                continue  # a role with no column, or one whose values belie its header, may be rescued by values
            unknown = [c for c in columns if c not in taken and c not in best_quality][:RESCUE_COLUMNS]
            rescued = self._rescue(values, spec, unknown)
            if rescued is not None:
                taken.add(rescued.column)
                named = out.get(role)
                out[role] = self._detection(frame, spec, rescued, [])
                if named is not None:
                    taken.discard(named.column)
                    out[role] = replace(out[role], alternatives=(named.column,))
        return {role: out.get(role, Detection(role, None)) for role in self.specs}

    def describe(self, frame: pd.DataFrame, role: str, column: str, detected: Detection | None = None) -> Detection:
        """The evidence for a column the user chose (or the detected one, unchanged)."""
        if detected is not None and detected.column == column:
            return detected
        spec = self.specs[role]
        rows = frame[column] if self.exact else frame[column].head(SAMPLE_ROWS)
        fit = value_fit(rows, spec.kind, True, self.words.get(spec.kind))
        if len(frame) > len(rows):
            fit = _whole_column(frame[column], fit, spec.kind)
        params = {"ok": f"{fit.ok:,}", "n": f"{len(frame):,}", "distinct": f"{fit.distinct:,}"}
        return Detection(role, column, 1.0, _EVIDENCE[spec.kind], tuple(params.items()), chosen=True)

    def _rescue(
        self, values: Callable[[str], tuple[pa.Array, np.ndarray]], spec: RoleSpec, columns: list[str]
    ) -> _Candidate | None:
        """An unknown header whose values clearly fit: dates, ids/names that repeat, stage or status words."""
        if spec.kind in ("stage", "status") and spec.kind not in self.words:
            return None  # no known words to recognise them by
        found = []
        for position, column in enumerate(columns):
            fit = _fit(values(column), spec.kind, False, self.words.get(spec.kind))
            if fit.filled < 2 or fit.share < 0.9:
                continue
            if spec.kind == "party" and not (fit.repeats and fit.distinct >= 2):
                continue
            found.append(_Candidate(column, position, 0.0, 0, 0, fit, rescued=True))
        found.sort(key=lambda c: (-c.fit.share, c.position))
        return found[0] if found else None

    def _detection(
        self, frame: pd.DataFrame, spec: RoleSpec, chosen: _Candidate, others: list[_Candidate], fit: Fit | None = None
    ) -> Detection:
        if fit is None and self.exact:
            fit = value_fit(frame[chosen.column], spec.kind, not chosen.rescued, self.words.get(spec.kind))
        elif fit is None:
            fit = _whole_column(frame[chosen.column], chosen.fit, spec.kind)
        if chosen.rescued:
            confidence = {"date": 0.55, "stage": 0.55, "status": 0.55}.get(spec.kind, 0.45) * fit.share
        else:
            confidence = chosen.level * (fit.share if fit.filled else 1.0)
        evidence = _EVIDENCE[spec.kind]
        params: dict[str, object] = {"ok": f"{fit.ok:,}", "n": f"{len(frame):,}", "distinct": f"{fit.distinct:,}"}
        worse = [c.column for c in others if c.tier > chosen.tier]
        if spec.role == "amount" and worse and chosen.tier == 0:
            evidence, params["others"] = "evidence_preferred", "、".join(worse)
        return Detection(
            spec.role,
            chosen.column,
            float(np.clip(confidence, 0, 1)),
            evidence,
            tuple(params.items()),
            tuple(c.column for c in others),
            chosen.rescued,
        )
