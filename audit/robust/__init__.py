"""Selection-robust estimators of issue 14, a library below the jobs (impact and resolution use it).

- :mod:`audit.robust.poisson_fe`: a Poisson pseudo-likelihood solver with item and time fixed
  effects and item-clustered variance (the numerical core, checked against pyfixest).
- :mod:`audit.robust.panel_fe`: the explanation-effect event study on the whole item-day panel.
- :mod:`audit.robust.agent_model`: the mutually adjusted agent comparison for resolution.
"""
