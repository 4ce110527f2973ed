"""Rank layer: the RankingEngine — one ranked, explained candidate list for a request.

Score = w_vector·vector + w_graph·graph + w_link·link + w_lexical·lexical + w_usage·usage +
w_recency·recency + w_docs·docs (weights in ``ContextConfig``), every component in [0, 1] and
kept on the candidate. ``graph`` is personalized PageRank over the cursor's neighbourhood
(``relevance``); ``link`` is a direct relation to the cursor (its callees, the types of its
signature, its file's imports, its type's traits, its callers and tests), valued per task by
``cursor.LINKS``. Unfinished code works: with a ``todo!()`` body the signature's types, the
enclosing impl, the file's imports and the cursor's name (an implicit question) still seed the
walk. Inputs that need the outside world (vector hits, git history) come in as data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..config import ContextConfig
from ..graph.grounding import PRIMITIVES
from ..parse.std_docs import STD_CRATES
from ..store import Store
from ..store import items as items_db
from ..store import lexical
from ..store import rank_queries as rq
from . import candidates as cands
from .context import Candidate
from .cursor import CursorLinks, cursor_links
from .relevance import WalkProfile, neighbourhood, personalized_pagerank
from .render import nearby_words

SemanticFn = Callable[[str, int], list[tuple[str, float]]]
POOL = 90  # graph candidates read back per request
SKIP_KINDS = {"file"}
SIGNATURE_ONLY = {"impl", "module"}
HALF_LIFE_DAYS = 30.0
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")


@dataclass
class Request:
    path: str | None = None
    line: int | None = None
    query: str | None = None
    selection: tuple[int, int] | None = None
    pinned: Sequence[str] = ()
    excluded: Sequence[str] = ()
    task: str = "ask"
    open_paths: Sequence[str] = ()


@dataclass
class Signals:
    """What the service layer found outside the index: file change times from git (path ->
    unix seconds; empty: the index's mtimes are used)."""
    changed_at: dict[str, float] = field(default_factory=dict)


def _profile(task: str) -> WalkProfile:
    return WalkProfile(back=0.9 if task == "refactor" else 0.35)


INACTIVE_FACTOR = 0.5


class RankingEngine:
    def __init__(self, store: Store, cfg: ContextConfig,
                 semantic: SemanticFn | None = None) -> None:
        self.store = store
        self.cfg = cfg
        self.semantic = semantic
        self.nearby: set[str] = set()  # identifiers of the cursor's file, after rank()

    def rank(self, req: Request, signals: Signals | None = None) -> list[Candidate]:
        signals = signals or Signals()
        base = cands.gather(self.store, self.cfg, req.path, req.line, req.query, req.selection,
                            req.pinned, req.excluded)
        found = {c.id: c for c in base}
        excluded = set(req.excluded)
        cursor = [c.id for c in base if "cursor" in c.components]
        enclosing = [c.id for c in base if "enclosing" in c.components]
        links = cursor_links(self.store, req.path, cursor, enclosing, req.task)
        question = req.query or ""
        implicit = _implicit_query(base, cursor) if not question else ""
        lex = self._lexical(implicit) if implicit else []
        vec = self.semantic(question or implicit, 20) if self.semantic and (question or implicit) \
            else []

        seeds = dict(links.seeds)
        for item_id, norm in lex[:5] + vec[:5]:
            seeds[item_id] = seeds.get(item_id, 0.0) + 0.15 * norm
        for path in req.open_paths:
            for item_id, kind, _, _ in rq.file_item_ids(self.store, path)[:1]:
                seeds[item_id] = seeds.get(item_id, 0.0) + 0.1
        for c in base:
            if "lexical" in c.components and c.components["lexical"] > 0.5:
                seeds[c.id] = seeds.get(c.id, 0.0) + 0.15 * c.components["lexical"]
        profile = _profile(req.task)
        edges = neighbourhood(self.store, seeds, profile.hops) if seeds else []
        ppr = personalized_pagerank(edges, seeds, profile)

        seed_ids = set(cursor) | set(enclosing)
        ranked_graph = sorted((n for n in ppr if n not in seed_ids), key=lambda n: -ppr[n])
        pool = list(dict.fromkeys(ranked_graph[:POOL] + list(links.relation)
                                  + [i for i, _ in lex] + [i for i, _ in vec]))
        pool = [i for i in pool if i not in excluded]
        top_ppr = max((ppr[n] for n in ranked_graph[:1]), default=0.0) or 1.0
        lex_of, vec_of = dict(lex), dict(vec)
        # std's macros (assert_eq!, vec!) are known to every model and their definitions say
        # nothing about the code: reached through the tests around the cursor they filled a
        # real project's context. A question naming one still finds it (a gathered lexical hit).
        rows = [r for r in items_db.get_items(self.store, [i for i in pool if i not in found], True)
                if r.kind not in SKIP_KINDS
                and not (r.kind == "macro" and r.version and r.crate in STD_CRATES)]
        for row in rows:
            mode = "signature" if row.kind in SIGNATURE_ONLY else "full"
            found[row.id] = cands._candidate(row, 0.0, "", {}, best_mode=mode)
        for item_id, c in found.items():
            comp = c.components
            if item_id in ppr and item_id not in seed_ids:
                comp["graph"] = min(1.0, ppr[item_id] / top_ppr)
            if item_id in links.relation:
                comp["link"] = links.value[item_id]
            if item_id in lex_of:
                comp["lexical"] = max(comp.get("lexical", 0.0), 0.5 * lex_of[item_id])
            if item_id in vec_of:
                comp["vector"] = max(0.0, vec_of[item_id])
        self._usage_recency_docs(found, links, signals)
        inactive = rq.inactive_ids(self.store, list(found))
        for c in found.values():
            c.score = self._score(c, c.id in inactive)
            c.why = _why(c, links)
        self._members(found)
        self.nearby = nearby_words(rq.file_text(self.store, req.path)) if req.path else set()
        return sorted(found.values(), key=lambda c: (not c.pinned, -c.score))

    def _members(self, found: dict[str, Candidate]) -> None:
        """A trait brings its method signatures; a method of a trait impl its trait's line."""
        traits = [i for i, c in found.items() if c.kind == "trait"]
        for item_id, members in rq.members_of(self.store, traits).items():
            found[item_id].members = members
        methods = [i for i, c in found.items() if c.kind == "method"]
        for item_id, line in rq.trait_lines(self.store, methods).items():
            found[item_id].trait_line = line

    def _lexical(self, text: str) -> list[tuple[str, float]]:
        """The implicit query's hits, in the workspace only: the cursor's words point at the
        user's code, and a dependency or std item that merely shares a name (`double` and
        `c_double`) is noise; the graph brings the dependency items the code really uses."""
        hits = lexical.search(self.store, text, k=20, workspace_only=True)
        top = hits[0][1] if hits and hits[0][1] > 0 else 1.0
        return [(i, s / top) for i, s in hits]

    def _usage_recency_docs(self, found: dict[str, Candidate], links: CursorLinks,
                            signals: Signals) -> None:
        ids = list(found)
        refs = rq.reference_counts(self.store, ids)
        most = max(refs.values(), default=0)
        times = dict(signals.changed_at)
        if not times:
            newest = rq.newest_mtime(self.store) / 1e9
            times = {p: t / 1e9 for p, t in rq.file_mtimes(
                self.store, list({c.path for c in found.values()})).items()}
        else:
            newest = max(times.values(), default=0.0)
        for c in found.values():
            used = math.log1p(refs.get(c.id, 0)) / math.log1p(most) if most else 0.0
            together = links.co_used.get(c.id, 0.0)
            c.components["usage"] = round(0.5 * used + 0.5 * together, 4)
            changed = times.get(c.path)
            if changed is not None and newest:
                age_days = max(0.0, newest - changed) / 86400
                c.components["recency"] = round(0.5 ** (age_days / HALF_LIFE_DAYS), 4)
            c.components["docs"] = _doc_quality(c.docs)

    def _score(self, c: Candidate, inactive: bool = False) -> float:
        cfg, comp = self.cfg, c.components
        fixed = cands.CURSOR_SCORE * comp.get("cursor", 0.0) + \
            cands.ENCLOSING_SCORE * comp.get("enclosing", 0.0)
        # Code this host does not compile (`#[cfg(windows)]` on Linux) stays findable, but
        # the code that really runs here comes first.
        factor = INACTIVE_FACTOR if inactive else 1.0
        return fixed + factor * (cfg.w_vector * comp.get("vector", 0.0)
                        + cfg.w_graph * comp.get("graph", 0.0)
                        + cfg.w_link * comp.get("link", 0.0)
                        + cfg.w_lexical * comp.get("lexical", 0.0)
                        + cfg.w_usage * comp.get("usage", 0.0)
                        + cfg.w_recency * comp.get("recency", 0.0)
                        + cfg.w_docs * comp.get("docs", 0.0))


def _doc_quality(docs: str) -> float:
    """More documentation (to a point) and runnable examples score higher."""
    words = len(docs.split())
    return round(min(1.0, words / 40) * 0.8 + (0.2 if "```" in docs else 0.0), 4)


# Words of a signature that say nothing about what it does. Primitive types most of all: in
# `fn double(n: u32) -> u32`, "u32" matched every u32 impl of std (NonZeroU32, AtomicU32) and
# their neighbours filled a real project's context.
UNINFORMATIVE = PRIMITIVES | {"fn", "pub", "self", "mut", "impl", "dyn", "where", "const",
                              "async", "unsafe", "crate"}


def _implicit_query(base: list[Candidate], cursor: list[str]) -> str:
    """With no question, the cursor item's name and signature stand for one."""
    for c in base:
        if c.id in cursor:
            words = WORD.findall(f"{c.name.split('::')[-1].replace('_', ' ')} {c.signature}")
            return " ".join(w for w in words if w not in UNINFORMATIVE)
    return ""


def _why(c: Candidate, links: CursorLinks) -> str:
    reasons = [c.why] if c.why else []
    if c.id in links.relation:
        reasons.append(links.relation[c.id])
    comp = c.components
    if comp.get("graph", 0) >= 0.05 and c.id not in links.relation:
        reasons.append(f"graph neighbour of the cursor (pagerank {comp['graph']:.2f})")
    if comp.get("vector", 0) > 0 and "vector" not in c.why:
        reasons.append(f"similar meaning ({comp['vector']:.2f})")
    if comp.get("lexical", 0) > 0 and "bm25" not in c.why:
        reasons.append("shares words with the item at your cursor")
    return "; ".join(reasons) or f"score {c.score:.2f}"
