"""The user's choices in one place: every widget shows the value the page uses, and the view is in the URL.

Streamlit forgets a widget's value when its page is not shown, and a value typed into a widget whose key or options
changed can be lost. So a choice never lives in a widget: it lives here, in one dict in session state, keyed by the
choice's name (file-specific choices carry the data's identity: "products@<file>"). Each widget is primed from it
just before it is drawn and writes back to it when the user changes it, so no sequence of uploads, mapping changes,
language switches and page switches can show one value while the page uses another. Widget keys are the choices'
names: they never depend on the language (options are stable codes, written by a format function).

The view (language, unit, thresholds, products, period; the page is the URL's path) is mirrored in the URL's query
parameters: a copied link opens the same view, and the browser's back button brings the previous one back. The URL
is read on a session's first run and on back/forward navigation; at any other time the session is the truth and
the URL follows it. Values in a URL are user input: anything unknown or unusable is ignored with a note.

The API other data-source code needs: `use_data(identity, products, span)` once a source is loaded (it ties the
file-specific choices to that data and applies what a link asked for), `get`/`put`, and `scoped(name)` for a
choice that belongs to the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

import streamlit as st

from funnel.bands import DEFAULT_THRESHOLDS, validate_thresholds
from funnel.errors import FunnelError
from funnel.escape import markdown as md
from funnel.i18n import LANGS, t
from funnel.units import UNIT_CHOICES

STORE = "choices"
_DATA = "_data_identity"
_ASKED = "_asked_by_link"  # what a link asked for that depends on the file: applied by use_data
_NOTES = "_link_notes"
_SEEN = "_url_seen"
_OFFER = "_data_offer"  # the products and date span of the data in use
_WRITTEN = "_url_written"
MAX_PARAM = 2_000  # characters of one query value looked at
MAX_PRODUCTS = 200
MAX_THRESHOLDS = 20

DEFAULTS: dict[str, Any] = {"lang": "zh", "unit": "auto", "thresholds": tuple(float(x) for x in DEFAULT_THRESHOLDS)}
VIEW_PARAMS = ("lang", "unit", "th", "prod", "from", "to", "src", "tbl")
VIEW_CHOICES = ("lang", "unit", "thresholds", "products", "period", "source_kind", "db_source", "db_table")


# --- the store


def _store() -> dict[str, Any]:
    return st.session_state.setdefault(STORE, {})


def get(name: str, default: Any = None) -> Any:
    """The value of a choice (its default until the user makes it)."""
    return _store().get(name, DEFAULTS.get(name, default))


def put(name: str, value: Any) -> None:
    """Set a choice."""
    _store()[name] = value


def lang() -> str:
    """The language the user chose (Chinese by default)."""
    value = get("lang")
    return value if value in LANGS else "zh"


def thresholds() -> list[float]:
    """The band thresholds in use (in the data's money), shared by every page that bands customers."""
    return [float(x) for x in get("thresholds")]


def use_data(identity: str, products: Sequence[str], span: tuple[date, date] | None) -> None:
    """Tie the file-specific choices (products, period…) to the data now in use, and apply what a link asked for:
    the products the data has and a period inside its dates; the rest is noted, never silently dropped."""
    st.session_state[_DATA] = identity
    st.session_state[_OFFER] = (list(products), span)
    asked = st.session_state.pop(_ASKED, None)
    if asked is not None:
        _apply_asked(*asked, products, span)


def _apply_asked(
    wanted: list[str], period: tuple[date, date] | None, products: Sequence[str], span: tuple[date, date] | None
) -> None:
    have = set(products)
    put(scoped("products"), [p for p in wanted if p in have])
    missing = [p for p in wanted if p not in have]
    if missing:
        note("link_products_missing", values="、".join(md(p) for p in missing[:8]), n=len(missing))
    put(scoped("period"), None)
    if period is None:
        return
    if span is None:
        note("link_period_no_dates")
        return
    (start, end), (lo, hi) = period, span
    if end < lo or start > hi:
        note("link_period_outside", start=start.isoformat(), end=end.isoformat(), lo=lo.isoformat(), hi=hi.isoformat())
        return
    put(scoped("period"), (max(start, lo), min(end, hi)))


def scoped(name: str) -> str:
    """The name of a choice that belongs to the data in use ("products@<file>")."""
    return f"{name}@{st.session_state.get(_DATA, '')}"


def note(key: str, **params: object) -> None:
    """Keep a sentence about a link's value that could not be applied (params already escaped)."""
    notes = st.session_state.setdefault(_NOTES, [])
    entry = (key, params)
    if entry not in notes:
        notes.append(entry)


def notes() -> list[str]:
    """The sentences about what a link asked for and could not be applied, in the user's language."""
    return [t(key, lang(), **params) for key, params in st.session_state.get(_NOTES, [])]


# --- widgets: primed from the store, writing back to it
#
# A choice is stored only once the user makes it (or a link sets it): until then a widget shows its default, which
# may follow the data (the band with most customers, the detected column, the bottleneck step).


def prime(key: str, value: Any) -> None:
    """Make the widget `key` show `value` when it is drawn next in this run.

    Always set, even when session state already holds an equal value: that value may belong to the same key's
    widget on the page the user just left (another widget id), which the new widget would not inherit."""
    st.session_state[key] = value


_KEEP = object()  # what a half-made choice (one end of a date range) is stored as: nothing


def _changed(name: str, key: str, then: Callable[[Any], Any] | None) -> None:
    value = st.session_state[key]
    value = then(value) if then is not None else value
    if value is _KEEP:
        return
    put(name, value)
    if name.split("@")[0] in VIEW_CHOICES:  # the user changed the view: notes about a link's values are past
        st.session_state.pop(_NOTES, None)


def forget_link_notes() -> None:
    """The user changed the view: the notes about what a link could not apply are past."""
    st.session_state.pop(_NOTES, None)


def _value(name: str, default: Any, valid: Callable[[Any], bool]) -> Any:
    """The stored choice if it is still valid (else it is forgotten), or the default."""
    store = _store()
    if name in store and not valid(store[name]):
        del store[name]
    return store.get(name, default)


def _frozen(options: list[Any], format_func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The options' labels, written once in this run's language (a label function asked later, outside the run,
    must not answer in another language)."""
    labels = [str(format_func(o)) for o in options]
    return lambda o: labels[options.index(o)] if o in options else str(o)


def _draw(
    draw: Callable[..., Any],
    name: str,
    key: str | None,
    value: Any,
    then: Callable[[Any], Any] | None,
    *args: Any,
    **kwargs: Any,
) -> Any:
    widget = key or name.split("@")[0]
    if kwargs.get("format_func") is not None and len(args) >= 2 and isinstance(args[1], list):
        kwargs["format_func"] = _frozen(args[1], kwargs["format_func"])
    prime(widget, value)
    shown = draw(*args, key=widget, on_change=_changed, args=(name, widget, then), **kwargs)
    shown = then(shown) if then is not None else shown
    if shown != value:  # the widget never disagrees with the store; if it did, what it shows is what is used
        put(name, shown)
    return shown


def select(
    name: str,
    label: str,
    options: Sequence[Any],
    default: Any = None,
    where: Any = None,
    key: str | None = None,
    allow_none: bool = False,
    **kwargs: Any,
) -> Any:
    """A select box over stable options (codes, indices) written by `format_func`; returns the value in use.
    With `allow_none` nothing is chosen until the user chooses (the box shows its placeholder)."""
    options = list(options)
    if default not in options and not (default is None and allow_none):
        default = options[0] if options else None
    value = _value(name, default, lambda v: v in options)
    return _draw((where or st).selectbox, name, key, value, None, label, options, **kwargs)


def radio(
    name: str,
    label: str,
    options: Sequence[Any],
    default: Any = None,
    where: Any = None,
    key: str | None = None,
    **kwargs: Any,
) -> Any:
    """A radio group over stable options; returns the value in use."""
    options = list(options)
    default = default if default in options else options[0]
    value = _value(name, default, lambda v: v in options)
    return _draw((where or st).radio, name, key, value, None, label, options, **kwargs)


def multiselect(
    name: str,
    label: str,
    options: Sequence[Any],
    default: Iterable[Any] = (),
    where: Any = None,
    key: str | None = None,
    **kwargs: Any,
) -> list[Any]:
    """A multi-select; chosen values no longer offered (another file, other options) are dropped."""
    options = list(options)
    offered = set(options)
    kept = [v for v in (get(name) if isinstance(get(name), list) else list(default)) if v in offered]
    if name in _store():
        put(name, kept)
    return _draw((where or st).multiselect, name, key, kept, list, label, options, **kwargs)


def _number_in(low: float | None, high: float | None) -> Callable[[Any], bool]:
    def valid(v: Any) -> bool:
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
            return False
        return (low is None or v >= low) and (high is None or v <= high)

    return valid


def slider(
    name: str,
    label: str,
    low: float,
    high: float,
    default: float,
    where: Any = None,
    key: str | None = None,
    **kwargs: Any,
) -> Any:
    """A numeric slider between low and high."""
    value = _value(name, default, _number_in(low, high))
    return _draw((where or st).slider, name, key, value, None, label, low, high, **kwargs)


def number(
    name: str,
    label: str,
    default: float,
    low: float | None = None,
    high: float | None = None,
    where: Any = None,
    key: str | None = None,
    **kwargs: Any,
) -> Any:
    """A number box between low and high (either may be open)."""
    value = _value(name, default, _number_in(low, high))
    return _draw((where or st).number_input, name, key, value, None, label, low, high, **kwargs)


def toggle(
    name: str, label: str, default: bool = False, where: Any = None, key: str | None = None, **kwargs: Any
) -> bool:
    """An on/off switch."""
    value = _value(name, bool(default), lambda v: isinstance(v, bool))
    return _draw((where or st).toggle, name, key, value, bool, label, **kwargs)


def checkbox(
    name: str, label: str, default: bool = False, where: Any = None, key: str | None = None, **kwargs: Any
) -> bool:
    """A check box."""
    value = _value(name, bool(default), lambda v: isinstance(v, bool))
    return _draw((where or st).checkbox, name, key, value, bool, label, **kwargs)


def text(
    name: str,
    label: str,
    default: str = "",
    where: Any = None,
    key: str | None = None,
    area: bool = False,
    **kwargs: Any,
) -> str:
    """A text box (or a text area)."""
    value = _value(name, default, lambda v: isinstance(v, str))
    draw = (where or st).text_area if area else (where or st).text_input
    return _draw(draw, name, key, value, None, label, **kwargs)


def date_range(
    name: str,
    label: str,
    low: date,
    high: date,
    where: Any = None,
    key: str | None = None,
    default: tuple[date, date] | None = None,
    **kwargs: Any,
) -> tuple[date | None, date | None]:
    """A from–to date picker inside [low, high]; stored as None while it is the default (the whole span unless
    given). Returns (start, end); a range still being picked (one end chosen) counts from that day on."""

    def valid(v: Any) -> bool:
        return v is None or (
            isinstance(v, tuple) and len(v) == 2 and all(isinstance(d, date) for d in v) and low <= v[0] <= v[1] <= high
        )

    whole = default or (low, high)
    value = _value(name, None, valid) or whole
    widget = key or name.split("@")[0]
    half = st.session_state.get(widget)
    if not (isinstance(half, tuple | list) and len(half) == 1):  # never undo the first click of a range
        prime(widget, value)
    shown = (where or st).date_input(
        label,
        min_value=low,
        max_value=high,
        key=widget,
        on_change=_changed,
        args=(name, widget, _span(*whole)),
        **kwargs,
    )
    if isinstance(shown, tuple | list) and len(shown) == 1:
        return shown[0], None
    if isinstance(shown, tuple | list) and len(shown) == 2:
        return shown[0], shown[1]
    return value


def _span(low: date, high: date) -> Callable[[Any], Any]:
    """What a date picker's value is stored as: a finished (start, end) range, None for the default (low, high); a
    range still being picked (one end) keeps the previous choice."""

    def stored(value: Any) -> Any:
        if isinstance(value, tuple | list) and len(value) == 2:
            picked = (value[0], value[1])
            return None if picked == (low, high) else picked
        return _KEEP

    return stored


# --- the view in the URL


def _first_value(values: list[str]) -> str:
    return values[-1][:MAX_PARAM] if values else ""


def read_url() -> None:
    """On a session's first run, and when the browser's back/forward buttons brought back an earlier address, the
    URL's query parameters are the view: apply them (missing ones are the defaults; bad ones are noted)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    first = _SEEN not in st.session_state
    back = bool(getattr(ctx, "is_history_navigation", False))
    st.session_state[_SEEN] = True
    if not (first or back):
        return
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    if first and not any(k in params for k in VIEW_PARAMS):
        return
    st.session_state.pop(_NOTES, None)
    apply_view(params)
    st.session_state[_WRITTEN] = params


def apply_view(params: dict[str, list[str]]) -> None:
    """Set the view from query parameters (name → values): each good value is applied, a missing one is its default,
    an unusable one is ignored with a note. File-specific values wait for the data (use_data)."""
    language = _first_value(params.get("lang", []))
    if language in LANGS or not language:
        put("lang", language or DEFAULTS["lang"])
    else:
        note("link_bad_value", name="lang", value=md(language))
    unit = _first_value(params.get("unit", []))
    if unit in UNIT_CHOICES or not unit:
        put("unit", unit or DEFAULTS["unit"])
    else:
        note("link_bad_value", name="unit", value=md(unit))
    put("thresholds", _thresholds_from(_first_value(params.get("th", []))))
    source, table = _first_value(params.get("src", [])), _first_value(params.get("tbl", []))
    put("source_kind", "db" if source else "file")  # a database source by its name; never a path or URL
    if source:
        put("db_source", source)
        if table:
            put(f"db_table@{source}", table)
    products = [p[:MAX_PARAM] for p in params.get("prod", [])][:MAX_PRODUCTS]
    period = _period_from(_first_value(params.get("from", [])), _first_value(params.get("to", [])))
    offer = st.session_state.get(_OFFER)
    if offer is None:  # no data yet (a session's first run): applied when it is loaded
        st.session_state[_ASKED] = (products, period)
    else:
        _apply_asked(products, period, *offer)


def _thresholds_from(text: str) -> tuple[float, ...]:
    if not text:
        return DEFAULTS["thresholds"]
    parts = text.split(",")
    try:
        values = [float(p) for p in parts[: MAX_THRESHOLDS + 1]]
        if len(parts) > MAX_THRESHOLDS:
            raise ValueError
        validate_thresholds(values)
    except (ValueError, FunnelError):
        note("link_bad_value", name="th", value=md(text[:80]))
        return tuple(thresholds()) if get("thresholds") else DEFAULTS["thresholds"]
    return tuple(round(v, 2) for v in values)


def _period_from(start: str, end: str) -> tuple[date, date] | None:
    if not start and not end:
        return None
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        if last < first:
            raise ValueError
    except ValueError:
        note("link_bad_period", start=md(start[:40]), end=md(end[:40]))
        return None
    return first, last


def view_params() -> dict[str, list[str]]:
    """The view as query parameters, only where it differs from the defaults (the plain address is the default)."""
    params: dict[str, list[str]] = {}
    if lang() != DEFAULTS["lang"]:
        params["lang"] = [lang()]
    if get("unit") != DEFAULTS["unit"]:
        params["unit"] = [str(get("unit"))]
    if tuple(thresholds()) != DEFAULTS["thresholds"]:
        params["th"] = [",".join(_number(v) for v in thresholds())]
    products = get(scoped("products")) or []
    if products:
        params["prod"] = [str(p) for p in products]
    period = get(scoped("period"))
    if period:
        params["from"], params["to"] = [period[0].isoformat()], [period[1].isoformat()]
    source = get("db_source")
    if get("source_kind") == "db" and source:  # the source's name and table only: a password never goes here
        params["src"] = [str(source)]
        table = get(f"db_table@{source}")
        if table:
            params["tbl"] = [str(table)]
    return params


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def write_url() -> None:
    """Make the address bar show the view in use (a new history entry, so the back button brings this one back)."""
    params = view_params()
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if current != params:
        st.query_params.from_dict(params)
    st.session_state[_WRITTEN] = params
