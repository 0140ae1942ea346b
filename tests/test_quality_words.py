"""The quarantine rules on the zh index in Chinese: one template per rule kind, values kept.

Each bad row is made by the real reader and contracts (so a reworded rule in the data layer
fails here, not silently on the page), its rule taken from the table's report as the index
shows it, and put into words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from builders.exports import GOOD, write_table
from builders.pack_text import latin_words

from audit.core.labels import label
from audit.data.dataset import cross_rule, load_dataset
from audit.data.exports import NOT_UTF8
from audit.pack.quality_words import RULE_PATTERNS, quality_frame, rule_words

# (table, changes to a copy of the first good row, the rule kind, the column's label).
BAD = [
    ("agents", {"agent_id": None}, "missing", "col.agent_id"),
    ("agents", {}, "duplicate", "col.agent_id"),
    ("agents", {"agent_id": "A9", "level": "boss"}, "not_allowed", "col.level"),
    ("agents", {"agent_id": "A9", "cash_limit_cny": "-1"}, "negative",
     "dq.column.cash_limit_cny"),
    ("agents", {"agent_id": "A9", "cash_limit_cny": "5e6"}, "too_large",
     "dq.column.cash_limit_cny"),
    ("messages", {"message_id": "M9", "sent_at": "soon"}, "unreadable", "col.sent_at"),
    ("messages", {"message_id": "M9", "agent_id": None}, "missing_when",
     "col.agent_id"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "changes", "kind", "column"), BAD, ids=[b[2] for b in BAD])
def test_each_rule_kind_reads_in_chinese(tmp_path: Path, name: str, changes: dict, kind: str,
                                         column: str) -> None:
    write_table(tmp_path, name, [*GOOD[name], {**GOOD[name][0], **changes}])
    rules = [rule for rule, _ in load_dataset(tmp_path).reports[name].top_reasons]
    assert rules
    (pattern,) = [p for k, p in RULE_PATTERNS if k == kind]
    (rule,) = [r for r in rules if pattern.match(r)]  # the data layer still writes this kind
    zh = rule_words(rule, "zh")
    assert zh.startswith(label(column, "zh"))
    assert latin_words(zh) == []
    en = rule_words(rule, "en")  # the same rule, the column named as the English pages do
    assert en.startswith(label(column, "en"))
    assert en.removeprefix(label(column, "en")) == rule[rule.index(":"):]


def test_cross_table_and_encoding_rules_read_in_chinese() -> None:
    rule, _ = cross_rule("promise_id", "promises", "promise_id")
    assert rule_words(rule, "zh") == label("dq.rule.no_parent", "zh").format(
        col=label("col.promise_id", "zh"), table=label("dq.table.promises", "zh"),
        other=label("col.promise_id", "zh"))
    assert latin_words(rule_words(NOT_UTF8, "zh")) == []
    assert rule_words("a rule no template knows", "zh") == "a rule no template knows"


def test_the_packs_data_quality_file_speaks_the_packs_language(tmp_path: Path) -> None:
    """Same columns and counts in both languages (scripts read them); reasons in the pack's."""
    bad = [{**GOOD["agents"][0], "agent_id": "A9", "level": "boss"},
           {**GOOD["agents"][0], "agent_id": "A8", "cash_limit_cny": "-1"}]
    write_table(tmp_path, "agents", [*GOOD["agents"], *bad])
    reports = load_dataset(tmp_path).reports
    zh, en = quality_frame(reports, "zh"), quality_frame(reports, "en")
    assert zh.columns == en.columns
    assert zh.drop("top_reasons").equals(en.drop("top_reasons"))
    (agents_zh,) = zh.filter(table="agents")["top_reasons"]
    (agents_en,) = en.filter(table="agents")["top_reasons"]
    rules = [rule for rule, _ in reports["agents"].top_reasons]
    assert len(rules) == 2  # noqa: PLR2004 - the two bad rows' rules
    assert agents_zh == "；".join(f"{rule_words(r, 'zh')} (1)" for r in rules)
    assert latin_words(agents_zh) == []
    assert agents_en == "; ".join(f"{rule_words(r, 'en')} (1)" for r in rules)
    assert set(zh.filter(table="reviews")["top_reasons"]) == {""}  # no problems: empty, not "-"
