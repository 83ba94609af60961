"""Read an untrusted file in a worker process, so that nothing in it can hurt the process that asked.

The fast reader is native code: on a crafted file it can abort the whole process ("memory allocation of 52 GB
failed"), and any reader can be made to allocate or loop for far too long. So a file is read in a child process
with a memory limit and a wall-time limit; if the child aborts, is killed or runs out of time, only that read ends
and the caller gets one sentence (a FunnelError), in the app and in the CLI alike.

How the child starts: `fork` is cheap and safe only while the parent runs a single Python thread (the CLI); a
Streamlit server runs many, and a fork could copy a lock another thread holds. There the child comes from a
fork server: a single-threaded process started once, with the reader's modules already imported, that
forks a fresh child per read (a few milliseconds, against ~0.5 s to start and import in a new interpreter).

How the child reads: a file given by its path that is not a workbook is mapped read-only from the page cache,
not copied (`_load`; a CSV is parsed where it lies).

How results come back: the child reads in Arrow alone (funnel.read.read_table, no pandas) and describes the table
in JSON (funnel.handover: nothing from the child is unpickled, so a child a crafted file took over cannot run code
here), its Arrow buffers sent raw (no copy in the child) with their addresses. The parent lands them in one
anonymous mapping in huge pages where the kernel allows (a 50 MB table faults in 25 pages, not 12,800: 0.01 s
less): copied straight out of the child's memory (process_vm_readv) while the child waits on the full pipe, or,
where that is not allowed, read from the pipe the child writes them into. Then it checks every offset against the
characters sent and makes the pandas frame over them. A million-row sheet costs a fraction of a second.
(Measured and left: an Arrow IPC stream in a memfd the parent maps costs the child as much as it saves the parent.)

The CLI starts its read early (`prefetch`, from funnel.__main__): the child is forked before the parent imports
pandas and DuckDB, so it copies a smaller process (its resident size counts those pages again) and reads while the
parent imports; `read_untrusted` then takes over the read already under way for the same file, sheet and limits.

Allocator: the child makes its Arrow allocations through mimalloc (the parent keeps the C library's, see
funnel/__init__.py). The reader allocates and frees blocks of the same few sizes (a 300k-row CSV: ~100 MB for a
29 MB file); mimalloc hands freed pages back out without returning them to the system, where malloc maps fresh
pages for each large block and the kernel zeroes every page it faults in: 21,000 fewer page faults and 0.02 s
less CPU for that file. Its cost, pages kept resident, ends with the child (+15 MB at its peak; with the CSV
reader's 4 MB parse blocks the worker's peak for that file is 165 MB, against 218 MB before either).

Memory: the child's resident size is watched from the parent every 20 ms and the child is killed past the limit;
address space is capped as well (at 3× the limit above what the child starts with: allocators reserve far more
address space than they touch), so a single huge allocation fails at once instead of being made.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import json
import logging
import mmap
import multiprocessing as mp
import os
import re
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

import funnel.xls
import funnel.xlsx  # noqa: F401
from funnel import handover
from funnel.csvfile import Buffer
from funnel.errors import FunnelError
from funnel.limits import MB, Limits, check_size
from funnel.read import RawReport

log = logging.getLogger("funnel")
T = TypeVar("T")

POLL_SECONDS = 0.02
_HEADER_BYTES = 64 << 20  # the worker's JSON header: a few bytes a column chunk, bounded
_COPY_BYTES = 4 << 20  # a table from this size on is copied out of the child's memory (see `_copy_from`)
MAP_BYTES = 1 << 20  # a file read by the worker from this size on is mapped rather than copied (see `_load`)
_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # zip (xlsx, ods) and OLE (xls): read as bytes
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_ASKED = re.compile(rb"memory allocation of (\d{1,20}) bytes failed")  # Rust's abort message; short, anchored digits
_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()
_early: dict[tuple, tuple[_Worker, float]] = {}  # reads started by `prefetch`, by (path, name, sheet, limits)


def read_untrusted(
    source: bytes | Path, filename: str = "", sheet: str | None = None, limits: Limits | None = None
) -> RawReport:
    """Read a report (file bytes, or a path not yet read) in a worker process under the limits.

    Raises FunnelError for anything the file does wrong, including making the reader run out of memory or time.
    """
    limits = limits or Limits.from_env()
    size = len(source) if isinstance(source, bytes | bytearray) else _file_size(source)
    check_size(size, limits)
    deadline = time.monotonic() + limits.worker_seconds
    early = _early.pop(_key(source, filename, sheet, limits), None)
    with _slot(limits):
        try:
            if early is not None:
                worker, deadline = early
                return _finish(worker, limits, deadline)
            return _run(source, filename, sheet, limits, deadline, sparse=False)
        except FunnelError as first:
            # The fast reader lays a sheet out as one block from its first to its last cell: scattered cells (a
            # stray value at XFD100000, in a sheet that does not declare its size) exhaust memory. Read such a
            # sheet once more cell by cell, if there is time left; keep the first answer if that cannot help.
            if (
                first.key not in ("limit_memory", "limit_memory_asked")
                or not _is_xlsx(source)
                or deadline - time.monotonic() < 1
            ):
                raise
            try:
                return _run(source, filename, sheet, limits, deadline, sparse=True)
            except FunnelError as second:
                if second.key in ("read_sparse_unsuitable", "limit_memory", "limit_memory_asked", "limit_time"):
                    raise first from None
                raise


def prefetch(path: str | Path, filename: str = "", sheet: str | None = None) -> None:
    """Start reading a report file in a worker now, for a `read_untrusted` of the same file, name, sheet and limits
    to take over (the CLI calls this before importing pandas and DuckDB); a file the limits refuse is left to it."""
    try:
        limits = Limits.from_env()  # a bad setting, or a file too large, is said by the read itself
        check_size(Path(path).stat().st_size, limits)
        key = _key(Path(path), filename, sheet, limits)
        if key not in _early:
            worker = _start(Path(path), filename, sheet, limits, False)
            worker.watch(limits)
            _early[key] = (worker, time.monotonic() + limits.worker_seconds)
    except (OSError, FunnelError):
        return


def _key(source: bytes | Path, filename: str, sheet: str | None, limits: Limits) -> tuple | None:
    return None if isinstance(source, bytes | bytearray) else (str(source), filename, sheet, limits)


def _file_size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError as exc:
        raise FunnelError("cli_file_not_found", path=str(path)) from exc


def _is_xlsx(source: bytes | Path) -> bool:
    if isinstance(source, bytes | bytearray):
        return bytes(source[:4]) == b"PK\x03\x04"
    with Path(source).open("rb") as f:
        return f.read(4) == b"PK\x03\x04"


class _slot:
    """At most `limits.workers` reads at once in this process (each may take the full memory limit)."""

    def __init__(self, limits: Limits) -> None:
        global _slots
        with _slots_lock:
            if _slots is None:
                _slots = threading.BoundedSemaphore(limits.workers)
        self.sem = _slots
        self.wait = limits.worker_seconds

    def __enter__(self) -> None:
        if not self.sem.acquire(timeout=self.wait):
            raise FunnelError("limit_busy")

    def __exit__(self, *exc: object) -> None:
        self.sem.release()


def _context() -> mp.context.BaseContext:
    """fork while this process runs one Python thread (the CLI), else a fork server started once (the app)."""
    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["__main__", "funnel.guard"])  # imported once in the server, not per read
        return ctx
    return mp.get_context("spawn")


class _Worker:
    """A started child with the parent's ends of its pipes."""

    def __init__(self, proc: mp.process.BaseProcess, results: Connection, errors: Connection) -> None:
        self.proc, self.results, self.errors = proc, results, errors
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def watch(self, limits: Limits) -> None:
        """Kill the child past the memory limit until `_wait` takes over the watch (a read started early)."""

        def run() -> None:
            while not self._stop.wait(POLL_SECONDS) and self.proc.is_alive():
                if _rss(self.proc.pid) > limits.worker_memory:
                    self.proc.kill()  # seen by `_wait` as a killed child: the memory limit's sentence
                    return

        self._watcher = threading.Thread(target=run, name="funnel-read-watch", daemon=True)
        self._watcher.start()

    def unwatch(self) -> None:
        if self._watcher is not None:
            self._stop.set()
            self._watcher.join()


