"""The package's own error: a message key and its parameters, rendered in the user's language."""

from __future__ import annotations


class FunnelError(Exception):
    """A problem with the user's input that we can explain in one sentence (never a traceback)."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        """The one-sentence explanation in `lang` ("zh" or "en")."""
        from funnel.i18n import t

        return t(self.key, lang, **self.params)
