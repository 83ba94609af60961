"""The two CSV readers give the same grid: Arrow's one-pass parser (ordinary files) and the streamed csv-module
reader (the one that checks every line), so the fast path changes nothing but the time a file takes."""

from __future__ import annotations

import csv
import io
import itertools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.csvfile import WHITESPACE, _read_at_once, _read_streamed, read_csv_grid, read_csv_table
from funnel.errors import FunnelError
from funnel.limits import Limits
from funnel.read import read_report


def _frame(table) -> pd.DataFrame:
    frame = table.to_pandas()
    frame.columns = range(frame.shape[1])
    return frame.astype(object).where(frame.notna(), None)


def _both(data: bytes, encoding: str = "utf-8", skip: int = 0) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    fast = _read_at_once(data, encoding, skip, Limits())
    return (None if fast is None else _frame(fast)), _frame(_read_streamed(data, encoding, skip, Limits()))


def _readers_agree(data: bytes) -> pd.DataFrame | None:
    """The streamed reader's grid of a UTF-8 file, checked against the fast reader's (when it takes the file); a file
    the streamed reader refuses must be refused by read_csv_grid with the same sentence (then None)."""
    try:
        streamed = _frame(_read_streamed(data, "utf-8", 0, Limits()))
    except FunnelError as refused:
        with pytest.raises(FunnelError) as info:
            read_csv_grid(data)
        assert info.value.key == refused.key
        return None
    fast = _read_at_once(data, "utf-8", 0, Limits())
    if fast is not None:
        pd.testing.assert_frame_equal(_frame(fast), streamed)
    return streamed


CASES = {
    "plain": "客户,产品,金额\n甲公司,A,100\n乙公司,B,200\n",
    "title and note rows": "销售明细表\n导出时间 2026-01-05\n客户,产品,金额\n甲,A,1\n乙,B,2\n合计,,3\n",
    "quoted separators": '客户,金额\n"甲, 北京",1\n"say ""hi""",2\n',
    "padded cells": "客户 , 金额\n  甲  ,\t100 \n\u3000乙\u3000,200\n",
    "blank lines and short rows": "a,b,c\n\n1,2\n4,5,6,7\n,,\n",
    "tabs": "客户\t金额\n甲\t1\n乙\t2\n",
    "semicolons": "Kunde;Betrag\nA;1,50\nB;2,00\n",
    "no final newline": "a,b\n1,2",
    "crlf": "a,b\r\n1,2\r\n3,4\r\n",
    "one column": "客户\n甲\n乙\n",
    "blank lines first": "\n\n\n客户,金额\n甲,1\n",
    "blank first lines, a title further down": "\n" * 60 + "客户,金额\n甲,1\n",
}


@pytest.mark.parametrize("name", list(CASES))
def test_fast_reader_gives_the_streamed_grid(name):
    fast, streamed = _both(CASES[name].encode("utf-8"))
    if not name.startswith("blank first lines"):
        assert fast is not None, "an ordinary file is read in one pass"
    if fast is not None:
        pd.testing.assert_frame_equal(fast, streamed)


@pytest.mark.parametrize("text", ["\n", "\n\n", "\r\n\r\n", ",,\n,,\n", " \n\t\n"])
def test_a_file_of_blank_lines_reads_as_the_streamed_reader_reads_it(text):
    """Nothing in it (the sheet is then refused as empty by funnel.read): the same nothing both ways."""
    fast, streamed = _both(text.encode())
    if fast is not None:
        pd.testing.assert_frame_equal(fast, streamed)
    pd.testing.assert_frame_equal(_frame(read_csv_table(text.encode())), streamed)
    with pytest.raises(FunnelError) as info:
        read_report(text.encode(), "r.csv")
    assert info.value.key == "read_empty_sheet"


def test_gbk_file_gives_the_same_grid_both_ways():
    data = "客户,金额\n北京甲公司,100\n上海乙公司,200\n".encode("gbk")
    fast, streamed = _both(data, "gb18030")
    assert fast is not None
    pd.testing.assert_frame_equal(fast, streamed)
    assert read_csv_grid(data).iloc[1, 0] == "北京甲公司"


@pytest.mark.parametrize(
    "text",
    [
        'a,b\n1,"open\n2,3\n4,5\n',  # a quote never closed
        'a,b\n1,"two\nlines"\n',  # a line break inside a cell: the streamed reader judges it
    ],
)
def test_unusual_files_go_to_the_streamed_reader(text):
    assert _read_at_once(text.encode(), "utf-8", 0, Limits()) is None


