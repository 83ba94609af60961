"""Find and map the report's columns, validate every row, and account for each one: used, or left out with a reason."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from funnel.coded import MAYBE_TOTAL, Coded, code_type, matching, name_keys, refactor, text_coded
from funnel.columns import REQUIRED, SALES_ROLES, header_scale
from funnel.derived import derived_amount_cents
from funnel.detect import Detection, Detector, with_counts
from funnel.errors import FunnelError
from funnel.read import RawReport
from funnel.values import check_line_count, parse_amounts, parse_dates

# Why a row is left out, in the order they are checked (a row is counted under the first that applies).
REASONS: tuple[str, ...] = (
    "empty_row",
    "total_row",
    "note_row",
    "blank_customer",
    "blank_product",
    "bad_amount",
    "bad_date",
)

_TOTAL = re.compile(
    r"(?:合\s*计|小\s*计|总\s*计|累\s*计)|^\s*(?:grand\s+)?(?:sub\s*-?\s*)?totals?\b|^\s*sum\s*$", re.IGNORECASE
)
NO_PRODUCT = "ALL"


ROLE_ORDER: tuple[str, ...] = (
    "customer",
    "amount",
    "product",
    "date",
    "region",
    "rep",
    "order",
    "quantity",
    "unit_price",
)


@dataclass(frozen=True)
class Mapping:
    """Which report column plays which role (None: the report has no such column).

    With no amount column, the amount is quantity × unit price (`derive_amount`, on unless switched off).
    """

    customer: str | None = None
    amount: str | None = None
    product: str | None = None
    date: str | None = None
    quantity: str | None = None
    region: str | None = None
    rep: str | None = None
    order: str | None = None
    unit_price: str | None = None
    derive_amount: bool = True

    @property
    def derived(self) -> bool:
        """True when the amount is quantity × unit price (no amount column, both others present)."""
        return self.amount is None and self.derive_amount and bool(self.quantity and self.unit_price)

    def missing(self) -> list[str]:
        """Required roles with no column (an amount can be derived from quantity × unit price)."""
        return [r for r in REQUIRED if getattr(self, r) is None and not (r == "amount" and self.derived)]

    def as_dict(self) -> dict[str, str | None]:
        """Role → column, for every role (the derive switch left out)."""
        return {role: getattr(self, role) for role in ROLE_ORDER}

    def with_role(self, role: str, column: str | None) -> Mapping:
        """A copy with one role remapped; a column already used by another role is freed from it."""
        changes = {r: None for r, c in self.as_dict().items() if column is not None and c == column and r != role}
        changes[role] = column
        return replace(self, **changes)


DETECTOR = Detector(SALES_ROLES, rescue=("date", "customer"))


def detect_mapping(columns: list[str]) -> Mapping:
    """Best guess of each role's column from its header alone (each column used at most once)."""
    return detect_sales(pd.DataFrame(columns=[str(c) for c in columns]))[0]


def detect_sales(frame: pd.DataFrame) -> tuple[Mapping, dict[str, Detection]]:
    """Each role's column from headers and values, with the evidence for each choice."""
    found = DETECTOR.detect(frame)
    return Mapping(**{role: d.column for role, d in found.items()}), found


def describe_mapping(frame: pd.DataFrame, mapping: Mapping, detected: dict[str, Detection]) -> dict[str, Detection]:
    """The evidence for every mapped role (detected, or chosen by the user) and the unmapped ones."""
    out = {}
    for role, column in mapping.as_dict().items():
        if column is None or column not in frame.columns:
            out[role] = Detection(role, None)
        else:
            out[role] = DETECTOR.describe(frame, role, column, detected.get(role))
    return out


def low_confidence(mapping: Mapping, detections: dict[str, Detection]) -> list[str]:
    """Required roles whose column was guessed with too little evidence (a person should choose them)."""
    return [
        role
        for role in REQUIRED
        if getattr(mapping, role) is not None and role in detections and not detections[role].confident
    ]


