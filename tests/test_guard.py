"""The worker process that reads untrusted files: limits from the environment, and each way a read can go wrong
(hang, runaway memory, native abort, a bug of ours) ending only that read, with one sentence."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time

import pytest
from conftest import xlsx_bytes
from test_hostile import run_cli

import funnel.guard
import funnel.read
from funnel.errors import FunnelError
from funnel.guard import read_untrusted
from funnel.limits import MB, Limits

REPORT = xlsx_bytes([["客户名称", "价税合计"], ["甲公司", 100], ["乙公司", 250]])


def test_limits_come_from_the_environment():
    limits = Limits.from_env({"FUNNEL_MAX_FILE_MB": "50", "FUNNEL_MAX_ROWS": "1_000", "FUNNEL_WORKER_SECONDS": "2.5"})
    assert (limits.file_bytes, limits.rows, limits.worker_seconds) == (50 * MB, 1000, 2.5)
    assert limits.columns == Limits().columns


@pytest.mark.parametrize("value", ["abc", "-5", "0", "nan", "inf"])
def test_a_bad_setting_is_one_sentence_naming_it(value):
    with pytest.raises(FunnelError) as err:
        Limits.from_env({"FUNNEL_MAX_ROWS": value})
    assert err.value.key == "limit_setting" and "FUNNEL_MAX_ROWS" in err.value.message("en")


def test_a_report_comes_back_whole_from_the_worker():
    raw = read_untrusted(REPORT, "r.xlsx")
    assert raw.frame["客户名称"].tolist() == ["甲公司", "乙公司"]
    assert raw.row_numbers.tolist() == [2, 3] and raw.header_row == 1


def test_the_app_server_reads_through_a_fork_server():
    """With other threads running (as in Streamlit) the worker comes from the fork server, and still answers, for a
    small report and for one whose columns are copied out of the worker's memory (not the parent's own child)."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    large = "\n".join(["客户名称,价税合计"] + [f"客户{i % 997},{i}.5" for i in range(150_000)]).encode()
    try:
        assert funnel.guard._context().get_start_method() == "forkserver"
        assert len(read_untrusted(REPORT, "r.xlsx").frame) == 2
        assert read_untrusted(large, "r.csv").frame.equals(funnel.read.read_report(large, "r.csv").frame)
    finally:
        stop.set()


@pytest.fixture
def forked(monkeypatch):
    """Workers forked from this test process, so that a reader patched here is the one the worker runs."""
    monkeypatch.setattr(funnel.guard, "_context", lambda: mp.get_context("fork"))
    return monkeypatch


def _hang(*args, **kwargs):
    time.sleep(60)


def _grow(*args, **kwargs):
    hog = []
    for _ in range(200):
        hog.append(bytearray(10 * MB))  # touched: resident, not just reserved
        time.sleep(0.005)
    return hog


def _abort(*args, **kwargs):
    os.abort()


def _bug(*args, **kwargs):
    raise KeyError("a bug of ours")


def test_a_read_that_hangs_is_stopped_at_the_time_limit(forked):
    forked.setattr(funnel.read, "read_table", _hang)
    start = time.monotonic()
    with pytest.raises(FunnelError) as err:
        read_untrusted(REPORT, "r.xlsx", limits=Limits(worker_seconds=1.5))
    assert err.value.key == "limit_time" and time.monotonic() - start < 10


def test_a_read_that_outgrows_the_memory_limit_is_stopped(forked):
    forked.setattr(funnel.read, "read_table", _grow)
    with pytest.raises(FunnelError) as err:
        read_untrusted(REPORT, "r.csv", limits=Limits(worker_memory=300 * MB))
    assert err.value.key == "limit_memory" and "300" in err.value.message("en")


def test_a_native_abort_ends_only_the_read(forked):
    forked.setattr(funnel.read, "read_table", _abort)
    with pytest.raises(FunnelError) as err:
        read_untrusted(REPORT, "r.xlsx")
    assert err.value.key == "read_corrupt" and "SIGABRT" in err.value.message("en")


def test_a_bug_in_the_reader_is_not_disguised_as_a_bad_file(forked):
    forked.setattr(funnel.read, "read_table", _bug)
    with pytest.raises(RuntimeError, match="a bug of ours"):
        read_untrusted(REPORT, "r.xlsx")


def test_the_cli_refuses_an_oversized_file_from_its_size_alone(tmp_path):
    """A 500 MB (sparse) file: refused in one line without being read (the process never grows)."""
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(500 * MB)
    code, _, err, seconds, peak = run_cli(["bands", str(path), "--lang", "en"])
    assert seconds < 30
    assert code == 2 and err.strip().startswith("error: The file is 500 MB, over the 200 MB limit")
    assert peak < 400 * MB


