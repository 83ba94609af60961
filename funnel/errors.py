"""The package's own error: a message key and its parameters, rendered in the user's language."""

from __future__ import annotations

from collections.abc import Callable

LIST_ITEMS = 8  # a listed parameter (columns, sheets, products) shows this many items, then "… and N more"
PARAM_CHARS = 200  # and at most about this many characters


class FunnelError(Exception):
    """A problem with the user's input that we can explain in one sentence (never a traceback).

    A parameter given as a tuple is a tuple of string keys, each shown in the user's language; a callable is asked
    for its text in the user's language. Any other parameter may come from the user's file (a column header, a sheet
    name, a value): it is shortened to a readable length and, given `escape`, made inert for where the message is
    shown; the message template itself is ours. The same error is told in the words of where it is read:
    `message(lang, "cli")` uses the key's command-line variant (`key@cli`, naming the --*-col option to set) when
    there is one, the app's text (naming the mapping panel) otherwise.
    """

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh", context: str = "app", escape: Callable[[object], str] | None = None) -> str:
        """The one-sentence explanation in `lang` ("zh" or "en") for `context` ("app" or "cli"); `escape` is applied
        to each user-supplied part."""
        from funnel.i18n import STRINGS, t

        sep = "、" if lang == "zh" else ", "
        params = {}
        for name, value in self.params.items():
            if callable(value):
                value = value(lang)
            if isinstance(value, tuple):
                params[name] = sep.join(t(x, lang) for x in value)
            elif isinstance(value, str):
                short = shorten(value, lang)
                params[name] = escape(short) if escape else short
            else:
                params[name] = value
        key = f"{self.key}@{context}" if f"{self.key}@{context}" in STRINGS else self.key
        return t(key, lang, **params)


def shorten(text: str, lang: str = "zh") -> str:
    """A listed or long parameter cut to a readable length: 'a、b、c、… and 4,321 more' (a file can have
    100,000 columns, and an error that lists them all is one unreadable 690,000-character line)."""
    from funnel.i18n import t

    if len(text) <= PARAM_CHARS:
        return text
    sep = next((s for s in ("、", ", ") if s in text), None)
    items = text.split(sep) if sep else [text]
    kept: list[str] = []
    size = 0
    for item in items[:LIST_ITEMS]:
        if kept and size + len(item) > PARAM_CHARS:
            break
        kept.append(item if len(item) <= PARAM_CHARS else item[:PARAM_CHARS] + "…")
        size += len(item) + 1
    rest = len(items) - len(kept)
    shown = (sep or "").join(kept)
    return shown + t("more_items", lang, n=f"{rest:,}") if rest else shown
