"""The package's own error: a message key and its parameters, rendered in the user's language."""

from __future__ import annotations


class FunnelError(Exception):
    """A problem with the user's input that we can explain in one sentence (never a traceback).

    A parameter given as a tuple is a tuple of string keys, each shown in the user's language. The same error is
    told in the words of where it is read: `message(lang, "cli")` uses the key's command-line variant (`key@cli`,
    naming the --*-col option to set) when there is one, the app's text (naming the mapping panel) otherwise.
    """

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh", context: str = "app") -> str:
        """The one-sentence explanation in `lang` ("zh" or "en") for `context` ("app" or "cli")."""
        from funnel.i18n import STRINGS, t

        sep = "、" if lang == "zh" else ", "
        params = {k: _render(v, lang, sep) for k, v in self.params.items()}
        key = f"{self.key}@{context}" if f"{self.key}@{context}" in STRINGS else self.key
        return t(key, lang, **params)


def _render(value: object, lang: str, sep: str) -> object:
    """A parameter in the user's language: a tuple of string keys joined, a callable asked for `lang`."""
    from funnel.i18n import t

    if isinstance(value, tuple):
        return sep.join(t(x, lang) for x in value)
    return value(lang) if callable(value) else value
