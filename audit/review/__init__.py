"""The monthly review's own views (issue 12).

Explanation coverage, products that draw complaints and the drift test behind the per-agent
trends. The agent scorecard and the month-by-month trends combine several jobs, so the pack
assembles them (``audit.pack``).
"""
