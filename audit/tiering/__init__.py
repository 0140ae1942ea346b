"""Review-text tiering (issue 11): each neutral/negative review's tier from its own words.

The public entry point is :func:`tier_reviews` (LazyFrame in, LazyFrame out). The lexicon,
negation and normalisation rules are the JSON files beside this module, reviewed like code.
"""

from audit.tiering.classify import MIN_SCORE, OUTPUT_SCHEMA, tier_reviews
from audit.tiering.lexicon import TIERS, Tier, pattern_table
from audit.tiering.normalise import normalise_expr

__all__ = [
    "MIN_SCORE",
    "OUTPUT_SCHEMA",
    "TIERS",
    "Tier",
    "normalise_expr",
    "pattern_table",
    "tier_reviews",
]
