"""Demo part 5 (issue 13): the agents' chat export (``messages``) and what it truly says.

What the texts describe (DOMAIN.md, seeds 003/004): agents agree compensation with buyers in the
shop IM, and the handling log is filled in by hand afterwards, so some offers never reach the
log (seed 004: a shipping refund agreed and forgotten), and an agent who makes the money depend
on the review (unlawful since SAMR Order No. 91 and 16 CFR 465) does not write that down.

What this part writes, per case, seeded and deterministic:

* every logged promise is offered in chat a few minutes before ``promised_at``: in conditional
  words when the log ticks ``conditional_on_review`` (finding ``conditional_declared``), or, for
  ``HIDDEN_CONDITIONAL_RATE`` of the rest and for every promise of a ``conditional_agents``
  agent, in conditional words the log calls unconditional (``conditional_not_declared``);
  otherwise in plain words (``logged``);
* ``NOT_LOGGED_RATE`` of the cases without a promise get an offer in chat that the log never
  recorded (``not_logged``; a quarter of them conditional);
* ``SPLIT_RATE`` of the offers are written as two messages a minute apart (the tie or the amount
  in one, the offer in the other);
* around every case in chat, non-offer messages from both sides: greetings, logistics, prices,
  refund procedures, thanks, and the buyer's own demands ("你返我10块钱我就改好评"), which are
  the hard negatives a detector must leave alone. Non-offer agent messages are at least
  ``QUIET_MINUTES`` from an offer so they never join its turn.

Spelling varies as real chat does: colloquial amounts (十块, 5块钱, ¥8, 5r, 一块五), traditional
characters, emoji, pinyin dodges (hao评, hp) and typos (号评). ``case_id`` is left empty on
all messages of ``NO_CASE_RATE`` of the cases, as in exports that only carry the buyer.

Truth ``chat_offer_truth``: message_id (the message that completes the offer), case_id,
agent_id, kind, amount_cny (as stated in chat; null when unstated), conditional, finding,
promise_id (null for not_logged).

Planting a hidden-conditional agent (for ``audit/demo/compensation.py``, phase 2): choose one
agent with at least 30 promises due, not flagged conditional in the log, and pass it as
``conditional_agents``. Their payments must follow the behaviour the evidence rule looks for:
for each of their promises whose review changed (``revised_rating = positive`` or removed
within the 30-day window), the payment is executed after the change (``changed_at`` + U(2 h,
2 days)) and linked like any other; a promise whose review did not change gets no payment
(``broken``). For contrast, plant one forgetful agent: about 40 % of their promises unpaid,
paid ones executed within the due window as usual, and their paid buyers revised more often
(revision after the payment), so their verdict stays ``no_evidence``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import opencc
import polars as pl

from audit.demo.types import Part

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from audit.demo.types import DemoPeriod

HIDDEN_CONDITIONAL_RATE = 0.04
NOT_LOGGED_RATE = 0.03
NOT_LOGGED_CONDITIONAL = 0.25
SPLIT_RATE = 0.1
#: Share of cases without an offer that still appear in the chat export.
CHATTY_RATE = 0.3
NO_CASE_RATE = 0.15
TRADITIONAL_RATE = 0.08
QUIET_MINUTES = 15
#: Columns of the ``messages`` table (issue 13), in export order.
MESSAGE_COLUMNS: tuple[str, ...] = (
    "message_id", "shop_id", "buyer_id", "agent_id", "sender", "sent_at", "text", "case_id",
)
MESSAGE_SCHEMA: dict[str, pl.DataType] = {
    "message_id": pl.String(), "shop_id": pl.String(), "buyer_id": pl.String(),
    "agent_id": pl.String(), "sender": pl.String(), "sent_at": pl.Datetime("us"),
    "text": pl.String(), "case_id": pl.String(),
}
TRUTH_SCHEMA: dict[str, pl.DataType] = {
    "message_id": pl.String(), "case_id": pl.String(), "agent_id": pl.String(),
    "kind": pl.String(), "amount_cny": pl.Float64(), "conditional": pl.Boolean(),
    "finding": pl.String(), "promise_id": pl.String(),
}

#: Offer words per kind; ``{a}`` is the amount as written. Monetary templates all state it.
OFFERS: dict[str, tuple[str, ...]] = {
    "shipping_refund": (
        "给您退{a}邮费", "运费我们承担，给您返{a}", "邮费{a}给您报销", "退您{a}运费",
    ),
    "cash_back": ("给您返{a}", "给您发个{a}红包", "补偿您{a}", "给你转{a}"),
    "coupon": ("送您一张{a}优惠券", "给您发一张{a}的券", "补您一张{a}无门槛券"),
    "free_shipping": ("下次购买给您包邮", "下回下单我给您免运费", "以后来买都给您包邮"),
    "discount": ("下次给您打九折", "给您VIP价，九折", "下回来买给您算八五折"),
    "gift": ("送您一个小礼物", "给您准备了一份小礼品", "下单给您备注一个赠品"),
    "replacement": ("给您补发一个新的", "我们重新给您发一件", "给您换一个新的"),
    "refund": ("给您退{a}", "给您全额退款", "退款我马上给您操作"),
}
#: Conditional templates: ``{o}`` is the offer words. All tie the offer to the review.
TIES: tuple[str, ...] = (
    "改成好评后{o}", "您把差评删了，我就{o}", "麻烦您改一下评价，{o}", "亲能不能改下hao评，{o}",
    "改个hp，{o}", "追评个好评，再{o}", "您修改成好评之后{o}", "中评改成号评的话{o}",
    "方便的话帮忙把评价修改一下，{o}", "删除差评就{o}",
)
#: Split conditional offers: (first message, second message with ``{o}``).
SPLIT_TIES: tuple[tuple[str, str], ...] = (
    ("亲，您看能不能把中评改成好评", "改了我就{o}"),
    ("您先把差评删掉", "然后{o}"),
    ("麻烦您帮忙修改一下评价哈", "{o}，谢谢亲"),
)
PLAIN_OPENERS: tuple[str, ...] = (
    "", "亲，", "实在抱歉，", "给您添麻烦了，", "亲😊", "不好意思啊亲，",
)
PLAIN_CLOSERS: tuple[str, ...] = ("", "，您看可以吗？", "哈", "～", "，真的很抱歉", "🙏")
AGENT_CHATTER: tuple[str, ...] = (
    "您好，请问有什么可以帮您？", "好的呢，马上帮您查一下物流", "请问快递单号是多少",
    "退款流程是先在订单页申请，再把货寄回来", "这款{p}元，已经是活动价了", "本店满99包邮哦",
    "支持七天无理由退换货，您放心", "感谢您的耐心等待", "您的差评我们收到了，非常抱歉",
    "亲，在的", "发货是中通快递，一般三天到", "这个尺码偏大，建议您拍小一码",
    "不会因为评价给补偿的，请您理解", "退款进度可以在订单详情里查看", "感谢您的好评支持",
)
BUYER_CHATTER: tuple[str, ...] = (
    "快递太慢了", "东西收到就坏了", "你好在吗", "好的", "行吧", "尺码不对啊",
    "你返我10块钱我就改好评", "邮费你们得给我退吧", "不给我补偿我就不改差评", "什么时候能到",
    "颜色和图片不一样", "嗯嗯知道了",
)
_CN_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class _Msg:
    case_id: str
    shop_id: str
    buyer_id: str
    agent_id: str
    sender: str
    sent_at: datetime
    text: str


def spell_number(n: int) -> str:
    """An integer up to 99 in Chinese numerals (十块, 二十块); 2 is 两 before a unit."""
    if n == 2:  # noqa: PLR2004
        return "两"
    if n < 10:  # noqa: PLR2004
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def format_amount(rng: np.random.Generator, amount: float) -> str:
    """``amount`` the way an agent might type it: 10元, 十块, 10块钱, ¥10, 10r, 一块五."""
    whole = float(amount).is_integer()
    n = int(amount)
    styles = ["{d}元", "¥{d}"]
    if whole:
        styles += ["{d}块钱", "{d}r", "{d}块"]
        if n < 100:  # noqa: PLR2004
            styles += ["{c}块", "{c}元"]
    elif round(amount * 10) % 10 and n < 100 and round(amount, 1) == amount:  # noqa: PLR2004
        styles.append("{c}块{t}")
    style = styles[int(rng.integers(0, len(styles)))]
    digits = f"{n}" if whole else f"{amount:g}"
    tenth = _CN_DIGITS[round(amount * 10) % 10]
    return style.format(d=digits, c=spell_number(n) if n < 100 else "", t=tenth)  # noqa: PLR2004


def simulate_messages(
    rng: np.random.Generator,
    log: Part,
    money: Part,
    period: DemoPeriod,
    *,
    conditional_agents: Sequence[str] = (),
) -> Part:
    """The ``messages`` table, its truth and its facts (module docstring).

    Parameters
    ----------
    rng
        This part's own random stream.
    log, money
        The handling part (cases, reviews) and the compensation part (promises).
    period
        Nothing is sent after ``period.as_of``.
    conditional_agents
        Agents whose every chat offer is conditional (the planted hidden-conditional agents).

    Returns
    -------
    Part
        Table ``messages`` (``MESSAGE_COLUMNS``), truth ``chat_offer_truth``
        (``TRUTH_SCHEMA``), facts (counts per finding, the conditional agents).
    """
    to_trad = opencc.OpenCC("s2t")
    cases = log.tables["cases"].join(
        log.tables["reviews"].select("review_id", "shop_id", "buyer_id"), on="review_id"
    ).sort("case_id")
    promises = money.tables["promises"].sort("promise_id")
    by_case: dict[str, list[dict]] = {}
    for p in promises.iter_rows(named=True):
        by_case.setdefault(p["case_id"], []).append(p)
    hidden = set(conditional_agents)
    msgs: list[_Msg] = []
    truth: list[tuple[int, dict]] = []  # (index of the completing message, truth row)

    def pick(options: Sequence[str]) -> str:
        return options[int(rng.integers(0, len(options)))]

    def offer_messages(c: dict, at: datetime, kind: str, amount: float | None, *,
                       conditional: bool) -> tuple[int, float | None]:
        """Append the offer's message(s) ending at ``at``: the completing one, the amount said."""
        words = pick(OFFERS[kind])
        stated = None
        if "{a}" in words and amount is not None:
            stated = amount
            words = words.format(a=format_amount(rng, amount))
        elif "{a}" in words:  # an amount-less promise of a monetary kind: no number in chat
            words = words.replace("{a}", "")
        split = rng.random() < SPLIT_RATE
        if conditional and split:
            first, second = pick(SPLIT_TIES)
            texts = [first, second.format(o=words)]
        elif conditional:
            texts = [pick(TIES).format(o=words)]
        elif split:
            texts = ["这个确实是我们的问题", pick(PLAIN_OPENERS) + words]
        else:
            texts = [pick(PLAIN_OPENERS) + words + pick(PLAIN_CLOSERS)]
        if rng.random() < TRADITIONAL_RATE:
            texts = [to_trad.convert(t) for t in texts]
        for k, t in enumerate(texts):
            msgs.append(_Msg(c["case_id"], c["shop_id"], c["buyer_id"], c["agent_id"], "agent",
                             at - timedelta(minutes=len(texts) - 1 - k), t))
        return len(msgs) - 1, stated

    def chatter(c: dict, start: datetime, end: datetime, quiet: list[datetime]) -> None:
        """Non-offer messages in [start, end], none within QUIET_MINUTES of an offer."""
        n = int(rng.integers(2, 6))
        span = max(60.0, (end - start).total_seconds())
        for _ in range(n):
            t = start + timedelta(seconds=float(rng.uniform(0, span)))
            t = t.replace(microsecond=0)
            if t > period.as_of or any(abs(t - q) < timedelta(minutes=QUIET_MINUTES)
                                       for q in quiet):
                continue
            buyer = rng.random() < 0.5  # noqa: PLR2004
            text = pick(BUYER_CHATTER if buyer else AGENT_CHATTER).format(
                p=int(rng.choice([29, 39, 59, 89, 129])))
            msgs.append(_Msg(c["case_id"], c["shop_id"], c["buyer_id"], c["agent_id"],
                             "buyer" if buyer else "agent", t, text))

    for c in cases.iter_rows(named=True):
        opened = c["opened_at"]
        offers_at: list[datetime] = []
        for p in by_case.get(c["case_id"], []):
            at = (p["promised_at"] - timedelta(minutes=float(rng.uniform(2, 40)))).replace(
                microsecond=0)
            at = max([at, opened + timedelta(minutes=2)]
                     + [o + timedelta(minutes=QUIET_MINUTES) for o in offers_at])
            declared = bool(p["conditional_on_review"])
            hidden_tie = not declared and (
                p["agent_id"] in hidden or rng.random() < HIDDEN_CONDITIONAL_RATE)
            conditional = declared or hidden_tie
            i, stated = offer_messages(c, at, p["kind"], p["amount_cny"],
                                       conditional=conditional)
            offers_at.append(at)
            finding = ("conditional_declared" if declared else
                       "conditional_not_declared" if hidden_tie else "logged")
            truth.append((i, {"case_id": c["case_id"], "agent_id": c["agent_id"],
                              "kind": p["kind"], "amount_cny": stated,
                              "conditional": conditional, "finding": finding,
                              "promise_id": p["promise_id"]}))
        if not offers_at and rng.random() < NOT_LOGGED_RATE:
            kind = pick(("shipping_refund", "cash_back", "coupon", "gift", "free_shipping"))
            amount = float(rng.choice([5.0, 8.0, 10.0])) if kind in (
                "shipping_refund", "cash_back", "coupon") else None
            at = (opened + timedelta(hours=float(rng.uniform(1, 30)))).replace(microsecond=0)
            if at < period.as_of:
                conditional = rng.random() < NOT_LOGGED_CONDITIONAL
                i, stated = offer_messages(c, at, kind, amount, conditional=conditional)
                offers_at.append(at)
                truth.append((i, {"case_id": c["case_id"], "agent_id": c["agent_id"],
                                  "kind": kind, "amount_cny": stated, "conditional": conditional,
                                  "finding": "not_logged", "promise_id": None}))
        if offers_at or rng.random() < CHATTY_RATE:
            end = max([opened + timedelta(hours=6), *offers_at]) + timedelta(hours=2)
            chatter(c, opened + timedelta(minutes=1), min(end, period.as_of), offers_at)
    return _assemble(rng, msgs, truth, sorted(hidden))


