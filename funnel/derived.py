"""Derived amount: quantity × unit price, exact in cents, for reports that carry no amount column.

Invoice-line exports (UCI Online Retail, ERP outbound orders with 数量 and 单价 only) give no line amount. The
product is taken in decimal arithmetic from the cells as written, rounded half away from zero to the cent once
per line, so a line of 6 × 2.55 is 15.30 and never 15.299999.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

_CURRENCY = re.compile(r"(人民币|RMB|CNY|USD|EUR|HKD|元|[¥$€£])", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
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


def _scaled(values: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Each cell as an integer count of 10^-scale units (one scale for the column), and where it is no number."""
    codes, uniques = pd.factorize(values.astype("object"), use_na_sentinel=True)
    numbers = [exact_number(u) for u in uniques]
    scale = min(max((-n.as_tuple().exponent for n in numbers if n is not None), default=0), 9)
    scale = max(scale, 0)
    ints = np.zeros(len(uniques) + 1, dtype=object)
    bad = np.ones(len(uniques) + 1, dtype=bool)
    for i, n in enumerate(numbers):
        if n is not None and n == n.scaleb(scale).to_integral_value().scaleb(-scale):
            ints[i], bad[i] = int(n.scaleb(scale)), False
    return ints[codes], bad[codes], scale


def derived_amount_cents(quantity: pd.Series, unit_price: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Quantity × unit price per line in int64 cents (half away from zero); (cents, invalid) like parse_amounts.

    Both columns are read once per distinct value as exact decimals, scaled to whole numbers, multiplied as
    integers and rounded once to the cent: no float ever touches the amount.
    """
    q, q_bad, q_scale = _scaled(quantity)
    p, p_bad, p_scale = _scaled(unit_price)
    product = q * p  # Python integers: exact whatever their size
    shift = q_scale + p_scale - 2
    if shift > 0:
        divisor = 10**shift
        cents = np.array([(abs(x) + divisor // 2) // divisor * (1 if x >= 0 else -1) for x in product], dtype=object)
    else:
        cents = product * 10 ** (-shift)
    bad = q_bad | p_bad
    limit = int(_LIMIT) * 100
    too_big = np.array([abs(x) >= limit for x in cents], dtype=bool)
    bad |= too_big
    cents = np.where(bad, 0, cents).astype("int64")
    index = quantity.index
    return pd.Series(cents, index=index), pd.Series(bad, index=index)
