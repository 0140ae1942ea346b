"""Sentences with placeholders, written once as labels and used two ways.

An analysis writes a sentence per row (a protocol breach's detail) in English, the language of
its CSV files, from a label template (:func:`template_expr`, a polars expression: no Python per
row). A report in another language retells that sentence from the same template
(:func:`retell`): the English sentence is parsed back into its values with the template turned
into a pattern, and the values are written into the other language's template. One set of
templates, so the two can never say different things.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_FIELD = re.compile(r"\{(\w+)\}")


def template_expr(template: str, **values: pl.Expr) -> pl.Expr:
    """The sentence ``template`` with each ``{name}`` filled by ``values[name]`` (as text)."""
    parts: list[pl.Expr] = []
    for i, piece in enumerate(_FIELD.split(template)):
        if i % 2:
            parts.append(values[piece].cast(pl.String))
        elif piece:
            parts.append(pl.lit(piece))
    return pl.concat_str(parts)


@cache
def _pattern(template: str) -> re.Pattern[str]:
    out = []
    for i, piece in enumerate(_FIELD.split(template)):
        out.append(f"(?P<{piece}>.*?)" if i % 2 else re.escape(piece))
    return re.compile("^" + "".join(out) + "$")


def parse(text: str, template: str) -> dict[str, str] | None:
    """The values of ``text`` written from ``template``, or None when it was not."""
    m = _pattern(template).match(text)
    return m.groupdict() if m else None


def retell(text: str, templates: Mapping[str, tuple[str, str]],
           convert: Callable[[str, str], str] | None = None) -> str:
    """``text`` (written from one of ``templates``' source sentences) in the target template.

    ``templates`` maps a name to ``(source template, target template)``; ``convert(name,
    value)`` rewrites a value for the target (a date in its local form). A sentence no template
    wrote is returned unchanged (the zh pack's Latin-word test then shows it).
    """
    for source, target in templates.values():
        values = parse(text, source)
        if values is not None:
            if convert is not None:
                values = {k: convert(k, v) for k, v in values.items()}
            return target.format(**values)
    return text
