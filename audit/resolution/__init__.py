"""Job 2: how well are reviews resolved, by complaint category and by agent.

- :mod:`~audit.resolution.analysis`: the pure analysis
  (:func:`~audit.resolution.analysis.analyse_resolution`) with its parts
  :mod:`~audit.resolution.protocol` (contact-protocol checks, unverified claims),
  :mod:`~audit.resolution.stats` (intervals, standardisation, shrinkage) and
  :mod:`~audit.resolution.workload` (throughput, backlog);
- :mod:`~audit.resolution.views`: the manager's tables and headline, each computed once;
- :mod:`~audit.resolution.figures` and ``labels.json``;
- :mod:`~audit.resolution.job`: :func:`~audit.resolution.job.load_and_analyse` and the CLI files.
"""
