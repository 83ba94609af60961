"""Text worked on per distinct value (funnel.coded) means exactly what the per-value functions of funnel.values
mean: cleaning, keys and total labels agree value for value, whether Arrow or Python did the work."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.coded import (
    _NEEDS_CLEANING,
    _PLAIN_KEY,
    MAYBE_TOTAL,
    clean_texts,
    distinct,
    matching,
    name_keys,
    text_coded,
)
from funnel.schema import _TOTAL, is_total, text_column
from funnel.values import INVISIBLE, clean_name, name_key

# Characters real names are made of, and the ones that make cleaning and keying hard.
ALPHABET = st.sampled_from(
    list("abcXYZ019 -_.()&'")
    + list("客户有限公司北京合计小总累")
    + list("（）【】，。、")
    + ["\u3000", "\u00a0", "\t", "\n", "\u200b", "\u200d", "\ufeff", "\u202e", "\x1c", "\xad", "\u3164"]
    + ["ß", "Σ", "ς", "İ", "ﬁ", "Ａ", "ｂ", "１", "é", "e\u0301", "ſ", "K", "\u302a", "\uf900"]
    + ["Total", "SUM", "sub", "grand", "小计", "合 计"]
)
TEXTS = st.lists(st.lists(ALPHABET, max_size=12).map("".join), min_size=1, max_size=40)  # pieces, some longer


@settings(max_examples=300, deadline=None, derandomize=True)
@given(TEXTS)
def test_keys_and_clean_texts_match_the_per_value_functions(values):
    array = pa.array(values, type=pa.large_string())
    assert name_keys(array).to_pylist() == [name_key(v) for v in values]
    assert clean_texts(array).to_pylist() == [clean_name(v) for v in values]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(TEXTS)
def test_total_labels_match_the_python_pattern(values):
    cleaned = [clean_name(v) for v in values]
    found = matching(pa.array(cleaned, type=pa.large_string()), _TOTAL, MAYBE_TOTAL)
    assert found.tolist() == [bool(_TOTAL.search(v)) for v in cleaned]


def test_every_character_arrow_keys_is_keyed_as_python_keys_it():
    """The plain-key class holds only characters whose key Arrow computes as Python does (the whole BMP checked)."""
    chars = [chr(c) for c in range(0x20, 0x10000) if not 0xD800 <= c <= 0xDFFF]
    plain = pc.match_substring_regex(pa.array(chars), _PLAIN_KEY).to_numpy(zero_copy_only=False)
    inside = [ch for ch, ok in zip(chars, plain, strict=True) if ok]
    assert len(inside) > 20_000  # ASCII, CJK, full-width forms: the names of real reports
    assert name_keys(pa.array(inside)).to_pylist() == [name_key(ch) for ch in inside]
    assert not set(inside) & INVISIBLE


def test_every_character_that_cleaning_changes_is_sent_to_python():
    """A value without the characters the screen looks for (and without edge or double spaces) is its own
    clean form: checked for every BMP character alone and between letters."""
    chars = [chr(c) for c in range(0x00, 0x10000) if not 0xD800 <= c <= 0xDFFF]
    for values in (chars, [f"a{ch}b" for ch in chars]):
        screened = pc.match_substring_regex(pa.array(values), _NEEDS_CLEANING).to_numpy(zero_copy_only=False)
        for value, needs in zip(values, screened, strict=True):
            if not needs:
                assert clean_name(value) == value, repr(value)


def test_text_column_of_mixed_cells_is_cleaned_cell_by_cell():
    cells = pd.Series(["  甲  公司 ", None, float("nan"), 12346.0, "甲 公司", "\u200b", "乙\u3000\u3000有限", 7])
    expected = ["" if (isinstance(v, float) and np.isnan(v)) or v is None else clean_name(v) for v in cells]
    assert text_column(cells).tolist() == expected
    arrow = pd.Series(["  甲  公司 ", None, "甲 公司", "\u200b"], dtype="str")
    assert text_column(arrow).tolist() == ["甲 公司", "", "甲 公司", ""]


def test_coded_columns_share_one_code_per_cleaned_text():
    coded = text_coded(pd.Series([" a", "a", "a ", None, "b", "a  b", "a b"], dtype="str"))
    texts = coded.values.to_pylist()
    assert [texts[c] for c in coded.codes] == ["a", "a", "a", "", "b", "a b", "a b"]
    assert len(texts) == len(set(texts)) == 4
    categorical = coded.categorical(np.array([True, True, False, False, True, True, False]))
    assert list(categorical.categories) == ["a", "a b", "b"]  # sorted, only the values of the rows kept
    assert categorical.tolist() == ["a", "a", "b", "a b"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["", "甲", "甲 ", " 甲", "乙", "a  b", "a b", "\u200b"]),
            TEXTS.map(lambda v: v[0]),
        ),
        max_size=40,
    ),
    st.sampled_from(["str", "object"]),
)
def test_text_coded_is_clean_name_per_cell_over_distinct_values(cells, dtype):
    """Codes over distinct cleaned texts whose value per row is clean_name of the cell ('' for blanks): columns
    already clean (one code per distinct cell) and columns that cleaning merges alike."""
    coded = text_coded(pd.Series(cells, dtype=dtype))
    texts = coded.values.to_pylist()
    assert [texts[c] for c in coded.codes] == ["" if v is None else clean_name(v) for v in cells]
    assert len(texts) == len(set(texts)) and coded.codes.dtype == np.int64


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(st.one_of(st.none(), st.sampled_from(["甲", "乙", " 甲", "", "丙"])), max_size=12), max_size=6)
)
def test_a_column_read_in_chunks_is_coded_as_the_same_column_in_one_piece(chunks):
    """The reader hands columns over in Arrow's parse blocks: coding them chunk by chunk gives the codes and values
    of the same cells in one array."""
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks, type=pa.large_string())))
    whole = pd.Series([cell for chunk in chunks for cell in chunk], dtype="str")
    assert distinct(chunked)[0].tolist() == distinct(whole)[0].tolist()
    assert distinct(chunked)[1].to_pylist() == distinct(whole)[1].to_pylist()
    coded, flat = text_coded(chunked), text_coded(whole)
    assert coded.codes.tolist() == flat.codes.tolist() and coded.values.equals(flat.values)


def test_is_total_reads_cleaned_labels():
    labels = ["合计", "小 计", "Grand Total", "subtotal:", "Sum", "总计（含税）", "合同", "totalitarian", "客户"]
    text = pd.Series(labels)
    assert is_total(text).tolist() == [bool(_TOTAL.search(v)) for v in text]
    assert is_total(text).tolist()[:6] == [True] * 6


def test_nfkc_and_case_folding_that_arrow_cannot_do_go_through_python():
    values = ["STRASSE", "Straße", "ΣΊΣΥΦΟΣ", "ﬁnance", "Ｅｘａｍｐｌｅ", "e\u0301", "é"]
    assert name_keys(pa.array(values)).to_pylist() == [name_key(v) for v in values]
    assert name_key("Straße") == name_key("STRASSE") == "strasse"
    assert unicodedata.normalize("NFKC", "ﬁ") == "fi"


def test_the_total_prefilter_is_wider_than_the_pattern():
    """Every label the Python pattern matches in a cleaned value also passes the Arrow prefilter."""
    labels = ["合计", "合 计", "小计", "总计", "累计", "Total", "TOTALS", "Grand Total", "Sub-Total", "sub total",
              "ſum", "SUM", " sum ", "Totals:"]  # fmt: skip
    assert all(_TOTAL.search(v) for v in labels)
    assert pc.match_substring_regex(pa.array(labels), MAYBE_TOTAL).to_pylist() == [True] * len(labels)
    assert re.compile(MAYBE_TOTAL.replace("(?i)", ""), re.IGNORECASE).search("ToTaL")
