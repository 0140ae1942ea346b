"""Review-text tiering (audit.tiering, issue 11): hard cases, invariants, real review data.

The hard cases are written by hand, one per difficulty the issue names (negation, courier praise
inside a quality complaint, traditional characters, wrong colour sent, a professional bad
reviewer, a buyer's own mistake, emoji, typos). The real-data tests read ../shared/data where it
lies and skip with a reason when it is absent; their thresholds sit a little under the measured
numbers in docs/tiering.md, so a change that loses accuracy fails them.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.tiering import TIERS, normalise_expr, pattern_table, tier_reviews


def _tier(texts: list[str], rating: str = "neutral") -> pl.DataFrame:
    frame = pl.LazyFrame({
        "review_id": [f"r{i}" for i in range(len(texts))],
        "rating": [rating] * len(texts),
        "text": texts,
    })
    return tier_reviews(frame).collect()


HARD_CASES = [
    # (text, rating, primary tier, tiers that must be shown, tiers that must not be shown)
    ("快递很快，但是质量太差", "negative", "quality", {"quality"}, {"logistics"}),
    ("物流超级快，第二天就到了，可惜衣服洗一次就掉色", "neutral", "quality", {"quality"},
     {"logistics"}),
    ("快递不慢，包装也没有破损，东西一点也不差", "neutral", "novice", set(), {"logistics"}),
    ("没有任何破损，没有异味，很满意", "neutral", "novice", set(), {"logistics", "quality"}),
    ("不是很好用，有点失望", "neutral", "quality", {"quality"}, set()),
    ("快递太慢了，等了一个星期才到", "neutral", "logistics", {"logistics"}, set()),
    ("盒子都压坏了，快递员态度还很差", "negative", "logistics", {"logistics"}, set()),
    ("客服态度极差，问了半天都没人理", "negative", "service", {"service"}, set()),
    ("说好的赠品没有送，发货还慢", "neutral", "service", {"service"}, set()),
    ("質量太差了，穿一次就起球，客服也不理人", "negative", "quality", {"quality", "service"},
     set()),
    ("快遞很慢，等了好幾天才到", "neutral", "logistics", {"logistics"}, set()),
    ("我买的黑色，结果发成了白色", "negative", "wrong_item", {"wrong_item"}, set()),
    ("尺码发错了，我要的M码给我发了L码", "negative", "wrong_item", {"wrong_item"}, set()),
    ("给我转50元红包就删差评，不然天天追加差评", "negative", "fraud", {"fraud"}, set()),
    ("职业差评师，加我微信谈", "negative", "fraud", {"fraud"}, set()),
    # A resolved buyer saying so is not extortion.
    ("问题解决了，已改好评", "neutral", "novice", set(), {"fraud", "quality"}),
    ("买了两件只收到一件", "negative", "wrong_item", {"wrong_item"}, set()),
    ("是我自己拍错尺码了，不怪卖家，衣服偏小", "neutral", "buyer", {"buyer"}, set()),
    ("心情不好随手给了中评，东西其实还可以", "neutral", "buyer", {"buyer"}, set()),
    ("衣服掉色😡😡", "negative", "quality", {"quality"}, set()),
    ("👍👍👍", "neutral", "novice", set(), {"quality"}),
    ("质两太差，lj", "negative", "quality", {"quality"}, set()),
    ("kd巨慢", "neutral", "logistics", {"logistics"}, set()),
    ("ＫＤ太慢！！！！", "neutral", "logistics", {"logistics"}, set()),
    ("东西很好，很满意，五星", "neutral", "novice", set(), {"quality"}),
    ("快递太慢，而且客服态度很差", "negative", "service", {"logistics", "service"}, set()),
    # A product name with an opinion character in it is not praise (快充 = fast charging).
    ("快充头用了三天就坏了", "neutral", "quality", {"quality"}, {"logistics"}),
    ("快递员送错地方了，东西都拆开了", "negative", "logistics", {"logistics"}, set()),
    # Two complaints: both shown; the named cue (物流慢) outweighs aspect + opinion (质量 不咋地).
    ("物流慢质量也不咋地", "negative", "logistics", {"logistics", "quality"}, set()),
    # A comparison that falls short is a complaint: the praise word is only the yardstick.
    ("没有想象中的好，用了两天", "negative", "quality", set(), set()),
    ("不如超市买的好吃", "neutral", "quality", set(), set()),
    # How someone behaved counts for the person named: here the courier, not an agent.
    ("态度恶劣的快递员，非要我自己下楼", "negative", "logistics", {"logistics"}, {"service"}),
    # ... and any general dissatisfaction decides, however much else is praised.
    ("挺好的，很喜欢，就是有点失望", "negative", "quality", set(), set()),
    # Short weight or count is the wrong quantity sent.
    ("短斤缺两，称了不到四斤", "negative", "wrong_item", {"wrong_item"}, set()),
    ("打开一看少了两个", "negative", "wrong_item", {"wrong_item"}, set()),
    # "收到货" (received the goods) is not the delivery aspect 到货.
    ("收到货有两个是烂的", "negative", "quality", {"quality"}, {"logistics"}),
    ("怎么还没到货？？？", "neutral", "logistics", {"logistics"}, set()),
    ("客服电话一直打不通", "negative", "service", {"service"}, set()),
]


@pytest.mark.parametrize(("text", "rating", "primary", "shown", "absent"), HARD_CASES)
def test_hard_case(text: str, rating: str, primary: str, shown: set[str],
                   absent: set[str]) -> None:
    out = _tier([text], rating).row(0, named=True)
    tiers = set(out["tiers"].split("|"))
    assert out["tier"] == primary, out
    assert out["tiers"].split("|")[0] == primary
    assert shown <= tiers, out
    assert not (absent & tiers), out
    if primary != "novice":
        assert out["evidence"], out


@pytest.mark.slow
def test_a_batch_tiers_each_row_as_it_would_alone() -> None:
    """Rows never borrow another row's result (texts are deduplicated and joined back)."""
    texts = [t for t, *_ in HARD_CASES]
    ratings = [r for _, r, *_ in HARD_CASES]
    frame = pl.LazyFrame({"review_id": [f"r{i}" for i in range(len(texts))],
                          "rating": ratings, "text": texts})
    batch = tier_reviews(frame).collect().drop("review_id")
    alone = pl.concat([_tier([t], r).drop("review_id") for t, r in zip(texts, ratings,
                                                                        strict=True)])
    assert batch.equals(alone)
    # The same text under two ratings may differ, and duplicates get the same answer.
    dup = _tier(["", "", "很好"], "negative")
    assert dup["tier"].to_list() == ["quality", "quality", "novice"]


