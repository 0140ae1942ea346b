"""Evidence that compensation depended on the review (issue 13), from chat and from behaviour.

An agent who pays buyers to revise a review (unlawful: SAMR Order No. 91 art. 9(5), 16 CFR
465.4) will not tick ``conditional_on_review`` in the log, so the audit looks where the evidence
is: what the agent wrote (``chat.detect_offers``) and the order of payments and review changes
(``behaviour.conditional_evidence``). Self-contained (polars, stdlib, OpenCC) so it can move
into the promises job unchanged.
"""
