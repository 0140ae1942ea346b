"""One exception hierarchy, so the CLI maps known failures to exit codes and one-line messages."""

from typing import Self


class AuditError(Exception):
    """Base class for every error the toolkit raises on purpose.

    An error made with :meth:`worded` carries its label key and values, so the CLI can say the
    same one line in the reader's language (``monthly --lang zh``); ``str(exc)`` is English.
    """

    def __init__(self, message: str, *, key: str | None = None,
                 values: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.values = values or {}

    @classmethod
    def worded(cls, *, key: str, **values: object) -> Self:
        """The error whose message is label ``key`` (an ``error.*`` label) with ``values``."""
        return cls(_say(key, values, "en"), key=key, values=values)

    def in_words(self, lang: str) -> str:
        """The one-line message in ``lang`` (English when the error has no label)."""
        if self.key is None:
            return str(self)
        return _say(self.key, self.values, lang)


class Phrase:
    """A part of an error's message that is itself a label (``the output folder``).

    Given as a value of :meth:`AuditError.worded`, it is said in the reader's language with the
    rest of the line; a tuple of phrases is one list (``list.semicolon`` between the items).
    """

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values

    def in_words(self, lang: str) -> str:
        """The phrase in ``lang``."""
        return _say(self.key, self.values, lang)

    def __str__(self) -> str:
        return self.in_words("en")


def _say(key: str, values: dict[str, object], lang: str) -> str:
    """Label ``key`` in ``lang`` with ``values``, phrases among them said in ``lang`` too."""
    from audit.core.labels import label

    def one(value: object) -> object:
        if isinstance(value, Phrase):
            return value.in_words(lang)
        if isinstance(value, tuple) and value and all(isinstance(v, Phrase) for v in value):
            return label("list.semicolon", lang).join(v.in_words(lang) for v in value)
        return value

    return label(key, lang).format(**{k: one(v) for k, v in values.items()})


class StructuralError(AuditError):
    """Input cannot be read at all: missing file, unreadable file, missing required column.

    The message is one line naming the file and the column; the CLI exits with code 2.
    """


class ParameterError(AuditError):
    """A command-line or notebook parameter is malformed (a month that is not YYYY-MM, ...)."""


class NotebookFailed(AuditError):
    """A report notebook raised; the message names the notebook and the failing cell's error."""


class AnalysisFailed(AuditError):
    """An analysis raised while building the pack; the message names the job and the error.

    Never caught to show "n/a": a bug in an analysis must fail the pack loudly.
    """


class OutputError(AuditError):
    """An output could not be written: one line naming the path; the CLI exits with code 2.

    A read-only folder, a file where a folder should be, a full disk.
    """