def test_evidence_names_the_deciding_words() -> None:
    out = _tier(["快递很快，但是质量太差"]).row(0, named=True)
    assert "质量太差" in out["evidence"]
    assert "快递" not in out["evidence"]


def test_traditional_and_simplified_tier_alike() -> None:
    simplified = ["物流很慢，包装破损", "客服态度很差", "颜色发错了", "质量不好，有异味"]
    traditional = ["物流很慢，包裝破損", "客服態度很差", "顏色發錯了", "質量不好，有異味"]
    a, b = _tier(simplified), _tier(traditional)
    assert a["tier"].to_list() == b["tier"].to_list()
    assert a["tier"].to_list() == ["logistics", "service", "wrong_item", "quality"]


def test_normalise_maps_width_case_dodges_and_repeats() -> None:
    out = pl.DataFrame({"text": ["ＫＤ很慢！！！", "垃ji", "質量", None]}).select(
        normalise_expr("text"))["text"].to_list()
    assert out == ["快递很慢!", "垃圾", "质量", ""]


def test_rating_decides_an_empty_or_silent_review() -> None:
    """No words to go on: a neutral rating is the novice buyer, a negative one is not."""
    neutral = _tier(["", "嗯"], "neutral")
    negative = _tier(["", "嗯"], "negative")
    assert neutral["tier"].to_list() == ["novice", "novice"]
    assert negative["tier"].to_list() == ["quality", "quality"]
    assert negative["confidence"].max() < 0.3


