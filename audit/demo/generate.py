"""Orchestrates the demo parts and writes the dataset and its truth."""

from __future__ import annotations

import calendar
import os
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np

from audit.core.errors import ParameterError
from audit.data import outputs
from audit.data.schema import TABLES
from audit.demo import compensation, handling, mislabel, sales, world
from audit.demo.types import DemoPeriod, Part

#: Each part draws from its own stream: seed sequence (seed, PART_STREAM[part]).
PART_STREAM = {"world": 1, "handling": 2, "compensation": 3, "sales": 4, "mislabel": 5}


@dataclass(frozen=True)
class DemoSpec:
    """What the user asked for (``review-audit demo`` options)."""

    seed: int = 7
    months: int = 3
    end_month: str = "2026-10"
    shops: int = 3
    effect: bool = True

    def period(self) -> DemoPeriod:
        """The calendar: ``months`` whole months ending with ``end_month``, plus follow-up."""
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", self.end_month):
            msg = f"--end-month must be YYYY-MM, got {self.end_month!r}"
            raise ParameterError(msg)
        if not 1 <= self.months <= 24:
            msg = f"--months must be between 1 and 24, got {self.months}"
            raise ParameterError(msg)
        if not 1 <= self.shops <= 100:
            msg = f"--shops must be between 1 and 100, got {self.shops}"
            raise ParameterError(msg)
        year, month = map(int, self.end_month.split("-"))
        last = date(year, month, calendar.monthrange(year, month)[1])
        index = year * 12 + (month - 1) - (self.months - 1)
        return DemoPeriod(start=date(index // 12, index % 12 + 1, 1), end_month_last_day=last)


def _rng(spec: DemoSpec, part: str) -> np.random.Generator:
    return np.random.default_rng([spec.seed, PART_STREAM[part]])


def generate_demo(out_dir: Path, spec: DemoSpec | None = None) -> dict[str, int]:
    """Write a seeded demo dataset to ``out_dir`` and its ground truth to ``out_dir/truth``.

    Same spec, byte-identical files: no clock, no unordered iteration, one random stream per part.

    Returns
    -------
    Rows written per canonical table.
    """
    spec = spec or DemoSpec()
    period = spec.period()
    the_world = world.build_world(_rng(spec, "world"), shops=spec.shops, period=period)
    log = handling.simulate_handling(_rng(spec, "handling"), the_world, period)
    money = compensation.simulate_compensation(_rng(spec, "compensation"), the_world, log, period)
    panel = sales.simulate_sales(
        _rng(spec, "sales"), the_world, log, period, effect=spec.effect
    )
    parts: dict[str, Part] = {
        "world": Part(tables={"agents": the_world.agents}, truth=the_world.truth),
        "handling": log,
        "compensation": money,
        "sales": panel,
    }
    tables = {name: df for part in parts.values() for name, df in part.tables.items()}
    # Planted last, from its own stream: the hard cases logged as easy ones (issue 11). The
    # simulation above ran on the true categories; only the written log is wrong.
    true_cases = tables["cases"]
    tables["cases"], mislabelled = mislabel.plant_mislabels(
        _rng(spec, "mislabel"), true_cases, tables["agents"])
    log.truth["protocol_breaches"] = mislabel.routing_truth(
        log.truth["protocol_breaches"], true_cases, tables["cases"], tables["agents"])
    log.facts["breaches"] = dict(
        log.truth["protocol_breaches"].group_by("check").len().sort("check").iter_rows())
    missing = [t for t in TABLES if t not in tables]
    if missing:
        msg = f"demo parts produced no table for: {', '.join(missing)}"
        raise RuntimeError(msg)
    out_dir = Path(out_dir)
    # Each export is dated its export day (the file's modification time), as a real export
    # would be: the reader quarantines anything dated after it.
    exported = datetime.combine(period.export_date, time(23, 59)).timestamp()
    for name in TABLES:
        outputs.write_csv(tables[name], out_dir / f"{name}.csv", mask=False)
        os.utime(out_dir / f"{name}.csv", (exported, exported))
    truth_dir = out_dir / "truth"
    facts: dict[str, object] = {
        "spec": asdict(spec),
        "period": {
            "start": period.start.isoformat(),
            "end_month_last_day": period.end_month_last_day.isoformat(),
            "export_date": period.export_date.isoformat(),
            "as_of": period.as_of.isoformat(),
        },
    }
    outputs.write_csv(the_world.items, truth_dir / "items.csv", mask=False)
    outputs.write_csv(mislabelled, truth_dir / "mislabelled_cases.csv", mask=False)
    for part_name, part in parts.items():
        for name, df in part.truth.items():
            outputs.write_csv(df, truth_dir / f"{name}.csv", mask=False)
        if part.facts:
            facts[part_name] = part.facts
    outputs.write_json(facts, truth_dir / "facts.json")
    return {name: tables[name].height for name in TABLES}