def _run(
    source: bytes | Path, filename: str, sheet: str | None, limits: Limits, deadline: float, sparse: bool
) -> RawReport:
    return _finish(_start(source, filename, sheet, limits, sparse), limits, deadline)


def _start(source: bytes | Path, filename: str, sheet: str | None, limits: Limits, sparse: bool) -> _Worker:
    """Fork the reading child (see `_context`) and hand it the file."""
    ctx = _context()
    results, child_end = ctx.Pipe(duplex=False)
    errors, child_err = ctx.Pipe(duplex=False)
    _widen(results)
    payload = bytes(source) if isinstance(source, bytes | bytearray) else str(source)
    proc = ctx.Process(
        target=_work,
        args=(payload, filename, sheet, limits, sparse, child_end, child_err),
        name="funnel-read",
        daemon=True,
    )
    try:
        proc.start()
    except BaseException:
        results.close()
        errors.close()
        raise
    finally:
        child_end.close()
        child_err.close()
    return _Worker(proc, results, errors)


def _finish(worker: _Worker, limits: Limits, deadline: float) -> RawReport:
    """The child's report (or its one sentence), the child ended and its pipes closed whatever happens."""
    worker.unwatch()
    proc, results, errors = worker.proc, worker.results, worker.errors
    try:
        return _wait(proc, results, errors, limits, deadline)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
        for conn in (results, errors):
            conn.close()