@dataclass
class SalesData:
    """The usable sales lines of a report plus the full account of what was left out and why."""

    lines: pd.DataFrame
    left_out: pd.DataFrame
    rows_read: int
    reasons: dict[str, int]
    mapping: Mapping
    duplicates: int = 0
    name_variants: pd.DataFrame = field(default_factory=pd.DataFrame)
    amount_scale: float = 1.0
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    header_row: int = 1
    detections: dict[str, Detection] = field(default_factory=dict)

    @property
    def derived_amount(self) -> bool:
        """True when the amounts are quantity × unit price (the report has no amount column)."""
        return self.mapping.derived

    @property
    def rows_used(self) -> int:
        return len(self.lines)

    @property
    def rows_left_out(self) -> int:
        return sum(self.reasons.values())

    @property
    def products(self) -> list[str]:
        return sorted(self.lines["product"].unique().tolist())

    @property
    def has_dates(self) -> bool:
        return self.mapping.date is not None and self.lines["date"].notna().any()

    @property
    def is_table(self) -> bool:
        """False: a file's lines are in memory (a database table's are not: `sources.SalesSource`)."""
        return False

    @property
    def span(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """(first, last) date of the lines, or (None, None) when none is dated."""
        dates = self.lines["date"].dropna() if "date" in self.lines else pd.Series(dtype="datetime64[ns]")
        return (None, None) if dates.empty else (dates.min(), dates.max())

    def days(self) -> pd.Series:
        """The dates the lines are on (for choosing comparison periods)."""
        return self.lines["date"]


def text_column(series: pd.Series) -> pd.Series:
    """Cleaned text of a column ('' for blanks), computed once per distinct value."""
    return text_coded(series).series(series.index)


def total_rows(text: Coded) -> np.ndarray:
    """True on the rows whose cleaned text reads as a total or subtotal label (合计, 小计, Total…)."""
    return text.per_row(matching(text.values, _TOTAL, MAYBE_TOTAL))


def is_total(text: pd.Series) -> pd.Series:
    """True where a cleaned text cell reads as a total or subtotal label (合计, 小计, Total…)."""
    return pd.Series(total_rows(text_coded(text)), index=text.index, dtype=bool)


@dataclass(frozen=True)
class Customers:
    """The customers of the used lines: one per name key, shown by its most frequent spelling."""

    codes: np.ndarray  # per used line, an index into `names` and `keys`
    names: list[str]
    keys: list[str]
    variants: pd.DataFrame  # customer, variants: the keys written more than one way


def canonical_customers(customer: Coded, used: np.ndarray) -> Customers:
    """One customer per name key among the used lines, shown by its spelling with most lines (ties: the spelling
    seen first); the keys written more than one way listed with their spellings, most lines first."""
    codes = customer.codes[used]
    spellings = len(customer.values)
    lines = np.bincount(codes, minlength=spellings)
    first = np.full(spellings, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))  # each spelling's first line (a sort of the codes took 20 ms)
    key_of = refactor(np.arange(spellings), name_keys(customer.values))
    present = np.flatnonzero(lines > 0)
    order = present[np.lexsort((first[present], -lines[present], key_of.codes[present]))]
    grouped = key_of.codes[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(order) else np.zeros(0, np.int64)
    shown = order[starts]  # per customer, its display spelling
    texts = customer.values.to_pylist()
    key_texts = key_of.values.to_pylist()
    names = [texts[i] for i in shown]
    keys = [key_texts[k] for k in grouped[starts]]
    number = np.full(len(key_texts), -1, dtype=np.int64)
    number[grouped[starts]] = np.arange(len(starts))
    sizes = np.diff(np.r_[starts, len(order)])
    several = np.flatnonzero(sizes > 1)
    several = several[np.lexsort((first[shown[several]], -lines[shown[several]]))]
    variants = pd.DataFrame(
        {
            "customer": pd.Series([names[c] for c in several], dtype=object),
            "variants": pd.Series(
                [" | ".join(texts[i] for i in order[starts[c] : starts[c] + sizes[c]]) for c in several], dtype=object
            ),
        }
    )
    return Customers(number[key_of.codes[codes]], names, keys, variants)


def _canonical(names: pd.Series) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """(display name, key, variants table) of cleaned names: one customer per key, shown by its most frequent
    spelling."""
    found = canonical_customers(text_coded(names), np.ones(len(names), dtype=bool))
    display = np.asarray(found.names, dtype=object)[found.codes] if found.names else np.zeros(0, dtype=object)
    keys = np.asarray(found.keys, dtype=object)[found.codes] if found.keys else np.zeros(0, dtype=object)
    return pd.Series(display, index=names.index), pd.Series(keys, index=names.index), found.variants


def _categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    """Text as codes over sorted categories (so that sorting and grouping read as for plain text)."""
    order = np.argsort(np.asarray(categories, dtype=object), kind="stable") if categories else np.zeros(0, np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    ordered = pd.Index([categories[i] for i in order], dtype=object)
    return pd.Categorical.from_codes(rank[codes].astype(code_type(len(ordered))), categories=ordered)


def _duplicate_rows(
    frame: pd.DataFrame, used: np.ndarray, coded: list[tuple[np.ndarray, int]], made: list[np.ndarray]
) -> int:
    """How many used rows repeat an earlier used row cell for cell (blank equals blank).

    Rows can only be equal if their cells are: first the coded text columns narrow the rows down (their codes
    come free), then what was made of the other columns (`made`: amount, date) only among the rows left, and only
    the rows still sharing all of it with another row are compared on every cell.
    """
    m = int(used.sum())
    if m < 2:
        return 0
    rows = np.flatnonzero(used)
    for step in (coded, made):
        if not step:
            continue
        kept = slice(None) if len(rows) == len(used) else rows  # every row still in: no gathering
        key = _combined([(c[kept], k) for c, k in step] if step is coded else [v[kept] for v in step])
        rows = rows[pd.Series(key).duplicated(keep=False).to_numpy()]
        if len(rows) < 2:
            return 0
    return int(frame.take(rows).duplicated().sum())


def _combined(columns: list[np.ndarray | tuple[np.ndarray, int]]) -> np.ndarray:
    """One integer per row, equal exactly for rows equal in every column.

    A column is values, or (codes, k): codes already in −1..k−1 (a coded text column's), used as they are
    instead of being factorised again (0.02 s of a 300k-row report).
    """
    key = np.zeros(len(columns[0][0] if isinstance(columns[0], tuple) else columns[0]) if columns else 0, np.int64)
    size = 1
    for values in columns:
        if isinstance(values, tuple):
            codes, count = values
        else:
            codes, uniques = pd.factorize(values)
            count = len(uniques)
        width = count + 1
        if size * width >= 2**62:
            key, kept = pd.factorize(key)
            size = len(kept)
        key = key * width + (np.asarray(codes, dtype=np.int64) + 1)
        size *= width
    return key


def prepare_sales(
    raw: RawReport | pd.DataFrame, mapping: Mapping | None = None, detected: dict[str, Detection] | None = None
) -> SalesData:
    """Turn a raw report into sales lines (amounts in cents) and account for every row under REASONS.

    Without a mapping the columns are detected from headers and values; `detected` (a detection already made)
    lets the evidence of the detected columns be reused for a mapping the user changed. Text columns are worked
    on once per distinct value (funnel.coded); the lines keep them as categoricals, amounts as int64 cents and
    dates as datetime64.
    """
    if isinstance(raw, pd.DataFrame):
        raw = RawReport(frame=raw, sheet="", sheets=[], header_row=1, row_numbers=pd.Series(range(2, len(raw) + 2)))
    frame = raw.frame.reset_index(drop=True)
    if mapping is None:
        mapping, detected = detect_sales(frame)
    for role, column in mapping.as_dict().items():
        if column is not None and column not in frame.columns:
            raise FunnelError("schema_unknown_column", role=(f"role_{role}",), column=column, flag=cli_option(role))
    if mapping.missing():
        raise FunnelError(
            "schema_missing_columns",
            roles=tuple(f"role_{r}" for r in mapping.missing()),
            columns="、".join(map(str, frame.columns)),
            flags=" ".join(cli_option(r) for r in mapping.missing()),
        )
    n = len(frame)
    check_line_count(n)
    reason = np.full(n, -1, dtype=np.int8)

    def mark(mask: np.ndarray, code: str) -> None:
        reason[np.asarray(mask, dtype=bool) & (reason < 0)] = REASONS.index(code)

    filled = np.zeros(n, dtype=np.int64)
    for column in frame.columns:
        filled += frame[column].notna().to_numpy()
    mark(filled == 0, "empty_row")
    coded: dict[str, Coded] = {}

    def text(column: str) -> Coded:
        if column not in coded:
            coded[column] = text_coded(frame[column])
        return coded[column]

    customer = text(mapping.customer)
    product = text(mapping.product) if mapping.product else None
    totals = total_rows(customer) | total_rows(text(frame.columns[0]))
    if product is not None:
        totals |= total_rows(product)
    mark(totals, "total_row")
    amount_blank = frame[mapping.amount or mapping.quantity].isna().to_numpy()
    customer_blank = customer.blank()
    mark((filled == 1) & customer_blank & amount_blank, "note_row")
    mark(customer_blank, "blank_customer")
    if product is not None:
        mark(product.blank(), "blank_product")
    if mapping.amount is not None:
        scale = header_scale(mapping.amount)
        cents, bad_amount = parse_amounts(frame[mapping.amount], scale=scale)
    else:
        scale = 1.0
        cents, bad_amount = derived_amount_cents(frame[mapping.quantity], frame[mapping.unit_price])
    mark(bad_amount.to_numpy(), "bad_amount")
    if mapping.date:
        dates, bad_date = parse_dates(frame[mapping.date])
        mark(bad_date.to_numpy(), "bad_date")
    else:
        dates = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")

    used = reason < 0
    m = int(used.sum())
    rows = raw.row_numbers.to_numpy()
    found = canonical_customers(customer, used)
    lines = pd.DataFrame(
        {
            "row": rows[used],
            "customer": _categorical(found.codes, found.names),
            "customer_key": _categorical(found.codes, found.keys),
            "product": product.categorical(used) if product is not None else _constant(NO_PRODUCT, m),
            "amount_cents": cents.to_numpy()[used],
            "date": dates.to_numpy()[used],
        }
    )
    for role in ("region", "rep", "order"):
        column = getattr(mapping, role)
        lines[role] = text(column).categorical(used) if column else _constant("", m)

    left_out = frame[~used].copy() if m < n else frame.iloc[:0].copy()  # (a mask selecting nothing still copies)
    left_out.insert(0, "reason", np.asarray(REASONS, dtype=object)[reason[~used]])
    left_out.insert(0, "row", rows[~used])
    counts = np.bincount(reason[~used].astype(np.int64), minlength=len(REASONS)) if (~used).any() else []
    reasons = {code: int(counts[i]) for i, code in enumerate(REASONS) if len(counts) and counts[i]}
    alike = [(c.raw_codes, int(c.raw_codes.max(initial=-1)) + 1) for c in coded.values() if c.raw_codes is not None]
    return SalesData(
        lines=lines,
        left_out=left_out.reset_index(drop=True),
        rows_read=n,
        reasons=reasons,
        mapping=mapping,
        duplicates=_duplicate_rows(frame, used, alike, [cents.to_numpy(), dates.to_numpy()]),
        name_variants=found.variants,
        amount_scale=scale,
        sheet=raw.sheet,
        sheets=list(raw.sheets),
        header_row=raw.header_row,
        detections=_exact(describe_mapping(frame, mapping, detected or {}), n, dates, cents, bad_amount, mapping),
    )


def _constant(text: str, n: int) -> pd.Categorical:
    """One text on every line, as a categorical."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([text], dtype=object))


def _exact(
    found: dict[str, Detection], n: int, dates: pd.Series, cents: pd.Series, bad_amount: pd.Series, mapping: Mapping
) -> dict[str, Detection]:
    """The date and amount evidence counted on every row (the detector may have judged a sample)."""
    out = dict(found)
    if mapping.date and out.get("date") and out["date"].column:
        out["date"] = with_counts(out["date"], int(dates.notna().sum()), n)
    if mapping.amount and out.get("amount") and out["amount"].column:
        out["amount"] = with_counts(out["amount"], int((~bad_amount).sum()), n)
    return out


def cli_option(role: str) -> str:
    """The CLI option that sets a role's column ('--unit-price-col')."""
    return f"--{role.replace('_', '-')}-col"


def filter_lines(
    lines: pd.DataFrame,
    products: list[str] | None = None,
    start: object | None = None,
    end: object | None = None,
) -> pd.DataFrame:
    """The lines of the chosen products (None or [] = all) dated within [start, end] inclusive (None = open).

    A period asked of lines without dates is an error, never an empty answer.
    """
    if (start is not None or end is not None) and len(lines) and not lines["date"].notna().any():
        raise FunnelError("period_needs_dates", flag="--date-col")
    mask = pd.Series(True, index=lines.index)
    if products:
        mask &= lines["product"].isin(products)
    if start is not None:
        mask &= lines["date"] >= pd.Timestamp(start)
    if end is not None:
        mask &= lines["date"] <= pd.Timestamp(end)
    return lines[mask]
