"""``python -m rrag``: the same command line as the ``rrag`` console script."""

import sys

from .cli import main

sys.exit(main())
