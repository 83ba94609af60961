"""The reading worker's answer reaches the parent as JSON and raw buffers: rebuilt exactly, checked before use, and
never unpickled (a worker a crafted file took over cannot run code in the server or make it read past a buffer)."""

from __future__ import annotations

import json
import pickle
import time
from multiprocessing import Pipe

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel import guard, handover
from funnel.errors import FunnelError
from funnel.limits import Limits
from funnel.read import RawTable


def _report(columns: list[pa.ChunkedArray], rows: np.ndarray) -> RawTable:
    table = pa.table(columns, names=[str(j) for j in range(len(columns))])
    names = [f"列{j}" for j in range(len(columns))]
    return RawTable(table=table, names=names, sheet="明细", sheets=["明细", "汇总"], header_row=3, row_numbers=rows)


def _sent(report: RawTable) -> tuple[dict, list[pa.Buffer]]:
    """What the parent holds after the hand-over: the header through JSON, each buffer copied."""
    header, buffers = handover.answer(report)
    return json.loads(json.dumps(header)), [pa.py_buffer(bytearray(b)) for b in buffers]


CELLS = st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=4), st.integers(0, 3), st.sampled_from(["string", "large_string"]))
def test_a_report_is_rebuilt_exactly_from_its_header_and_buffers(chunks, cut, kind):
    """Chunks with nulls, empty cells and slices (an offset into shared buffers) come back cell for cell."""
    kind = pa.string() if kind == "string" else pa.large_string()
    arrays = [pa.array(c, type=kind) for c in chunks]
    arrays = [a.slice(min(cut, len(a))) for a in arrays]  # Arrow's slices keep the whole buffers and an offset
    column = pa.chunked_array(arrays, type=kind)
    other = pa.chunked_array([pa.array([f"x{i}" for i in range(len(column))], type=kind)])
    rows = np.arange(4, 4 + len(column), dtype=np.int64)
    got = handover.rebuild(*_sent(_report([column, other], rows)))
    assert got.table.column(0).to_pylist() == column.to_pylist()
    assert got.table.column(1).to_pylist() == other.to_pylist()
    assert got.table.column(0).type == kind
    assert got.row_numbers.tolist() == rows.tolist()
    assert (got.names, got.sheet, got.sheets, got.header_row) == (["列0", "列1"], "明细", ["明细", "汇总"], 3)


def _tampered(change) -> None:
    column = pa.chunked_array([pa.array(["甲", None, "乙乙"], type=pa.large_string())])
    header, buffers = _sent(_report([column], np.arange(3, dtype=np.int64)))
    change(header, buffers)
    with pytest.raises(FunnelError) as caught:
        handover.rebuild(header, buffers)
    assert caught.value.key == "read_corrupt"


def _offsets(header: dict, buffers: list) -> np.ndarray:
    return np.frombuffer(buffers[header["columns"][0]["chunks"][0]["buffers"][1]], dtype=np.int64)


@pytest.mark.parametrize(
    "change",
    [
        lambda h, b: _offsets(h, b).__setitem__(-1, 10**6),  # the last cell ends past the characters sent
        lambda h, b: _offsets(h, b).__setitem__(1, 5),  # a cell ending before it starts
        lambda h, b: _offsets(h, b).__setitem__(0, -8),  # a cell starting before the characters
        lambda h, b: h["columns"][0].__setitem__("type", "int64"),  # numbers: the reader hands over text only
        lambda h, b: h["columns"][0]["chunks"][0].__setitem__("length", 50),  # more cells than the buffers hold
        lambda h, b: h["columns"][0]["chunks"][0]["buffers"].__setitem__(2, 99),  # a buffer never sent
        lambda h, b: h["names"].append("多余"),  # more names than columns
        lambda h, b: h.__setitem__("n", 7),  # row numbers for rows that are not there
        lambda h, b: h.pop("sheet"),
    ],
)
def test_an_answer_that_does_not_hold_together_is_one_sentence(change):
    _tampered(change)


def test_an_error_is_one_of_our_sentences_or_none():
    sent = json.loads(json.dumps(handover.error_params({"sheet": "明细", "roles": ("role_customer",), "n": 5})))
    error = handover.error_from("read_empty_sheet", sent)
    assert error.message("zh") == FunnelError("read_empty_sheet", sheet="明细").message("zh")
    assert handover.error_from("not_a_key_of_ours", {}).key == "read_corrupt"
    assert handover.error_from("read_empty_sheet", ["not", "a", "dict"]).key == "read_corrupt"
    keys = handover.error_from("schema_missing_columns", {"roles": ["role_customer"], "columns": "A", "flags": "-"})
    assert keys.params["roles"] == ("role_customer",)  # a list of our keys is told in the user's language
    text = handover.error_from("read_empty_sheet", {"sheet": ["<b>", "x"]})
    assert text.params["sheet"] == str(["<b>", "x"])  # anything else is text, escaped where it is shown


def test_a_pickle_from_the_worker_is_never_loaded(tmp_path):
    """The old hand-over unpickled the worker's answer: a worker taken over could run code here. Now it is one
    sentence and nothing runs."""
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    parent, child = Pipe(duplex=False)
    child.send_bytes(pickle.dumps(("ok", Payload())))
    with pytest.raises(FunnelError) as caught:
        guard._receive(parent, Limits(), time.monotonic() + 5)
    assert caught.value.key == "read_corrupt"
    assert not marker.exists()


def test_sizes_claimed_past_what_a_worker_may_hold_are_refused():
    parent, child = Pipe(duplex=False)
    child.send_bytes(json.dumps(["ok", {}, [1 << 50], [0]]).encode())
    with pytest.raises(FunnelError) as caught:
        guard._receive(parent, Limits(), time.monotonic() + 5)
    assert caught.value.key == "read_corrupt"
