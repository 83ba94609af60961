"""Weekly forecast snapshots in an embedded SQLite database (a "book"): save, list, delete, history, changes, accuracy.

Books live in the server's data folder (FUNNEL_DATA_DIR, chosen by the operator; else the user's data folder)
and the app names them, never a path. The command line may point at any file with --db (its user owns the
machine), with the same safety:

- Nothing in a file is changed before it is known to be ours: a book is created whole under a temporary name and
  linked into place (never over an existing file), carries PRAGMA application_id, and every open checks the
  file's own header first. An empty file, another program's database or a newer version's book is refused
  untouched (no WAL switch, no migration, no table added).
- Each save is one transaction (BEGIN IMMEDIATE … COMMIT, rolled back on any error, so an interrupted save
  leaves no half-written snapshot); the schema carries a version (PRAGMA user_version) and migrates forward;
  WAL mode and a busy timeout let two sessions save at once; saving a week that already exists needs an explicit
  replace.
- Reading opens the file read-only, so a read-only book (file mode, immutable file or read-only folder) can
  still be listed; a book that does not exist yet reads as empty and is not created by looking at it.
- Every store failure (disk full, read-only, damaged, busy, not ours) is one FunnelError sentence naming the
  book, never SQLite's text or a server folder.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from funnel.errors import FunnelError
from funnel.forecast import period_of
from funnel.values import sum_cents

SCHEMA_VERSION = 2
APPLICATION_ID = 0x43464E4C  # "CFNL": marks a file as a Customer Funnel snapshot book (SQLite header offset 68)
BUSY_TIMEOUT_S = 15.0
DATA_DIR_ENV = "FUNNEL_DATA_DIR"
DEFAULT_BOOK = "snapshots"
BOOK_SUFFIX = ".db"
BOOK_NAME_MAX = 40
_BOOK_NAME = re.compile(rf"[^\W_][\w-]{{0,{BOOK_NAME_MAX - 1}}}")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_SQLITE_MAGIC = b"SQLite format 3\x00"
DEAL_COLUMNS = (
    "deal",
    "customer",
    "stage",
    "status",
    "probability",
    "amount_cents",
    "signing_date",
    "product",
    "region",
    "rep",
)

_MIGRATIONS = {
    1: [
        """CREATE TABLE snapshots (
               id INTEGER PRIMARY KEY,
               week TEXT NOT NULL UNIQUE,
               saved_at TEXT NOT NULL,
               source TEXT NOT NULL DEFAULT ''
           )""",
        """CREATE TABLE snapshot_deals (
               snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
               deal TEXT NOT NULL,
               customer TEXT, stage TEXT, status TEXT, probability REAL, amount_cents INTEGER,
               signing_date TEXT, product TEXT, region TEXT, rep TEXT,
               PRIMARY KEY (snapshot_id, deal)
           )""",
    ],
    2: ["ALTER TABLE snapshots ADD COLUMN label TEXT NOT NULL DEFAULT ''"],
}
_OUR_TABLES = {"snapshots", "snapshot_deals"}


def data_dir() -> Path:
    """The folder that holds the snapshot books: FUNNEL_DATA_DIR if set (an absolute path, chosen by the operator),
    else the user's data folder. An empty or relative XDG_DATA_HOME is ignored, as the XDG spec says, so a book
    never lands relative to the working folder."""
    explicit = os.environ.get(DATA_DIR_ENV, "")
    if explicit:
        folder = Path(explicit).expanduser()
        if not folder.is_absolute():
            raise FunnelError("snapshot_data_dir_relative")
        return folder
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA", "")
        base = Path(appdata) if appdata and Path(appdata).is_absolute() else Path.home() / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "customer-funnel"


def default_db_path() -> Path:
    """The command line's default book: FUNNEL_DB if set, else the default book in the data folder."""
    if os.environ.get("FUNNEL_DB"):
        return Path(os.environ["FUNNEL_DB"])
    return data_dir() / (DEFAULT_BOOK + BOOK_SUFFIX)


