"""Store layer: the only code with SQL.

``db`` opens the database (apsw, sqlite-vec loaded, WAL, busy timeout), applies the versioned
migrations of ``schema`` and recovers from corruption; ``files`` and ``items`` read and write the
structural index, one transaction per file; ``bulk`` writes a first index to a new file and puts
it in place whole. Higher layers get plain rows (dicts/dataclasses).
"""

from .db import Store, open_store

__all__ = ["Store", "open_store"]
