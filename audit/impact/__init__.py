"""Job 3: do public explanations and resolved reviews lift sales (conversion, not traffic).

- :mod:`~audit.impact.analysis`: the stacked event study
  (:func:`~audit.impact.analysis.estimate_impact`), with :mod:`~audit.impact.design` (panel,
  clean controls), :mod:`~audit.impact.adjust` (other events) and :mod:`~audit.impact.stats`
  (estimates, bootstrap, placebo);
- :mod:`~audit.impact.views`: the verdict in words and the display tables;
- :mod:`~audit.impact.figures` and ``labels.json``;
- :mod:`~audit.impact.job`: :func:`~audit.impact.job.load_and_analyse` and the CLI files.
"""
