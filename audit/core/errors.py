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
        from audit.core.labels import label

        return cls(label(key, "en").format(**values), key=key, values=values)

    def in_words(self, lang: str) -> str:
        """The one-line message in ``lang`` (English when the error has no label)."""
        if self.key is None:
            return str(self)
        from audit.core.labels import label

        return label(self.key, lang).format(**self.values)


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
