"""Weekly forecast snapshots in an embedded SQLite database: save, list, delete, history, changes, accuracy.

Storage loses nothing: each save is one transaction (BEGIN IMMEDIATE … COMMIT, rolled back on any error, so an
interrupted save leaves no half-written snapshot); the schema carries a version (PRAGMA user_version) and
migrates forward; WAL mode and a busy timeout let two sessions save at once; saving a week that already exists
needs an explicit replace.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from funnel.errors import FunnelError
from funnel.forecast import period_of

SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 15.0
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


def default_db_path() -> Path:
    """FUNNEL_DB if set, else the user's data folder (never inside the code tree)."""
    if os.environ.get("FUNNEL_DB"):
        return Path(os.environ["FUNNEL_DB"])
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "customer-funnel" / "snapshots.db"


def iso_week(day: date | datetime | pd.Timestamp | None = None) -> str:
    """'2026-W48' for a day (today by default)."""
    d = pd.Timestamp(day or date.today())
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def check_week(text: str) -> str:
    """A week as '2026-W48', or a clear error."""
    import re

    if not re.fullmatch(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])", text or ""):
        raise FunnelError("snapshot_bad_week", value=text)
    return text


class Store:
    """A snapshot database. Use `with Store(path) as store:` or call close()."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise FunnelError("snapshot_db_error", path=str(self.path), detail=str(exc)) from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; any exception rolls everything back."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise FunnelError("snapshot_busy", detail=str(exc)) from exc
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        """Bring the schema up to SCHEMA_VERSION; opening an up-to-date database takes no write lock."""
        if self.version == SCHEMA_VERSION:
            return
        with self.transaction() as db:
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            if current > SCHEMA_VERSION:
                raise FunnelError("snapshot_newer_schema", found=current, known=SCHEMA_VERSION)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={version}")

    def weeks(self) -> pd.DataFrame:
        """Saved snapshots: week, label, saved_at, deals."""
        return pd.read_sql_query(
            """SELECT s.week, s.label, s.saved_at, s.source, COUNT(d.deal) AS deals
               FROM snapshots s LEFT JOIN snapshot_deals d ON d.snapshot_id = s.id
               GROUP BY s.id ORDER BY s.week""",
            self.db,
        )

    def exists(self, week: str) -> bool:
        return self.db.execute("SELECT 1 FROM snapshots WHERE week = ?", (week,)).fetchone() is not None

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
        with self.transaction() as db:
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
        with self.transaction() as db:
            found = db.execute("SELECT id FROM snapshots WHERE week = ?", (week,)).fetchone()
            if not found:
                return False
            db.execute("DELETE FROM snapshot_deals WHERE snapshot_id = ?", (found[0],))
            db.execute("DELETE FROM snapshots WHERE id = ?", (found[0],))
        return True

    def load(self, week: str) -> pd.DataFrame:
        """The deals of one snapshot."""
        frame = pd.read_sql_query(
            f"""SELECT {", ".join("d." + c for c in DEAL_COLUMNS)} FROM snapshot_deals d
                JOIN snapshots s ON s.id = d.snapshot_id WHERE s.week = ? ORDER BY d.deal""",
            self.db,
            params=(week,),
        )
        frame["signing_date"] = pd.to_datetime(frame["signing_date"])
        return frame

    def all_deals(self) -> pd.DataFrame:
        """Every snapshot's deals with their week (for history and accuracy)."""
        frame = pd.read_sql_query(
            f"""SELECT s.week, {", ".join("d." + c for c in DEAL_COLUMNS)} FROM snapshot_deals d
                JOIN snapshots s ON s.id = d.snapshot_id ORDER BY s.week, d.deal""",
            self.db,
        )
        frame["signing_date"] = pd.to_datetime(frame["signing_date"])
        return frame


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
    return float(won["amount_cents"].sum()) / 100


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
    return float(dated.loc[inside, "amount_cents"].sum()) / 100
