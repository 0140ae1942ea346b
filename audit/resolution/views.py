"""Resolution tables as a manager reads them: 41.2%, 1,204, 18.5 h, labelled headers.

The analysis frames keep full-precision numbers (the CSV files are for re-use); the notebook
shows these formatted copies instead. Pure: a collected frame in, a string frame out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, get_args

import polars as pl

from audit.core.display import CODED, cell_expr, value_label
from audit.core.fmt import DASH, fmt_column, fmt_datetime, fmt_interval, fmt_value
from audit.core.labels import label
from audit.core.masking import mask_buyers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from audit.resolution.analysis import ResolutionAudit

View = Literal["agents", "categories", "breaches", "unverified", "workload", "log_vs_text",
               "log_vs_text_cases", "by_text_tier"]
VIEWS: tuple[str, ...] = get_args(View)

_COLUMNS: dict[str, tuple[str, ...]] = {
    "agents": ("rank", "agent_id", "agent_name", "level", "cases", "eligible", "resolved",
               "still_open", "rate", "rate_ci", "expected", "mix_adjusted_ratio", "ratio_ci",
               "shrunk_ratio", "median_hours_to_first_contact", "share_within_sla"),
    "categories": ("category", "cases", "eligible", "resolved", "still_open", "rate", "rate_ci",
                   "median_hours_to_case_opened", "median_hours_to_first_contact",
                   "p90_hours_to_first_contact", "share_within_sla"),
    "breaches": ("case_id", "agent_id", "check", "detail"),
    "unverified": ("case_id", "agent_id", "claimed_outcome"),
    "workload": ("agent_id", "working_days", "cases_opened", "cases_per_working_day",
                 "resolutions", "resolutions_per_working_day", "contacts", "peak_day_cases"),
    "log_vs_text": ("agent_id", "cases", "tiered", "mismatches", "mismatch_share",
                    "hard_logged_easy"),
    "log_vs_text_cases": ("case_id", "agent_id", "log_category", "text_tier", "evidence",
                          "review_text"),
    "by_text_tier": ("category", "logged_cases", "logged_eligible", "logged_rate", "text_cases",
                     "text_eligible", "text_rate"),
}
_KINDS: dict[str, str] = {
    "rate": "pct", "share_within_sla": "pct",
    "median_hours_to_first_contact": "hours", "p90_hours_to_first_contact": "hours",
    "median_hours_to_case_opened": "hours",
    "mix_adjusted_ratio": "ratio", "shrunk_ratio": "ratio", "expected": "ratio",
    "cases_per_working_day": "ratio", "resolutions_per_working_day": "ratio",
    "mismatch_share": "pct", "logged_rate": "pct", "text_rate": "pct",
}


def display_frame(df: pl.DataFrame, view: str, *, lang: str = "en") -> pl.DataFrame:
    """Format, label and mask one resolution frame for showing.

    Parameters
    ----------
    df
        A collected frame of :class:`audit.resolution.ResolutionAudit` (``by_agent`` for
        ``agents``, ``by_category`` for ``categories``, ``breaches``, ``unverified``,
        ``workload``; ``log_vs_text``, ``log_vs_text_cases``, ``by_text_tier``).
    view
        Which preset of columns to show (``VIEWS``).
    lang
        ``en`` or ``zh`` for headers and check names.
    """
    if view not in VIEWS:
        msg = f"view must be one of {', '.join(VIEWS)}, got {view!r}"
        raise ValueError(msg)
    out = mask_buyers(df)
    if "ci_low" in out.columns:
        out = out.with_columns(rate_ci=_interval("ci_low", "ci_high", "pct", lang))
    if "ratio_ci_low" in out.columns:
        out = out.with_columns(ratio_ci=_interval("ratio_ci_low", "ratio_ci_high", "ratio",
                                                  lang))
    cols = [c for c in _COLUMNS[view] if c in out.columns]
    fmt = []
    for c in cols:
        if c in _KINDS:
            fmt.append(fmt_column(c, _KINDS[c], lang))
        elif out.schema[c].is_integer():
            fmt.append(fmt_column(c, "count", lang))
        elif c == "detail":
            fmt.append(pl.col(c).map_elements(lambda t: detail_text(t, lang),
                                              return_dtype=pl.String))
        elif c in CODED:
            fmt.append(cell_expr(c, out.schema[c], lang))
        else:
            fmt.append(pl.col(c).cast(pl.String).fill_null(DASH))
    shown = out.select(fmt)
    return shown.rename({c: label(f"resolution.col.{c}", lang) for c in cols})


def _interval(low: str, high: str, kind: str, lang: str = "en") -> pl.Expr:
    return pl.struct(low, high).map_elements(
        lambda r: fmt_interval(r[low], r[high], kind, lang), return_dtype=pl.String)


def detail_text(detail: str, lang: str) -> str:
    """A breach's detail sentence (written in English by the checks) in ``lang``, for a page.

    Retold from the same ``resolution.detail.*`` templates the checks wrote it with; dates and
    times in the language's form (English too: the CSV keeps the checks' ISO moments, a page
    writes them as every other page does), coded values (a category) in words, agent lists
    joined.
    """
    from audit.core.templates import retell
    from audit.resolution.protocol import DETAILS

    if not detail:
        return detail
    templates = {n: (label(f"resolution.detail.{n}", "en"), label(f"resolution.detail.{n}", lang))
                 for n in DETAILS}

    def convert(name: str, value: str) -> str:
        if name.endswith("_at") or name == "first_message":
            return fmt_datetime(datetime.strptime(value, "%Y-%m-%d %H:%M"), lang)
        if name in {"category", "text_category"}:
            return value_label("category", value, lang)
        if name == "agents":
            return label("list.separator", lang).join(value.split(", "))
        return value

    return retell(detail, templates, convert)


#: Headline rows in display order: (key in the headline dict, label, kind of number).
HEADLINE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("cohort_cases", "cases", "count"), ("eligible", "eligible", "count"),
    ("resolved", "resolved", "count"), ("still_open", "still_open", "count"),
    ("rate", "rate", "pct"), ("rate_ci", "rate_ci", "interval"),
    ("median_hours_to_first_contact", "median_hours_to_first_contact", "hours"),
    ("p90_hours_to_first_contact", "p90_hours_to_first_contact", "hours"),
    ("share_within_sla", "share_within_sla", "pct"), ("breaches", "breaches", "count"),
    ("unverified_claims", "unverified_claims", "count"),
)


def headline_frame(headline: dict[str, object], *, lang: str = "en") -> pl.DataFrame:
    """Turn a :func:`audit.resolution.analysis.resolution_headline` dict into a two-column table."""
    def cell(key: str, kind: str) -> str:
        if kind == "interval":
            return fmt_interval(headline["ci_low"], headline["ci_high"], "pct",  # type: ignore[arg-type]
                                lang)
        return fmt_value(headline[key], kind, lang)  # type: ignore[arg-type]

    names = [label(f"resolution.col.{name}", lang) for _, name, _ in HEADLINE_ROWS]
    return pl.DataFrame({label("resolution.col.metric", lang): names,
                         label("resolution.col.value", lang): [cell(k, kind)
                                                               for k, _, kind in HEADLINE_ROWS]})


def _case_context(tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """case_id -> shop_id, review_id, buyer_id, rating, reviewed_at (the buyer is masked later)."""
    return tables["cases"].select("case_id", "review_id").join(
        tables["reviews"].select("review_id", "shop_id", "buyer_id", "rating", "reviewed_at"),
        on="review_id", how="left")


def breach_list(audit: ResolutionAudit, tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """The month's protocol breaches with shop, review, buyer (masked) and agent name."""
    from audit.resolution.protocol import sort_breaches

    rows = (audit.breaches.join(_case_context(tables), on="case_id", how="left")
            .join(tables["agents"].select("agent_id", "agent_name"), on="agent_id", how="left")
            .select(BREACH_LIST_COLUMNS))
    return mask_buyers(sort_breaches(rows))  # sorted after the joins: they do not keep order


