"""The optimizer claims of the tutorial on 2D surfaces (g, h, i, j in 2D, saddle, plateau), each a registered
experiment swept over learning rates and starts.

See ``optiviz.lessons.core`` for the ``@lesson`` / ``Sweep`` contract.
"""
from __future__ import annotations
