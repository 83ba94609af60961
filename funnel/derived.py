"""Derived amount: quantity × unit price, exact in cents, for reports that carry no amount column.

Invoice-line exports (UCI Online Retail, ERP outbound orders with 数量 and 单价 only) give no line amount. The
product is taken in decimal arithmetic from the cells as written, rounded half away from zero to the cent once
per line, so a line of 6 × 2.55 is 15.30 and never 15.299999.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

_CURRENCY = re.compile(r"(人民币|RMB|CNY|USD|EUR|HKD|元|[¥$€£])", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CENT = Decimal("0.01")
_LIMIT = Decimal("1e13")


def exact_number(value: object) -> Decimal | None:
    """One cell as an exact decimal ('1,234.50', '¥2.55', '(3)', '1.234,5', 6, 2.55), or None when it is none."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return Decimal(repr(float(value))) if isinstance(value, float | np.floating) else Decimal(int(value))
    text = _CURRENCY.sub("", unicodedata.normalize("NFKC", str(value)))
    text = re.sub(r"[\s']", "", text)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-") and not text.startswith("-"):
        negative, text = True, text[:-1]
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    elif text.count(",") == 1 and re.search(r",\d{1,2}$", text):
        text = text.replace(",", ".")
    else:
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return -number if negative else number


def derived_amount_cents(quantity: pd.Series, unit_price: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Quantity × unit price per line in int64 cents (half away from zero); (cents, invalid) like parse_amounts."""
    pairs = pd.DataFrame({"q": quantity.astype("object"), "p": unit_price.astype("object")})
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(pairs.fillna("\x00")))
    cents = np.zeros(len(uniques), dtype="int64")
    bad = np.ones(len(uniques), dtype=bool)
    for i, (q, p) in enumerate(uniques):
        a, b = exact_number(None if q == "\x00" else q), exact_number(None if p == "\x00" else p)
        if a is None or b is None:
            continue
        amount = (a * b).quantize(_CENT, rounding=ROUND_HALF_UP)
        if abs(amount) < _LIMIT:
            cents[i], bad[i] = int(amount * 100), False
    index = quantity.index
    return pd.Series(cents[codes], index=index), pd.Series(bad[codes], index=index)