def test_a_read_started_early_is_taken_over_only_by_the_same_request(tmp_path):
    """The CLI starts reading its report before it imports the rest (guard.prefetch): read_untrusted of the same
    file, name, sheet and limits answers from that read, with the same report as a read of the bytes."""
    path = tmp_path / "r.xlsx"
    path.write_bytes(REPORT)
    funnel.guard.prefetch(path, "r.xlsx", sheet="无此表")
    funnel.guard.prefetch(path, "r.xlsx")
    assert len(funnel.guard._early) == 2
    raw = read_untrusted(path, "r.xlsx")
    direct = read_untrusted(REPORT, "r.xlsx")
    assert raw.frame.equals(direct.frame) and raw.row_numbers.tolist() == direct.row_numbers.tolist() == [2, 3]
    assert list(funnel.guard._early) == [(str(path), "r.xlsx", "无此表", Limits.from_env())]
    with pytest.raises(FunnelError) as err:  # the other read answers its own request, with its own sentence
        read_untrusted(path, "r.xlsx", sheet="无此表")
    assert err.value.key == "read_no_such_sheet" and not funnel.guard._early


def test_a_read_started_early_is_held_to_the_memory_limit_before_it_is_asked_for(forked, tmp_path):
    forked.setattr(funnel.read, "read_table", _grow)
    forked.setenv("FUNNEL_WORKER_MEMORY_MB", "300")
    path = tmp_path / "r.csv"
    path.write_text("客户名称,价税合计\n甲公司,100\n", encoding="utf-8")
    funnel.guard.prefetch(path, "r.csv")
    [(worker, _)] = funnel.guard._early.values()
    worker.proc.join(timeout=30)  # killed by the watcher: nobody has asked for the report yet
    assert worker.proc.exitcode == -signal.SIGKILL
    with pytest.raises(FunnelError) as err:
        read_untrusted(path, "r.csv")
    assert err.value.key == "limit_memory" and "300" in err.value.message("en")


def _pool_name(*args, **kwargs):
    """A reader that answers with the Arrow memory pool it runs under (in the sheet's name)."""
    import numpy as np
    import pyarrow as pa

    name = pa.default_memory_pool().backend_name
    return funnel.read.RawTable(pa.table({"0": ["x"]}), ["a"], name, [name], 1, np.array([2]))


def test_the_worker_allocates_through_mimalloc_and_the_parent_keeps_its_pool(forked):
    import pyarrow as pa

    forked.setattr(funnel.read, "read_table", _pool_name)
    before = pa.default_memory_pool().backend_name
    raw = read_untrusted(REPORT, "r.xlsx")
    expected = "mimalloc" if "mimalloc" in pa.supported_memory_backends() else before
    assert raw.sheet == expected and pa.default_memory_pool().backend_name == before


def _arrow_hog(*args, **kwargs):
    import pyarrow as pa

    hold = []
    for _ in range(100):
        hold.append(pa.allocate_buffer(100 * MB))  # through the worker's pool (mimalloc): untouched, not resident
    return hold


def test_an_arrow_allocation_past_the_limit_is_one_sentence(forked):
    """The address-space cap stops the worker's allocator asking for more, whichever pool it uses."""
    forked.setattr(funnel.read, "read_table", _arrow_hog)
    with pytest.raises(FunnelError) as err:
        read_untrusted(REPORT, "r.csv", limits=Limits(worker_memory=300 * MB))
    assert err.value.key == "limit_memory" and "300" in err.value.message("en")


def test_a_large_table_comes_back_whole_through_the_landing_area(monkeypatch):
    """Columns of several MB cross in one mapping (huge pages where the kernel allows): the same report as read
    in this process, every cell, nulls and row numbers included."""
    landed = []
    land = funnel.guard._landing
    monkeypatch.setattr(funnel.guard, "_landing", lambda sizes: landed.append(sum(sizes)) or land(sizes))
    n = 150_000
    lines = ["客户名称,价税合计,备注"] + [f" 客户{i % 997} ,{i}.5,{'' if i % 7 else '退货'}" for i in range(n)]
    data = "\n".join(lines).encode()
    through = read_untrusted(data, "r.csv")
    here = funnel.read.read_report(data, "r.csv")
    assert landed and landed[0] >= 4 << 20  # the mapping, not Arrow's allocations
    assert through.frame.equals(here.frame) and through.row_numbers.tolist() == here.row_numbers.tolist()
    assert through.frame["备注"].isna().sum() == sum(1 for i in range(n) if i % 7)
    assert through.frame["客户名称"].iloc[998] == "客户1" and through.row_numbers.iloc[-1] == n + 1


