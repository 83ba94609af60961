"""The money unit a user reads amounts in: 元, 万元, or the file's own currency; thresholds and band labels in it.

Amounts are kept in yuan (or the file's currency) as integer cents everywhere else; a unit only changes how they
are written. The unit is chosen in the app (or "auto": 万元 in Chinese and 元 in English for yuan data, the file's
own currency when the file shows one, plain numbers when it shows none).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

UNIT_CHOICES: tuple[str, ...] = ("auto", "yuan", "wan", "plain")
WAN = 10_000

SYMBOLS: dict[str, str] = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥"}
NAMES: dict[str, dict[str, str]] = {
    "CNY": {"zh": "元", "en": "yuan"},
    "USD": {"zh": "美元", "en": "USD"},
    "EUR": {"zh": "欧元", "en": "EUR"},
    "GBP": {"zh": "英镑", "en": "GBP"},
    "HKD": {"zh": "港元", "en": "HKD"},
    "JPY": {"zh": "日元", "en": "JPY"},
}
# What a header or a cell says about its currency: ISO codes, symbols and words. ¥ alone is read as yuan here.
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("HKD", re.compile(r"HK\$|HKD|港[币幣元]", re.IGNORECASE)),
    ("USD", re.compile(r"US\$|USD|美元|(?<![A-Za-z])\$", re.IGNORECASE)),
    ("EUR", re.compile(r"EUR|€|欧元", re.IGNORECASE)),
    ("GBP", re.compile(r"GBP|£|英镑", re.IGNORECASE)),
    ("JPY", re.compile(r"JPY|JP¥|日元|円", re.IGNORECASE)),
    ("CNY", re.compile(r"CNY|RMB|人民币|¥|￥|(?<![美欧港日])元|yuan", re.IGNORECASE)),
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Unit:
    """How amounts are written: `code` is "yuan", "wan" (×10,000 yuan) or "plain"; `currency` is an ISO code
    ("CNY", "USD"…) or None when the file does not say."""

    code: str = "yuan"
    currency: str | None = "CNY"

    @property
    def factor(self) -> int:
        """What one shown unit is worth in the data's own money (10,000 for 万元, else 1)."""
        return WAN if self.code == "wan" else 1

    def name(self, lang: str) -> str:
        """The unit's name for a header: 元 / 万元 / 美元 · yuan / 10k yuan / USD; empty for plain unknown money."""
        if self.code == "wan":
            return "万元" if lang == "zh" else "10k yuan"
        if self.currency is None:
            return ""
        return NAMES.get(self.currency, {}).get(lang, self.currency)

    def header(self, text: str, lang: str) -> str:
        """A column or axis title with the unit: 销售额（万元） · Revenue (10k yuan); unchanged without a unit."""
        name = self.name(lang)
        if not name:
            return text
        return f"{text}（{name}）" if lang == "zh" else f"{text} ({name})"

    @property
    def symbol(self) -> str:
        """The currency sign written before plain amounts ($, €…), empty for yuan units or unknown money."""
        if self.code != "plain" or self.currency is None:
            return ""
        return SYMBOLS.get(self.currency, "")


def detect_currency(header: object, values: Iterable[object] = ()) -> str | None:
    """The currency a sales report's amount column is in, from its header and a sample of its cells: an ISO code,
    "CNY" for a Chinese header with no other mark, None when nothing says.

    >>> detect_currency("Sales", ["$1,200.00"]), detect_currency("价税合计"), detect_currency("Sales", [12.5])
    ('USD', 'CNY', None)
    """
    text = str(header or "")
    for code, pattern in _MARKERS:
        if pattern.search(text):
            return code
    seen: dict[str, int] = {}
    for value in values:
        if not isinstance(value, str):
            continue
        for code, pattern in _MARKERS:
            if pattern.search(value):
                seen[code] = seen.get(code, 0) + 1
                break
    if seen:
        return max(seen, key=lambda c: seen[c])
    return "CNY" if _CJK.search(text) else None


