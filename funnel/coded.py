"""A column as integer codes over its distinct values: text is cleaned, keyed and judged once per distinct value.

Reports repeat the same customers, products, regions and dates on thousands of lines, so every text step works
on the distinct values and spreads the answer back through the codes. Most values need nothing only Python can
do: the distinct values are screened in Arrow (C++) and only those holding white space other than single
spaces, invisible characters, or (for keys) characters outside ASCII and CJK go through the per-value
functions of funnel.values, which stay the definition of what cleaning and keying mean.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from funnel.values import _INVISIBLE_RANGES, clean_name, name_key

# Every character Python's str.split() treats as white space, except the plain space.
_WHITE = (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B))
_WHITE += (0x2028, 0x2029, 0x202F, 0x205F, 0x3000)


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in sorted(ranges))


WHITE_SPACE = " " + "".join(map(chr, _WHITE))  # what str.strip() strips, for pc.utf8_trim
# A value holding none of these, and no leading, trailing or double space, is its own clean form.
_NEEDS_CLEANING = f"[{_char_class([*_INVISIBLE_RANGES, *((c, c) for c in _WHITE)])}]|^ | $|  "
# A value made only of these has the key lower(NFKC(value) without spaces): ASCII, CJK ideographs, full-width
# ASCII (NFKC makes them ASCII), CJK punctuation and the ideographic space (tests/test_coded.py checks each).
_PLAIN_KEY = "^[\\x{20}-\\x{7E}\\x{3000}-\\x{3035}\\x{3400}-\\x{4DBF}\\x{4E00}-\\x{9FFF}\\x{FF01}-\\x{FF5E}]*$"
# A superset of what schema's total-label pattern can match in a cleaned value (confirmed in Python after).
MAYBE_TOTAL = "(?i)计|tota|^ *sum *$"


@dataclass(frozen=True)
class Coded:
    """One column of n rows as codes into `values` (distinct texts, '' for blank cells; every code ≥ 0)."""

    codes: np.ndarray
    values: pa.Array
    raw_codes: np.ndarray | None = None  # per row, its index among the column's distinct cells as read (-1 blank)

    def __len__(self) -> int:
        return len(self.codes)

    def per_row(self, per_value: np.ndarray) -> np.ndarray:
        """A per-value array spread to the rows."""
        return np.asarray(per_value)[self.codes]

    def blank(self) -> np.ndarray:
        """True on rows whose text is blank."""
        return self.per_row(pc.equal(self.values, "").to_numpy(zero_copy_only=False))

    def series(self, index: pd.Index | None = None) -> pd.Series:
        """The texts as an object Series ('' for blanks), as schema.text_column returns them."""
        return pd.Series(np.asarray(self.values.to_pylist(), dtype=object)[self.codes], index=index, dtype=object)

    def categorical(self, rows: np.ndarray | None = None) -> pd.Categorical:
        """The texts of the rows chosen (a boolean mask; all by default) as a Categorical over the values they use,
        sorted (so that sorting and grouping by it read as for plain text)."""
        codes = self.codes if rows is None else self.codes[rows]
        used = np.zeros(len(self.values), dtype=bool)
        used[codes] = True
        kept = self.values.filter(pa.array(used))
        order = pc.sort_indices(kept).to_numpy(zero_copy_only=False)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        remap = np.full(len(self.values), -1, dtype=np.int64)
        remap[np.flatnonzero(used)] = rank
        categories = pd.Index(kept.take(pa.array(order)).to_pylist(), dtype=object)
        return pd.Categorical.from_codes(remap[codes].astype(code_type(len(categories))), categories=categories)


def code_type(n: int) -> str:
    """The smallest integer type holding codes for n categories."""
    return "int8" if n < 2**7 else "int16" if n < 2**15 else "int32"


def _strings(series: pd.Series) -> pa.Array | pa.ChunkedArray | None:
    """The column's Arrow strings, in the chunks it was read in, when it holds only text and blanks (else None)."""
    dtype = series.dtype
    arrow_text = isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype)
    if isinstance(dtype, pd.StringDtype) or arrow_text:
        try:
            return pa.array(series.array)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            return None
    return None


def _encoded(array: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """(codes, distinct values) of Arrow strings, -1 for nulls; chunks are encoded as they are (one dictionary
    for all of them) rather than copied into one array first."""
    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.Array):
        return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), encoded.dictionary
    chunks = encoded.chunks
    if not chunks:
        return np.zeros(0, dtype=np.int32), pa.array([], type=array.type)
    values = chunks[-1].dictionary
    if any(len(c.dictionary) != len(values) or not c.dictionary.equals(values) for c in chunks[:-1]):
        return _encoded(array.combine_chunks())  # (Arrow gives every chunk the whole dictionary; not relied on)
    return np.concatenate([c.indices.fill_null(-1).to_numpy(zero_copy_only=False) for c in chunks]), values


# Codes of recently coded text columns, by the identity of their Arrow data: column detection and the sales
# checks (and a mapping changed in the app) code the same columns of one parsed sheet. A few columns at most;
# an entry goes when its column's data goes.
_RECENT: OrderedDict[int, tuple[weakref.ref, np.ndarray, pa.Array]] = OrderedDict()
_RECENT_MAX = 16
_RECENT_LOCK = threading.Lock()


