"""The demo's planted hidden-conditional agent is found, and nobody else (issue 13, phase 2)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from audit.demo.generate import DemoSpec, generate_demo
from audit.promises.behaviour import FLAG
from audit.promises.job import load_and_analyse

SEEDS = range(20)


def _planted(demo: object) -> dict:
    facts = json.loads((demo / "truth" / "facts.json").read_text("utf-8"))  # type: ignore[operator]
    return facts["compensation"]["planted"]


def test_default_demo_plants_one_hidden_and_one_forgetful_agent(demo_dir):
    planted = _planted(demo_dir)
    hidden, forgetful = planted["hidden_conditional_agent_ids"], planted["forgetful_agent_ids"]
    assert len(hidden) == len(forgetful) == 1
    assert hidden != forgetful
    promises = pl.read_csv(demo_dir / "promises.csv")
    mine = promises.filter(pl.col("agent_id") == hidden[0])
    assert mine.height >= 30  # noqa: PLR2004 - enough to decide
    assert not mine["conditional_on_review"].any()  # never declared
    ev = load_and_analyse(demo_dir)[0].views.conditional_evidence
    assert ev.filter(pl.col("verdict") == "conditional_in_effect")["agent_id"].to_list() == hidden
    assert ev.filter(pl.col("agent_id") == forgetful[0])["verdict"].item() != (
        "conditional_in_effect")


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_hidden_agent_and_only_it_is_found_over_20_seeds(seed, tmp_path):
    generate_demo(tmp_path, DemoSpec(seed=seed, shops=1, months=1))
    planted = _planted(tmp_path)
    run = load_and_analyse(tmp_path)[0]
    ev = run.views.conditional_evidence
    found = ev.filter(pl.col("verdict") == "conditional_in_effect")["agent_id"].to_list()
    assert found == planted["hidden_conditional_agent_ids"]
    assert planted["forgetful_agent_ids"][0] not in found
    # The flag sits exactly on the promises paid after the change; the planted agent's only
    # promises paid first are issue 3's hard cases, which are planted before (and apart from)
    # the agent's behaviour.
    prom = run.audit.promises.collect()
    flagged = prom.filter(pl.col("flags").str.contains(FLAG))["promise_id"].to_list()
    assert flagged == prom.filter(pl.col("event_order") == "paid_after_change")[
        "promise_id"].to_list()
    hard = {pid for v in planted.values() for pid in ([v] if isinstance(v, str) else v)
            if str(pid).startswith("PR")}
    first = prom.filter(pl.col("agent_id") == planted["hidden_conditional_agent_ids"][0],
                        pl.col("event_order") == "paid_before_change")["promise_id"]
    assert set(first) <= hard
