"""The Excel action lists managers work from, and their CSV twins in the pack's ``data/``.

Assembled from the jobs' views only (no rule or number is derived here; buyers are already
masked in the views):

- ``promises_to_chase.xlsx``: :attr:`audit.promises.views.PromiseViews.chase` (every broken or
  partly kept promise as of the audit date, of any month) and its per-agent summary;
- ``protocol_breaches.xlsx``: :attr:`audit.resolution.views.ResolutionViews.breach_list`;
- ``unverified_claims.xlsx``: :attr:`audit.resolution.views.ResolutionViews.claim_list`;
- ``log_vs_text.xlsx``: :attr:`audit.resolution.views.ResolutionViews.log_vs_text` (per agent)
  and ``log_vs_text_cases`` (the cases whose logged category differs from the review text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.core.labels import label
from audit.data import outputs

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

    from audit.pack.headline import MonthViews

#: Workbook file names, in the order the index lists them.
WORKBOOKS: tuple[str, ...] = ("promises_to_chase", "protocol_breaches", "unverified_claims",
                              "log_vs_text")


def action_sheets(views: MonthViews) -> dict[str, dict[str, pl.DataFrame]]:
    """Workbook -> sheet key -> frame, for the parts whose views exist."""
    from audit.promises.job import excel_sheets

    books: dict[str, dict[str, pl.DataFrame]] = {}
    if views.promises is not None:
        sheets = excel_sheets(views.promises)
        books["promises_to_chase"] = {"by_agent": sheets["by_agent"],
                                      "promises": sheets["promises"]}
    if views.resolution is not None:
        books["protocol_breaches"] = {"breaches": views.resolution.breach_list}
        books["unverified_claims"] = {"unverified": views.resolution.claim_list}
        books["log_vs_text"] = {"by_agent": views.resolution.log_vs_text,
                                "mismatches": views.resolution.log_vs_text_cases}
    return books


def _header(column: str, lang: str) -> str:
    try:
        return label(f"col.{column}", lang)
    except KeyError:
        return column


def _localised(df: pl.DataFrame, lang: str) -> pl.DataFrame:
    return df.rename({c: _header(c, lang) for c in df.columns})


def write_action_lists(views: MonthViews, actions: Path, data: Path, *,
                       lang: str) -> dict[str, int]:
    """Write the workbooks into ``actions`` and each sheet as CSV into ``data``.

    Returns the rows of each workbook's main list (the index shows them beside the links).
    """
    csv_names = {("promises_to_chase", "promises"): "promises_to_chase",
                 ("promises_to_chase", "by_agent"): "promises_to_chase_by_agent",
                 ("protocol_breaches", "breaches"): "protocol_breaches",
                 ("unverified_claims", "unverified"): "unverified_claims",
                 ("log_vs_text", "by_agent"): "log_vs_text_by_agent",
                 ("log_vs_text", "mismatches"): "log_vs_text_cases"}
    counts: dict[str, int] = {}
    for book, sheets in action_sheets(views).items():
        outputs.write_excel({label(f"sheet.{key}", lang): _localised(df, lang)
                             for key, df in sheets.items()}, actions / f"{book}.xlsx")
        for key, df in sheets.items():
            outputs.write_csv(df, data / f"{csv_names[book, key]}.csv")
        counts[book] = list(sheets.values())[-1].height
    return counts
