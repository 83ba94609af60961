"""The package's own error: a message key and its parameters, rendered in the user's language."""

from __future__ import annotations


class FunnelError(Exception):
    """A problem with the user's input that we can explain in one sentence (never a traceback).

    A parameter given as a tuple is a tuple of string keys, each shown in the user's language.
    """

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        """The one-sentence explanation in `lang` ("zh" or "en")."""
        from funnel.i18n import t

        sep = "、" if lang == "zh" else ", "
        params = {k: sep.join(t(x, lang) for x in v) if isinstance(v, tuple) else v for k, v in self.params.items()}
        return t(self.key, lang, **params)
