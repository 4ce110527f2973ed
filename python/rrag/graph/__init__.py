"""Graph layer: the code graph — symbol tables, reference resolution into typed edges
(``build``), and whole-graph measures (``measures``). Imports parse and store only."""
