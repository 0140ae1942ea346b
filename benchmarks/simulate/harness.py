"""Many seeded worlds per scenario: bias, coverage, null rejection, half-width, rank correlation.

Runs the new estimators (:mod:`audit.robust`) and today's (``audit.impact.estimate_impact``,
the indirect standardisation + gamma-Poisson shrinkage of ``audit.resolution``) side by side on
the same worlds, so the table shows what changed and why.

    python3 -m uv run python -m benchmarks.simulate.harness --seeds 50 --old --workers 2
"""

from __future__ import annotations

import argparse
import importlib
import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from audit.robust.agent_model import compare_agents
from audit.robust.panel_fe import PRETREND, estimate_panel_impact
from benchmarks.simulate.agents import AGENT_SCENARIOS, AgentScenario, generate_agents
from benchmarks.simulate.world import IMPACT_SCENARIOS, Scenario, generate

Record = dict[str, Any]


def _import(*names: str) -> Any:  # noqa: ANN401 - a module, wherever the refactor put it
    """The first importable of ``names`` (the lead is moving audit/impact*.py into a package)."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    msg = f"none of {names} importable"
    raise ImportError(msg)


def impact_record(sc: Scenario, seed: int, *, old: bool = False) -> Record:
    """One world: the new estimate (both estimands, first/later) and optionally today's."""
    w = generate(sc, seed)
    t0 = time.perf_counter()
    res = estimate_panel_impact(w.sales.lazy(), w.reviews.lazy(), tiers=w.tiers.lazy(),
                                window=sc.window)
    rec: Record = {"scenario": sc.name, "seed": seed, "new_seconds": time.perf_counter() - t0,
                   **{f"truth_{k}": v for k, v in w.truth.items()}}
    for row in res.summary.iter_rows(named=True):
        key = f"new_{row['estimand']}_{row['group']}"
        rec[f"{key}_est"] = row["estimate_pct"]
        rec[f"{key}_lo"] = row["ci_low_pct"]
        rec[f"{key}_hi"] = row["ci_high_pct"]
        rec[f"{key}_verdict"] = row["verdict"]
    if old:
        mod = _import("audit.impact.analysis", "audit.impact")
        t0 = time.perf_counter()
        out = mod.estimate_impact(w.sales.lazy(), w.reviews.lazy(), events=("explanation",),
                                  window=sc.window, n_boot=99, seed=seed)
        rec["old_seconds"] = time.perf_counter() - t0
        row = out.summary.filter(pl.col("metric") == "conversion").row(0, named=True)
        rec["old_est"], rec["old_lo"], rec["old_hi"] = (row["estimate_pct"], row["ci_low_pct"],
                                                       row["ci_high_pct"])
        rec["old_verdict"] = row["verdict"]
    return rec


def _stats(est: np.ndarray, lo: np.ndarray, hi: np.ndarray, truth: np.ndarray) -> Record:
    ok = np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return {"n": 0, "answered": 0.0}
    e, a, b, t = est[ok], lo[ok], hi[ok], truth[ok]
    return {"n": int(ok.sum()), "answered": float(ok.mean()), "bias": float(np.mean(e - t)),
            "bias_se": float(np.std(e - t, ddof=1) / math.sqrt(e.size)) if e.size > 1 else 0.0,
            "coverage": float(np.mean((a <= t) & (t <= b))),
            "reject0": float(np.mean((a > 0) | (b < 0))),
            "half_width": float(np.mean((b - a) / 2))}