def _widen(pipe: Connection) -> None:
    """A 1 MB pipe buffer (Linux; 64 KB by default): a million-row report crosses in 170 wake-ups, not 2,700."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


def _rss(pid: int) -> int:
    """Resident bytes of a process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _wait(proc: mp.process.BaseProcess, results: Connection, errors: Connection, limits: Limits, deadline: float):
    """The child's answer, or one sentence when it dies, outgrows the memory limit or runs out of time."""
    watch_memory = sys.platform.startswith("linux")
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            proc.kill()
            raise FunnelError("limit_time", seconds=f"{limits.worker_seconds:g}")
        if results.poll(min(POLL_SECONDS, left)):
            try:
                return _receive(results, limits, deadline, proc.pid)
            except EOFError:
                break
        if not proc.is_alive():
            if results.poll(0):
                try:
                    return _receive(results, limits, deadline, proc.pid)
                except EOFError:
                    pass
            break
        if watch_memory and _rss(proc.pid) > limits.worker_memory:
            proc.kill()
            raise FunnelError("limit_memory", limit_mb=f"{limits.memory_mb:,}")
    proc.join(timeout=5)
    raise _died(proc.exitcode, _stderr_tail(errors), limits)


def _receive(results: Connection, limits: Limits, deadline: float, pid: int | None = None) -> RawReport:
    """The worker's answer (see funnel.handover: plain JSON and raw buffers, never a pickle)."""
    try:
        kind, *rest = json.loads(results.recv_bytes(_HEADER_BYTES))
    except (OSError, ValueError) as exc:  # too long, not JSON, not a list
        raise FunnelError("read_corrupt", detail="the reader's answer") from exc
    if kind == "error" and len(rest) == 2:
        raise handover.error_from(*rest)
    if kind == "memory":
        raise FunnelError("limit_memory", limit_mb=str(rest[0]) if rest else "?")
    if kind == "bug" and rest:
        log.error("reading failed in the worker:\n%s", rest[0])
        raise RuntimeError(str(rest[0]).strip().splitlines()[-1][:200])
    if kind != "ok" or len(rest) != 3 or not _sizes_fit(rest[1], rest[2], limits):
        raise FunnelError("read_corrupt", detail="the reader's answer")
    header, sizes, where = rest
    targets, buffers = _landing(sizes)
    if not _copy_from(pid, where, sizes, targets):
        for target in targets:
            _read_exact(results, target, deadline)
    return handover.rebuild(header, buffers).report()


def _sizes_fit(sizes: object, where: object, limits: Limits) -> bool:
    """True for one size and one address per buffer, the sizes within what the read's worker may hold."""
    if not isinstance(sizes, list) or not isinstance(where, list) or len(sizes) != len(where):
        return False
    if not all(isinstance(n, int) and n >= 0 for n in sizes) or not all(isinstance(a, int) for a in where):
        return False
    return sum(sizes) <= 4 * limits.worker_memory


class _IoVec(ctypes.Structure):
    """struct iovec: where, and how many bytes."""

    _fields_ = (("base", ctypes.c_void_p), ("length", ctypes.c_size_t))


