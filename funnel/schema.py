"""Find and map the report's columns, validate every row, and account for each one: used, or left out with a reason."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

import pandas as pd

from funnel.columns import REQUIRED, ROLES, header_scale, role_score
from funnel.errors import FunnelError
from funnel.read import RawReport
from funnel.values import clean_name, name_key, on_distinct, parse_amounts, parse_dates

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


@dataclass(frozen=True)
class Mapping:
    """Which report column plays which role (None: the report has no such column)."""

    customer: str | None = None
    amount: str | None = None
    product: str | None = None
    date: str | None = None
    quantity: str | None = None
    region: str | None = None
    rep: str | None = None
    order: str | None = None

    def missing(self) -> list[str]:
        """Required roles with no column."""
        return [role for role in REQUIRED if getattr(self, role) is None]

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def with_role(self, role: str, column: str | None) -> Mapping:
        """A copy with one role remapped; a column already used by another role is freed from it."""
        changes = {r: None for r, c in self.as_dict().items() if column is not None and c == column and r != role}
        changes[role] = column
        return replace(self, **changes)


def detect_mapping(columns: list[str]) -> Mapping:
    """Best guess of each role's column from its header, each column used at most once, best matches first."""
    candidates = []
    for priority, role in enumerate(ROLES):
        for position, column in enumerate(columns):
            score = role_score(column, role)
            if score:
                candidates.append((-score, priority, position, role, column))
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for _, _, _, role, column in sorted(candidates):
        if role not in chosen and column not in used:
            chosen[role] = column
            used.add(column)
    return Mapping(**chosen)


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


def text_column(series: pd.Series) -> pd.Series:
    """Cleaned text of a column ('' for blanks), computed once per distinct value."""
    return on_distinct(series, lambda u: u.map(clean_name), "").astype("object")


def _canonical(names: pd.Series) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """(display name, key, variants table): one customer per key, shown by its most frequent spelling."""
    keys = on_distinct(names, lambda u: u.map(name_key), "").astype("object")
    counts = pd.DataFrame({"key": keys, "name": names}).value_counts(sort=True).reset_index()
    display = counts.drop_duplicates("key").set_index("key")["name"]
    spelled = counts[counts["key"].duplicated(keep=False)]  # only keys written more than one way
    variants = spelled.groupby("key", sort=False)["name"].agg(" | ".join)
    table = pd.DataFrame({"customer": display.reindex(variants.index).to_numpy(), "variants": variants.to_numpy()})
    return keys.map(display), keys, table


def is_total(text: pd.Series) -> pd.Series:
    """True where a cleaned text cell reads as a total or subtotal label (合计, 小计, Total…)."""
    return on_distinct(text, lambda u: u.str.contains(_TOTAL), False).astype(bool)


def prepare_sales(raw: RawReport | pd.DataFrame, mapping: Mapping | None = None) -> SalesData:
    """Turn a raw report into sales lines (amounts in cents) and account for every row under REASONS."""
    if isinstance(raw, pd.DataFrame):
        raw = RawReport(frame=raw, sheet="", sheets=[], header_row=1, row_numbers=pd.Series(range(2, len(raw) + 2)))
    frame = raw.frame.reset_index(drop=True)
    mapping = mapping or detect_mapping([str(c) for c in frame.columns])
    for role, column in mapping.as_dict().items():
        if column is not None and column not in frame.columns:
            raise FunnelError("schema_unknown_column", role=(f"role_{role}",), column=column)
    if mapping.missing():
        raise FunnelError(
            "schema_missing_columns",
            roles=tuple(f"role_{r}" for r in mapping.missing()),
            columns="、".join(map(str, frame.columns)),
        )

    n = len(frame)
    reason = pd.Series([None] * n, dtype="object")

    def mark(mask: pd.Series, code: str) -> None:
        reason[mask.to_numpy() & reason.isna().to_numpy()] = code

    mark(frame.isna().all(axis=1), "empty_row")
    customer = text_column(frame[mapping.customer])
    product = text_column(frame[mapping.product]) if mapping.product else pd.Series([NO_PRODUCT] * n)
    first = text_column(frame.iloc[:, 0])
    totals = is_total(customer) | is_total(first)
    if mapping.product:
        totals |= is_total(product)
    mark(totals, "total_row")
    filled = frame.notna().sum(axis=1)
    mark((filled == 1) & (customer == "") & frame[mapping.amount].isna(), "note_row")
    mark(customer == "", "blank_customer")
    mark(product == "", "blank_product")
    scale = header_scale(mapping.amount)
    cents, bad_amount = parse_amounts(frame[mapping.amount], scale=scale)
    mark(bad_amount, "bad_amount")
    if mapping.date:
        dates, bad_date = parse_dates(frame[mapping.date])
        mark(bad_date, "bad_date")
    else:
        dates = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")

    used = reason.isna().to_numpy()
    rows = raw.row_numbers.reset_index(drop=True)
    display, keys, variants = _canonical(customer[used].reset_index(drop=True))
    lines = pd.DataFrame(
        {
            "row": rows[used].to_numpy(),
            "customer": display.to_numpy(),
            "customer_key": keys.to_numpy(),
            "product": product[used].to_numpy(),
            "amount_cents": cents[used].to_numpy(),
            "date": dates[used].to_numpy(),
        }
    )
    for role in ("region", "rep", "order"):
        column = getattr(mapping, role)
        lines[role] = text_column(frame[column])[used].to_numpy() if column else ""
    if mapping.quantity:
        qty = pd.to_numeric(frame[mapping.quantity], errors="coerce")
        lines["quantity"] = qty[used].to_numpy()

    left_out = frame[~used].copy()
    left_out.insert(0, "reason", reason[~used].to_numpy())
    left_out.insert(0, "row", rows[~used].to_numpy())
    counts = reason[~used].value_counts()
    reasons = {code: int(counts.get(code, 0)) for code in REASONS if counts.get(code, 0)}
    duplicates = int(frame[used].duplicated().sum())
    return SalesData(
        lines=lines.reset_index(drop=True),
        left_out=left_out.reset_index(drop=True),
        rows_read=n,
        reasons=reasons,
        mapping=mapping,
        duplicates=duplicates,
        name_variants=variants,
        amount_scale=scale,
        sheet=raw.sheet,
        sheets=list(raw.sheets),
        header_row=raw.header_row,
    )


def filter_lines(
    lines: pd.DataFrame,
    products: list[str] | None = None,
    start: object | None = None,
    end: object | None = None,
) -> pd.DataFrame:
    """The lines of the chosen products (None or [] = all) dated within [start, end] inclusive (None = open)."""
    mask = pd.Series(True, index=lines.index)
    if products:
        mask &= lines["product"].isin(products)
    if start is not None:
        mask &= lines["date"] >= pd.Timestamp(start)
    if end is not None:
        mask &= lines["date"] <= pd.Timestamp(end)
    return lines[mask]