def test_a_negative_rating_with_praise_of_the_courier_only_is_not_the_novice() -> None:
    """Praise of the courier or the agents does not say the goods are fine: under a negative
    rating that is a quality case with nothing to go on (low confidence); under a neutral one
    it is still the novice buyer."""
    texts = ["一星给快递，快递员不错", "客服态度很好"]
    negative, neutral = _tier(texts, "negative"), _tier(texts, "neutral")
    assert negative["tier"].to_list() == ["quality", "quality"]
    assert negative["confidence"].max() < 0.3
    assert neutral["tier"].to_list() == ["novice", "novice"]


def test_confidence_is_higher_with_more_evidence() -> None:
    out = _tier(["一般", "质量太差，掉色，起球，还有异味"], "negative")
    assert out["tier"].to_list() == ["quality", "quality"]
    assert out["confidence"][1] > out["confidence"][0]


def test_output_schema_and_order() -> None:
    frame = pl.LazyFrame({"review_id": ["b", "a", "c"], "rating": ["neutral"] * 3,
                          "text": ["很好", None, "很好"]})
    out = tier_reviews(frame).collect()
    assert out.columns == ["review_id", "tier", "tiers", "confidence", "evidence"]
    assert out["review_id"].to_list() == ["b", "a", "c"]
    assert out.schema["confidence"] == pl.Float64


def _lexicon() -> dict:
    return json.loads(resources.files("audit.tiering").joinpath("lexicon.json").read_text())


def test_every_lexicon_group_has_a_reason_and_no_term_is_listed_twice() -> None:
    groups = _lexicon()["groups"]
    assert all(g["why"].strip() and g["terms"] for g in groups)
    counts = Counter(t for g in groups for t in g["terms"])
    assert [t for t, n in counts.items() if n > 1] == []


def test_pattern_table_is_unique_and_longest_first() -> None:
    t = pattern_table()
    assert t["term"].is_unique().all()
    lengths = t["term"].str.len_chars()
    assert (lengths.diff().drop_nulls() <= 0).all()


@pytest.mark.parametrize("tier", ["logistics", "service", "quality", "wrong_item", "fraud",
                                  "buyer"])
def test_each_listed_complaint_cue_alone_gives_its_tier(tier: str) -> None:
    """A lexicon cue written alone as a review is tiered as its group says (minus shields)."""
    cues = [t for g in _lexicon()["groups"]
            if g["kind"] == "cue" and g.get("tier") == tier and g["polarity"] == -1
            for t in g["terms"]]
    out = _tier(cues, "negative")
    wrong = [(c, p) for c, p in zip(cues, out["tier"], strict=True) if p != tier]
    # A cue may contain a more decisive one (e.g. a logistics cue containing 发错): allow few.
    assert len(wrong) <= max(1, len(cues) // 20), wrong


_ALPHABET = list("快递物流很慢不没有破损质量差好客服态度发错颜色自己拍错满意一般，。！ 😡👍質") + [
    "但是", "一点也不", "职业差评师"]


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(_ALPHABET), max_size=12).map("".join),
                      min_size=1, max_size=12),
       ratings=st.lists(st.sampled_from(["neutral", "negative", "positive"]), min_size=12,
                        max_size=12),
       seed=st.randoms())
def test_invariants(texts: list[str], ratings: list[str], seed) -> None:  # noqa: ANN001
    frame = pl.DataFrame({"review_id": [f"r{i}" for i in range(len(texts))],
                          "rating": ratings[: len(texts)], "text": texts})
    out = tier_reviews(frame.lazy()).collect()
    assert out.height == frame.height
    assert out["review_id"].to_list() == frame["review_id"].to_list()
    assert out["tier"].is_in(list(TIERS)).all()
    assert out["confidence"].is_between(0.0, 1.0).all()
    for tier, tiers in zip(out["tier"], out["tiers"], strict=True):
        shown = tiers.split("|")
        assert shown[0] == tier
        assert set(shown) <= set(TIERS)
    # Deterministic, and each row's result does not depend on the other rows or their order.
    order = list(range(frame.height))
    seed.shuffle(order)
    again = tier_reviews(frame[order].lazy()).collect().sort("review_id")
    assert again.equals(out.sort("review_id"))


