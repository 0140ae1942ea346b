"""The CLI maps the toolkit's known errors to one line on stderr and an exit code."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from audit.cli import app, handles_errors
from audit.core.errors import AuditError, ParameterError, StructuralError


@pytest.mark.parametrize(
    ("error", "code"),
    [(StructuralError("reviews.csv: missing column `review_id`"), 2),
     (ParameterError("--month must be YYYY-MM, got '10/2026'"), 2),
     (AuditError("something known went wrong"), 1)],
)
def test_known_errors_become_one_line_and_exit_code(error: AuditError, code: int) -> None:
    mini = typer.Typer()

    @mini.command()
    @handles_errors
    def boom() -> None:
        raise error

    result = CliRunner().invoke(mini, [])
    assert result.exit_code == code
    assert result.stderr == f"error: {error}\n"
    assert "Traceback" not in result.output


def test_demo_rejects_a_bad_month_with_one_line(tmp_path) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--end-month", "2026-13"])
    assert result.exit_code == 2
    assert result.stderr == "error: --end-month must be YYYY-MM, got '2026-13'\n"


def test_unknown_command_suggests_the_right_one() -> None:
    result = CliRunner().invoke(app, ["montly"])
    assert result.exit_code == 2
    assert "monthly" in result.output
