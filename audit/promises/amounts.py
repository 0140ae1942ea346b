"""Chinese and Arabic numerals in chat amounts: 十块, 两块, 一块五, 3块5, ¥8, 五毛, 满50减10.

Agents write amounts the way people talk, so a promise of "一块五" must read as 1.5 CNY and
"二十" as 20, or an offer in chat could never be compared with the amount in the log. Pure
stdlib: the regular expression is built here once and reused by the offer detector.
"""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN = "零〇一二两三四五六七八九十百千万"

#: One number: Arabic (with decimals) or a run of Chinese numerals.
NUMBER = rf"(?:\d+(?:\.\d+)?|[{_CN}]+)"
#: The currency units that make a number an amount (after normalisation: r/rmb -> 元).
_UNIT = r"(?:块钱|块|元钱|元|圆)"
#: A trailing digit after the unit is tenths in speech: 一块五 = 1.5, 3块5 = 3.5. Not when it
#: starts another counted thing (3块5个) or another amount (3块5块).
_TAIL = rf"(?P<tail>[一二两三四五六七八九\d])(?![\d{_CN}]*(?:块|元|折|个|件|包|张|份|毛|角))"
#: Every spelling of an amount, as named alternatives.
AMOUNT_PATTERN = (
    rf"满\d+减(?P<coupon>{NUMBER})"
    rf"|[¥$](?P<sign>\d+(?:\.\d+)?)"
    rf"|(?P<main>{NUMBER}){_UNIT}(?:{_TAIL})?"
    rf"|(?P<jiao>[一二两三四五六七八九\d])(?:毛|角)(?:钱)?"
)
#: The same without named groups, to embed in larger patterns (lexicon ``{AMOUNT}``).
AMOUNT_INLINE = re.sub(r"\(\?P<\w+>", "(?:", AMOUNT_PATTERN)
AMOUNT_RE = re.compile(AMOUNT_PATTERN)


def chinese_number(text: str) -> float:
    """The value of one numeral string: ``"15"``, ``"5.5"``, ``"十五"``, ``"二十"``, ``"一百二"``.

    Colloquial shortening is read as speakers mean it: a digit after 百/千 scales to the next
    unit down (一百二 = 120, 两千五 = 2500). Raises ``ValueError`` for anything else, so a
    pattern that hands over a non-number fails loudly in the tests rather than paying 0.

    Examples
    --------
    >>> [chinese_number(s) for s in ("十五", "两百", "一百二", "8")]
    [15.0, 200.0, 120.0, 8.0]
    """
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        msg = f"not a number: {text!r}"
        raise ValueError(msg)
    if all(ch in _DIGITS for ch in text) and len(text) > 1:  # 一〇 read digit by digit
        return float("".join(str(_DIGITS[ch]) for ch in text))
    total, current, last_unit = 0, 0, 1
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        else:
            unit = _UNITS[ch]
            total += (current or 1) * unit  # 十五: a bare 十 means 一十
            current, last_unit = 0, unit
    if current and last_unit >= 100:  # noqa: PLR2004 - 一百二: the digit is the next unit down
        current *= last_unit // 10
    return float(total + current)


def amount_value(match: re.Match[str]) -> float:
    """The CNY value of one ``AMOUNT_RE`` match."""
    groups = match.groupdict()
    if groups["coupon"] is not None:
        return chinese_number(groups["coupon"])
    if groups["sign"] is not None:
        return float(groups["sign"])
    if groups["jiao"] is not None:
        return chinese_number(groups["jiao"]) / 10
    value = chinese_number(groups["main"])
    if groups["tail"] is not None:
        value += chinese_number(groups["tail"]) / 10
    return round(value, 2)


def parse_amount(text: str) -> float | None:
    """The first amount in ``text`` in CNY, or None when it states none.

    ``text`` should be normalised first (``chat.normalise``: full-width digits, ``5r`` -> 5元).

    Examples
    --------
    >>> [parse_amount(s) for s in ["返您十块", "补一块五", "¥8的运费", "打九折", "满50减10"]]
    [10.0, 1.5, 8.0, None, 10.0]
    """
    match = AMOUNT_RE.search(text)
    return None if match is None else amount_value(match)
