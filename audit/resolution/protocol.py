"""Contact-protocol checks and unverified outcome claims (definitions: docs/interfaces.md, binding).

The protocol (DOMAIN.md, seeds 000/001/003): message first and phone only after two days of
unanswered messages; one buyer, one agent (the shared log exists so two agents do not chase the
same buyer); at most five attempts per case; tiers 3-5 (service, quality, fraud) for seniors; a
public explanation within the platform's 30 days and at most 500 characters. Each check yields
one row per (case_id, check) with a sentence a team lead can read without the data at hand.

Only what is visible at ``as_of`` counts: contacts, explanations, revisions and removals stamped
later are ignored, so re-running an old month gives the answer that month would have given.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, get_args

import polars as pl

from audit.core.shops import for_shop
from audit.data.schema import SENIOR_ONLY_CATEGORIES

Check = Literal[
    "phone_too_early",
    "multiple_agents",
    "too_many_attempts",
    "novice_on_senior_category",
    "explanation_late",
    "explanation_too_long",
    "text_tier",
]
CHECKS: tuple[str, ...] = get_args(Check)

#: Phoning is allowed only after this long of unanswered messages on the same case.
PHONE_AFTER = timedelta(hours=48)
#: More contacts than this on one case is a harassment risk.
MAX_ATTEMPTS = 5
#: The platform's window for an explanation (and for a revision), after the review.
WINDOW = timedelta(days=30)
#: The platform's limit on an explanation's length, in characters.
MAX_EXPLANATION_CHARS = 500

BREACH_COLUMNS: tuple[str, ...] = ("case_id", "agent_id", "check", "detail")
CLAIM_COLUMNS: tuple[str, ...] = ("case_id", "agent_id", "claimed_outcome")

_TS = "%Y-%m-%d %H:%M"


def _hours(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_microseconds() / 3.6e9


def _fmt(x: pl.Expr, decimals: int = 1) -> pl.Expr:
    return x.round(decimals).cast(pl.String)


def visible_contacts(contacts: pl.LazyFrame, *, as_of: datetime) -> pl.LazyFrame:
    """Contacts logged at or before ``as_of`` (one row per contact attempt)."""
    return contacts.filter(pl.col("contacted_at") <= as_of)


def contact_summary(contacts: pl.LazyFrame, *, as_of: datetime) -> pl.LazyFrame:
    """One row per contacted case: everything the checks and timeliness need, in one pass.

    Columns: case_id, n_contacts, first_contact_at, last_contact_at, first_phone (earliest
    phone call), first_unanswered (earliest unreached shop_im/private_im/sms contact),
    agent_lo / agent_hi (smallest and largest contacting agent_id: a buyer was contacted by two
    or more agents exactly when these differ across the buyer's cases, so the 30M-contact log is
    grouped once and the per-buyer agent lists are only built for the few buyers that breach).
    """
    msg = pl.col("channel") != "phone"
    return visible_contacts(contacts, as_of=as_of).group_by("case_id").agg(
        n_contacts=pl.len().cast(pl.Int64),
        first_contact_at=pl.col("contacted_at").min(),
        last_contact_at=pl.col("contacted_at").max(),
        first_phone=pl.col("contacted_at").filter(~msg).min(),
        first_unanswered=pl.col("contacted_at").filter(msg & ~pl.col("reached")).min(),
        agent_lo=pl.col("agent_id").min(),
        agent_hi=pl.col("agent_id").max(),
    )


def case_facts(
    reviews: pl.LazyFrame,
    cases: pl.LazyFrame,
    contacts: pl.LazyFrame,
    *,
    as_of: datetime,
    shop: str | None = None,
) -> pl.LazyFrame:
    """One row per case opened at or before ``as_of``: the case, its review and its contacts.

    The single place where cases meet reviews and the contact log. Every check, the unverified
    claims and the resolution analysis read this one plan, so ``pl.collect_all`` runs the
    10M x 10M join and the contact group-by once instead of once per consumer.

    Parameters
    ----------
    reviews, cases, contacts
        Canonical tables, unfiltered.
    as_of
        Cases opened later are dropped; contacts logged later are not summarised.
    shop
        Only this shop's cases (``None`` or ``""``: all). Safe for the checks: a buyer is
        (shop_id, buyer_id), so no check looks across shops.

    Returns
    -------
    LazyFrame
        The case columns, the review's shop_id, buyer_id, reviewed_at, explained_at,
        ``explanation_chars`` (characters of the text) and the two facts :func:`review_evidence`
        reduces the revision/removal columns to (``resolved_at``, ``claim_verified``; fewer,
        narrower columns through the 10M-row join), ``has_review`` (null when the case's
        review is missing: a left join keeps such cases for the checks that do not need the
        review), and :func:`contact_summary`'s columns (null for a case never contacted).
    """
    rev = reviews.select(
        "review_id", "shop_id", "buyer_id", "reviewed_at", "explained_at",
        explanation_chars=pl.col("explanation_text").str.len_chars(),
        **review_evidence(as_of=as_of),
        has_review=pl.lit(True),
    )
    facts = (
        cases.filter(pl.col("opened_at") <= as_of)
        .join(rev, on="review_id", how="left")
        .join(contact_summary(contacts, as_of=as_of), on="case_id", how="left")
    )
    return for_shop(facts, shop).cache()


def detect_breaches(
    reviews: pl.LazyFrame,
    cases: pl.LazyFrame,
    contacts: pl.LazyFrame,
    agents: pl.LazyFrame,
    *,
    as_of: datetime,
    tiers: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """Every protocol breach in the handling log: one row per (case_id, check).

    Parameters
    ----------
    reviews, cases, contacts, agents
        Canonical tables (``audit.data.schema``). Pass them unfiltered: ``multiple_agents`` looks
        at all
        of a buyer's cases. Restrict the result to a cohort afterwards.
    as_of
        Only contacts and explanations stamped at or before this instant are seen.
    tiers
        The reviews' text tiers (review_id, tier, evidence: ``audit.tiering``); when given, the
        routing rule is also checked on them (check ``text_tier``). ``None``: not checked.

    Returns
    -------
    LazyFrame with ``case_id, agent_id, check, detail`` (agent_id is the case's agent), sorted by
    case_id then check order.
    """
    facts = case_facts(reviews, cases, contacts, as_of=as_of)
    return breaches_from_facts(facts, facts, contacts, agents, as_of=as_of, tiers=tiers)


def breaches_from_facts(
    facts: pl.LazyFrame,
    target: pl.LazyFrame,
    contacts: pl.LazyFrame,
    agents: pl.LazyFrame,
    *,
    as_of: datetime,
    tiers: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """The breach rows of the cases in ``target``, judged against all of ``facts``.

    ``facts`` is :func:`case_facts`; ``target`` a row subset of it (e.g. a cohort month). The
    per-case checks only look at ``target``, so detail sentences are built for the cases that
    are reported and not for the whole log; ``multiple_agents`` still looks at every case of
    the buyer in ``facts``. ``contacts`` is the raw log, read again only for the cases of
    buyers who breach ``multiple_agents`` (to list their agents). Sorted as
    :func:`sort_breaches` does, on the integer check order each part carries (no string
    lookup over millions of rows). ``tiers``: as in :func:`detect_breaches`.
    """
    parts = [
        _phone_too_early(target),
        _multiple_agents(facts, target, visible_contacts(contacts, as_of=as_of)),
        _too_many_attempts(target),
        _novice_on_senior(target, agents),
        _explanation(target, as_of=as_of),
    ]
    if tiers is not None:
        parts.append(_text_tier(target, agents, tiers))
    return pl.concat(parts, how="vertical").sort("case_id", "_order").select(*BREACH_COLUMNS)


def _check(name: Check) -> dict[str, pl.Expr]:
    """The ``check`` column and its position in ``CHECKS`` (the sort key), for one check."""
    return {"check": pl.lit(name), "_order": pl.lit(CHECKS.index(name), dtype=pl.UInt8)}


def sort_breaches(breaches: pl.LazyFrame) -> pl.LazyFrame:
    """Breach rows in a stable order: by case_id, then by the order of ``CHECKS``."""
    order = pl.col("check").replace_strict(CHECKS, list(range(len(CHECKS))), default=len(CHECKS))
    return breaches.sort(pl.col("case_id"), order)


def _phone_too_early(summary: pl.LazyFrame) -> pl.LazyFrame:
    # A later phone call is allowed iff the earliest one is: the earliest unanswered message is the
    # only one that matters, so one comparison per case replaces a search per call.
    waited = _hours(pl.col("first_phone"), pl.col("first_unanswered"))
    detail = (
        pl.when(pl.col("first_unanswered").is_null())
        .then(
            pl.lit("phoned at ") + pl.col("first_phone").dt.strftime(_TS)
            + pl.lit(" with no unanswered message before it (phone only after 48 h of unanswered"
                     " messages)")
        )
        .otherwise(
            pl.lit("phoned at ") + pl.col("first_phone").dt.strftime(_TS)
            + pl.lit(", only ") + _fmt(waited) + pl.lit(" h after the first unanswered message (")
            + pl.col("first_unanswered").dt.strftime(_TS) + pl.lit("); phone only after 48 h")
        )
    )
    return summary.filter(
        pl.col("first_phone").is_not_null()
        & (
            pl.col("first_unanswered").is_null()
            | (pl.col("first_phone") < pl.col("first_unanswered") + PHONE_AFTER)
        )
    ).select("case_id", "agent_id", **_check("phone_too_early"), detail=detail)


def _multiple_agents(
    facts: pl.LazyFrame, target: pl.LazyFrame, con: pl.LazyFrame
) -> pl.LazyFrame:
    # A buyer has >= 2 distinct agents iff the smallest and largest contacting agent_id over the
    # buyer's contacted cases differ: found from the per-case summary, without touching the log.
    buyer = ["shop_id", "buyer_id"]
    contacted = facts.filter(pl.col("has_review") & pl.col("agent_lo").is_not_null())
    flagged = (
        contacted.group_by(buyer)
        .agg(lo=pl.col("agent_lo").min(), hi=pl.col("agent_hi").max())
        .filter(pl.col("lo") != pl.col("hi"))
        .select(buyer)
    )
    # Only flagged buyers with a case in the target need their agent list.
    target_hit = (
        target.filter(pl.col("has_review") & pl.col("agent_lo").is_not_null())
        .select("case_id", "agent_id", *buyer)
        .join(flagged, on=buyer, how="semi")
    )
    buyers_hit = target_hit.select(buyer).unique()
    their_cases = contacted.select("case_id", *buyer).join(buyers_hit, on=buyer, how="semi")
    per_buyer = (
        con.select("case_id", "agent_id")
        .join(their_cases, on="case_id", how="inner")
        .select(*buyer, "agent_id").unique()
        .group_by(buyer)
        .agg(agents=pl.col("agent_id").sort())
    )
    detail = (
        pl.lit("buyer contacted by ")
        + pl.col("agents").list.len().cast(pl.String)
        + pl.lit(" agents across their cases: ")
        + pl.col("agents").list.join(", ")
    )
    return target_hit.join(per_buyer, on=buyer).select(
        "case_id", "agent_id", **_check("multiple_agents"), detail=detail
    )


def _too_many_attempts(summary: pl.LazyFrame) -> pl.LazyFrame:
    detail = (
        pl.col("n_contacts").cast(pl.String) + pl.lit(" contact attempts between ")
        + pl.col("first_contact_at").dt.strftime(_TS) + pl.lit(" and ")
        + pl.col("last_contact_at").dt.strftime(_TS) + pl.lit(f" (limit {MAX_ATTEMPTS})")
    )
    return summary.filter(pl.col("n_contacts") > MAX_ATTEMPTS).select(
        "case_id", "agent_id", **_check("too_many_attempts"), detail=detail
    )


def _novice_on_senior(case_cols: pl.LazyFrame, agents: pl.LazyFrame) -> pl.LazyFrame:
    # Filter the cases first and semi-join the (few) novices: no 10M-row join with the agents.
    novices = agents.filter(pl.col("level") == "novice").select("agent_id")
    hit = case_cols.filter(pl.col("category").is_in(SENIOR_ONLY_CATEGORIES)).join(
        novices, on="agent_id", how="semi"
    )
    detail = (
        pl.lit("novice agent ") + pl.col("agent_id") + pl.lit(" handled a ") + pl.col("category")
        + pl.lit(" case (tiers 3-5: service, quality, fraud are for senior agents)")
    )
    return hit.select("case_id", "agent_id", **_check("novice_on_senior_category"),
                      detail=detail)


def _text_tier(case_cols: pl.LazyFrame, agents: pl.LazyFrame,
               tiers: pl.LazyFrame) -> pl.LazyFrame:
    from audit.resolution.text_tier import text_tier_breaches

    return text_tier_breaches(case_cols, agents, tiers).select(
        "case_id", "agent_id", **_check("text_tier"), detail="detail")


def _explanation(facts: pl.LazyFrame, *, as_of: datetime) -> pl.LazyFrame:
    # An explanation stamped after as_of is not seen (neither its date nor its text).
    visible = pl.col("explained_at").is_null() | (pl.col("explained_at") <= as_of)
    days = _hours(pl.col("explained_at"), pl.col("reviewed_at")) / 24.0
    late = facts.filter(
        visible & (pl.col("explained_at") > pl.col("reviewed_at") + WINDOW)
    ).select(
        "case_id",
        "agent_id",
        **_check("explanation_late"),
        detail=pl.lit("explanation posted ") + _fmt(days) + pl.lit(" days after the review (")
        + pl.col("explained_at").dt.strftime(_TS) + pl.lit("; limit 30 days)"),
    )
    n_chars = pl.col("explanation_chars")
    long = facts.filter(visible & (n_chars > MAX_EXPLANATION_CHARS)).select(
        "case_id",
        "agent_id",
        **_check("explanation_too_long"),
        detail=pl.lit("explanation has ") + n_chars.cast(pl.String)
        + pl.lit(f" characters (limit {MAX_EXPLANATION_CHARS})"),
    )
    return pl.concat([late, long], how="vertical")


def unverified_claims(
    reviews: pl.LazyFrame, cases: pl.LazyFrame, *, as_of: datetime
) -> pl.LazyFrame:
    """Cases whose log claims the review was revised or removed while the review shows neither.

    The platform's review export is the evidence: a claim is verified when, at ``as_of``, the
    review has ``revised_rating = positive`` with ``revised_at`` set, or ``removed_at`` set
    (both at or before ``as_of``). One row per case: ``case_id, agent_id, claimed_outcome``.
    """
    rev = reviews.select("review_id", claim_verified=review_evidence(as_of=as_of)["claim_verified"])
    facts = cases.filter(pl.col("opened_at") <= as_of).join(rev, on="review_id", how="left")
    return claims_from_facts(facts).sort("case_id")


def claims_from_facts(facts: pl.LazyFrame) -> pl.LazyFrame:
    """:func:`unverified_claims` on :func:`case_facts` rows (unsorted), reusing its join.

    A case whose review is missing has a null ``claim_verified``: nothing verifies its claim.
    """
    verified = pl.col("claim_verified").fill_null(False)
    return facts.filter(pl.col("outcome").is_in(["revised", "removed"]) & ~verified).select(
        "case_id", "agent_id", pl.col("outcome").alias("claimed_outcome")
    )


def review_evidence(*, as_of: datetime) -> dict[str, pl.Expr]:
    """What the review export proves at ``as_of``, as expressions on the reviews table.

    * ``resolved_at``: the earlier of a positive revision and a removal, each counted only
      when within 30 days of the review and at or before ``as_of`` (the resolution
      definition); null when not resolved.
    * ``claim_verified``: the review shows a positive revision or a removal at or before
      ``as_of``, no 30-day condition (a claim is about what happened). Never null.

    Computed on the reviews before they are joined, so the join carries two columns instead
    of revised_rating, revised_at and removed_at.
    """
    deadline = pl.col("reviewed_at") + WINDOW
    positive = pl.col("revised_rating") == "positive"
    revised_at = pl.when(
        positive & (pl.col("revised_at") <= deadline) & (pl.col("revised_at") <= as_of)
    ).then(pl.col("revised_at"))
    removed_at = pl.when(
        (pl.col("removed_at") <= deadline) & (pl.col("removed_at") <= as_of)
    ).then(pl.col("removed_at"))
    shows_revised = positive & (pl.col("revised_at") <= as_of)
    shows_removed = pl.col("removed_at") <= as_of
    return {
        "resolved_at": pl.min_horizontal(revised_at, removed_at),
        "claim_verified": shows_revised.fill_null(False) | shows_removed.fill_null(False),
    }