def claim_list(audit: ResolutionAudit, tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """The month's unverified claims with shop, review, buyer (masked) and agent name."""
    rows = (audit.unverified.join(_case_context(tables), on="case_id", how="left")
            .join(tables["agents"].select("agent_id", "agent_name"), on="agent_id", how="left")
            .select(CLAIM_LIST_COLUMNS).sort("case_id"))
    return mask_buyers(rows)


def breaches_for_action(breaches: pl.DataFrame) -> pl.DataFrame:
    """The breach list in the order to act on it, most serious check first.

    Checks rank by ``protocol.SEVERITY``; then the oldest review, then case id (stable).
    """
    from audit.resolution.protocol import SEVERITY

    rank = pl.col("check").replace_strict(SEVERITY, list(range(len(SEVERITY))),
                                          default=len(SEVERITY), return_dtype=pl.Int32)
    return breaches.sort(rank, pl.col("reviewed_at"), pl.col("case_id"), nulls_last=True)


def claims_for_action(claims: pl.DataFrame) -> pl.DataFrame:
    """Unverified claims, oldest review first (its 30-day window closes first), then case id."""
    return claims.sort("reviewed_at", "case_id", nulls_last=True)


#: Columns of the breach and claim action lists (Excel and ``data/*.csv`` of the pack).
BREACH_LIST_COLUMNS: tuple[str, ...] = (
    "case_id", "check", "agent_id", "agent_name", "shop_id", "review_id", "buyer_id", "rating",
    "reviewed_at", "detail",
)
CLAIM_LIST_COLUMNS: tuple[str, ...] = (
    "case_id", "claimed_outcome", "agent_id", "agent_name", "shop_id", "review_id", "buyer_id",
    "rating", "reviewed_at",
)


@dataclass(frozen=True)
class ResolutionViews:
    """Every manager-facing table and number of one cohort month (computed once).

    ``headline``: :func:`audit.resolution.analysis.audit_headline`; the frames are the
    analysis outputs (full precision, buyers masked where they appear) and the two action lists.
    """

    month: str
    as_of: str
    headline: dict[str, object]
    by_agent: pl.DataFrame
    by_category: pl.DataFrame
    by_agent_category: pl.DataFrame
    breaches: pl.DataFrame
    unverified: pl.DataFrame
    workload: pl.DataFrame
    backlog: pl.DataFrame
    breach_list: pl.DataFrame
    claim_list: pl.DataFrame
    #: Log vs text (issue 11; empty when built without the text tiers): per agent and the
    #: mismatched cases (``audit.resolution.text_tier.log_vs_text_plans``), and resolution by
    #: category on the logged category beside the text tier (``resolution_by_text_tier``).
    log_vs_text: pl.DataFrame = field(default_factory=pl.DataFrame)
    log_vs_text_cases: pl.DataFrame = field(default_factory=pl.DataFrame)
    by_text_tier: pl.DataFrame = field(default_factory=pl.DataFrame)


def resolution_views(audit: ResolutionAudit, tables: Mapping[str, pl.LazyFrame], *, month: str,
                     as_of: datetime, tiers: pl.LazyFrame | None = None) -> ResolutionViews:
    """Collect every view of ``audit`` in one pass (shared sub-plans run once).

    ``tiers``: the cohort reviews' text tiers (``audit.resolution.job.cohort_tiers``); without
    them the log-vs-text views are empty.
    """
    from audit.resolution.analysis import audit_headline

    names = ["by_agent", "by_category", "by_agent_category", "breaches", "unverified",
             "workload", "backlog"]
    plans = [*(getattr(audit, n) for n in names), breach_list(audit, tables),
             claim_list(audit, tables)]
    if tiers is not None:
        from audit.resolution.text_tier import log_vs_text_plans, resolution_by_text_tier

        plans += [*log_vs_text_plans(audit.cases, tiers, tables["reviews"]),
                  resolution_by_text_tier(audit.cases, tiers)]
    frames = [mask_buyers(f) for f in pl.collect_all(plans)]
    return ResolutionViews(month, f"{as_of:%Y-%m-%d}", audit_headline(audit), *frames)