# --- real review data (../shared/data), skipped when absent -----------------------------------

def _eval_module():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "eval_tiering.py"
    spec = importlib.util.spec_from_file_location("eval_tiering", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_zhijiang_macro_f1(shared_data: Path) -> None:
    """Measured 0.738 over all of zhijiang (docs/tiering.md); fail if it drops below 0.68."""
    ev = _eval_module()
    frame, _ = ev.zhijiang_frame(shared_data)
    scored = ev.score(frame)
    assert scored.height == frame.height
    assert ev.macro_f1(ev.per_tier(scored)) >= 0.68


@pytest.mark.slow
def test_held_out_products_novice_vs_complaint(shared_data: Path) -> None:
    """Product kinds never looked at while writing the lexicon: measured 0.862; floor 0.82."""
    ev = _eval_module()
    frame = ev.shopping_frame(shared_data).filter(
        ~pl.col("cat").is_in(ev.DEV_CATS + ev.APART))
    scored = ev.score(frame.with_columns(gold=pl.concat_list("gold"))).with_columns(
        gold=pl.col("gold").list.first())
    assert ev.binary(scored)["f1"].mean() >= 0.82


@pytest.mark.slow
def test_real_text_in_traditional_characters_tiers_the_same(shared_data: Path) -> None:
    """zhijiang converted to traditional with OpenCC s2t: at least 97% of tiers unchanged."""
    import opencc

    z = pl.read_csv(shared_data / "zhijiang_2019" / "zhijiang_tiers.csv", infer_schema=False)
    conv = opencc.OpenCC("s2t")
    texts = z["text"].fill_null("").to_list()
    a = _tier(texts)
    b = _tier([conv.convert(t) for t in texts])
    assert (a["tier"] == b["tier"]).mean() >= 0.97


def test_hand_label_files_hold_row_references_only_and_the_committed_split() -> None:
    """No review text in the repository; the dev/held split is the committed hash rule."""
    ev = _eval_module()
    labels = ev.hand_labels()
    assert set(labels.columns) == {"row", "cat", "sample", "stratum", "split", "gold"}
    assert labels["row"].str.contains(r"^\d+$").all()
    assert labels["row"].is_unique().all()
    assert labels["stratum"].is_in(["first", "random", "mention"]).all()
    gold = labels.filter(pl.col("gold") != "x")["gold"].str.split("|").explode()
    assert gold.is_in(list(TIERS)).all()
    import hashlib

    expected = ["dev" if hashlib.sha256(r.encode()).digest()[0] % 2 == 0 else "held"
                for r in labels["row"]]
    assert labels["split"].to_list() == expected


def test_bootstrap_interval_brackets_the_point_estimate() -> None:
    ev = _eval_module()
    gold = ["novice"] * 20 + ["logistics"] * 10 + ["service"] * 10 + ["quality"] * 60
    pred = gold[:90] + ["quality"] * 10  # the last ten (quality) right, a few others wrong
    pred[0], pred[25], pred[35] = "quality", "quality", "logistics"
    scored = pl.DataFrame({"pred": pred, "gold_one": gold})
    point = ev.macro_f1(ev.per_tier(scored))
    lo, hi = ev.bootstrap_macro(scored)
    assert lo < point < hi
    # All right: no spread at all.
    perfect = pl.DataFrame({"pred": gold, "gold_one": gold})
    assert ev.bootstrap_macro(perfect) == (1.0, 1.0)


@pytest.mark.slow
def test_hand_labelled_held_back_half(shared_data: Path) -> None:
    """Unseen product kinds, held-back half, scored once: measured 0.728; floor 0.68."""
    ev = _eval_module()
    hand = ev.hand_frame(ev.shopping_frame(shared_data))
    held = hand.filter(pl.col("split") == "held")
    assert held.height == 197
    assert ev.macro_f1(ev.per_tier(ev.score(held))) >= 0.68
