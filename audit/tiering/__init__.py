"""Review-text tiering (issue 11): each neutral/negative review's tier from its own words.

The public entry points are :func:`tier_reviews` (LazyFrame in, LazyFrame out) and
:func:`analyse_tiers` (canonical tables in: the text tier beside the case's logged category,
``audit.tiering.job``); other jobs import only these names. The lexicon,
negation and normalisation rules are the JSON files beside this module, reviewed like code.
"""

from audit.tiering.classify import MIN_SCORE, OUTPUT_SCHEMA, tier_reviews
from audit.tiering.job import IN_SCOPE_RATINGS, logged_category
from audit.tiering.job import analyse as analyse_tiers
from audit.tiering.lexicon import TIERS, Tier, pattern_table
from audit.tiering.mix import item_tier_mix
from audit.tiering.normalise import normalise_expr

__all__ = [
    "IN_SCOPE_RATINGS",
    "MIN_SCORE",
    "OUTPUT_SCHEMA",
    "TIERS",
    "Tier",
    "analyse_tiers",
    "item_tier_mix",
    "logged_category",
    "normalise_expr",
    "pattern_table",
    "tier_reviews",
]