def test_landing_buffers_are_aligned_and_hold_what_is_written():
    sizes = [5 << 20, 3, 1 << 20, 0, 77]
    targets, buffers = funnel.guard._landing(sizes)
    for target, size, fill in zip(targets, sizes, range(1, 6), strict=True):
        target[:] = bytes([fill]) * size
    assert [b.size for b in buffers] == sizes and all(b.is_mutable for b in buffers)
    assert all(b.address % 64 == 0 for b in buffers)
    assert [set(b.to_pybytes()) for b in buffers] == [{1}, {2}, {3}, set(), {5}]


def test_a_text_file_is_mapped_and_a_workbook_read(tmp_path):
    import mmap

    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * (funnel.guard.MAP_BYTES // 4))
    small = tmp_path / "small.csv"
    small.write_bytes(b"a,b\n1,2\n")
    book = tmp_path / "r.xlsx"
    book.write_bytes(REPORT + b"\0" * funnel.guard.MAP_BYTES)  # past the size, still a workbook
    limits = Limits()
    assert isinstance(funnel.guard._load(str(big), limits), mmap.mmap)
    assert funnel.guard._load(str(big), limits)[:] == big.read_bytes()
    assert funnel.guard._load(str(small), limits) == small.read_bytes()
    assert funnel.guard._load(str(book), limits) == book.read_bytes()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("plain.csv", "客户名称,价税合计\n 甲公司 ,100\n乙公司,\n".encode()),
        ("quoted.csv", '客户名称,价税合计\n"甲, 北京",1\n"say ""hi""",2\r\n'.encode()),
        ("gbk.csv", "报表\n客户名称,价税合计\n甲公司,100\n合计,100\n".encode("gbk")),
        ("bom.csv", "\ufeff客户名称\t价税合计\n甲公司\t100\n".encode()),
        ("open.csv", ("客户名称,价税合计\n" + "甲,1\n" * 60 + '乙,"2\n' + "丙,3\n" * 5).encode()),
        ("r.xlsx", REPORT),
    ],
)
def test_a_mapped_file_gives_the_report_of_its_bytes(forked, tmp_path, name, data):
    """Every file is mapped here (MAP_BYTES 0): the worker's answer is the one for the file's bytes read in this
    process, report or sentence."""
    forked.setattr(funnel.guard, "MAP_BYTES", 0)
    path = tmp_path / name
    path.write_bytes(data)
    try:
        expected = funnel.read.read_report(data, name)
    except FunnelError as refused:
        with pytest.raises(FunnelError) as err:
            read_untrusted(path, name)
        assert err.value.key == refused.key and err.value.params == refused.params
        return
    raw = read_untrusted(path, name)
    assert raw.frame.equals(expected.frame) and raw.row_numbers.tolist() == expected.row_numbers.tolist()


def test_copy_from_a_process_copies_its_buffers_or_says_it_did_not():
    """process_vm_readv on this very process: the bytes at the addresses given land in the targets; an address
    that is not mapped is a refusal (the pipe is then read), never a half-filled buffer taken as whole."""
    import pyarrow as pa

    sources = [pa.py_buffer(bytes([i]) * n) for i, n in enumerate([3 << 20, 0, 1 << 20, 77], start=1)]
    sizes = [b.size for b in sources]
    targets, buffers = funnel.guard._landing(sizes)
    assert funnel.guard._copy_from(os.getpid(), [b.address for b in sources], sizes, targets)
    assert [b.to_pybytes() for b in buffers] == [b.to_pybytes() for b in sources]
    targets, _ = funnel.guard._landing(sizes)
    assert not funnel.guard._copy_from(os.getpid(), [b.address for b in sources[:-1]] + [8], sizes, targets)
    assert not funnel.guard._copy_from(None, [b.address for b in sources], sizes, targets)


def test_a_large_table_comes_back_whole_when_it_cannot_be_copied_from_the_worker(monkeypatch):
    """Where the parent may not read the worker's memory, the worker's buffers come through the pipe."""
    refused = []
    monkeypatch.setattr(funnel.guard, "_copy_from", lambda *args: refused.append(args[2]) and False)
    lines = ["客户名称,价税合计"] + [f"客户{i % 997},{i}.5" for i in range(150_000)]
    data = "\n".join(lines).encode()
    through = read_untrusted(data, "r.csv")
    assert refused and sum(refused[0]) >= 4 << 20
    assert through.frame.equals(funnel.read.read_report(data, "r.csv").frame)
