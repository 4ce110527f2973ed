"""Graph layer: the code graph — symbol tables, reference resolution into typed edges
(``build``), API diffs and answer grounding. Imports parse and store only. Graph walks at
query time (PageRank over a request's candidates) live in ``rank``, on numpy."""
