"""Cell values as ERPs export them → money in integer cents, dates, and comparable names.

Money is kept as int64 cents from the moment it is read, so sums are exact and a customer whose lines add up
to 50,000.00 is never 49,999.999… on the wrong side of a band threshold. Sums cannot overflow either: a line is
at most MAX_AMOUNT (10亿) and a column at most SAFE_LINES lines, so any sum of its lines fits int64 cents
(10,000 lines at the old 10万亿 cap wrapped to −84 quadrillion and put a customer in the lowest band).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from funnel.errors import FunnelError

_CURRENCY = re.compile(r"(人民币|RMB|CNY|USD|EUR|HKD|元|[¥$€£])", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u3000]+")
MAX_AMOUNT = 1e9  # yuan per line (10亿): larger is not a sales line or deal, and is counted as a bad amount
MAX_LINE_CENTS = 100_000_000_000  # the largest |cents| a line can carry (MAX_AMOUNT rounds to at most this)
INT64_MAX = 2**63 - 1
SAFE_LINES = INT64_MAX // MAX_LINE_CENTS  # 92,233,720 lines at the cap still sum inside int64
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _as_text(values: pd.Series) -> pd.Series:
    """Every cell as a stripped, NFKC-normalised string (full-width digits and marks become ASCII); blank → None."""

    def one(v: object) -> str | None:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        text = unicodedata.normalize("NFKC", str(v)).strip()
        return text or None

    return pd.Series([one(v) for v in values.tolist()], index=values.index, dtype="object")


def check_line_count(n: int) -> None:
    """Refuse more lines than can be summed exactly at the per-line cap (no file under the size limit has that
    many: 200 MB of the shortest possible line, "a,1", is 52 million)."""
    if n > SAFE_LINES:
        raise FunnelError("values_too_many_lines", n=f"{n:,}", limit=f"{SAFE_LINES:,}")


def sum_cents(cents: pd.Series | np.ndarray | list[int]) -> int:
    """The exact sum of amounts in cents, as a Python int that never wraps (also for cents that did not pass
    parse_amounts, such as a database's or an engine's); int64 arithmetic where it provably cannot overflow."""
    values = np.asarray(cents, dtype="int64")
    if not len(values):
        return 0
    largest = max(abs(int(values.max())), abs(int(values.min())))
    if largest == 0 or len(values) <= INT64_MAX // largest:
        return int(values.sum())
    step = max(1, INT64_MAX // largest)
    return sum(int(values[i : i + step].sum()) for i in range(0, len(values), step))


def check_cents(total: int) -> int:
    """A total (from sum_cents or an engine's 128-bit sum) as int64 cents, or a clear error when it cannot be."""
    if not -INT64_MAX <= int(total) <= INT64_MAX:
        raise FunnelError("values_sum_too_large")
    return int(total)


def _round_half_away(x: np.ndarray) -> np.ndarray:
    """Round to the nearest whole number, halves away from zero (how accountants round cents)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _decimal_point(s: str) -> str:
    """Drop thousands separators: '1,234.50' and '1.234,50' → '1234.50'; '1234,5' (a decimal comma) → '1234.5'."""
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            return s.replace(".", "").replace(",", ".")
        return s.replace(",", "")
    if s.count(",") == 1 and re.search(r",\d{1,2}\D*$", s):
        return s.replace(",", ".")
    return s.replace(",", "")


def _clean_number(text: str) -> float:
    """One messy amount string → float, or NaN: '¥1,234.50', '(300)', '1.234,00-', '12%', 'RMB 5万'."""
    s = _CURRENCY.sub("", text)
    s = _decimal_point(_SPACES.sub("", s).replace("'", ""))
    if not s:
        return float("nan")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("-") and not s.startswith("-"):
        negative, s = True, s[:-1]
    factor = 1.0
    if s.endswith("%"):
        factor, s = 0.01, s[:-1]
    elif s.endswith("万"):
        factor, s = 10_000.0, s[:-1]
    if not _NUMBER.match(s):
        return float("nan")
    value = float(s) * factor
    return -value if negative else value


_PLAIN_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"  # what Arrow's cast reads as written


def _numbers(values: pd.Series) -> np.ndarray:
    """Each cell as a float: numbers as they are, plain number text in Arrow, messy text ('¥1,234.50', '(300)',
    full-width digits) once per distinct value in Python; NaN for blanks and non-numbers."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    text = _text_array(values)
    if text is not None:
        try:  # every cell a plain number or blank: one cast
            return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        plain = pc.match_substring_regex(text, _PLAIN_NUMBER)
        numbers = pc.cast(pc.if_else(plain, text, None), pa.float64()).to_numpy(zero_copy_only=False)
        todo = ~plain.fill_null(True).to_numpy(zero_copy_only=False)
    else:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        todo = np.isnan(numbers) & values.notna().to_numpy()
    if todo.any():
        messy = values[todo]
        numbers = numbers.copy()
        numbers[todo] = on_distinct(messy, lambda u: _as_text(u).map(_messy_number), np.nan).to_numpy(dtype="float64")
    return numbers


def _messy_number(text: str | None) -> float:
    return float("nan") if text is None else _clean_number(text)


def _text_array(values: pd.Series) -> pa.Array | pa.ChunkedArray | None:
    """A text column's Arrow strings, in the chunks it was read in (None for other columns)."""
    if not isinstance(values.dtype, pd.StringDtype):
        return None
    return pa.array(values.array)


def _cents(numbers: np.ndarray, scale: float) -> np.ndarray:
    """Amounts (finite floats) × scale in cents, half away from zero, exact for the amounts as written.

    Scaling in binary floats puts a true half cent a hair off (12.345 × 100 = 1234.4999…, 1.005 × 100 =
    100.4999…): an amount whose scaled value lies within a few units in the last place of a half is rounded from
    its shortest decimal form (the number as the file wrote it) with Decimal; no other amount can round otherwise.
    """
    scaled = numbers * (scale * 100.0)
    cents = _round_half_away(scaled)
    near = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) <= 8 * np.spacing(np.abs(scaled))
    if near.any():
        unit = Decimal(repr(float(scale))).scaleb(2)
        halves, where = np.unique(numbers[near], return_inverse=True)  # once per distinct amount
        exact = [float((Decimal(repr(float(x))) * unit).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for x in halves]
        cents[near] = np.asarray(exact, dtype="float64")[where]
    return cents.astype("int64")


def parse_amounts(values: pd.Series, scale: float = 1.0) -> tuple[pd.Series, pd.Series]:
    """Parse an amount column into int64 cents; return (cents, invalid) where invalid marks blank or non-numeric cells.

    `scale` multiplies every amount first (10,000 for a column whose header says 万元). An amount of MAX_AMOUNT or
    more is invalid, and a column of more than SAFE_LINES lines is refused, so no sum of these cents can overflow.
    Rounding to the cent is half away from zero on the amount as written (12.345 → 12.35, −0.125 → −0.13).
    """
    check_line_count(len(values))
    numbers = _numbers(values)
    raw = numbers * scale
    finite = np.isfinite(raw) & (np.abs(np.nan_to_num(raw)) < MAX_AMOUNT)
    cents = np.zeros(len(numbers), dtype="int64")
    cents[finite] = _cents(numbers[finite], scale)
    return pd.Series(cents, index=values.index, name=values.name), pd.Series(~finite, index=values.index)


_WEEKDAY = re.compile(r"(星期|周|礼拜)[一二三四五六日天]|\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?", re.IGNORECASE)
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4}|\d{2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT = re.compile(r"^(19|20)(\d{2})(\d{2})(\d{2})$")
# a time of day after the date (the day is all that counts): ' 10:00 AM', 'T10:00:00.000Z', ' 10:00:00+08:00'
_CLOCK = re.compile(
    r"(?:\s+|(?<=\d)T)\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"
)
_MONTHS = {
    m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))
}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[-\s]+([A-Za-z]{3,9})\.?[-\s,]+(\d{4})$")  # 05-Jan-2023, 5 January 2023
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$")  # Jan 5, 2023