def distinct(series: pd.Series) -> tuple[np.ndarray, pa.Array | pd.Index]:
    """(codes, uniques) of a column: -1 for blank cells (None, NaN), else the index of the cell's value."""
    data = getattr(series.array, "_pa_array", None)
    if isinstance(data, pa.ChunkedArray):
        with _RECENT_LOCK:
            hit = _RECENT.get(id(data))
            if hit is not None and hit[0]() is data:
                _RECENT.move_to_end(id(data))
                return hit[1], hit[2]
    array = _strings(series)
    if array is not None:
        codes, values = _encoded(array)
        if isinstance(data, pa.ChunkedArray):
            _remember(data, codes, values)
        return codes, values
    if isinstance(series.dtype, pd.CategoricalDtype):
        cat = series.array
        return np.asarray(cat.codes, dtype=np.int64), pd.Index(cat.categories, dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), uniques


def _remember(data: pa.ChunkedArray, codes: np.ndarray, uniques: pa.Array) -> None:
    key = id(data)

    def forget(_: object) -> None:
        with _RECENT_LOCK:
            _RECENT.pop(key, None)

    with _RECENT_LOCK:
        _RECENT[key] = (weakref.ref(data, forget), codes, uniques)
        while len(_RECENT) > _RECENT_MAX:
            _RECENT.popitem(last=False)


def _as_text_array(uniques: pa.Array | pd.Index) -> tuple[pa.Array, np.ndarray | None]:
    """Distinct values as an Arrow string array; for values that are not text, their str() (None where blank)."""
    if isinstance(uniques, pa.Array):
        return uniques, None
    values = [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v for v in uniques]
    texts = [v if isinstance(v, str) else None for v in values]
    others = [i for i, v in enumerate(values) if v is not None and not isinstance(v, str)]
    return pa.array(texts, type=pa.large_string()), np.asarray(others, dtype=np.int64) if others else None


def clean_texts(values: pa.Array) -> pa.Array:
    """values.clean_name of each value (None → ''), in Arrow for every value that is already clean."""
    return _cleaned(values)[0]


def _cleaned(values: pa.Array) -> tuple[pa.Array, bool]:
    """(clean_texts of the values, whether any value changed beyond None → '')."""
    values = values.fill_null("")
    if not len(values):
        return values, False
    needs = pc.match_substring_regex(values, _NEEDS_CLEANING).to_numpy(zero_copy_only=False)
    if not needs.any():
        return values, False
    fixed = [clean_name(v) for v in values.filter(pa.array(needs)).to_pylist()]
    return pc.replace_with_mask(values, pa.array(needs), pa.array(fixed, type=values.type)), True


def name_keys(values: pa.Array) -> pa.Array:
    """values.name_key of each value (None → ''): in Arrow for ASCII and CJK text, in Python for the rest."""
    values = values.fill_null("")
    if not len(values):
        return values
    plain = pc.match_substring_regex(values, _PLAIN_KEY).to_numpy(zero_copy_only=False)
    keys = pc.utf8_normalize(values, "NFKC") if plain.any() else values
    keys = pc.utf8_lower(pc.replace_substring(keys, " ", ""))
    if plain.all():
        return keys
    rest = ~plain
    fixed = [name_key(v) for v in values.filter(pa.array(rest)).to_pylist()]
    return pc.replace_with_mask(keys, pa.array(rest), pa.array(fixed, type=values.type))


def matching(values: pa.Array, pattern, prefilter: str) -> np.ndarray:
    """True for each value the Python pattern finds something in; only values matching the Arrow prefilter (a
    superset) are looked at in Python."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    maybe = pc.match_substring_regex(values.fill_null(""), prefilter).to_numpy(zero_copy_only=False)
    out = np.zeros(len(values), dtype=bool)
    if maybe.any():
        where = np.flatnonzero(maybe)
        found = [bool(pattern.search(v)) for v in values.filter(pa.array(maybe)).to_pylist()]
        out[where] = found
    return out


def refactor(codes: np.ndarray, per_value: pa.Array) -> Coded:
    """Codes into new distinct values when several old values map to the same new one (e.g. once cleaned)."""
    encoded = pc.dictionary_encode(per_value)
    remap = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return Coded(remap[codes], encoded.dictionary)


def text_coded(series: pd.Series) -> Coded:
    """A column's cleaned text (values.clean_name of each cell, '' for blanks) as codes over distinct texts."""
    codes, uniques = distinct(series)
    texts, others = _as_text_array(uniques)
    cleaned, changed = _cleaned(texts)
    if others is not None:  # numbers, dates, booleans: their str(), cleaned like any text
        fixed = [clean_name(uniques[i]) for i in others]
        mask = np.zeros(len(cleaned), dtype=bool)
        mask[others] = True
        cleaned = pc.replace_with_mask(cleaned, pa.array(mask), pa.array(fixed, type=cleaned.type))
    with_blank = pa.concat_arrays([cleaned, pa.array([""], type=cleaned.type)])  # code -1 → the last value: ''
    if not changed and others is None and not texts.null_count and not pc.any(pc.equal(texts, "")).as_py():
        return Coded(np.where(codes < 0, len(cleaned), codes).astype(np.int64), with_blank, codes)  # all distinct
    found = refactor(np.where(codes < 0, len(cleaned), codes), with_blank)
    return Coded(found.codes, found.values, codes)