def resolve_unit(choice: str, currency: str | None, lang: str) -> Unit:
    """The unit in use for a choice ("auto", "yuan", "wan", "plain"), the data's currency and the language.

    >>> resolve_unit("auto", "CNY", "zh"), resolve_unit("auto", "USD", "zh")
    (Unit(code='wan', currency='CNY'), Unit(code='plain', currency='USD'))
    """
    if choice in ("yuan", "wan"):
        return Unit(choice, "CNY")
    if choice == "plain":
        return Unit("plain", None if currency == "CNY" else currency)
    if currency == "CNY":
        return Unit("wan" if lang == "zh" else "yuan", "CNY")
    return Unit("plain", currency)


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def grouped(value: float, decimals: int = 2) -> str:
    """A number with thousands separators and a fixed number of decimals: 35349.231 → '35,349.23'."""
    text = f"{float(value):,.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text.replace(",", "")) == 0 else text


def amount_text(value: float, unit: Unit, lang: str, decimals: int = 2) -> str:
    """An amount in the unit, with separators and its unit: 156.08万 · ¥1,560,800.00 → '1,560,800.00元' ·
    '$8,459.93' · '1,560,800.00 yuan'."""
    shown = grouped(float(value) / unit.factor, decimals)
    if unit.code == "wan":
        return f"{shown}万" if lang == "zh" else f"{shown} × 10k yuan"
    if unit.symbol:
        return f"-{unit.symbol}{shown[1:]}" if shown.startswith("-") else f"{unit.symbol}{shown}"
    name = unit.name(lang)
    if not name:
        return shown
    return f"{shown}{name}" if lang == "zh" else f"{shown} {name}"


def _number(value: float) -> str:
    """A threshold as a short number: 50,000 · 12,345.5 · 0.5 (cents only when there are any)."""
    return _trim(f"{value:,.2f}")


def threshold_text(value: float, unit: Unit, lang: str) -> str:
    """One threshold as people say it: 5万 · 50k · 50,000元 · 50,000 · $50,000. A 万 figure needs whole hundreds
    of yuan and at least 1万; anything else is written in full (never '0.01万')."""
    v = float(value)
    if unit.code == "wan" and _wan_ok(v, lang):
        if lang == "zh":
            return f"{_trim(f'{v / WAN:.2f}')}万"
        return f"{_trim(f'{v / 1000:,.1f}')}k"
    text = _number(v)
    if unit.symbol:
        return f"{unit.symbol}{text}"
    if lang == "zh" and unit.currency is not None:
        return f"{text}{unit.name('zh') if unit.code != 'wan' else '元'}"
    return text


def _wan_ok(value: float, lang: str) -> bool:
    if lang == "zh":
        return value >= WAN and round(value * 100) % 10_000 == 0  # whole hundreds of yuan: at most 2 decimals of 万
    return value >= 1000 and round(value * 100) % 10_000 == 0  # whole hundreds: at most 1 decimal of k


def band_labels(thresholds: Sequence[float], unit: Unit, lang: str) -> list[str]:
    """Labels for len(thresholds)+1 bands in the unit and language: 1万以下, 1–5万, 20万以上 · < 10k, 10k–50k, ≥ 200k ·
    10,000元以下, 10,000–50,000元 · < $10,000, $10,000–$50,000, ≥ $200,000."""
    t = [float(x) for x in thresholds]
    names = [threshold_text(x, unit, lang) for x in t]
    ranges = [_range(names[i], names[i + 1]) for i in range(len(t) - 1)]
    if lang == "zh":
        return [f"{names[0]}以下", *ranges, f"{names[-1]}以上"]
    return [f"< {names[0]}", *ranges, f"≥ {names[-1]}"]


def _range(a: str, b: str) -> str:
    """'1–5万' and '10,000–50,000元' (one unit for both ends), '5,000元–1万', '$10,000–$50,000', '10k–50k'."""
    for suffix in ("万", "元"):
        if a.endswith(suffix) and b.endswith(suffix):
            return f"{a.removesuffix(suffix)}–{b}"
    return f"{a}–{b}"


def unit_choice_label(choice: str, resolved: Unit, lang: str) -> str:
    """How the unit selector writes a choice: 自动（万元） · 元 · 万元 · 美元 / 不带单位."""
    from funnel.i18n import t

    if choice == "auto":
        return t("unit_auto", lang, unit=resolved.name(lang) or t("unit_plain_none", lang))
    if choice == "plain":
        return resolved.name(lang) if resolved.code == "plain" and resolved.currency else t("unit_plain_none", lang)
    return Unit(choice, "CNY").name(lang)