def _month_names(text: pd.Series) -> pd.Series:
    """'05-Jan-2023', '5 January 2023' and 'Jan 5, 2023' as '2023-1-5' (an unknown month name is left alone)."""

    def ymd(year: str, month: str, day: str, whole: str) -> str:
        number = _MONTHS.get(month[:3].casefold())
        return f"{year}-{number}-{int(day)}" if number else whole

    text = text.str.replace(_DAY_MONTH_YEAR, lambda m: ymd(m[3], m[2], m[1], m[0]), regex=True)
    return text.str.replace(_MONTH_DAY_YEAR, lambda m: ymd(m[3], m[1], m[2], m[0]), regex=True)


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _date_text(values: pd.Series) -> pd.Series:
    """Dates as text in one shape: '2026年1月5日 星期一' and '2026/1/5' both become '2026-1-5'."""
    text = _as_text(values).astype("object")
    mask = text.notna()
    t = text[mask].astype(str)
    t = t.str.replace(_WEEKDAY, "", regex=True).str.strip(" ,")
    t = _month_names(t.str.replace(_CLOCK, "", regex=True).str.strip())
    t = t.str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False)
    t = t.str.replace(r"\s+", " ", regex=True).str.strip().str.rstrip("-")
    text[mask] = t
    return text


def _build(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Dates from parts; a year outside 1900–2199, or an impossible day (2018-02-29), is NaT."""
    frame = pd.DataFrame({"year": year, "month": month, "day": day}).astype("float64")
    frame.loc[~frame["year"].between(1900, 2199), "year"] = np.nan
    return pd.to_datetime(frame, errors="coerce")


def on_distinct(values: pd.Series, fn, missing: object) -> pd.Series:
    """Apply `fn` (Series → Series) to the distinct values only and spread the result back: reports repeat
    the same dates, customers and products thousands of times, so this is what keeps 100k rows fast."""
    from funnel.coded import distinct  # a text column's codes are made once for all its checks (funnel.coded)

    codes, uniques = distinct(values)
    uniques = uniques.to_pylist() if isinstance(uniques, pa.Array) else uniques
    done = np.asarray(fn(pd.Series(uniques, dtype="object")).to_numpy())
    if (codes == -1).any():  # index -1 picks the appended value for blank cells
        done = np.concatenate([done, _one(missing, done.dtype)])  # object when `missing` does not fit the dtype
    return pd.Series(done[codes], index=values.index, dtype=done.dtype)


def _one(value: object, dtype: np.dtype) -> np.ndarray:
    """[value] as an array of `dtype` when it fits exactly, else as an object array."""
    if not _fits(value, dtype):
        return np.array([value], dtype=object)
    return np.array([np.datetime64("NaT")], dtype=dtype) if dtype.kind == "M" else np.array([value], dtype=dtype)


def _fits(value: object, dtype: np.dtype) -> bool:
    if dtype.kind == "b":
        return isinstance(value, bool | np.bool_)
    if dtype.kind == "M":
        return value is pd.NaT or value is None
    if dtype.kind == "f":
        return isinstance(value, float | int | np.floating | np.integer) and not isinstance(value, bool)
    return dtype.kind == "O"


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a date column; return (dates, invalid) where invalid marks blank cells and impossible dates (2018-02-29).

    Accepts real datetimes, Excel serial numbers, 20260105, 2026-01-05, 2026/1/5, 2026年1月5日, a trailing weekday,
    and day/month/year when the column's own values prove the day comes first (a first part above 12).
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = pd.to_datetime(values, errors="coerce").dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
        return out, out.isna()
    out = on_distinct(values, _parse_distinct_dates, pd.NaT).astype("datetime64[ns]")
    return out, out.isna()


# Every character a date's text keeps once normalised (digits, separators, a time of day, an English month or
# weekday, 年/月/日, 星期/周/礼拜 and their day names), judged on the NFKC form as _as_text makes it; [a-z] under
# IGNORECASE takes exactly the letters the weekday pattern does. Normalising only removes or rewrites such
# characters, and every pattern (and float()) accepts only such characters, so a text holding any other character
# (客户00012有限公司, 产品2) is never a date: `may_be_dates` lets a caller skip it without changing any answer.
_DATE_CHARACTERS = re.compile(r"[\d\s,./+\-:_a-z年月日星期周礼拜一二三四五六天]*", re.IGNORECASE)
# Letters too: a run of letters in a date is removed whole as a weekday (\b then mon…sun, then any letters) or a
# month name (3–9 letters, the first three a month's), or letter by letter as a time of day (T, AM/PM, Z, UTC,
# GMT), or kept for the number reader (1e5, inf, nan, Infinity). So a run that starts with no month or weekday and
# holds a letter outside those (XS0001234, SO-2026-01) is never part of a date.
_LETTER_RUN = re.compile(r"[a-z]+", re.IGNORECASE)
_DATE_WORDS = frozenset(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")) | {
    "mon", "tue", "wed", "thu", "fri", "sat", "sun"
}  # fmt: skip
_DATE_LETTERS = frozenset("acefgimnptuyz")


def _letters_may_be_dates(text: str) -> bool:
    """False when a run of letters in (NFKC) text can be no part of a date (see _LETTER_RUN)."""
    for run in _LETTER_RUN.findall(text):
        low = run.lower()
        if run.isascii() and low[:3] not in _DATE_WORDS and not set(low) <= _DATE_LETTERS:
            return False
    return True


def may_be_dates(texts: list[str]) -> np.ndarray:
    """False for each text that parse_dates can never read as a date, whatever other values it is parsed with.

    >>> may_be_dates(["2026年1月5日 星期一", "05-Jan-2026", "客户00012有限公司", "２０２６／１／５", "XS01"]).tolist()
    [True, True, False, True, False]
    """
    match = _DATE_CHARACTERS.fullmatch

    def one(text: str) -> bool:
        normal = unicodedata.normalize("NFKC", text)
        return (match(text) is not None or match(normal) is not None) and _letters_may_be_dates(normal)

    return np.fromiter((one(t) for t in texts), dtype=bool, count=len(texts))


def _ranges_without(lo: int, hi: int, kept: str) -> str:
    """An RE2 class body of the code points lo..hi except those in `kept`."""
    cuts = [lo - 1, *sorted(map(ord, kept)), hi + 1]
    return "".join(f"\\x{{{a + 1:X}}}-\\x{{{b - 1:X}}}" for a, b in pairwise(cuts) if a + 1 <= b - 1)


def _class(chars: Iterable[str]) -> str:
    """An RE2 class body of these characters."""
    return "".join(f"\\x{{{ord(c):X}}}" for c in chars)


def _letters(test: Callable[[str], bool]) -> str:
    """An RE2 class body of the ASCII letters, either case, whose lower case passes `test`."""
    return _class(x for c in map(chr, range(ord("a"), ord("z") + 1)) if test(c) for x in (c, c.upper()))


# Texts may_be_dates rejects, told in Arrow (RE2) without Python:
# - one holding a CJK ideograph of U+4E00-U+9FFF that a date never holds (客户00012有限公司): NFKC neither changes
#   nor composes these ideographs, so neither the text nor its NFKC form fullmatches _DATE_CHARACTERS (the
#   ideographs a date may hold are DATE_IDEOGRAPHS; tests/test_detect_fit.py checks both claims);
# - an ASCII text (its own NFKC form) holding a character _DATE_CHARACTERS lacks, or a whole run of letters that
#   _letters_may_be_dates rejects: one or two letters, one of them no date letter (XS0001), or a run that starts
#   with a letter no month or weekday starts with and holds a letter no date letter (SO-2026, BX12).
DATE_IDEOGRAPHS = "年月日星期周礼拜一二三四五六天"
_ASCII = "\\x00-\\x7F"
_ASCII_DATE = _class(c for c in map(chr, range(128)) if _DATE_CHARACTERS.fullmatch(c))
_ODD = _letters(lambda c: c not in _DATE_LETTERS)  # in no weekday or month, nor a time of day or number
_NO_START = _letters(lambda c: not any(w.startswith(c) for w in _DATE_WORDS))
_ODD_NO_START = _letters(lambda c: c not in _DATE_LETTERS and not any(w.startswith(c) for w in _DATE_WORDS))
_RUN_START = "(?:^|[^A-Za-z])"
_NEVER_A_DATE = "|".join(
    (
        f"[{_ranges_without(0x4E00, 0x9FFF, DATE_IDEOGRAPHS)}]",
        f"^[{_ASCII}]*[^{_ASCII_DATE}\\x{{80}}-\\x{{10FFFF}}][{_ASCII}]*$",
        f"^[{_ASCII}]*{_RUN_START}(?:[{_ODD}][A-Za-z]?|[A-Za-z][{_ODD}])(?:[^A-Za-z][{_ASCII}]*)?$",
        f"^[{_ASCII}]*{_RUN_START}(?:[{_NO_START}][A-Za-z]*[{_ODD}]|[{_ODD_NO_START}])[{_ASCII}]*$",
    )
)


def may_be_dates_arrow(texts: pa.Array) -> np.ndarray:
    """may_be_dates of each text of an Arrow string array (no nulls): most non-dates told in Arrow (RE2), the rest
    in Python."""
    maybe = ~pc.match_substring_regex(texts, _NEVER_A_DATE).to_numpy(zero_copy_only=False)
    if maybe.any():
        maybe[maybe] = may_be_dates(texts.filter(pa.array(maybe)).to_pylist())
    return maybe


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}:[0-9]{2})?")


def _iso_days(values: pd.Series) -> pd.Series | None:
    """The days of distinct values that are all 'YYYY-MM-DD', with ' HH:MM:SS' or not (what CSV exports and the xlsx
    reader write), read as the general parser reads them (the time dropped, a year outside 1900–2199 or an
    impossible day NaT) in one vectorised step; None when any value has another shape."""
    texts = values.tolist()
    if not texts or not all(isinstance(t, str) and _ISO_DAY.fullmatch(t) for t in texts):
        return None
    days = pd.to_datetime(pd.Series([t[:10] for t in texts], index=values.index), format="%Y-%m-%d", errors="coerce")
    return days.where(days.dt.year.between(1900, 2199)).astype("datetime64[ns]")


_ISO_DAY_RE2 = "^[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}:[0-9]{2})?$"  # _ISO_DAY, whole text
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def iso_days_valid(texts: pa.Array) -> np.ndarray | None:
    """For distinct texts (no nulls) that are all 'YYYY-MM-DD' (with ' HH:MM:SS' or not), whether parse_dates reads
    each as a day, told in Arrow and NumPy: a real calendar day in 1900–2199 (what _iso_days keeps); None when
    any text has another shape (parse_dates then reads them its general way)."""
    if not len(texts) or not pc.all(pc.match_substring_regex(texts, _ISO_DAY_RE2)).as_py():
        return None

    def part(start: int, stop: int) -> np.ndarray:
        return pc.cast(pc.utf8_slice_codeunits(texts, start, stop), pa.int64()).to_numpy(zero_copy_only=False)

    year, month, day = part(0, 4), part(5, 7), part(8, 10)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    return (year >= 1900) & (year <= 2199) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)


def _parse_distinct_dates(values: pd.Series) -> pd.Series:
    iso = _iso_days(values)
    if iso is not None:
        return iso
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    is_ts = values.map(lambda v: hasattr(v, "year") and hasattr(v, "month") and hasattr(v, "day"))
    if is_ts.any():
        out[is_ts] = pd.to_datetime(values[is_ts].map(pd.Timestamp), errors="coerce")
    rest = ~is_ts & values.notna()
    if rest.any():
        out.loc[rest] = _parse_date_text(_date_text(values[rest])).to_numpy()
    return out.dt.normalize()


def _parse_date_text(text: pd.Series) -> pd.Series:
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    t = text.astype("object").where(text.notna(), "")
    compact = t.str.extract(_COMPACT)
    ok = compact[0].notna()
    if ok.any():
        result[ok] = _build(compact[0][ok] + compact[1][ok], compact[2][ok], compact[3][ok])
    numeric = pd.to_numeric(t.where(~ok, ""), errors="coerce")
    serial = numeric.notna() & (numeric >= 1) & (numeric < 109_575)  # Excel serials for 1900-01-01 … 2199-12-31
    if serial.any():
        result[serial] = _EXCEL_EPOCH + pd.to_timedelta(np.floor(numeric[serial]), unit="D")
    ymd = t.str.extract(_YMD)
    ok = ymd[0].notna()
    if ok.any():
        result[ok] = _build(ymd[0][ok], ymd[1][ok], ymd[2][ok])
    dmy = t.str.extract(_DMY)
    ok = dmy[0].notna()
    if ok.any():
        first, second = dmy[0][ok].astype(int), dmy[1][ok].astype(int)
        day_first = bool((first > 12).any()) and not bool((second > 12).any())
        year = dmy[2][ok].astype(int)
        year = year.where(year >= 100, year + 2000).where((year >= 100) | (year < 70), year + 1900)
        day, month = (first, second) if day_first else (second, first)
        result[ok] = _build(year, month, day)
    return result


_NAME_SPACES = re.compile(r"\s+")
# Characters that show nothing: zero-width spaces and joiners, BOM, soft hyphen, word joiner and invisible
# operators, bidi marks, embeddings, overrides and isolates, fillers, variation selectors, tag characters, control
# characters (ESC of a terminal sequence). Pasted into a name they would split one customer in two, and a bidi
# override makes a shown name read backwards.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF9, 0xFFFB), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F), (0xE0100, 0xE01EF),
    (0x00, 0x08), (0x0E, 0x1B), (0x7F, 0x84), (0x86, 0x9F),  # control characters (white space is folded instead)
)  # fmt: skip
INVISIBLE = frozenset(chr(c) for lo, hi in _INVISIBLE_RANGES for c in range(lo, hi + 1))
_DROP_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE))
# Shown names keep the joiners that shape text (ZWJ in emoji sequences, ZWNJ in Persian or Indic names) and
# variation selectors; everything else invisible goes.
_DROP_FROM_SHOWN = dict.fromkeys(
    ord(ch) for ch in INVISIBLE if ch not in "\u200c\u200d" and not 0xFE00 <= ord(ch) <= 0xFE0F
)


def name_key(name: object) -> str:
    """The comparable form of a customer or product name: NFKC (full-width → half-width), no spaces, no invisible
    characters (U+200B, U+FEFF, U+202E, soft hyphen…), case-folded.

    某某（北京）有限公司 and 某某(北京)有限公司 , 'ACME Ltd' and 'acme  ltd', and 'ACME' with a zero-width space
    pasted in, get the same key.
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    text = unicodedata.normalize("NFKC", str(name).translate(_DROP_INVISIBLE))
    return _NAME_SPACES.sub("", text).translate(_DROP_INVISIBLE).casefold()


def clean_name(name: object) -> str:
    """A name as shown: trimmed, runs of white space folded to one, invisible characters removed (so a name made
    only of them is blank, and a bidi override cannot make it read backwards); the spelling otherwise kept."""
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    text = " ".join(str(name).translate(_DROP_FROM_SHOWN).replace("\u3000", " ").split())
    return text if text.translate(_DROP_INVISIBLE).strip() else ""
