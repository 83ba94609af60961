"""Column evidence counted in Arrow (funnel.detect) gives what the pandas/Python version it replaced gave, value
for value: the old version is kept here as the reference, run on generated columns and on the corpus."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from corpus import cases
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel import detect, pipeline, schema
from funnel.coded import WHITE_SPACE, distinct
from funnel.detect import DIGIT, Fit, filled_and_distinct, filled_cells, value_fit
from funnel.errors import FunnelError
from funnel.read import read_report
from funnel.values import (
    _DATE_CHARACTERS,
    DATE_IDEOGRAPHS,
    iso_days_valid,
    may_be_dates,
    may_be_dates_arrow,
    parse_amounts,
    parse_dates,
)
from funnel.vocab import is_status

KINDS = ("date", "money", "number", "percent", "party", "text", "id", "stage", "status")

# --- the reference: value_fit and the filled counts as they were written in pandas and Python -----------------

_INTEGER = re.compile(r"^[+-]?\d+(\.0+)?$")
_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def old_value_fit(series: pd.Series, kind: str, header_says: bool = True, words=None) -> Fit:
    text = series[series.notna()].astype(str).str.strip()
    counts = text[text != ""].value_counts(sort=False)
    n, distinct = int(counts.sum()), len(counts)
    if n == 0:
        return Fit(0, 0, 0, False)
    text = pd.Series(counts.index, dtype="object")
    weight = counts.to_numpy()
    numeric = text.str.replace(",", "", regex=False).str.match(_NUMERIC).to_numpy()
    if kind == "date":
        ok = ~parse_dates(text)[1].to_numpy()
        if not header_says:
            ok &= ~numeric
    elif kind in ("money", "number"):
        ok = ~parse_amounts(text)[1].to_numpy()
    elif kind == "percent":
        cents, bad = parse_amounts(text)
        ok = (~bad & (cents >= 0) & (cents <= 10_000)).to_numpy()
    else:
        digits = text.str.contains(r"\d", regex=True).to_numpy(dtype=bool, copy=True)
        digits[digits] = may_be_dates(text[digits].tolist())
        dated = np.zeros(len(text), dtype=bool)
        if digits.any():
            dated[digits] = ~parse_dates(text[digits])[1].to_numpy() & ~numeric[digits]
        decimal = numeric & ~text.str.match(_INTEGER).to_numpy()
        ok = ~dated & ~decimal
        if words is not None and (kind == "status" or not header_says):
            ok &= text.map(words).astype(bool).to_numpy()
        elif kind == "stage" and distinct > max(50, n // 20):
            ok &= False
    return Fit(int(weight[ok].sum()), n, distinct, distinct < n)


def old_filled_cells(series: pd.Series) -> int:
    if isinstance(series.dtype, pd.StringDtype):
        text = pa.array(series.array)
        blank = pc.sum(pc.equal(pc.utf8_trim(text, characters=WHITE_SPACE), "")).as_py() or 0
        return len(text) - text.null_count - int(blank)
    values = series[series.notna()]
    if values.dtype == object:
        return int(sum(1 for v in values.tolist() if str(v).strip()))
    return len(values)


def old_filled_and_distinct(series: pd.Series) -> tuple[int, int]:
    codes, uniques = distinct(series)
    per_value = np.bincount(codes[codes >= 0], minlength=len(uniques))
    if isinstance(uniques, pa.Array) and not uniques.null_count:
        stripped = pc.utf8_trim(uniques, characters=WHITE_SPACE)
        kept = pc.not_equal(stripped, "")
        filled = int(per_value[kept.to_numpy(zero_copy_only=False)].sum())
        return filled, int(pc.count_distinct(stripped.filter(kept)).as_py())
    texts = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip().to_numpy(dtype=object)
    blank = texts == ""
    return int(per_value[~blank].sum()), len(set(texts[~blank].tolist()))


def assert_same(series: pd.Series) -> None:
    for kind in KINDS:
        for header_says in (True, False):
            words = is_status if kind in ("stage", "status") else None
            assert value_fit(series, kind, header_says, words) == old_value_fit(series, kind, header_says, words), (
                kind,
                header_says,
            )
    assert filled_cells(series) == old_filled_cells(series)
    assert filled_and_distinct(series) == old_filled_and_distinct(series)


# --- generated columns ------------------------------------------------------------------------------------------

DIGITS = "0123456789" + "٠١٢٣٤٥٦٧٨٩" + "०१२३४५६७८९" + "０１２３４５６７８９" + "𝟎𝟏𝟐" + "᱐᱑" + "𑽐𑽑"  # last: Unicode 15
MARKS = ",.,+-eE/:年月日 \u3000\xa0\t\n\x1c\u2007\u200b-_()¥%万"
WORDS = ["客户", "有限公司", "ACME", "XS", "Jan", "mon", "赢单", "won", "lost", "ſ", "K", "T", "AM"]
FIXED = [
    "2026-01-05", "2026-01-05 10:00:00", "5/1/2026", "13-01-2026", "01-13-2026", "1.2.2026", "2026年1月5日 星期一",
    "20260105", "45658", "12.5", "1,234.50", "-0.5e-3", "12\n,", "0012", "7.000", "１２３", "05-Jan-2026", "",
    "  ", "\u3000", "\x1c", "2026-02-30", "3,5", "99999999.999", "100000000", "999999999.9999999999", "+.5",
    "5.", "-0", "00000000012", "1e8", "-99999999", "１２.５", "٣٤",
]  # fmt: skip
text = st.one_of(
    st.text(st.sampled_from(list(DIGITS + MARKS)), max_size=12),
    st.lists(st.sampled_from([*WORDS, *DIGITS, *MARKS, *FIXED]), max_size=5).map("".join),
    st.sampled_from(FIXED),
)
cell = st.one_of(
    text,
    text,
    st.none(),
    st.just(float("nan")),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
)


@settings(max_examples=200, deadline=None)  # each example judges every kind twice, old and new
@given(st.lists(cell, max_size=40), st.sampled_from(["object", "str", "string[pyarrow]", "string[python]"]))
def test_arrow_evidence_is_the_pandas_evidence(cells, dtype):
    if dtype != "object":
        cells = [c if isinstance(c, str) or c is None else None for c in cells]
    assert_same(pd.Series(cells, dtype=dtype))


@settings(deadline=None)
@given(st.lists(text, min_size=1, max_size=30))
def test_repeated_text_counts_the_same(cells):
    assert_same(pd.Series(cells * 3, dtype="str"))


@settings(deadline=None)
@given(st.lists(st.one_of(text, st.none()), max_size=30), st.integers(0, 5), st.sampled_from(["str", "string"]))
def test_filled_cells_of_sliced_and_chunked_text(cells, start, dtype):
    series = pd.Series(cells, dtype=dtype)
    chunked = pd.concat([series, series.iloc[start:]], ignore_index=True)
    for part in (series.iloc[start:], series.iloc[: start + 1], chunked):
        assert filled_cells(part) == old_filled_cells(part)


def test_numbers_amid_dates_do_not_change_the_dates():
    # a plain number left out of date parsing: ISO dates alone take the vectorised path, day-first still proven
    for cells in (["2026-01-05", "2026-13-01", "45658", "12.5"], ["13-01-2026", "01-02-2026", "1.5", "20260105"]):
        assert_same(pd.Series(cells, dtype="str"))


iso_day = st.builds(
    lambda y, m, d, time: f"{y:04d}-{m:02d}-{d:02d}" + time,
    st.one_of(st.integers(0, 9999), st.sampled_from([1899, 1900, 2000, 2024, 2100, 2199, 2200])),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["", " 00:00:00", " 25:99:99"]),
)


@settings(deadline=None)
@given(st.lists(iso_day, min_size=1, max_size=30, unique=True), st.lists(iso_day, max_size=5))
def test_iso_days_are_read_as_parse_dates_reads_them(days, more):
    assert iso_days_valid(pa.array(days)).tolist() == (~parse_dates(pd.Series(days, dtype=object))[1]).tolist()
    assert_same(pd.Series(days + more + days, dtype="str"))


def test_iso_days_at_the_edges_of_the_calendar():
    days = ["2000-02-29", "1900-02-29", "2100-02-29", "2024-02-29", "2023-02-29", "2199-12-31 23:59:59", "2200-01-01"]
    days += ["1899-12-31", "1900-01-01", "2026-04-31", "2026-00-10", "2026-13-01", "2026-01-00", "0000-01-01"]
    assert iso_days_valid(pa.array(days)).tolist() == (~parse_dates(pd.Series(days, dtype=object))[1]).tolist()
    assert iso_days_valid(pa.array(["2026-01-05", "2026/01/05"])) is None  # another shape: parse_dates' general way


def test_the_digit_class_is_pythons():
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    arrow = pc.match_substring_regex(pa.array(chars), f"^{DIGIT}$").to_numpy(zero_copy_only=False)
    python = np.array([re.fullmatch(r"\d", c) is not None for c in chars])
    assert np.array_equal(arrow, python)


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@settings(deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(st.sampled_from(list(LETTERS + "0123456789 -/.:,_+|#\t\x1c" + "ſKＪ客年星")), max_size=10),
            st.lists(
                st.sampled_from([*WORDS, *FIXED, "SO-", "BX", "Xace", "jan", "SEPT", "Tuesday", "pm"]), max_size=4
            ).map("".join),
        ),
        max_size=30,
    )
)
def test_dates_are_ruled_out_in_arrow_as_in_python(texts):
    assert may_be_dates_arrow(pa.array(texts, type=pa.large_string())).tolist() == may_be_dates(texts).tolist()


def test_the_ideographs_ruled_out_stay_what_they_are():
    ideographs = [chr(c) for c in range(0x4E00, 0xA000)]
    assert "".join(c for c in ideographs if _DATE_CHARACTERS.fullmatch(c)) == "".join(sorted(DATE_IDEOGRAPHS))
    assert all(unicodedata.normalize("NFKC", c) == c for c in ideographs)
    pairs = (unicodedata.decomposition(chr(c)).split() for c in range(0x110000))
    composed = {int(part, 16) for parts in pairs if len(parts) == 2 and not parts[0].startswith("<") for part in parts}
    assert not any(0x4E00 <= c <= 0x9FFF for c in composed)  # never part of a canonical composition


# --- the corpus ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [c for c in cases() if c.error is None], ids=lambda c: c.name)
def test_corpus_evidence_is_the_same(case):
    try:
        frame = read_report(case.data, case.filename, case.sheet).frame
    except FunnelError:
        pytest.skip("not read")
    for column in frame.columns:
        assert_same(frame[column])
    assert_same_detection(frame)


# --- whole detections: the detector run on the new counts and on the old ones -----------------------------------


def detections(frame: pd.DataFrame) -> list[dict]:
    return [
        {role: (d.column, d.confidence, d.params, d.alternatives, d.rescued) for role, d in found.items()}
        for found in (schema.DETECTOR.detect(frame), pipeline.DETECTOR.detect(frame))
    ]


def assert_same_detection(frame: pd.DataFrame) -> None:
    new = detections(frame)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(detect, "_distinct", lambda series: series)  # the sample column itself, to the old value_fit
        patch.setattr(detect, "_fit", old_value_fit)
        patch.setattr(detect, "filled_cells", old_filled_cells)
        patch.setattr(detect, "filled_and_distinct", old_filled_and_distinct)
        assert detections(frame) == new


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.lists(cell, min_size=1, max_size=8), st.booleans()), min_size=1, max_size=6),
    st.sampled_from([1, 5_001]),
)
def test_detections_are_the_same_on_large_frames(columns, rows):
    # headers that name roles and headers that do not (rescued by values), each column Arrow text or Python
    # objects (numbers kept as numbers); repeated to more rows than the sample, or not
    headers = ["客户名称", "Col2", "单据日期", "金额", "阶段", "状态"]
    series = {}
    for header, (cells, arrow) in zip(headers, columns, strict=False):
        times = -(-rows // len(cells))
        if arrow:
            series[header] = pd.Series([c if isinstance(c, str) else None for c in cells] * times, dtype="str")
        else:
            series[header] = pd.Series(cells * times, dtype="object")
    frame = pd.DataFrame(series)
    assert_same_detection(frame)