def demo_messages(rng: np.random.Generator, log: Part, money: Part, period: DemoPeriod) -> Part:
    """The demo's chat part: :func:`simulate_messages` with the planted hidden agents.

    The compensation part's hidden-conditional agents (``facts.planted``) make every chat offer
    tied to the review, so the chat and the payments tell the same story (issue 13).
    """
    planted = money.facts.get("planted", {})
    return simulate_messages(rng, log, money, period,
                             conditional_agents=planted.get("hidden_conditional_agent_ids", ()))


def _assemble(
    rng: np.random.Generator, msgs: list[_Msg], truth: list[tuple[int, dict]], hidden: list[str]
) -> Part:
    """Number the messages in time order, blank some cases' ids, and key the truth by message.

    The truth keeps every case id: it says which case an offer belongs to even when the
    export does not.
    """
    order = sorted(range(len(msgs)), key=lambda i: (msgs[i].sent_at, msgs[i].case_id, i))
    ids = {i: f"MS{k + 1:07d}" for k, i in enumerate(order)}
    case_ids = sorted({m.case_id for m in msgs})
    blank = {c for c, b in zip(case_ids, (rng.random(len(case_ids)) < NO_CASE_RATE).tolist(),
                               strict=True) if b}
    rows = [
        {"message_id": ids[i], "shop_id": msgs[i].shop_id, "buyer_id": msgs[i].buyer_id,
         "agent_id": msgs[i].agent_id, "sender": msgs[i].sender, "sent_at": msgs[i].sent_at,
         "text": msgs[i].text,
         "case_id": None if msgs[i].case_id in blank else msgs[i].case_id}
        for i in order
    ]
    messages = pl.DataFrame(rows, schema=MESSAGE_SCHEMA).select(MESSAGE_COLUMNS)
    truth_df = pl.DataFrame(
        [{"message_id": ids[i], **row} for i, row in truth], schema=TRUTH_SCHEMA
    ).sort("message_id", "kind")
    facts: dict[str, object] = {
        "messages": messages.height,
        "offers": truth_df.height,
        "finding_counts": dict(sorted(truth_df["finding"].value_counts().iter_rows())),
        "conditional_agents": hidden,
    }
    return Part(tables={"messages": messages}, truth={"chat_offer_truth": truth_df}, facts=facts)
