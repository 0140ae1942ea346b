"""Benchmark: the whole demo pack (``review-audit monthly``), where the time goes, peak memory.

Usage: ``uv run python benchmarks/bench_monthly.py [--runs 1] [--workers 2] [--shops 3]
[--months 3] [--cold]`` (``--months 12``: the year the trends page is measured on, issue 12)

Generates the seeded demo (``review-audit demo`` defaults, ``--shops`` shops) once into
``benchmarks/_data/monthly-demo/`` (gitignored), then builds the 2026-10 pack into
``benchmarks/_data/monthly-reports/`` in a fresh subprocess per run (so imports are paid as a
user pays them: GX, papermill) and prints the wall time, each step's seconds from the manifest,
each step's CPU seconds in the orchestrating process, the CPU seconds of every process
together (user+sys, kernels included) with the load average, each notebook's seconds, and
the peak RSS of the orchestrating process, of the largest kernel and
of all of them together (kernels sampled with psutil: a forked child's ru_maxrss starts with its
parent's, so getrusage cannot tell).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "_data"

_CHILD = """
import json, resource, sys, threading, time
import psutil
peak = {"total": 0, "kernel": 0}
done = threading.Event()
def sample():
    me = psutil.Process()
    while not done.is_set():
        try:
            kids = [k.memory_info().rss for k in me.children(recursive=True)]
            total = me.memory_info().rss + sum(kids)
        except psutil.Error:
            continue
        peak["total"] = max(peak["total"], total)
        peak["kernel"] = max([peak["kernel"], *kids])
        time.sleep(0.1)
threading.Thread(target=sample, daemon=True).start()
t0 = time.perf_counter()
from audit.pack.build import build_monthly_pack
r = build_monthly_pack(sys.argv[1], month="2026-10", out=sys.argv[2], workers=int(sys.argv[3]),
                       warm_kernels=sys.argv[4] == "warm")
done.set()
print(json.dumps({"wall": time.perf_counter() - t0,
                  "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "kernel_mb": peak["kernel"] / 2**20, "total_mb": peak["total"] / 2**20}))
"""


def ensure_demo(shops: int, months: int = 3) -> Path:
    """The seeded demo dataset (generated once per shop count and number of months)."""
    from audit.demo import DemoSpec, generate_demo

    name = f"monthly-demo-{shops}" if months == 3 else f"monthly-demo-{shops}x{months}"  # noqa: PLR2004
    folder = DATA / name
    if not (folder / "reviews.csv").is_file():
        generate_demo(folder, DemoSpec(shops=shops, months=months))
    return folder


def main() -> None:
    """Run the benchmark and print a small report."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shops", type=int, default=3)
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="no warm kernel pool (to compare)")
    args = ap.parse_args()
    data = ensure_demo(args.shops, args.months)
    out = DATA / "monthly-reports"
    for run in range(args.runs):
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(data), str(out),
                               str(args.workers), "cold" if args.cold else "warm"],
                              capture_output=True, text=True, check=False)
        total = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode:
            sys.exit(proc.stderr.strip().splitlines()[-1])
        child = json.loads(proc.stdout.strip().splitlines()[-1])
        manifest = json.loads((out / "2026-10" / "manifest.json").read_text("utf-8"))
        print(f"run {run + 1}: {total:.1f} s end to end (process start + imports + pack), "
              f"{child['wall']:.1f} s inside build_monthly_pack incl. its import; "
              f"{cpu:.1f} CPU-s (user+sys, every process); "
              f"load average {Path('/proc/loadavg').read_text().split()[0]}; "
              f"peak RSS {child['self_mb']:.0f} MB orchestrator, "
              f"{child['kernel_mb']:.0f} MB largest kernel, "
              f"{child['total_mb']:.0f} MB all processes together (sampled every 0.1 s)")
        cpu_steps = manifest.get("steps_cpu_seconds", {})
        for step, sec in manifest["steps_seconds"].items():
            used = f"  {cpu_steps[step]:6.2f} CPU-s (orchestrator)" if step in cpu_steps else ""
            print(f"  step {step:<18} {sec:6.2f} s{used}")
        for nb, sec in manifest["notebooks_seconds"].items():
            print(f"  notebook {nb:<16} {sec:6.2f} s")
    print(f"(this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
          " MB, demo generation only)")


if __name__ == "__main__":
    main()
