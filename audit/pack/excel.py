"""The Excel action lists managers work from, and their CSV twins in the pack's ``data/``.

Assembled from the jobs' views only (no number is derived here; buyers are already masked in
the views). Each workbook (``<list>_<month>.xlsx``, so the months never overwrite one
another) opens on a sheet saying what it is: the month, the shop, the as-of date, the data
quality, how the rows are ordered and why an amount may be blank. Then "All agents" and one
sheet per agent, rows in the order to act on them (the views' ``*_for_action``), a blank
"Action taken" column to record what was done, headers and coded values in the pack's language:

- ``promises_to_chase``: :attr:`audit.promises.views.PromiseViews.chase` (every broken or
  partly kept promise as of the audit date, of any month) and its per-agent summary;
- ``review_conditional``: :func:`audit.promises.views.conditional_lists` (agents marked
  conditional in the log, chat offers tied to the review, agents found by behaviour; issue 13),
  one sheet per list, coded values in words;
- ``protocol_breaches``: :attr:`audit.resolution.views.ResolutionViews.breach_list`;
- ``unverified_claims``: :attr:`audit.resolution.views.ResolutionViews.claim_list`;
- ``log_vs_text``: :attr:`audit.resolution.views.ResolutionViews.log_vs_text_cases` (the cases
  whose logged category differs from the review text) and ``log_vs_text`` (per agent).

The CSVs in ``data/`` keep the views' own columns and codes (for re-use, not for reading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from audit.core.bundle import action_list_file
from audit.core.display import CODED, coded_text, header, value_label
from audit.core.fmt import fmt_date, fmt_month
from audit.core.labels import label
from audit.data import outputs
from audit.data.outputs import ListSheet, excel_kinds

if TYPE_CHECKING:
    from pathlib import Path

    from audit.pack.headline import MonthViews

#: Workbook names, in the order the index lists them.
WORKBOOKS: tuple[str, ...] = ("promises_to_chase", "review_conditional", "protocol_breaches",
                              "unverified_claims", "log_vs_text")
#: The review_conditional workbook's lists, in sheet order; the last one's rows are the count
#: shown beside its link (the agents found by behaviour).
CONDITIONAL_PARTS: tuple[str, ...] = ("conditional_declared", "chat_conditional",
                                      "conditional_found")
#: The CSV twin of each (workbook, part).
CSV_NAMES: dict[tuple[str, str], str] = {
    ("promises_to_chase", "list"): "promises_to_chase",
    ("promises_to_chase", "by_agent"): "promises_to_chase_by_agent",
    ("protocol_breaches", "list"): "protocol_breaches",
    ("unverified_claims", "list"): "unverified_claims",
    ("log_vs_text", "by_agent"): "log_vs_text_by_agent",
    ("log_vs_text", "list"): "log_vs_text_cases",
    **{("review_conditional", part): part for part in CONDITIONAL_PARTS},
}
#: Column kinds for Excel number formats (``audit.data.outputs.EXCEL_FORMATS``).
_KINDS: dict[str, str] = {
    "promised_cny": "cny", "covered_cny": "cny", "owed_cny": "cny", "days_overdue": "count",
    "max_days_overdue": "count", "promises": "count",
    "promised_at": "datetime", "due_at": "datetime", "reviewed_at": "datetime",
}
#: Characters Excel refuses in a sheet name.
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Context:
    """What every workbook says about itself on its first sheet."""

    month: str
    as_of: str
    shop: str | None
    quality: str
    lang: str


def action_lists(views: MonthViews) -> dict[str, dict[str, pl.DataFrame]]:
    """Workbook -> part (``list``, ``by_agent``) -> frame in action order, for the views present."""
    from audit.promises.job import excel_sheets
    from audit.promises.views import chase_for_action
    from audit.resolution.views import breaches_for_action, claims_for_action

    books: dict[str, dict[str, pl.DataFrame]] = {}
    if views.promises is not None:
        books["promises_to_chase"] = {"list": chase_for_action(views.promises.chase),
                                      "by_agent": views.promises.chase_by_agent}
        sheets = excel_sheets(views.promises)
        books["review_conditional"] = {k: sheets[k] for k in CONDITIONAL_PARTS if k in sheets}
    if views.resolution is not None:
        books["protocol_breaches"] = {"list": breaches_for_action(views.resolution.breach_list)}
        books["unverified_claims"] = {"list": claims_for_action(views.resolution.claim_list)}
        books["log_vs_text"] = {"list": views.resolution.log_vs_text_cases,
                                "by_agent": views.resolution.log_vs_text}
    return books


def _in_words(df: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Coded values and detail sentences in ``lang``; numbers and times stay typed (formats)."""
    from audit.resolution.views import detail_text

    exprs = []
    for c in df.columns:
        if c in CODED and df.schema[c] == pl.String:
            exprs.append(pl.col(c).map_elements(lambda v, c=c: coded_text(c, v, lang),
                                                return_dtype=pl.String, skip_nulls=False))
        elif c == "detail":
            exprs.append(pl.col(c).map_elements(lambda t: detail_text(t, lang),
                                                return_dtype=pl.String))
        else:
            exprs.append(pl.col(c))
    return df.select(exprs)


