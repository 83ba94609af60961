"""Find and map the report's columns, validate every row, and account for each one: used, or left out with a reason."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import pandas as pd

from funnel.columns import REQUIRED, SALES_ROLES, header_scale
from funnel.derived import derived_amount_cents
from funnel.detect import Detection, Detector, with_counts
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


def prepare_sales(
    raw: RawReport | pd.DataFrame, mapping: Mapping | None = None, detected: dict[str, Detection] | None = None
) -> SalesData:
    """Turn a raw report into sales lines (amounts in cents) and account for every row under REASONS.

    Without a mapping the columns are detected from headers and values; `detected` (a detection already made)
    lets the evidence of the detected columns be reused for a mapping the user changed.
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
    amount_blank = frame[mapping.amount].isna() if mapping.amount else frame[mapping.quantity].isna()
    mark((filled == 1) & (customer == "") & amount_blank, "note_row")
    mark(customer == "", "blank_customer")
    mark(product == "", "blank_product")
    if mapping.amount is not None:
        scale = header_scale(mapping.amount)
        cents, bad_amount = parse_amounts(frame[mapping.amount], scale=scale)
    else:
        scale = 1.0
        cents, bad_amount = derived_amount_cents(frame[mapping.quantity], frame[mapping.unit_price])
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
    for role in ("quantity", "unit_price"):
        column = getattr(mapping, role)
        if column:
            lines[role] = parse_amounts(frame[column])[0][used].to_numpy() / 100

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
        detections=_exact(describe_mapping(frame, mapping, detected or {}), n, dates, cents, bad_amount, mapping),
    )


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
