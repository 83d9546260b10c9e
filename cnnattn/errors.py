"""The one error a person can fix (`UserError`: a catalogue key and the values that fill it), and the one
way any error is worded for a person (`error_message`).

A UserError holds no words, so raising one (the image loader, the checkpoints, the settings) needs no
string catalogue: the words are looked up where the error is shown, in the visitor's language.
"""

from __future__ import annotations


class UserError(ValueError):
    """A mistake a person can fix, named by its catalogue key (e.g. "error.image.empty") so any front end
    can word it in their language (`error_message`); `str()` gives the English sentence for logs and the CLI."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key = key
        self.values = values  # what fills the entry's {fields}

    def __str__(self) -> str:
        return error_message(self)

    def __reduce__(self):
        # Pickling (process pools, remote workers) rebuilds from the key and values.
        return _rebuild_user_error, (type(self), self.key, self.values)


def _rebuild_user_error(kind: type[UserError], key: str, values: dict) -> UserError:
    return kind(key, **values)


def error_message(error: BaseException, language: str = "en") -> str:
    """The one sentence a person sees for `error`: translated when it is a `UserError`; any other
    error's own message in English and a generic sentence in other languages (never a traceback)."""
    from cnnattn.i18n import text  # looked up when shown, never when raised

    if isinstance(error, UserError):
        return text(error.key, language, **error.values)
    return str(error) if language == "en" and str(error) else text("error.generic", language)
