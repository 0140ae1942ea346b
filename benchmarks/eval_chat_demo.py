"""Precision and recall of the chat findings on the demo, per finding, over seeds.

Each seed's demo (1 shop, 1 month unless told otherwise) goes through ``review-audit
promises``'s analysis; the findings in ``chat_offers.csv`` are compared with
``truth/chat_offer_truth.csv`` on (message_id, kind).

    python3 -m uv run python benchmarks/eval_chat_demo.py [SEEDS]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import polars as pl

from audit.demo import DemoSpec, generate_demo
from audit.promises.chat_audit import FINDINGS
from audit.promises.job import load_and_analyse


def one_seed(seed: int, folder: Path) -> pl.DataFrame:
    """Per finding: truth rows, found rows and rows found right, for one seed."""
    generate_demo(folder, DemoSpec(seed=seed, shops=1, months=1))
    as_of = json.loads((folder / "truth" / "facts.json").read_text("utf-8"))["period"]["as_of"]
    run, _ = load_and_analyse(folder, as_of=as_of[:10])
    truth = pl.read_csv(folder / "truth" / "chat_offer_truth.csv")
    key = ["message_id", "kind"]
    rows = []
    for f in FINDINGS:
        t = set(truth.filter(pl.col("finding") == f).select(key).rows())
        p = set(run.views.chat_offers.filter(pl.col("finding") == f).select(key).rows())
        rows.append({"seed": seed, "finding": f, "truth": len(t), "found": len(p),
                     "right": len(t & p)})
    return pl.DataFrame(rows)


def main(seeds: int = 20) -> None:
    """Print precision and recall per finding over ``seeds`` seeds (0 .. seeds-1)."""
    with tempfile.TemporaryDirectory() as tmp:
        frames = [one_seed(s, Path(tmp) / str(s)) for s in range(seeds)]
    per = pl.concat(frames).group_by("finding", maintain_order=True).agg(
        pl.col("truth", "found", "right").sum())
    print(per.with_columns(precision=pl.col("right") / pl.col("found"),
                           recall=pl.col("right") / pl.col("truth")))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
