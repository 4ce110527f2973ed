"""Front end: entry point of ``python -m rrag.vimhost`` (see the package docstring)."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from rrag.vimhost import main

    sys.exit(main())
