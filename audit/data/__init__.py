"""The data layer: canonical schema, reading exports, contracts (GX), the typed dataset, writing.

Exports folder -> :mod:`audit.data.exports` (any encoding/format, canonical headers and values)
-> :mod:`audit.data.contracts` (Great Expectations, quarantine) -> :mod:`audit.data.dataset`
(valid rows as typed LazyFrames, Parquet snapshots) ; every output file is written by
:mod:`audit.data.outputs`. Jobs read through :func:`audit.data.dataset.load_dataset` only.
"""
