"""Precision, recall and F1 of the chat offer detector on the labelled lines, per part.

`tests/data/chat_lines.csv` holds hand-written chat lines with their labels; `dev` is the part
the lexicon was tuned on, `heldout` was written before the detector and never tuned on,
`heldout2` was written later (issue 13, phase 3) by another session, committed before it was
ever scored, and never tuned on either. A line
with `previous` is the second of two messages of one agent (an offer split over two messages).

    python3 -m uv run python benchmarks/eval_chat_offers.py
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from audit.promises.chat import detect_offers

LINES = Path(__file__).resolve().parents[1] / "tests" / "data" / "chat_lines.csv"
T0 = datetime(2026, 10, 1, 10, 0)


def load_lines(path: Path = LINES) -> pl.DataFrame:
    """The labelled lines, one id per line."""
    return pl.read_csv(path, schema_overrides={"amount": pl.Float64, "previous": pl.String,
                                               "kind": pl.String}).with_row_index("line")


def as_messages(lines: pl.DataFrame) -> pl.LazyFrame:
    """Each line as a case of one or two messages (the `previous` message a minute earlier)."""
    rows = []
    for r in lines.iter_rows(named=True):
        case = f"C{r['line']}"
        if r["previous"]:
            rows.append((f"{case}-0", case, "A1", "agent", T0, r["previous"]))
        rows.append((f"{case}-1", case, "A1", r["sender"], T0 + timedelta(minutes=1), r["text"]))
    return pl.LazyFrame(rows, schema=["message_id", "case_id", "agent_id", "sender", "sent_at",
                                      "text"], orient="row")


def predictions(lines: pl.DataFrame) -> pl.DataFrame:
    """Per line: predicted is_offer, kinds (sorted, ';'-joined), amount, conditional."""
    found = detect_offers(as_messages(lines)).collect()
    per_msg = found.group_by("message_id").agg(
        p_kind=pl.col("kind").sort().str.join(";"),
        p_amount=pl.col("amount_cny").drop_nulls().first(),
        p_conditional=pl.col("conditional").any(),
    )
    return (
        lines.with_columns(message_id=pl.format("C{}-1", "line"))
        .join(per_msg, on="message_id", how="left")
        .with_columns(
            p_offer=pl.col("p_kind").is_not_null(),
            p_conditional=pl.col("p_conditional").fill_null(False),
            kind=pl.col("kind").fill_null("").str.split(";").list.sort().list.join(";"),
            p_kind=pl.col("p_kind").fill_null(""),
        )
    )


def prf(truth: list[bool], pred: list[bool]) -> tuple[int, int, int, float, float, float]:
    """Support, TP, FP and precision/recall/F1 (1.0 when a side is empty: nothing to get wrong)."""
    tp = sum(t and p for t, p in zip(truth, pred, strict=True))
    fp = sum(p and not t for t, p in zip(truth, pred, strict=True))
    fn = sum(t and not p for t, p in zip(truth, pred, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return tp + fn, tp, fp, precision, recall, f1


def scores(pred: pl.DataFrame) -> pl.DataFrame:
    """One row per label: offer, conditional, each kind; plus amount accuracy on found offers."""
    out = []
    rows = pred.to_dicts()

    def add(label: str, truth: list[bool], guess: list[bool]) -> None:
        n, tp, fp, p, r, f = prf(truth, guess)
        out.append({"label": label, "support": n, "tp": tp, "fp": fp,
                    "precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)})

    add("offer", [bool(x["is_offer"]) for x in rows], [x["p_offer"] for x in rows])
    add("conditional", [bool(x["conditional"]) for x in rows], [x["p_conditional"] for x in rows])
    kinds = sorted({k for x in rows for k in (x["kind"] + ";" + x["p_kind"]).split(";") if k})
    for k in kinds:
        add(f"kind={k}", [k in x["kind"].split(";") for x in rows],
            [k in x["p_kind"].split(";") for x in rows])
    both = [x for x in rows if x["is_offer"] and x["p_offer"]]
    right = sum(x["amount"] == x["p_amount"] or (x["amount"] is None and x["p_amount"] is None)
                for x in both)
    out.append({"label": "amount (exact, on found offers)", "support": len(both), "tp": right,
                "fp": len(both) - right, "precision": round(right / len(both), 3) if both else 1.0,
                "recall": None, "f1": None})
    return pl.DataFrame(out)


def errors(pred: pl.DataFrame) -> pl.DataFrame:
    """Lines where offer, conditional, kind or amount disagree with the label."""
    return pred.filter(
        (pl.col("is_offer").cast(pl.Boolean) != pl.col("p_offer"))
        | (pl.col("conditional").cast(pl.Boolean) != pl.col("p_conditional"))
        | (pl.col("is_offer").cast(pl.Boolean)
           & ((pl.col("kind") != pl.col("p_kind")) | (pl.col("amount").fill_null(-1)
                                                      != pl.col("p_amount").fill_null(-1))))
    ).select("split", "text", "kind", "p_kind", "amount", "p_amount", "conditional",
             "p_conditional")


def main(show_errors: str | None = None) -> None:
    """Print the scores per part; ``--errors dev`` also lists the dev part's mistakes."""
    pred = predictions(load_lines())
    with pl.Config(tbl_rows=-1, tbl_width_chars=160, fmt_str_lengths=60,
                   tbl_hide_dataframe_shape=True):
        for part in ("dev", "heldout", "heldout2"):
            sub = pred.filter(pl.col("split") == part)
            print(f"\n== {part}: {sub.height} lines ==")
            print(scores(sub))
            if show_errors == part:
                print(errors(sub))


if __name__ == "__main__":
    main(sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--errors" else None)