def _with_notes(book: str, df: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The note on a blank amount (chase list) and the blank "action taken" column."""
    if book == "promises_to_chase" and "owed_cny" in df.columns:
        notes = [label("excel.note.non_monetary", lang).format(kind=value_label("kind", k, lang))
                 if owed is None else ""
                 for owed, k in zip(df["owed_cny"], df["kind"], strict=True)]
        df = df.with_columns(note=pl.Series(notes, dtype=pl.String))
    return df.with_columns(action_taken=pl.lit("", dtype=pl.String))


def _sheet_name(agent_id: str, name: str | None, taken: set[str]) -> str:
    text = _BAD_SHEET_CHARS.sub(" ", f"{name} {agent_id}" if name else agent_id)[:31]
    while text in taken:  # two agents with the same name and a long id
        text = text[:28] + f"~{len(taken)}"
    taken.add(text)
    return text


def _table(book: str, key: str, df: pl.DataFrame, lang: str, *, name: str) -> ListSheet:
    words = _in_words(_with_notes(book, df, lang) if key != "by_agent" else df, lang)
    shown = words.rename({c: header(c, lang) for c in words.columns})
    formats = {header(c, lang): k for c, k in excel_kinds(words, _KINDS).items()}
    return ListSheet(name=name, frame=shown, formats=formats,
                     table=re.sub(r"\W", "_", f"{book}_{key}", flags=re.ASCII))


def _info(book: str, ctx: Context) -> ListSheet:
    lang = ctx.lang
    rows = [
        (label("excel.list", lang), label(f"actions.{book}", lang)),
        (label("excel.month", lang), fmt_month(ctx.month, lang)),
        (label("excel.shop", lang), ctx.shop or label("index.all_shops", lang)),
        (label("excel.as_of", lang), fmt_date(ctx.as_of, lang, year=True)),
        (label("excel.quality", lang), ctx.quality),
        (label("excel.order", lang), label(f"excel.order.{book}", lang)),
        (label("excel.sheets", lang),
         label("excel.sheets_text.review_conditional" if book == "review_conditional"
               else "excel.sheets_text", lang)),
    ]
    if book == "promises_to_chase":
        rows.append((label("excel.amounts", lang), label("excel.amounts_text", lang)))
    return ListSheet(name=label("sheet.info", lang), info=tuple(rows))


def workbook_sheets(book: str, parts: dict[str, pl.DataFrame], ctx: Context) -> list[ListSheet]:
    """Every sheet of one workbook: about, (summary by agent), all agents, one per agent."""
    lang = ctx.lang
    sheets = [_info(book, ctx)]
    if "list" not in parts:  # a workbook of named lists (review_conditional): a sheet each
        from audit.promises.figures import labelled

        blank = pl.lit("", dtype=pl.String).alias("action_taken")
        return sheets + [ListSheet(name=label(f"sheet.{key}", lang),
                                   frame=labelled(df.with_columns(blank), lang=lang),
                                   formats={header(c, lang): k for c, k
                                            in excel_kinds(df, _KINDS).items()},
                                   table=f"{book}_{key}")
                         for key, df in parts.items()]
    if "by_agent" in parts:
        sheets.append(_table(book, "by_agent", parts["by_agent"], lang,
                             name=label("sheet.by_agent", lang)))
    rows = parts["list"]
    sheets.append(_table(book, "all", rows, lang, name=label("sheet.all_agents", lang)))
    taken = {s.name for s in sheets}
    named = rows if "agent_name" in rows.columns else rows.with_columns(agent_name=pl.lit(None))
    agents = named.select("agent_id", "agent_name").unique(maintain_order=True).sort("agent_id")
    for agent_id, name in agents.iter_rows():
        part = rows.filter(pl.col("agent_id") == agent_id)
        sheets.append(_table(book, f"agent_{agent_id}", part, lang,
                             name=_sheet_name(agent_id, name, taken)))
    return sheets


def write_action_lists(views: MonthViews, actions: Path, data: Path, *,
                       ctx: Context) -> dict[str, int]:
    """Write the workbooks into ``actions`` and each part as CSV into ``data``.

    Returns the rows of each workbook's list (the index shows them beside the links).
    """
    counts: dict[str, int] = {}
    for book, parts in action_lists(views).items():
        outputs.write_styled_excel(workbook_sheets(book, parts, ctx),
                                   actions / action_list_file(book, ctx.month))
        for key, df in parts.items():
            outputs.write_csv(df, data / f"{CSV_NAMES[book, key]}.csv", bom=True)
        counts[book] = (parts["list"] if "list" in parts else list(parts.values())[-1]).height
    return counts
