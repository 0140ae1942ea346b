"""Seeded demo data with known ground truth.

``generate_demo`` builds a whole shop group in the canonical layout and writes what was injected
(defects, true effects) to ``truth/`` so every report number can be checked against a known
answer. The work is split into parts, each with its own random stream so that changing one part
leaves the others' output byte-identical:

- ``world``: shops, agents, items (who and what exists);
- ``handling``: reviews, cases, contacts (the after-sales log and what the platform shows);
- ``compensation``: promises and fulfilments (what was promised, what was paid);
- ``sales``: the item-day sales panel with the negative-review dip and the explanation lift.
"""

from __future__ import annotations

from audit.demo.generate import DemoSpec, generate_demo

__all__ = ["DemoSpec", "generate_demo"]