def test_open_quote_is_still_reported_with_its_line():
    data = ("a,b\n" + "".join(f"x{i},{i}\n" for i in range(50)) + '1,"open\n' + "2,3\n" * 30).encode()
    with pytest.raises(FunnelError) as info:
        read_csv_grid(data)
    assert info.value.key in {"csv_open_quote", "csv_quote_rows"}
    assert "52" in str(info.value.params)


CELL = st.lists(st.sampled_from([*list('ab甲乙 ,;"\t'), "\u3000", "x y"]), max_size=6).map("".join)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=12))
def test_any_grid_written_by_the_csv_module_reads_the_same_both_ways(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    data = out.getvalue().encode("utf-8")
    try:
        streamed = _frame(_read_streamed(data, "utf-8", 0, Limits()))
    except FunnelError as refused:  # e.g. a tab sniffed as the separator opens a quote: the fast path refuses too
        with pytest.raises(FunnelError) as info:
            read_csv_grid(data)
        assert info.value.key == refused.key
        return
    fast = _read_at_once(data, "utf-8", 0, Limits())
    if fast is not None:  # declined files are read by the streamed reader, as in read_csv_grid
        pd.testing.assert_frame_equal(_frame(fast), streamed)


def test_whitespace_is_what_arrow_trims_and_python_strips():
    import pyarrow as pa
    import pyarrow.compute as pc

    codes = range(0x3100)  # every whitespace character Python knows is below U+3100
    python = {chr(c) for c in codes if chr(c).isspace()}
    trimmed = pc.utf8_trim_whitespace(pa.array([f"{chr(c)}x{chr(c)}" for c in codes])).to_pylist()
    arrow = {chr(c) for c, cell in zip(codes, trimmed, strict=True) if cell == "x"}
    assert set(WHITESPACE) == python == arrow == {chr(c) for c in codes if chr(c).strip() == ""} - {""}
    assert not any(chr(c).isspace() for c in range(0x3100, 0x110000, 97))  # none further up (sampled)


SPACE = st.sampled_from([" ", "\t", "\u3000", "\xa0", "\u2028", "\x1f", "\u205f"])
RAW_CELL = st.one_of(
    st.just(""),
    st.lists(st.one_of(SPACE, st.sampled_from(list("ab甲期常,;|"))), max_size=5).map("".join),
    st.lists(st.sampled_from([*"ab甲 ,", '""', "\u3000"]), max_size=4).map(lambda s: '"' + "".join(s) + '"'),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(RAW_CELL, min_size=1, max_size=5), min_size=1, max_size=14),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
)
def test_hand_written_files_read_the_same_both_ways(rows, sep, newline, final):
    """Files as people and tools write them: blanks, padded cells, Unicode spaces, quoted cells, rows shorter and
    longer than the header, any line ending, with or without a last line break."""
    text = newline.join(sep.join(row) for row in rows) + (newline if final else "")
    data = text.encode("utf-8")
    streamed = _readers_agree(data)
    if streamed is not None:
        pd.testing.assert_frame_equal(read_csv_grid(data).astype(object).where(lambda f: f.notna(), None), streamed)


@pytest.mark.parametrize("odd_every", [2, 3, 7, 40])
def test_many_short_rows_among_full_ones_keep_their_places(odd_every):
    """Short rows (handed back by Arrow) at many places: put between slices or in order by one take, as the
    streamed reader has them."""
    lines = ["客户,产品,金额"] + [f" 甲{i} ,A,{i}" if i % odd_every else f"备注{i}" for i in range(1, 200)]
    fast, streamed = _both(("\n".join(lines) + "\n").encode())
    assert fast is not None
    pd.testing.assert_frame_equal(fast, streamed)


@pytest.mark.parametrize("ending", ["", "\n", "\r\n", "\r"])
@pytest.mark.parametrize("last", ['1,"open', '"1,2', '1,"a""b'])
def test_a_quote_open_on_the_last_line_is_reported(ending, last):
    data = ("a,b\n" + "x,1\n" * 5 + last + ending).encode()
    assert _read_at_once(data, "utf-8", 0, Limits()) is None
    with pytest.raises(FunnelError) as info:
        read_csv_grid(data)
    assert info.value.key == "csv_open_quote"