def _copy_from(pid: int | None, where: list[int], sizes: list[int], targets: list) -> bool:
    """Copy the child's buffers straight out of its memory (Linux process_vm_readv) while it waits on the full pipe:
    one copy in all, the child spared writing 50 MB into the pipe. False where that is not allowed (another user, a
    ptrace policy, not Linux) or the table is small: the pipe is read instead, from its start."""
    if pid is None or sum(sizes) < _COPY_BYTES or not sys.platform.startswith("linux") or len(where) != len(sizes):
        return False
    import pyarrow as pa

    try:
        read = ctypes.CDLL(None, use_errno=True).process_vm_readv
    except (OSError, AttributeError):
        return False
    read.restype = ctypes.c_ssize_t
    read.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    parts = [(pa.py_buffer(target).address, at, n) for target, at, n in zip(targets, where, sizes, strict=True) if n]
    for start in range(0, len(parts), 1024):  # IOV_MAX vectors a call
        batch = parts[start : start + 1024]
        local = (_IoVec * len(batch))(*[(mine, n) for mine, _, n in batch])
        remote = (_IoVec * len(batch))(*[(theirs, n) for _, theirs, n in batch])
        if read(pid, local, len(batch), remote, len(batch), 0) != sum(n for _, _, n in batch):
            return False
    return True


def _landing(sizes: list[int]) -> tuple[list, list]:
    """(where to read each of the child's Arrow buffers, the Arrow buffers over them): one anonymous mapping in huge
    pages where the kernel allows it (a 50 MB table faults in 25 pages, not 12,800), each at a 64-byte boundary."""
    import pyarrow as pa

    starts, total = [], 0
    for n in sizes:
        starts.append(total)
        total += -(-n // 64) * 64
    if total < 4 << 20 or not hasattr(mmap, "MADV_HUGEPAGE"):  # Arrow's own allocations (64-byte aligned too)
        buffers = [pa.allocate_buffer(n) for n in sizes]
        return buffers, buffers
    area = mmap.mmap(-1, total, flags=mmap.MAP_PRIVATE)  # anonymous, private: memory of this process
    with contextlib.suppress(OSError):  # huge pages off (THP "never"): ordinary pages, as before
        area.madvise(mmap.MADV_HUGEPAGE)
    view = memoryview(area)
    targets = [view[start : start + n] for start, n in zip(starts, sizes, strict=True)]
    return targets, [pa.py_buffer(target) for target in targets]  # writable, as Arrow's own buffers are


def _read_exact(results: Connection, buffer: T, deadline: float) -> T:
    """Fill `buffer` straight from the pipe (one copy: multiprocessing's recv_bytes makes several of a large one)."""
    view = memoryview(buffer).cast("B")
    fd, got = results.fileno(), 0
    while got < len(view):
        if not results.poll(max(0.0, deadline - time.monotonic())):
            raise FunnelError("limit_time", seconds="?")
        n = os.readv(fd, [view[got:]])
        if n == 0:
            raise EOFError
        got += n
    return buffer


def _write_all(fd: int, data: memoryview | bytes) -> None:
    view = memoryview(data).cast("B")
    while len(view):
        view = view[os.write(fd, view) :]


def _stderr_tail(errors: Connection) -> bytes:
    """What the child wrote on its standard error (Rust's abort message), at most the last 64 KB."""
    chunks = []
    fd = errors.fileno()
    os.set_blocking(fd, False)
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            if sum(map(len, chunks)) > 1 << 20:
                chunks = chunks[-2:]
    except (BlockingIOError, OSError):
        pass
    return b"".join(chunks)[-65536:]


def _died(exitcode: int | None, stderr: bytes, limits: Limits) -> FunnelError:
    """The one sentence for a child that ended without an answer."""
    asked = _ASKED.search(stderr)
    if asked:
        return FunnelError(
            "limit_memory_asked", asked_mb=f"{int(asked.group(1)) / MB:,.0f}", limit_mb=f"{limits.memory_mb:,}"
        )
    if exitcode in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGBUS, -signal.SIGABRT) and b"memory" in stderr:
        return FunnelError("limit_memory", limit_mb=f"{limits.memory_mb:,}")
    if exitcode == -signal.SIGXCPU:
        return FunnelError("limit_time", seconds=f"{limits.worker_seconds:g}")
    if exitcode == -signal.SIGKILL:  # the kernel's out-of-memory killer, or an operator
        return FunnelError("limit_memory", limit_mb=f"{limits.memory_mb:,}")
    log.warning("the reading process ended with code %s: %s", exitcode, stderr[-500:].decode("utf-8", "replace"))
    name = signal.Signals(-exitcode).name if exitcode and exitcode < 0 else f"exit {exitcode}"
    return FunnelError("read_corrupt", detail=f"the reader stopped ({name})")


