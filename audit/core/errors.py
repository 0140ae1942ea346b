"""One exception hierarchy, so the CLI maps known failures to exit codes and one-line messages."""


class AuditError(Exception):
    """Base class for every error the toolkit raises on purpose."""


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
