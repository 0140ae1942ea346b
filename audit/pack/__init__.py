"""The monthly management pack, one idea per module (papermill's layout).

- :mod:`audit.pack.params`: parameters checked before anything runs (nothing becomes code).
- :mod:`audit.pack.notebooks`: papermill execution of the report notebooks, with progress lines.
- :mod:`audit.pack.html`: notebooks to code-free HTML that loads the pack's one plotly.js.
- :mod:`audit.pack.headline`: the month's headline numbers, from the analyses' public functions.
- :mod:`audit.pack.excel`: the Excel action lists managers work from.
- :mod:`audit.pack.index`: ``index.html``, the page a manager opens first.
- :mod:`audit.pack.manifest`: ``manifest.json``, the run record.
- :mod:`audit.core.fmt`: numbers formatted for a manager (¥, %, thousands).

:func:`audit.pack.build.build_monthly_pack` puts them together.
"""
