"""A warehouse table's rows → sales lines, as SQL: the same cleaning and the same reasons as for a file.

Every row is either a line or counted under the first reason that applies (`schema.REASONS`): empty_row,
total_row, blank_customer, blank_product, bad_amount, bad_date. Values get the meaning they have in a file where
SQL can say it on every engine:
- amounts: numbers as they are; text with currency marks (¥, $, 元, RMB…), thousands separators, a decimal comma,
  (300) or 300- for negatives, a % or 万 suffix, full-width digits; a 万元 header scales by 10,000. Cents are
  rounded half away from zero from the same double as in a file, a true half cent from the amount's decimal text
  (1.005 → 1.01, as values.parse_amounts), so the cents are identical.
- dates: DATE/TIMESTAMP columns; text 2026-01-05, 2026/1/5, 2026.1.5, 2026年1月5日 (with a time after it),
  20260105, Excel serial numbers; impossible days (2018-02-29) and years outside 1900–2199 are bad dates.
Text date and amount columns (and quantity × unit price) are not parsed by these SQL rules but by the file
path's own functions (`values.parse_dates`, `parse_amounts`, `derived.derived_amount_cents`) over their distinct
values, handed back as a lookup the SQL joins (`value_lookups`): so 1/23/2019, 23.01.2019, "2018-01-01 星期五" and
1.234,56 mean what they mean in a file. Only a column with more than LOOKUP_LIMIT distinct values falls back to
the SQL rules above (the source says so), which do not know day-first dates or a weekday after the date.
Not done (a file does them): Unicode normalisation of names beyond full-width ASCII (customer names are matched on
trimmed, space-free, lower-cased, half-width text), and a one-cell "note row" (a table has no such rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from funnel.columns import header_scale
from funnel.derived import derived_amount_cents
from funnel.engine import Engine, literal, quote
from funnel.errors import FunnelError
from funnel.schema import NO_PRODUCT, Mapping
from funnel.values import INVISIBLE, MAX_AMOUNT, parse_amounts, parse_dates

_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
_SPACE_CHARS = "\u3000\u00a0\t\r\n"
_TOTAL = "(合 ?计|小 ?计|总 ?计|累 ?计)|^(grand )?(sub ?-? ?)?totals?([^a-z0-9_]|$)|^sum$"
_NUMBER = "^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_YMD = "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T]+[0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?$"
_COMPACT = "^(19|20)[0-9]{6}$"
_CURRENCY = ("人民币", "RMB", "CNY", "USD", "EUR", "HKD", "元", "¥", "$", "€", "£")


def clean_text(column: str | None, absent: str = "") -> str:
    """schema.text_column in SQL: trimmed, runs of white space folded to one space, '' for blanks."""
    if column is None:
        return literal(absent)
    visible = drop_invisible(f"CAST({quote(column)} AS VARCHAR)", shown=True)
    spaced = f"TRANSLATE({visible}, {literal(_SPACE_CHARS)}, '     ')"
    folded = f"CASE WHEN STRPOS({spaced}, '  ') > 0 THEN REGEXP_REPLACE({spaced}, ' +', ' ', 'g') ELSE {spaced} END"
    return f"COALESCE(TRIM({folded}), '')"  # the regular expression only where there is a run of spaces


_HAS_FULL = "[" + chr(0xFF01) + "-" + chr(0xFF5E) + chr(0x3000) + "]"
# values.INVISIBLE in SQL (NUL aside: no engine's text holds one): dropped from names and keys, as for a file;
# shown names keep the joiners and variation selectors that shape text, as values.clean_name does.
_INVISIBLE = "".join(sorted(ch for ch in INVISIBLE if ch != "\x00"))
_SHAPING = {"\u200c", "\u200d", *map(chr, range(0xFE00, 0xFE10))}
_INVISIBLE_SHOWN = "".join(ch for ch in _INVISIBLE if ch not in _SHAPING)
_HAS_INVISIBLE = "[" + _INVISIBLE + "]"


def drop_invisible(expression: str, shown: bool = False) -> str:
    """Invisible characters (zero-width spaces, BOM, bidi marks, soft hyphen, controls) removed; the deleting
    TRANSLATE runs only on text that has one."""
    chars = _INVISIBLE_SHOWN if shown else _INVISIBLE
    return f"""(CASE WHEN REGEXP_MATCHES({expression}, {literal(_HAS_INVISIBLE)})
        THEN TRANSLATE({expression}, {literal(chars)}, '') ELSE {expression} END)"""


def halfwidth(expression: str) -> str:
    """Full-width ASCII (Ｅ１２，（）) made half-width; the 95-character TRANSLATE runs only on text that has some
    (DuckDB spends ~8 s per million rows on it, the check ~0.2 s)."""
    return f"""(CASE WHEN REGEXP_MATCHES({expression}, {literal(_HAS_FULL)})
        THEN TRANSLATE({expression}, {literal(_FULL)}, {literal(_HALF)}) ELSE {expression} END)"""


def name_key(expression: str) -> str:
    """values.name_key in SQL: half-width, no spaces, no invisible characters, lower case."""
    return f"LOWER(REPLACE({drop_invisible(halfwidth(expression))}, ' ', ''))"


def is_total(expression: str) -> str:
    """A total/subtotal label; the regular expression runs only on text that could be one (计, total, sum)."""
    low = f"LOWER({expression})"
    maybe = f"STRPOS({expression}, '计') > 0 OR STRPOS({low}, 'total') > 0 OR {low} = 'sum'"
    return f"(CASE WHEN {maybe} THEN REGEXP_MATCHES({low}, {literal(_TOTAL)}) ELSE FALSE END)"


def amount_stages(column: str, kind: str, out: str = "amount_value", p: str = "a") -> list[str]:
    """Subquery stages that turn a number column (`column`: an alias of ours) into `out` (DOUBLE, NULL when not a
    number); `p` prefixes the helper columns, so several columns can be parsed side by side."""
    if kind == "number":
        return [f"CAST({column} AS DOUBLE) AS {out}"]
    if kind != "text":
        return [f"CAST(NULL AS DOUBLE) AS {out}"]
    s = f"UPPER(TRIM({halfwidth(f'CAST({column} AS VARCHAR)')}))"
    for token in _CURRENCY:
        s = f"REPLACE({s}, {literal(token)}, '')"
    s = f"TRANSLATE({s}, {literal(' ' + chr(0xA0) + chr(0x3000) + chr(39))}, '')"
    return [
        f"{s} AS {p}1",
        # thousands separators and a decimal comma, as values._decimal_point
        f"""CASE WHEN STRPOS({p}1, ',') > 0 AND STRPOS({p}1, '.') > 0 THEN
                CASE WHEN STRPOS(REVERSE({p}1), ',') < STRPOS(REVERSE({p}1), '.')
                     THEN REPLACE(REPLACE({p}1, '.', ''), ',', '.') ELSE REPLACE({p}1, ',', '') END
            WHEN LENGTH({p}1) - LENGTH(REPLACE({p}1, ',', '')) = 1 AND REGEXP_MATCHES({p}1, ',[0-9]{{1,2}}[^0-9]*$')
                THEN REPLACE({p}1, ',', '.')
            ELSE REPLACE({p}1, ',', '') END AS {p}2""",
        f"""CASE WHEN LEFT({p}2, 1) = '(' AND RIGHT({p}2, 1) = ')' THEN 1
                WHEN RIGHT({p}2, 1) = '-' AND LEFT({p}2, 1) <> '-' THEN 1 ELSE 0 END AS {p}_negative,
           CASE WHEN LEFT({p}2, 1) = '(' AND RIGHT({p}2, 1) = ')' THEN SUBSTRING({p}2, 2, LENGTH({p}2) - 2)
                WHEN RIGHT({p}2, 1) = '-' AND LEFT({p}2, 1) <> '-' THEN SUBSTRING({p}2, 1, LENGTH({p}2) - 1)
                ELSE {p}2 END AS {p}3""",
        f"""CASE WHEN RIGHT({p}3, 1) = '%' THEN 0.01 WHEN RIGHT({p}3, 1) = '万' THEN 10000.0
                            ELSE 1.0 END AS {p}_factor,
           CASE WHEN RIGHT({p}3, 1) IN ('%', '万') THEN SUBSTRING({p}3, 1, LENGTH({p}3) - 1) ELSE {p}3 END AS {p}4""",
        f"""CASE WHEN REGEXP_MATCHES({p}4, {literal(_NUMBER)}) THEN
                CASE WHEN {p}_negative = 1 THEN -(CAST({p}4 AS DOUBLE) * CAST({p}_factor AS DOUBLE))
                     ELSE CAST({p}4 AS DOUBLE) * CAST({p}_factor AS DOUBLE) END
            END AS {out}""",
    ]


def date_stages(column: str | None, kind: str, out: str = "date_value", p: str = "d") -> list[str]:
    """Subquery stages that turn a date column into `out` (DATE, NULL when blank or impossible); `p` prefixes the
    helper columns."""
    if column is None:
        return [f"CAST(NULL AS DATE) AS {out}"]
    if kind == "date":
        return [f"CAST({column} AS DATE) AS {out}"]
    text = f"TRIM({halfwidth(f'CAST({column} AS VARCHAR)')})"
    t = f"TRANSLATE({text}, '年月/.', '----')"
    t = f"REGEXP_REPLACE(TRIM(REPLACE({t}, '日', '')), '-+$', '')"
    d1 = f"{p}1"
    parts = f"""
        CASE WHEN REGEXP_MATCHES({d1}, {literal(_COMPACT)}) THEN CAST(SUBSTRING({d1}, 1, 4) AS INTEGER)
             WHEN REGEXP_MATCHES({d1}, {literal(_YMD)}) THEN CAST(SPLIT_PART({d1}, '-', 1) AS INTEGER) END AS {p}_y,
        CASE WHEN REGEXP_MATCHES({d1}, {literal(_COMPACT)}) THEN CAST(SUBSTRING({d1}, 5, 2) AS INTEGER)
             WHEN REGEXP_MATCHES({d1}, {literal(_YMD)}) THEN CAST(SPLIT_PART({d1}, '-', 2) AS INTEGER) END AS {p}_m,
        CASE WHEN REGEXP_MATCHES({d1}, {literal(_COMPACT)}) THEN CAST(SUBSTRING({d1}, 7, 2) AS INTEGER)
             WHEN REGEXP_MATCHES({d1}, {literal(_YMD)})
             THEN CAST(SPLIT_PART(SPLIT_PART(SPLIT_PART({d1}, '-', 3), ' ', 1), 'T', 1) AS INTEGER) END AS {p}_d,
        CASE WHEN REGEXP_MATCHES({d1}, {literal(_NUMBER)}) AND NOT REGEXP_MATCHES({d1}, {literal(_COMPACT)})
             THEN CAST({d1} AS DOUBLE) END AS {p}_serial"""
    y, m, d = f"{p}_y", f"{p}_m", f"{p}_d"
    valid = f"""{y} BETWEEN 1900 AND 2199 AND {m} BETWEEN 1 AND 12 AND {d} >= 1 AND {d} <= CASE
                WHEN {m} = 2 THEN CASE WHEN ({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0 THEN 29 ELSE 28 END
                WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"""
    built = f"""CAST(LPAD(CAST({y} AS VARCHAR), 4, '0') || '-' || LPAD(CAST({m} AS VARCHAR), 2, '0') || '-'
                || LPAD(CAST({d} AS VARCHAR), 2, '0') AS DATE)"""
    return [
        f"{t} AS {d1}",
        parts,
        f"""CASE WHEN {valid} THEN {built}
                 WHEN {p}_serial >= 1 AND {p}_serial < 109575
                 THEN CAST('1899-12-30' AS DATE) + CAST(FLOOR({p}_serial) AS INTEGER) END AS {out}""",
    ]


def nest(sql: str, columns: list[list[str]]) -> str:
    """`sql` with the parsing stages of several columns added level by level (stage i of every column at level i).

    OFFSET 0 keeps a planner from pasting the previous stage's expressions into this one (PostgreSQL would
    otherwise evaluate the amount parsing exponentially many times: 14 s for 1,000 rows)."""
    for level in range(max((len(c) for c in columns), default=0)):
        added = [c[level] for c in columns if level < len(c)]
        sql = f"SELECT s.*, {', '.join(added)} FROM ({sql} OFFSET 0) AS s"
    return sql


def cents_of(number: str, scale: float = 1.0) -> str:
    """A parsed amount (`number`: DOUBLE yuan, times `scale`) as BIGINT cents, rounded half away from zero as
    values.parse_amounts does: from the double, except where the scaled value lies a hair from a half cent
    (1.005 × 100 = 100.4999…), which is rounded from the number's shortest decimal form (1.005 → 101 cents);
    NULL when it is not a number or not under values.MAX_AMOUNT."""
    value = f"({number} * {float(scale)!r})"
    scaled = f"({value} * 100.0)"
    near = f"ABS(ABS({scaled}) - FLOOR(ABS({scaled})) - 0.5) <= GREATEST(ABS({scaled}), 1.0) * 1e-14"
    exact = f"CAST(CAST({number} AS VARCHAR) AS DECIMAL(38, 9)) * {round(scale * 100)}"
    return f"""CASE WHEN NOT {in_range(value)} THEN NULL
        WHEN {near} THEN CAST(SIGN({exact}) * FLOOR(ABS({exact}) + 0.5) AS BIGINT)
        ELSE CAST(SIGN({scaled}) * FLOOR(ABS({scaled}) + 0.5) AS BIGINT) END"""


def in_range(value: str) -> str:
    """The parsed amount is a number under the per-line cap (as values.parse_amounts: else a bad amount)."""
    return f"COALESCE(ABS({value}) < {float(MAX_AMOUNT)!r}, FALSE)"


LOOKUP_LIMIT = 100_000  # distinct values (or quantity × price pairs) parsed in Python per column, at most


@dataclass
class Lookups:
    """Text columns parsed by `values.py` from their distinct values (the file path's own functions), as relations
    the classification joins: `date` (funnel_raw → funnel_day), `amount` (funnel_raw → funnel_cents), `derived`
    (funnel_quantity, funnel_price → funnel_cents); names unlike a report's, so no column reference is ambiguous.
    `in_sql` names the columns with more distinct values than LOOKUP_LIMIT, parsed by the SQL rules instead."""

    relations: dict[str, str] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)
    in_sql: tuple[str, ...] = ()


def _distinct(db: Engine, relation: str, columns: list[str]) -> pd.DataFrame | None:
    """The distinct non-null text values of `columns` (together), or None when there are more than LOOKUP_LIMIT."""
    texts = ", ".join(f"CAST({quote(c)} AS VARCHAR) AS v{i}" for i, c in enumerate(columns))
    present = " AND ".join(f"{quote(c)} IS NOT NULL" for c in columns)
    frame = db.fetch(f"SELECT DISTINCT {texts} FROM {relation} AS t WHERE {present} LIMIT {LOOKUP_LIMIT + 1}")
    return None if len(frame) > LOOKUP_LIMIT else frame.astype("object")


def value_lookups(db: Engine, relation: str, columns: dict[str, str], mapping: Mapping) -> Lookups:
    """Parse a table's text date and amount columns (and quantity × unit price) as a file's are: the distinct
    values are fetched (bounded by LOOKUP_LIMIT), parsed by `values.parse_dates` / `parse_amounts` /
    `derived.derived_amount_cents`, and handed back for the SQL to join; what comes back is bounded by distinct
    values, never by rows. Numbers and DATE columns stay with the SQL (they need no parsing)."""
    out = Lookups()
    in_sql: list[str] = []

    def add(role: str, frame: pd.DataFrame) -> None:
        sql, params = db.lookup(f"funnel_lookup_{role}", frame)
        out.relations[role] = sql
        out.params.update(params)

    if mapping.date and columns.get(mapping.date) == "text":
        found = _distinct(db, relation, [mapping.date])
        if found is None:
            in_sql.append(mapping.date)
        else:
            days, _ = parse_dates(found["v0"])
            add("date", pd.DataFrame({"funnel_raw": found["v0"], "funnel_day": days.dt.strftime("%Y-%m-%d")}))
    if mapping.amount is not None and columns.get(mapping.amount) == "text":
        found = _distinct(db, relation, [mapping.amount])
        if found is None:
            in_sql.append(mapping.amount)
        else:
            cents, bad = parse_amounts(found["v0"], scale=header_scale(mapping.amount))
            add(
                "amount",
                pd.DataFrame({"funnel_raw": found["v0"], "funnel_cents": cents.astype("object").where(~bad, None)}),
            )
    if mapping.amount is None and mapping.derived:
        found = _distinct(db, relation, [mapping.quantity, mapping.unit_price])
        if found is None:
            raise FunnelError("table_derived_too_many", limit=f"{LOOKUP_LIMIT:,}")
        cents, bad = derived_amount_cents(found["v0"], found["v1"])
        cents = cents.astype("object").where(~bad, None)
        add(
            "derived",
            pd.DataFrame({"funnel_quantity": found["v0"], "funnel_price": found["v1"], "funnel_cents": cents}),
        )
    out.in_sql = tuple(in_sql)
    return out


def classified_sql(relation: str, columns: dict[str, str], mapping: Mapping, lookups: Lookups | None = None) -> str:
    """Every row of `relation` with its `reason` (NULL: used) and, for used rows, the canonical line columns; the
    columns in `lookups` take their parsed values from it (joined on the raw text)."""
    looked = lookups.relations if lookups else {}
    names = list(columns)
    blank = " AND ".join(f"NULLIF(TRIM(CAST({quote(c)} AS VARCHAR)), '') IS NULL" for c in names) or "TRUE"
    product = clean_text(mapping.product) if mapping.product else literal(NO_PRODUCT)
    date_raw = f"src.{quote(mapping.date)} AS date_raw" if mapping.date else "NULL AS date_raw"
    amount_raw = f"src.{quote(mapping.amount)}" if mapping.amount else "NULL"
    joins, found = "", ""
    if "date" in looked:
        on = f"lk_date.funnel_raw = CAST(src.{quote(mapping.date)} AS VARCHAR)"
        joins += f" LEFT JOIN {looked['date']} AS lk_date ON {on}"
        found += ", CAST(lk_date.funnel_day AS DATE) AS date_found"
    for role in ("amount", "derived"):
        if role not in looked:
            continue
        if role == "amount":
            on = f"lk_amount.funnel_raw = CAST(src.{quote(mapping.amount)} AS VARCHAR)"
        else:
            on = f"""lk_amount.funnel_quantity = CAST(src.{quote(mapping.quantity)} AS VARCHAR)
                AND lk_amount.funnel_price = CAST(src.{quote(mapping.unit_price)} AS VARCHAR)"""
        joins += f" LEFT JOIN {looked[role]} AS lk_amount ON {on}"
        found += ", CAST(lk_amount.funnel_cents AS BIGINT) AS cents_found"
    sql = f"""SELECT {clean_text(mapping.customer)} AS customer, {product} AS product,
        {clean_text(names[0])} AS first_text, {clean_text(mapping.region)} AS region,
        {clean_text(mapping.rep)} AS rep, {clean_text(mapping.order)} AS order_no, ({blank}) AS is_empty,
        {amount_raw} AS amount_raw, {date_raw}{found}
        FROM {relation} AS src{joins}"""
    amount_kind = columns.get(mapping.amount, "other") if mapping.amount else "other"
    date_kind = columns.get(mapping.date, "other") if mapping.date else "none"
    by_lookup = "amount" in looked or "derived" in looked
    amount_parse = [] if by_lookup else amount_stages("amount_raw", amount_kind)
    if "date" in looked:
        date_parse = ["date_found AS date_value"]
    else:
        date_parse = date_stages("date_raw" if mapping.date else None, date_kind)
    sql = nest(sql, [amount_parse, date_parse])
    value = f"(amount_value * {header_scale(mapping.amount)!r})" if mapping.amount else "NULL"
    total = f"{is_total('customer')} OR {is_total('first_text')}"
    if mapping.product:
        total += f" OR {is_total('product')}"
    bad_date = "WHEN date_value IS NULL THEN 'bad_date'" if mapping.date else ""
    reason = f"""CASE WHEN is_empty THEN 'empty_row'
            WHEN {total} THEN 'total_row'
            WHEN customer = '' THEN 'blank_customer'
            WHEN product = '' THEN 'blank_product'
            WHEN {"cents_found IS NULL" if by_lookup else f"NOT {in_range(value)}"} THEN 'bad_amount'
            {bad_date}
        END"""
    cents = "cents_found" if by_lookup else cents_of("amount_value", header_scale(mapping.amount))
    return f"""SELECT {reason} AS reason, {name_key("customer")} AS customer_key, customer, product,
        {cents} AS amount_cents, date_value AS date, region, rep, order_no AS "order",
        CAST(NULL AS BIGINT) AS seq
        FROM ({sql}) AS s"""
