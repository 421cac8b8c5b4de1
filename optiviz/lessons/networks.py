"""The network claims of the tutorial (a-f, j networks, k, l, m), each a registered experiment.

See ``optiviz.lessons.core`` for the ``@lesson`` / ``Sweep`` contract.
"""
from __future__ import annotations
