"""``python -m optiviz``: the same as the ``optiviz`` command."""
import sys

from .cli import main

sys.exit(main())
