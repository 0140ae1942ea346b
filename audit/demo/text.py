"""Chinese text for the demo: item titles, review text and public explanations by category.

The phrases paraphrase the situations the seed texts describe (DOMAIN.md): slow or rude
couriers, items that do not fit, agents who do not answer, novice buyers who rate neutral by
habit, wrong items, moods, extortion. Explanations follow 001/004's advice: apologise, say that
all reviews are genuine, point to 7-day no-reason returns and shipping insurance, accept the
criticism, never argue. Every function takes the caller's random generator, so the text is part
of the seeded output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

#: The most characters the platform allows in an explanation (Taobao rule, DOMAIN.md).
EXPLANATION_LIMIT = 500

#: Shop trades, cycled over shops: (product type, item nouns, price median in CNY).
SHOP_TRADES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    (
        "女装",
        ("连衣裙", "针织开衫", "阔腿裤", "衬衫", "半身裙", "卫衣", "风衣", "牛仔裤", "T恤", "毛衣"),
        129.0,
    ),
    (
        "家居厨具",
        (
            "不粘锅",
            "保温杯",
            "收纳盒",
            "菜刀套装",
            "砧板",
            "电热水壶",
            "拖把",
            "四件套",
            "枕头",
            "餐具套装",
        ),
        69.0,
    ),
    (
        "数码配件",
        (
            "数据线",
            "充电宝",
            "蓝牙耳机",
            "手机壳",
            "钢化膜",
            "无线鼠标",
            "键盘",
            "快充头",
            "支架",
            "读卡器",
        ),
        59.0,
    ),
    (
        "美妆护肤",
        (
            "面膜",
            "洗面奶",
            "爽肤水",
            "口红",
            "防晒霜",
            "眼霜",
            "卸妆水",
            "粉底液",
            "护手霜",
            "精华液",
        ),
        89.0,
    ),
    (
        "零食特产",
        (
            "牛肉干",
            "坚果礼盒",
            "红枣",
            "茶叶",
            "蜂蜜",
            "麻辣小鱼",
            "凤梨酥",
            "核桃",
            "腊肠",
            "果干",
        ),
        49.0,
    ),
    (
        "母婴用品",
        (
            "纸尿裤",
            "奶瓶",
            "婴儿湿巾",
            "儿童餐椅",
            "爬行垫",
            "连体衣",
            "辅食机",
            "学饮杯",
            "睡袋",
            "玩具",
        ),
        99.0,
    ),
)

_TITLE_WORDS = (
    "新款",
    "正品",
    "包邮",
    "热卖",
    "特价",
    "加厚",
    "升级版",
    "大容量",
    "简约",
    "韩版",
    "网红",
    "爆款",
    "高品质",
    "家用",
    "便携",
)

_REVIEW: dict[str, tuple[str, ...]] = {
    "logistics": (
        "快递太慢了，等了{n}天才到。",
        "物流信息不更新，等了{n}天还没收到。",
        "快递员态度很差，电话不接直接扔驿站。",
        "外包装压扁了，{p}有磕碰。",
        "说好的顺丰结果发的别的快递，物流慢死了。",
        "快递不送货上门，让我自己去取。",
        "快递盒子破损，里面的{p}都露出来了。",
        "物流太慢，{n}天了才动。",
    ),
    "quality": (
        "质量一般，和图片差距很大。",
        "{p}用了{n}天就坏了。",
        "做工粗糙，线头很多。",
        "尺寸偏小，根本用不了。",
        "有一股很大的异味，散了几天还有。",
        "怀疑不是正品，和专柜的不一样。",
        "颜色和描述不符，色差严重。",
        "材质很薄，感觉一洗就坏。",
        "{p}不好用，没以前买的好。",
    ),
    "service": (
        "客服态度很差，问了半天才回一句。",
        "说好48小时发货，拖了{n}天才发。",
        "缺货也不提前说，等了好久。",
        "申请退换客服一直不处理。",
        "下单后才说没货，让我换别的。",
        "客服爱理不理，问什么都敷衍。",
        "发货太慢了，别家都是当天发。",
    ),
    "novice": (
        "东西挺好的。",
        "还没用，看着挺好的。",
        "挺好的，和描述一样。",
        "收到了，{p}还可以。",
        "和想象的一样，挺满意。",
        "包装很好，东西也不错。",
        "第一次网购，不太会评价，东西很好。",
    ),
    "wrong_item": (
        "发错颜色了，我要的不是这个。",
        "少发了一件，{p}只到了一个。",
        "尺码发错了，要M发了L。",
        "发来的是别的款式，和下单的不一样。",
        "少发了配件，说明书也没有。",
    ),
    "buyer": (
        "自己没看清尺寸，心里不舒服。",
        "是我自己的原因，不喜欢这个感觉。",
        "买错了颜色，家里人说不好看。",
        "心情不好，不想多说。",
        "冲动消费了，自己的问题，{p}用不上。",
        "手滑拍错了型号，不怪卖家。",
    ),
    "fraud": (
        "假货！不赔偿就一直差评。",
        "{p}有问题，给我返{m}元不然差评不改。",
        "专业打假，要求退一赔三。",
        "不给补偿就去投诉到工商。",
        "东西有质量问题，赔我{m}元这事就算了。",
    ),
}
_REVIEW_TAIL_NEGATIVE = ("差评！", "不推荐。", "很失望。", "再也不买了。", "大家慎重。", "")
_REVIEW_TAIL_NEUTRAL = ("给个中评。", "一般吧。", "凑合用。", "中评，希望改进。", "")
#: A novice buyer says it is fine and rates low by habit (DOMAIN.md, intake and tiering): the
#: complaint-like tails above would contradict the text, so the novice's tail names the rating.
_REVIEW_TAIL_NOVICE = ("给个中评。", "习惯给中评。", "先给中评。", "随手评的。", "")

_EXPLAIN_OPEN = (
    "亲，非常抱歉给您带来了不好的购物体验。",
    "亲爱的顾客，您好！看到您的评价我们很抱歉。",
    "感谢您的真实反馈，给您添麻烦了，真的很抱歉。",
    "亲，首先向您诚恳道歉。",
)
_EXPLAIN_BODY: dict[str, tuple[str, ...]] = {
    "logistics": (
        "近期快递高峰，部分地区物流有延误，我们已经联系快递公司核实并督促改进。",
        "包裹在运输途中受到挤压，我们已升级外包装，并会为您补发或换新。",
    ),
    "quality": (
        "每件商品出库前都有质检，您遇到的问题我们已反馈给工厂复查。",
        "不同显示器会有轻微色差，尺寸请参考详情页的尺码表，不合适可以直接退换。",
    ),
    "service": (
        "客服回复不及时是我们的问题，我们已经对客服进行了培训并增加了人手。",
        "缺货没有及时告知是我们的失误，以后会在页面上实时更新库存。",
    ),
    "novice": (
        "看到您对商品还算满意，如使用中有任何问题可以随时联系在线客服。",
        "商品有任何不清楚的地方，欢迎随时咨询客服，我们会耐心解答。",
    ),
    "wrong_item": (
        "仓库发错了商品，是我们的失误，已为您安排换货，来回运费由我们承担。",
        "漏发的配件我们已经补寄，同时加强了仓库的核对流程。",
    ),
    "buyer": (
        "商品价格会随平台活动调整，给您带来困扰很抱歉，我们理解您的心情。",
        "每个人的喜好不同，如果不喜欢可以申请退换。",
    ),
    "fraud": (
        "本店所有商品均有正规进货凭证，我们欢迎任何质量检测，但不接受无理要求。",
        "如对商品有疑问，请通过平台售后流程处理，我们会配合平台核实。",
    ),
}
_EXPLAIN_GENUINE = (
    "本店所有评价都是买家的真实评价，我们不会删改任何评价。",
    "店内每一条评价都是真实的，欢迎大家参考。",
)
_EXPLAIN_POLICY = (
    "本店支持7天无理由退换货，并赠送运费险，收到不满意可以随时退换。",
    "我们为每笔订单购买了运费险，7天内无理由退换，您不用担心运费。",
)
_EXPLAIN_CLOSE = (
    "感谢您的批评，我们会继续改进！",
    "谢谢您的监督，祝您生活愉快。",
    "我们虚心接受，一定做得更好。",
)
#: Extra paragraphs used only by the injected over-long explanations (they argue and ramble).
_EXPLAIN_RAMBLE = (
    "我们是一家经营多年的老店，一直坚持诚信经营，每天都有几百位顾客下单，绝大多数顾客都非常满意，这一点大家可以从店铺的好评率看出来。",
    "关于您提到的问题，我们反复查看了订单记录和聊天记录，也找仓库的同事逐一核对了发货流程，确认商品在出库时是完好无损的。",
    "我们多次通过旺旺、短信和电话联系您，希望能够帮您解决问题，可惜一直没有得到回复，我们的诚意是真的，希望您能理解。",
    "我们也想提醒其他顾客，如果收到商品有任何问题，请第一时间联系在线客服，我们一定会给大家一个满意的答复，绝不推卸责任。",
    "另外，本店的所有商品都支持售后保障服务，七天无理由退换货，十五天质量问题包换，一年保修，请大家放心购买。",
    "这位买家在收货当天就给了差评，我们看到后马上安排了专人跟进，提出了退款、换货、补发等多种方案，但对方都没有接受。",
    "我们的商品都是从正规厂家直接进货的，有完整的进货单据和质检报告，如果有需要，我们可以向平台提供全部的证明材料。",
    "最后再次说明，我们非常重视每一位顾客的感受，也欢迎大家监督，但是对于不实的评价，我们也希望大家能够理性看待。",
)


def item_titles(rng: np.random.Generator, product_type: str, n: int) -> list[tuple[str, str]]:
    """``n`` (item noun, title) pairs for a shop trading ``product_type``."""
    nouns = next(t[1] for t in SHOP_TRADES if t[0] == product_type)
    w1 = rng.integers(0, len(_TITLE_WORDS), n)
    w2 = rng.integers(0, len(_TITLE_WORDS), n)
    k = rng.integers(0, len(nouns), n)
    return [
        (nouns[c], f"{_TITLE_WORDS[a]}{_TITLE_WORDS[b] if b != a else ''}{nouns[c]} {i + 1:03d}款")
        for i, (a, b, c) in enumerate(zip(w1.tolist(), w2.tolist(), k.tolist(), strict=True))
    ]


def _tails(category: str, rating: str) -> tuple[str, ...]:
    if category == "novice":
        return _REVIEW_TAIL_NOVICE
    return _REVIEW_TAIL_NEGATIVE if rating == "negative" else _REVIEW_TAIL_NEUTRAL


def review_texts(
    rng: np.random.Generator,
    categories: Sequence[str],
    ratings: Sequence[str],
    products: Sequence[str],
) -> list[str]:
    """One review text per row: a complaint of the row's category and a tail fitting its rating.

    ``products`` is the item noun shown in the text (e.g. the item's product type).
    """
    n = len(categories)
    u = rng.random((n, 4))
    nums = rng.integers(3, 12, n).tolist()
    money = (rng.integers(5, 41, n) * 10).tolist()
    out = []
    for i, (cat, rating, prod) in enumerate(zip(categories, ratings, products, strict=True)):
        phrases = _REVIEW[cat]
        first = phrases[int(u[i, 0] * len(phrases))]
        text = first
        if u[i, 1] < 0.35:  # a second complaint of the same kind, a third of the time
            second = phrases[int(u[i, 2] * len(phrases))]
            if second != first:
                text += second
        tails = _tails(cat, rating)
        text += tails[int(u[i, 3] * len(tails))]
        out.append(text.format(n=nums[i], p=prod, m=money[i]))
    return out


def explanation_texts(
    rng: np.random.Generator, categories: Sequence[str], *, too_long: Sequence[bool]
) -> list[str]:
    """One public explanation per row, at most 500 characters unless ``too_long`` is set.

    Rows with ``too_long`` get rambling extra paragraphs until they exceed 520 characters: the
    injected ``explanation_too_long`` defect (a margin keeps them clear of the limit).
    """
    n = len(categories)
    u = rng.random((n, 6))
    out = []
    for i, (cat, long_) in enumerate(zip(categories, too_long, strict=True)):
        body = _EXPLAIN_BODY[cat]
        parts = [
            _EXPLAIN_OPEN[int(u[i, 0] * len(_EXPLAIN_OPEN))],
            body[int(u[i, 1] * len(body))],
        ]
        if u[i, 2] < 0.8:
            parts.append(_EXPLAIN_GENUINE[int(u[i, 3] * len(_EXPLAIN_GENUINE))])
        parts.append(_EXPLAIN_POLICY[int(u[i, 4] * len(_EXPLAIN_POLICY))])
        parts.append(_EXPLAIN_CLOSE[int(u[i, 5] * len(_EXPLAIN_CLOSE))])
        if long_:
            start = int(u[i, 5] * len(_EXPLAIN_RAMBLE))
            k = 0  # base + all rambles exceed limit + 20 (tested), so none is repeated
            while sum(map(len, parts)) <= EXPLANATION_LIMIT + 20:
                parts.insert(-1, _EXPLAIN_RAMBLE[(start + k) % len(_EXPLAIN_RAMBLE)])
                k += 1
        text = "".join(parts)
        if not long_ and len(text) > EXPLANATION_LIMIT:  # pragma: no cover - templates are short
            msg = f"explanation template longer than {EXPLANATION_LIMIT} characters: {text[:40]}..."
            raise RuntimeError(msg)
        out.append(text)
    return out
