"""Shared leaves every layer may use: errors, dates, masking, number formats, labels, charts.

Nothing here imports a job, the data layer or the pack (import-linter holds that in CI).
"""