def check_book_name(text: str) -> str:
    """A book name the user may type: up to 40 letters or digits (any script), - or _, starting with a letter or
    digit; never a path, a dot file or a reserved device name. Returns it NFKC-normalised."""
    name = unicodedata.normalize("NFKC", text or "").strip()
    if not _BOOK_NAME.fullmatch(name) or name.casefold() in _RESERVED:
        raise FunnelError("snapshot_bad_book", value=text, n=BOOK_NAME_MAX)
    return name


def book_path(name: str, folder: Path | None = None) -> Path:
    """Where the book `name` lives in the data folder (the name is checked first)."""
    return (folder or data_dir()) / (check_book_name(name) + BOOK_SUFFIX)


def books(folder: Path | None = None) -> list[str]:
    """The snapshot books in the data folder, by name: files whose own header says they are ours (another
    program's database in the folder is not listed). Reads 100 bytes of each file; only an unmarked book from
    before the mark is looked into, read-only."""
    folder = folder or data_dir()
    names = []
    with suppress(OSError):
        for path in folder.iterdir():
            if path.suffix != BOOK_SUFFIX or path.name.startswith("."):
                continue
            with suppress(FunnelError, OSError):
                check_book_name(path.stem)
                verdict = _header_says_ours(_header(path))
                if verdict or (verdict is None and _is_old_book(path)):
                    names.append(path.stem)
    return sorted(names, key=str.casefold)


def iso_week(day: date | datetime | pd.Timestamp | None = None) -> str:
    """'2026-W48' for a day (today by default)."""
    d = pd.Timestamp(day or date.today())
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def check_week(text: str) -> str:
    """A week as '2026-W48', or a clear error."""
    if not re.fullmatch(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])", text or ""):
        raise FunnelError("snapshot_bad_week", value=text)
    return text


