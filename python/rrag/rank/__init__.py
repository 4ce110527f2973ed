"""Rank layer: candidates from the index -> one ranked, explained context under a token budget.

``candidates`` gathers what could matter for a request (the cursor's item and its enclosing
items, lexical and vector hits, graph neighbours) with the reason each was picked; ``context``
packs them under the budget with the model's own tokenizer (injected, since the tokenizer lives
in the model layer above us).
"""
