"""`review-audit demo`: options reach generate_demo, the message, one end-to-end run."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

import audit.demo
from audit.cli import app
from audit.demo import DemoSpec

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def test_demo_options_reach_the_generator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = []

    def fake(out, spec):
        calls.append((out, spec))
        return {"reviews": 1234, "cases": 1234}

    monkeypatch.setattr(audit.demo, "generate_demo", fake)
    result = runner.invoke(
        app,
        [
            "demo",
            "--out",
            str(tmp_path),
            "--seed",
            "5",
            "--months",
            "2",
            "--end-month",
            "2026-03",
            "--shops",
            "4",
            "--no-effect",
        ],
    )
    assert result.exit_code == 0, result.output
    assert calls == [
        (tmp_path, DemoSpec(seed=5, months=2, end_month="2026-03", shops=4, effect=False))
    ]
    truth = tmp_path / "truth"
    expected = f"demo data written to {tmp_path} (reviews 1,234, cases 1,234); truth in {truth}\n"
    assert result.output == expected


def test_demo_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = []
    monkeypatch.setattr(audit.demo, "generate_demo", lambda out, spec: calls.append(spec) or {})
    assert runner.invoke(app, ["demo", "--out", str(tmp_path)]).exit_code == 0
    assert calls == [DemoSpec(seed=7, months=3, end_month="2026-10", shops=3, effect=True)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--end-month", "2026-13"], "error: --end-month must be YYYY-MM, got '2026-13'"),
        (["--months", "0"], "error: --months must be between 1 and 24, got 0"),
        (["--shops", "0"], "error: --shops must be between 1 and 100, got 0"),
    ],
)
def test_demo_bad_options_exit_2_with_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [message]
    assert not (tmp_path / "reviews.csv").exists()


def test_demo_end_to_end_small(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "demo",
            "--out",
            str(tmp_path),
            "--seed",
            "2",
            "--months",
            "1",
            "--end-month",
            "2026-05",
            "--shops",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"demo data written to {tmp_path} (agents ")
    facts = json.loads((tmp_path / "truth" / "facts.json").read_text("utf-8"))
    assert facts["spec"] == {
        "seed": 2,
        "months": 1,
        "end_month": "2026-05",
        "shops": 1,
        "effect": True,
    }
    assert facts["period"]["start"] == "2026-05-01"
    assert facts["period"]["export_date"] == "2026-06-30"
    reviews = (tmp_path / "reviews.csv").read_text("utf-8").splitlines()
    # One shop, May + 30 days of follow-up: ~700 a month -> roughly 1,400 reviews.
    assert 1100 < len(reviews) - 1 < 1800
    shops = {line.split(",")[1] for line in reviews[1:]}
    assert shops == {"S01"}
    for name in ("agents", "protocol_breaches", "unverified_claims"):
        assert (tmp_path / "truth" / f"{name}.csv").is_file()