def summarise_impact(records: list[Record], *, key: str = "new_orders-weighted_all",
                     truth: str = "truth_orders_weighted_all") -> Record:
    """Bias, coverage, share rejecting 0, mean half-width (points) of one estimate column."""
    def col(name: str) -> np.ndarray:
        return np.array([np.nan if r.get(name) is None else r[name] for r in records], float)

    out = _stats(col(f"{key}_est"), col(f"{key}_lo"), col(f"{key}_hi"), 100 * col(truth))
    verdicts = [r.get(f"{key}_verdict") for r in records]
    out["checks_flagged"] = float(np.mean([v == PRETREND for v in verdicts]))
    return out


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Rank correlation; 0 when every agent got the same shrunk value (no ranking at all)."""
    if np.unique(a).size < 2 or np.unique(b).size < 2:  # noqa: PLR2004
        return 0.0
    return float(stats.spearmanr(a, b).statistic)


def old_agent_table(cases: pl.DataFrame) -> pl.DataFrame:
    """Today's agent comparison (audit.resolution): (shop, category) reference, Garwood interval,
    gamma-Poisson shrinkage with the Bernoulli chance variance, rank on the shrunk ratio."""
    rs = _import("audit.resolution.stats", "audit.resolution_stats")
    c = cases.lazy().filter(pl.col("is_eligible")).with_columns(
        expected_p=pl.col("is_resolved").mean().over("shop_id", "category"))
    by = c.group_by("agent_id").agg(
        resolved=pl.col("is_resolved").sum(), expected=pl.col("expected_p").sum(),
        null_var=(pl.col("expected_p") * (1 - pl.col("expected_p"))).sum())
    lo, hi = rs.poisson_ratio_interval("resolved", "expected")
    return (by.with_columns(mix_adjusted_ratio=pl.col("resolved") / pl.col("expected"),
                            ratio_ci_low=lo, ratio_ci_high=hi)
            .pipe(rs.shrink_ratios, observed="resolved", expected="expected",
                  null_var="null_var")
            .collect())


def agent_record(sc: AgentScenario, seed: int, *, old: bool = True) -> Record:
    """One cohort: rank correlation with true skill, interval coverage, the average agent."""
    w = generate_agents(sc, seed)
    rec: Record = {"scenario": sc.name, "seed": seed}
    tables = {"new": compare_agents(w.cases)}
    if old:
        tables["old"] = old_agent_table(w.cases)
    for name, tab in tables.items():
        tab = tab.sort("agent_id")
        truth = np.array([w.true_ratio[a] for a in tab["agent_id"]])
        shr = tab["shrunk_ratio"].to_numpy()
        rec[f"{name}_rank_corr"] = _spearman(shr, truth)
        raw_cov = (tab["ratio_ci_low"].to_numpy() <= truth) & (truth <= tab["ratio_ci_high"]
                                                                  .to_numpy())
        shr_cov = (tab["shrunk_ci_low"].to_numpy() <= truth) & (truth <= tab["shrunk_ci_high"]
                                                                   .to_numpy())
        rec[f"{name}_raw_coverage"] = float(raw_cov.mean())
        rec[f"{name}_shrunk_coverage"] = float(shr_cov.mean())
        avg = tab.filter(pl.col("agent_id") == w.average_agent).row(0, named=True)
        rec[f"{name}_avg_flagged"] = float(avg["shrunk_ci_low"] > 1 or avg["shrunk_ci_high"] < 1)
        rec[f"{name}_avg_rank"] = float(1 + np.sum(shr > avg["shrunk_ratio"]))
    return rec


def summarise_agents(records: list[Record], name: str) -> Record:
    """Means over seeds of the agent record fields of estimator ``name`` (new or old)."""
    fields = ("rank_corr", "raw_coverage", "shrunk_coverage", "avg_flagged", "avg_rank")
    return {f: float(np.mean([r[f"{name}_{f}"] for r in records])) for f in fields}


def _run(job: tuple[str, Any, int, bool]) -> Record:
    kind, sc, seed, old = job
    return impact_record(sc, seed, old=old) if kind == "impact" else agent_record(sc, seed, old=old)


def run_jobs(jobs: list[tuple[str, Any, int, bool]], workers: int = 1) -> list[Record]:
    """Run jobs in ``workers`` processes (1: in this process), results in job order."""
    if workers <= 1:
        return [_run(j) for j in jobs]
    # One thread per worker (fresh interpreters read these before importing polars/numpy): on
    # a 2-core machine, 2 workers x default thread pools oversubscribe and run slower.
    for var in ("POLARS_MAX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        return list(pool.map(_run, jobs, chunksize=2))


def main() -> None:
    """Print the markdown tables of docs/robust.md."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--first-seed", type=int, default=10_000)
    ap.add_argument("--old", action="store_true", help="also run today's estimators")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--scenarios", nargs="*", default=list(IMPACT_SCENARIOS))
    ap.add_argument("--agents", action="store_true", help="agent scenarios only")
    ap.add_argument("--no-agents", action="store_true", help="impact scenarios only")
    args = ap.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    t0 = time.perf_counter()
    if not args.agents:
        print("| scenario | estimator | truth | bias | coverage | null rejection | half-width "
              "| answered | checks flag (lift/null) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name in args.scenarios:
            sc = IMPACT_SCENARIOS[name]
            lift = run_jobs([("impact", sc, s, args.old) for s in seeds], args.workers)
            null = run_jobs([("impact", sc.null(), s, args.old) for s in seeds], args.workers)
            rows = [("new orders-weighted", "new_orders-weighted_all",
                     "truth_orders_weighted_all"),
                    ("new per-explanation", "new_per-explanation_all", "truth_per_explanation_all")]
            if sc.later_lift is not None:
                rows += [("new first expl.", "new_orders-weighted_first",
                          "truth_orders_weighted_first"),
                         ("new later expl.", "new_orders-weighted_later",
                          "truth_orders_weighted_later")]
            if args.old:
                rows.append(("old stacked", "old", "truth_orders_weighted_all"))
            for label, key, tkey in rows:
                truth = float(np.mean([r[tkey] for r in lift])) * 100
                a = summarise_impact(lift, key=key, truth=tkey)
                b = summarise_impact(null, key=key, truth=tkey)
                if not a.get("n"):
                    print(f"| {name} | {label} | {truth:.1f} | - | - | - | - | 0% |")
                    continue
                print(f"| {name} | {label} | {truth:.1f} | {a['bias']:+.2f} ± {a['bias_se']:.2f} "
                      f"| {100 * a['coverage']:.0f}% / {100 * b.get('coverage', np.nan):.0f}% "
                      f"| {100 * b.get('reject0', np.nan):.0f}% | {a['half_width']:.1f} "
                      f"| {100 * a['answered']:.0f}% | {100 * a['checks_flagged']:.0f}% / "
                      f"{100 * b.get('checks_flagged', np.nan):.0f}% |", flush=True)
    if args.no_agents:
        return
    print()
    print("| scenario | estimator | rank corr. | raw CI coverage | shrunk CI coverage "
          "| average agent flagged | its mean rank |")
    print("|---|---|---|---|---|---|---|")
    for name, sc in AGENT_SCENARIOS.items():
        recs = run_jobs([("agent", sc, s, True) for s in seeds], args.workers)
        for est in ("new", "old"):
            m = summarise_agents(recs, est)
            print(f"| {name} ({sc.n_agents} agents) | {est} | {m['rank_corr']:.2f} "
                  f"| {100 * m['raw_coverage']:.1f}% | {100 * m['shrunk_coverage']:.1f}% "
                  f"| {100 * m['avg_flagged']:.0f}% | {m['avg_rank']:.1f} |", flush=True)
    print(f"\n{args.seeds} seeds per scenario from {args.first_seed}; "
          f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
