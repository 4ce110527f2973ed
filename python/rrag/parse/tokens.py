"""Parse layer: code-aware lexical tokens for the BM25 index.

Identifiers are kept whole (``parse_header``, ``HashMap``) and their lowercased parts are
appended (``parse``, ``header``, ``hash``, ``map``), so a query in words finds the code and a
query by identifier still ranks the exact one first. Computed in the parse worker processes:
on a big first index this text work would otherwise dominate the single writer.
"""

from __future__ import annotations

import re

from .model import Item

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
IDENTIFIER = _IDENT
_HUMPS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# Bodies beyond this many characters add little ranking signal and cost index time.
MAX_BODY_CHARS = 20_000
# Containers repeat their children's text; their own row carries names, signature and docs.
CONTAINER_KINDS = frozenset({"impl", "trait", "module", "file"})

_split_cache: dict[str, tuple[str, ...]] = {}

# English glue words of questions ("returns the number of bytes in the buffer"): every doc
# comment has them, so as query terms they only add noise to BM25 (measured in
# bench/retrieval.py: Recall@10 0.20 -> 0.30). Rust keywords are not in the list.
STOP_WORDS = frozenset(
    "a an the of to on and or is are was be been by with from that this these those it its "
    "at into than then there their which who what when how does do has have can will would "
    "should could any all some such not no also only just given returns return".split())


def split_identifier(word: str) -> list[str]:
    parts: list[str] = []
    for piece in word.split("_"):
        parts += [p.lower() for p in _HUMPS.findall(piece)]
    return parts


def _compound_parts(word: str) -> tuple[str, ...]:
    cached = _split_cache.get(word)
    if cached is None:
        if "_" not in word and word.islower():
            cached = ()
        else:
            parts = split_identifier(word)
            cached = tuple(parts) if len(parts) > 1 or (parts and parts[0] != word) else ()
        if len(_split_cache) < 500_000:
            _split_cache[word] = cached
    return cached


def code_tokens(text: str) -> str:
    """``text`` plus the lowercased parts of every compound identifier in it."""
    extra: dict[str, None] = {}
    for word in set(_IDENT.findall(text)):
        for part in _compound_parts(word):
            extra[part] = None
    return text + " " + " ".join(extra) if extra else text


def query_terms(text: str) -> list[str]:
    """A user's words -> whole identifiers (lowercased) and their parts, deduplicated; English
    glue words are dropped unless nothing else is left."""
    terms: dict[str, None] = {}
    words = _IDENT.findall(text)
    content = [w for w in words if w.lower() not in STOP_WORDS]
    for word in content or words:
        terms[word.lower()] = None
        for part in split_identifier(word):
            terms[part] = None
    return list(terms)


def lexical_row(item: Item) -> tuple[str, str, str, str]:
    """(name, signature, docs, body) columns of an item's lexical row."""
    body = "" if item.kind in CONTAINER_KINDS else item.content[:MAX_BODY_CHARS]
    return (code_tokens(f"{item.name} {item.name_path}"), code_tokens(item.signature),
            code_tokens(item.docs), code_tokens(body))