# --- the child ------------------------------------------------------------------------------------------------


def _limit_self(limits: Limits) -> None:
    """Caps on this (child) process: address space, CPU seconds, and death with the parent."""
    try:
        import resource

        with open("/proc/self/statm", "rb") as f:
            size = int(f.read().split()[0]) * _PAGE
        cap = size + 3 * limits.worker_memory
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        cpu = int(limits.worker_seconds * 2 + 10)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    except (ImportError, OSError, ValueError):
        pass
    try:  # Linux: die with the parent rather than linger as an orphan
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _without_pandas() -> None:
    """Keep pandas out of a child that has not imported it: the reader needs Arrow alone, but pyarrow imports pandas
    the first time it converts any Python value (0.15 s of CPU and 40 MB per read); marked absent, it is not tried."""
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _NoPandas())


class _NoPandas:
    """An import finder under which `import pandas` fails (pyarrow then treats pandas as absent)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("the reading worker works without pandas")


def _reuse_freed_pages() -> None:
    """Arrow's allocations in this (child) process through mimalloc, where the build has it (see the module's
    docstring); else the pool already set."""
    import pyarrow as pa

    with contextlib.suppress(NotImplementedError, pa.ArrowException):
        pa.set_memory_pool(pa.mimalloc_memory_pool())


def _load(payload: bytes | str, limits: Limits) -> Buffer:
    """The file's bytes; a file that is not a workbook (a CSV, or anything else read as text) is mapped read-only
    instead, from the page cache: no copy into fresh pages (0.009 s -> 0.002 s for 29 MB, 7,100 page faults fewer)."""
    if isinstance(payload, bytes):
        return payload
    with open(payload, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if MAP_BYTES <= size <= limits.file_bytes and not f.read(8).startswith(_WORKBOOKS):
            with contextlib.suppress(OSError, ValueError):
                flags = mmap.MAP_PRIVATE | getattr(mmap, "MAP_POPULATE", 0)  # mapped at once, not page by page
                return mmap.mmap(f.fileno(), size, flags=flags, prot=mmap.PROT_READ)
        f.seek(0)
        data = f.read(limits.file_bytes + 1)
    check_size(len(data), limits)
    return data


def _address(view: memoryview) -> int:
    import pyarrow as pa

    return pa.py_buffer(view).address if view.nbytes else 0


def _work(
    payload: bytes | str,
    filename: str,
    sheet: str | None,
    limits: Limits,
    sparse: bool,
    results: Connection,
    errors: Connection,
) -> None:
    """The child: read the file, send back the report or the reason it could not be read."""
    os.dup2(errors.fileno(), 2)  # a native abort message reaches the parent, not the server's log
    faulthandler.disable()  # an abort here is expected and answered; no Python stack dump on the parent's stderr
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _limit_self(limits)
    _without_pandas()
    _reuse_freed_pages()
    try:
        from funnel.read import read_table

        report = read_table(_load(payload, limits), filename, sheet, limits=limits, sparse=sparse)
        header, raws = handover.answer(report)
        where = [_address(raw) for raw in raws]  # for the parent to copy them from (see `_copy_from`)
        results.send_bytes(json.dumps(["ok", header, [raw.nbytes for raw in raws], where]).encode())
        for data in raws:  # written raw: the parent reads each straight into a buffer of its size
            _write_all(results.fileno(), data)
    except FunnelError as exc:
        results.send_bytes(json.dumps(["error", exc.key, handover.error_params(exc.params)]).encode())
    except MemoryError:
        results.send_bytes(json.dumps(["memory", f"{limits.memory_mb:,}"]).encode())
    except BaseException:  # a bug of ours: say so (the parent logs it), never a silent death
        results.send_bytes(json.dumps(["bug", traceback.format_exc()[-4000:]]).encode())