def test_cells_are_trimmed_and_blanks_null_over_the_same_buffers():
    import pyarrow as pa

    from funnel.csvfile import _tidy

    clean = pa.array(["甲", "", "乙", "丙"] * 1000, pa.large_string())
    tidy = _tidy(clean)
    assert tidy.to_pylist() == ["甲", None, "乙", "丙"] * 1000
    assert tidy.buffers()[2].address == clean.buffers()[2].address  # the text not copied
    padded = pa.array([" 甲", "乙\u3000", "\t", None, "丙"], pa.large_string())
    assert _tidy(padded).to_pylist() == ["甲", "乙", None, None, "丙"]
    assert _tidy(padded.slice(1, 3)).to_pylist() == ["乙", None, None]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), RAW_CELL), max_size=30), st.integers(0, 5))
def test_tidy_is_trim_then_blank_to_null(cells, skip):
    import pyarrow as pa

    from funnel.csvfile import _tidy

    array = pa.array(cells, pa.large_string()).slice(min(skip, len(cells)))
    expected = [None if c is None or not c.strip() else c.strip() for c in cells[min(skip, len(cells)) :]]
    assert _tidy(array).to_pylist() == expected


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.lists(RAW_CELL, min_size=1, max_size=5), min_size=1, max_size=30), st.integers(16, 200))
def test_small_parse_blocks_give_the_same_grid(rows, block):
    """Arrow's columns come in one chunk per parse block, kept as they are: with blocks of a few bytes (many chunks,
    records longer than a block) the grid is still the streamed reader's, or the file is left to it."""
    from unittest import mock

    data = ("\n".join(",".join(row) for row in rows) + "\n").encode("utf-8")
    with mock.patch("funnel.csvfile._BLOCK_BYTES", block):
        _readers_agree(data)


def _mapped(data: bytes):
    """`data` as the reading worker has a file: mapped read-only (funnel.guard._load)."""
    import mmap
    import tempfile

    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.flush()
        return mmap.mmap(f.fileno(), len(data), prot=mmap.PROT_READ)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(RAW_CELL, min_size=1, max_size=5), min_size=1, max_size=14),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
)
def test_a_mapped_file_reads_as_its_bytes(rows, newline, encoding):
    """The worker parses a mapped CSV where it lies: the same grid, or the same sentence, as from its bytes."""
    try:
        data = newline.join(",".join(row) for row in rows).encode(encoding) + newline.encode()
    except UnicodeEncodeError:
        return
    try:
        expected = _frame(read_csv_table(data))
    except FunnelError as refused:
        with pytest.raises(FunnelError) as info:
            read_csv_table(_mapped(data))
        assert info.value.key == refused.key
        return
    pd.testing.assert_frame_equal(_frame(read_csv_table(_mapped(data))), expected)


def test_first_lines_and_counts_of_a_large_mapped_file_are_those_of_its_bytes():
    from funnel.csvfile import _HEAD_BYTES, _count, _first_lines

    long_lines = "".join(f"{'x' * 40_000},{i}\r\n" for i in range(60))  # 50 lines run past the first megabyte
    straddling = "a\r\n" * 49 + "x" * (_HEAD_BYTES - 1 - 49 * 3) + "\r\n" * 3  # line 50's "\r\n" across the cut
    for text in (long_lines, "a,b\r\n" * ((_HEAD_BYTES // 5) + 3), "a,b\r" * 300_000 + '"x\r\n', straddling):
        data = text.encode()
        assert len(data) > _HEAD_BYTES
        lines = list(itertools.islice(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""), 50))
        assert _first_lines(data) == _first_lines(_mapped(data)) == lines
        for needle in (b"\n", b"\r", b"\r\n", b'"'):
            assert _count(_mapped(data), needle) == data.count(needle)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.lists(st.sampled_from([*WHITESPACE, "a", "é", "甲", "期", "司", "\u2030", "\u3001", "😀"]), max_size=4).map(
            "".join
        ),
        max_size=40,
    )
)
def test_may_trim_says_whether_any_cell_has_whitespace_at_an_end(cells):
    """Exact for a few cells (each flagged one decoded); never a miss, which would leave a cell untrimmed."""
    import pyarrow as pa

    from funnel.csvfile import _may_trim

    assert _may_trim(pa.array(cells, pa.large_string())) == any(c != c.strip() for c in cells)