def _header(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(100)


def _header_says_ours(header: bytes) -> bool | None:
    """True: our mark. None: an unmarked SQLite database at a schema version we wrote, which may be a book from
    before the mark (look inside). False: empty, not SQLite, another program's, or not a version of ours."""
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return False
    app_id = int.from_bytes(header[68:72], "big", signed=True)
    if app_id == APPLICATION_ID:
        return True
    version = int.from_bytes(header[60:64], "big", signed=True)
    return None if app_id == 0 and 1 <= version <= SCHEMA_VERSION else False


def _uri(path: Path, **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in options.items())
    return f"file:{quote(str(path.absolute()))}?{query}"


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that never writes the file; in a read-only folder, where SQLite cannot create the
    WAL index beside a WAL-mode book, the file is read as immutable."""
    db = sqlite3.connect(_uri(path, mode="ro"), uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError as exc:
        db.close()
        if _base_code(exc) not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY):
            raise
    db = sqlite3.connect(_uri(path, mode="ro", immutable="1"), uri=True, isolation_level=None)
    db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    return db


def _connect_for_reading(path: Path) -> sqlite3.Connection:
    """Read a book we may write through an ordinary connection (closing it tidies the WAL files away, and it never
    writes: no migration, no journal switch happens on reading); a read-only one through a read-only connection."""
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        try:
            db = sqlite3.connect(_uri(path, mode="rw"), uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError as exc:
            if _base_code(exc) not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
                raise
    return _connect_read_only(path)


def _is_old_book(path: Path) -> bool:
    """An unmarked database is one of our books from before the mark when it holds exactly our tables at a
    schema version we wrote (checked through a read-only connection: the file is not touched)."""
    try:
        db = _connect_read_only(path)
    except sqlite3.Error:
        return False
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        return tables == _OUR_TABLES and 1 <= version <= SCHEMA_VERSION
    except sqlite3.Error:
        return False
    finally:
        db.close()


def _check_ours(path: Path, book: str) -> None:
    """Refuse, untouched, any existing file that is not one of our books."""
    header = _header(path)
    if not header:
        raise FunnelError("snapshot_empty_file", book=book)
    verdict = _header_says_ours(header)
    if verdict is None:
        verdict = _is_old_book(path)
    if not verdict:
        raise FunnelError("snapshot_not_ours", book=book)


def _create(path: Path) -> None:
    """Create a new book whole under a temporary name beside it, then link it into place: a crash leaves no
    half-made book, and an existing file (even an empty one) is never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(fd)
    try:
        db = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute("BEGIN")
            for version in range(1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("COMMIT")
            db.execute("PRAGMA journal_mode=WAL")
        finally:
            db.close()
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another session created it a moment ago: that one is checked like any existing file
        except OSError:  # a file system without hard links
            if not path.exists():
                os.rename(temporary, path)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with suppress(OSError):
                os.unlink(temporary + suffix)


def _base_code(exc: sqlite3.Error) -> int:
    return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


_SQLITE_KEYS = {
    sqlite3.SQLITE_FULL: "snapshot_disk_full",
    sqlite3.SQLITE_READONLY: "snapshot_read_only",
    sqlite3.SQLITE_PERM: "snapshot_read_only",
    sqlite3.SQLITE_AUTH: "snapshot_read_only",
    sqlite3.SQLITE_BUSY: "snapshot_busy",
    sqlite3.SQLITE_LOCKED: "snapshot_busy",
    sqlite3.SQLITE_CORRUPT: "snapshot_corrupt",
    sqlite3.SQLITE_NOTADB: "snapshot_corrupt",
    sqlite3.SQLITE_FORMAT: "snapshot_corrupt",
    sqlite3.SQLITE_CANTOPEN: "snapshot_cannot_open",
    sqlite3.SQLITE_IOERR: "snapshot_io_error",
}
_OS_KEYS = {
    errno.ENOSPC: "snapshot_disk_full",
    errno.EDQUOT: "snapshot_disk_full",
    errno.EACCES: "snapshot_read_only",
    errno.EPERM: "snapshot_read_only",
    errno.EROFS: "snapshot_read_only",
}


def _disk_full(folder: Path | None) -> bool:
    """SQLite reports some writes on a full disk as a generic I/O error (the WAL index cannot grow): ask the disk."""
    try:
        return folder is not None and shutil.disk_usage(folder).free < 1024 * 1024
    except OSError:
        return False


def store_error(exc: BaseException, book: str, folder: Path | None = None) -> FunnelError:
    """One sentence for a failure of the store (SQLite or the file system), naming the book and nothing else."""
    if isinstance(exc, sqlite3.Error):
        key = _SQLITE_KEYS.get(_base_code(exc))
        if key == "snapshot_io_error" and _disk_full(folder):
            key = "snapshot_disk_full"
        if key is None and ("no such table" in str(exc) or "no such column" in str(exc)):
            key = "snapshot_corrupt"  # a book whose tables were removed
        return FunnelError(key or "snapshot_store_failed", book=book)
    if isinstance(exc, OSError):
        return FunnelError(_OS_KEYS.get(exc.errno, "snapshot_cannot_open"), book=book)
    return FunnelError("snapshot_store_failed", book=book)


class Store:
    """A snapshot book. Use `with Store(path) as store:` or call close().

    `writable=False` opens it read-only (listing, history): a missing book reads as empty and is not created.
    `book` is how messages name it (the book's name in the app; the command line shows the path it was given).
    """

    def __init__(self, path: str | Path | None = None, *, writable: bool = True, book: str | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        self.book = book or str(path or self.path)
        self.writable = writable
        self.db: sqlite3.Connection | None = None
        with self._errors():
            if writable:
                self._open_for_writing()
            elif self.path.exists():
                _check_ours(self.path, self.book)
                self.db = _connect_for_reading(self.path)
                self._refuse_newer()

    def _open_for_writing(self) -> None:
        if not self.path.exists():
            _create(self.path)
        _check_ours(self.path, self.book)
        self.db = sqlite3.connect(
            _uri(self.path, mode="rw"), uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None
        )  # mode=rw: SQLite never creates an (empty) file here
        self.db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        self._refuse_newer()  # before any write: no WAL switch or migration on a newer version's book
        if self.db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self.db.execute("PRAGMA journal_mode=WAL")  # an old book from before WAL
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _refuse_newer(self) -> None:
        found = self.version
        if found > SCHEMA_VERSION:
            raise FunnelError("snapshot_newer_schema", found=found, known=SCHEMA_VERSION)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Any SQLite or file-system failure inside becomes one sentence naming the book."""
        try:
            yield
        except FunnelError:
            raise
        except (sqlite3.Error, OSError) as exc:
            if self.db is not None and self.db.in_transaction:
                with suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            raise store_error(exc, self.book, self.path.parent) from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.db is not None:
            with suppress(sqlite3.Error):
                self.db.close()
            self.db = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; any exception rolls everything back."""
        if self.db is None or not self.writable:
            raise FunnelError("snapshot_read_only", book=self.book)
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise store_error(exc, self.book, self.path.parent) from exc
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:
                with suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:  # the disk filled up or the file became read-only at the last moment
            if self.db.in_transaction:
                with suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            raise store_error(exc, self.book, self.path.parent) from exc

    @property
    def version(self) -> int:
        if self.db is None:
            return SCHEMA_VERSION
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        """Bring the schema up to SCHEMA_VERSION (and mark an old book as ours); opening an up-to-date book takes
        no write lock."""
        marked = int(self.db.execute("PRAGMA application_id").fetchone()[0]) == APPLICATION_ID
        if self.version == SCHEMA_VERSION and marked:
            return
        with self.transaction() as db:
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            if current > SCHEMA_VERSION:
                raise FunnelError("snapshot_newer_schema", found=current, known=SCHEMA_VERSION)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={version}")
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")

    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return [] if self.db is None else self.db.execute(sql, params).fetchall()

    def weeks(self) -> pd.DataFrame:
        """Saved snapshots: week, label, saved_at, deals."""
        with self._errors():
            label = "s.label" if self.version >= 2 else "''"
            rows = self._rows(
                f"""SELECT s.week, {label}, s.saved_at, s.source, COUNT(d.deal) AS deals
                    FROM snapshots s LEFT JOIN snapshot_deals d ON d.snapshot_id = s.id
                    GROUP BY s.id ORDER BY s.week"""
            )
        frame = pd.DataFrame(rows, columns=["week", "label", "saved_at", "source", "deals"])
        return frame.astype({"deals": "int64"})

    def exists(self, week: str) -> bool:
        with self._errors():
            return bool(self._rows("SELECT 1 FROM snapshots WHERE week = ?", (week,)))

    def save(
        self,
        deals: pd.DataFrame,
        week: str,
        label: str = "",
        source: str = "",
        replace: bool = False,
        _fail_after: int | None = None,
    ) -> int:
        """Store the pipeline as it stands under `week`; returns the number of deals saved.

        `_fail_after` is for tests: raise after inserting that many deals, to prove nothing half-written remains.
        """
        check_week(week)
        rows = _deal_rows(deals)
        with self._errors(), self.transaction() as db:
            found = db.execute("SELECT id FROM snapshots WHERE week = ?", (week,)).fetchone()
            if found and not replace:
                raise FunnelError("snapshot_exists", week=week)
            if found:
                db.execute("DELETE FROM snapshot_deals WHERE snapshot_id = ?", (found[0],))
                db.execute("DELETE FROM snapshots WHERE id = ?", (found[0],))
            saved_at = datetime.now(UTC).isoformat(timespec="seconds")
            cursor = db.execute(
                "INSERT INTO snapshots (week, saved_at, source, label) VALUES (?, ?, ?, ?)",
                (week, saved_at, source, label),
            )
            snapshot_id = cursor.lastrowid
            insert = f"INSERT INTO snapshot_deals VALUES (?{', ?' * len(DEAL_COLUMNS)})"
            for i, row in enumerate(rows):
                if _fail_after is not None and i >= _fail_after:
                    raise RuntimeError("interrupted on purpose")
                db.execute(insert, (snapshot_id, *row))
        return len(rows)

    def delete(self, week: str) -> bool:
        """Remove one snapshot (the caller asks the user first); False when there was none."""
        with self._errors(), self.transaction() as db:
            found = db.execute("SELECT id FROM snapshots WHERE week = ?", (week,)).fetchone()
            if not found:
                return False
            db.execute("DELETE FROM snapshot_deals WHERE snapshot_id = ?", (found[0],))
            db.execute("DELETE FROM snapshots WHERE id = ?", (found[0],))
        return True

    def _deals(self, sql: str, params: tuple = (), week: bool = False) -> pd.DataFrame:
        with self._errors():
            rows = self._rows(sql, params)
        columns = (["week"] if week else []) + list(DEAL_COLUMNS)
        frame = pd.DataFrame(rows, columns=columns)
        frame["signing_date"] = pd.to_datetime(frame["signing_date"])
        frame["amount_cents"] = pd.to_numeric(frame["amount_cents"]).astype("int64")
        frame["probability"] = pd.to_numeric(frame["probability"]).astype("float64")
        return frame

    def load(self, week: str) -> pd.DataFrame:
        """The deals of one snapshot."""
        return self._deals(
            f"""SELECT {", ".join("d." + c for c in DEAL_COLUMNS)} FROM snapshot_deals d
                JOIN snapshots s ON s.id = d.snapshot_id WHERE s.week = ? ORDER BY d.deal""",
            (week,),
        )

    def all_deals(self) -> pd.DataFrame:
        """Every snapshot's deals with their week (for history and accuracy)."""
        return self._deals(
            f"""SELECT s.week, {", ".join("d." + c for c in DEAL_COLUMNS)} FROM snapshot_deals d
                JOIN snapshots s ON s.id = d.snapshot_id ORDER BY s.week, d.deal""",
            week=True,
        )


def _deal_rows(weighed: pd.DataFrame) -> list[tuple]:
    """Rows to store from weighed deals (funnel.forecast.weigh output, with 'stage' names)."""

    def text(v: object) -> str:
        return "" if v is None or (isinstance(v, float) and v != v) else str(v)

    rows = []
    for r in weighed.itertuples(index=False):
        signing = getattr(r, "signing_date", None)
        rows.append(
            (
                text(r.deal),
                text(getattr(r, "customer", "")),
                text(getattr(r, "stage", "")),
                text(r.status),
                float(getattr(r, "p", 0.0)),
                int(0 if pd.isna(r.amount_cents) else r.amount_cents),
                None if signing is None or pd.isna(signing) else pd.Timestamp(signing).date().isoformat(),
                text(getattr(r, "product", "")),
                text(getattr(r, "region", "")),
                text(getattr(r, "rep", "")),
            )
        )
    return rows


def quarters_and_weeks(all_deals: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The signing quarters found in the snapshots, and the snapshot weeks, both in order."""
    quarters = sorted(q for q in period_of(all_deals["signing_date"], "quarter").unique() if q)
    return quarters, sorted(all_deals["week"].unique())


def history(all_deals: pd.DataFrame, quarter: str, commit_at: float = 0.70) -> pd.DataFrame:
    """Per snapshot week: weighted forecast and commit (won + open at ≥ commit_at) for deals signing in `quarter`."""
    frame = all_deals[period_of(all_deals["signing_date"], "quarter") == quarter].copy()
    frame = frame[frame["status"] != "lost"]
    frame["amount"] = frame["amount_cents"] / 100
    frame["weighted"] = frame["amount"] * frame["probability"]
    frame["is_commit"] = (frame["status"] == "won") | (frame["probability"] >= commit_at)
    weeks = sorted(all_deals["week"].unique())
    rows = []
    for week in weeks:
        part = frame[frame["week"] == week]
        rows.append(
            {
                "week": week,
                "weighted": float(part["weighted"].sum()),
                "commit": float(part.loc[part["is_commit"], "amount"].sum()),
                "won": float(part.loc[part["status"] == "won", "amount"].sum()),
                "deals": len(part),
            }
        )
    return pd.DataFrame(rows)


def changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """What changed between two snapshots: deals added, removed, and stage, amount or signing-date changes."""
    a, b = before.set_index("deal"), after.set_index("deal")
    rows = []
    for deal in sorted(set(b.index) - set(a.index)):
        rows.append(
            {
                "deal": deal,
                "customer": b.loc[deal, "customer"],
                "change": "added",
                "before": "",
                "after": f"{b.loc[deal, 'stage']} · {b.loc[deal, 'amount_cents'] / 100:,.2f}",
            }
        )
    for deal in sorted(set(a.index) - set(b.index)):
        rows.append(
            {
                "deal": deal,
                "customer": a.loc[deal, "customer"],
                "change": "removed",
                "before": f"{a.loc[deal, 'stage']} · {a.loc[deal, 'amount_cents'] / 100:,.2f}",
                "after": "",
            }
        )
    for deal in sorted(set(a.index) & set(b.index)):
        x, y = a.loc[deal], b.loc[deal]
        if (x["stage"], x["status"]) != (y["stage"], y["status"]):
            rows.append(
                {
                    "deal": deal,
                    "customer": y["customer"],
                    "change": "stage",
                    "before": f"{x['stage']} ({x['status']})",
                    "after": f"{y['stage']} ({y['status']})",
                }
            )
        if x["amount_cents"] != y["amount_cents"]:
            rows.append(
                {
                    "deal": deal,
                    "customer": y["customer"],
                    "change": "amount",
                    "before": f"{x['amount_cents'] / 100:,.2f}",
                    "after": f"{y['amount_cents'] / 100:,.2f}",
                }
            )
        dx, dy = x["signing_date"], y["signing_date"]
        if not (pd.isna(dx) and pd.isna(dy)) and dx != dy:
            rows.append(
                {
                    "deal": deal,
                    "customer": y["customer"],
                    "change": "date",
                    "before": "" if pd.isna(dx) else str(pd.Timestamp(dx).date()),
                    "after": "" if pd.isna(dy) else str(pd.Timestamp(dy).date()),
                }
            )
    return pd.DataFrame(rows, columns=["deal", "customer", "change", "before", "after"])


def accuracy(history_table: pd.DataFrame, actual: float, tolerance: float = 0.10) -> tuple[pd.DataFrame, float | None]:
    """Each week's weighted forecast against the quarter's actual: error in %, and the share of weeks within
    `tolerance` (10%) of actual."""
    table = history_table.copy()
    if actual:
        table["error"] = (table["weighted"] - actual) / actual
    else:
        table["error"] = float("nan")
    within = table["error"].abs() <= tolerance
    share = float(within.mean()) if len(table) and actual else None
    table["within"] = within
    return table, share


def actual_won(all_deals: pd.DataFrame, quarter: str) -> float:
    """Won amount signed in `quarter`, as the latest snapshot knows it."""
    if all_deals.empty:
        return 0.0
    latest = all_deals[all_deals["week"] == all_deals["week"].max()]
    won = latest[(latest["status"] == "won") & (period_of(latest["signing_date"], "quarter") == quarter)]
    return sum_cents(won["amount_cents"]) / 100


def changes_between_weeks(all_deals: pd.DataFrame, before: str, after: str) -> pd.DataFrame:
    """changes() between two saved weeks of `all_deals`."""
    return changes(all_deals[all_deals["week"] == before], all_deals[all_deals["week"] == after])


def quarter_closed(quarter: str, today: object) -> bool:
    """True once the quarter's last day is behind `today`."""
    return pd.Period(quarter, freq="Q").end_time.normalize() < pd.Timestamp(today).normalize()


def actual_from_sales(lines: pd.DataFrame, quarter: str) -> float:
    """Revenue a sales report booked in `quarter` (net of returns): the other source of the actual."""
    dated = lines[lines["date"].notna()]
    inside = period_of(dated["date"], "quarter") == quarter
    return sum_cents(dated.loc[inside, "amount_cents"]) / 100
