"""Job 1: which promises to buyers were never kept (and which payments had no promise).

- :mod:`~audit.promises.analysis`: the pure audit (promises matched to payments, statuses,
  flags, payment findings), one entry point :func:`~audit.promises.analysis.audit_promises`;
- :mod:`~audit.promises.views`: what a manager reads, each number computed once (the headline,
  the promises-to-chase list, breakdowns);
- :mod:`~audit.promises.figures` and ``labels.json``: its charts and words;
- :mod:`~audit.promises.job`: :func:`~audit.promises.job.load_and_analyse`, the one function the
  CLI, the notebook and the pack call, and the CLI's file outputs.
"""
