"""``python -m optiviz``: the same as the ``optiviz`` command."""
from .cli import run

run()
