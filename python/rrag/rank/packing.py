"""Rank layer: budget allocation — choose a mode for each ranked candidate under a token budget.

The budget is split by evidence between four parts: the cursor's item, the rest of its own
file, the graph neighbourhood (direct relations and PageRank) and search hits (question words,
similar meaning), with shares per task (``SHARES``, tuned on the tune split of
``bench/context_quality.py``). Packing is breadth first: (1) pinned items and the cursor's item
in the richest mode that fits its share; (2) in rank order, every candidate in its cheapest
useful mode (the signature, or the whole item when that is as small) while its part has room;
a cursor item longer than its share is cut to the head that fits, with a line saying the rest;
(3) upgrades to the full body where it pays (small items; for a refactor, the items it touches);
(4) what is left, regardless of parts, as a signature or a one-line summary. No item but the
cursor's or a pinned one takes more than ``ITEM_CAP`` of the budget. Token counts are asked for
in batches as the walk goes down the ranking, so a long candidate list costs only what it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .context import (Candidate, ContextPack, CountMany, LeftOut, Packed, file_key, fit,
                      modes_for)
from .render import TOP_DOCS, place, render


@dataclass(frozen=True)
class Shares:
    cursor: float  # the item at the cursor (its doc comment trimmed when long)
    own_file: float  # the other items of the cursor's file
    graph: float  # the cursor's relations and graph neighbours
    search: float  # question and similarity hits with no graph tie
    full_max: int = 80  # a body costing at most this many tokens is shown whole


SHARES = {
    "ask": Shares(cursor=0.3, own_file=0.12, graph=0.9, search=0.35),
    "explain": Shares(cursor=0.4, own_file=0.12, graph=0.8, search=0.25),
    "generate": Shares(cursor=0.3, own_file=0.12, graph=0.9, search=0.3),
    "refactor": Shares(cursor=0.4, own_file=0.15, graph=0.75, search=0.2, full_max=160),
}
ITEM_CAP = 0.25
BATCH = 48  # candidates whose renders are counted per tokenizer call
LEFT_OUT = 9  # the best candidates that did not fit, with their cost (Vim pins them by digit)
NEVER = 10 ** 9  # the cost of a render that is not made


def part_of(c: Candidate, cursor_path: str) -> str:
    if c.volatile or "cursor" in c.components:
        return "cursor"
    if cursor_path and c.path == cursor_path and not c.version:
        return "own_file"
    if any(c.components.get(k, 0) > 0 for k in ("link", "graph", "enclosing")):
        return "graph"
    return "search"


class _Costs:
    """Renders and exact token counts, made a batch of candidates at a time and only for the
    modes a candidate may get: its signature; its whole text only when that can be chosen (a
    short item, the cursor's, a pinned one, a refactor's direct relation); a summary when asked."""

    def __init__(self, order: list[Candidate], count_many: CountMany, nearby: set[str],
                 whole_chars: list[int]) -> None:
        self.order, self.count_many, self.nearby = order, count_many, nearby
        self.modes = [modes_for(c) for c in order]
        self.whole_chars = whole_chars  # per candidate: the longest content worth a full render
        self.texts: list[list[str | None]] = []
        self.costs: list[list[int | None]] = []
        self.place: dict[tuple[str, str, str], int] = {}  # file -> tokens its header name costs

    def _wanted(self, i: int, mode: str) -> bool:
        if mode == "full":
            return len(self.order[i].content) <= self.whole_chars[i]
        return mode == "signature" or mode == self.modes[i][0]

    def _grow(self, upto: int) -> None:
        start = len(self.costs)
        end = min(len(self.order), max(upto + 1, start + BATCH))
        for i in range(start, end):
            self.texts.append([None] * len(self.modes[i]))
            self.costs.append([None] * len(self.modes[i]))
        wanted = [(i, m) for i in range(start, end) for m, mode in enumerate(self.modes[i])
                  if self._wanted(i, mode)]
        places = {file_key(c): place(c) for c in self.order[start:end]
                  if file_key(c) not in self.place}
        self._count(wanted, places)

    def _count(self, wanted: list[tuple[int, int]], places: dict | None = None) -> None:
        texts = [render(self.order[i], self.modes[i][m], self.nearby, top=i < TOP_DOCS)
                 for i, m in wanted]
        counts = iter(self.count_many(texts + list((places or {}).values())))
        for (i, m), text in zip(wanted, texts):
            self.texts[i][m], self.costs[i][m] = text, next(counts)
        self.place.update((key, next(counts)) for key in (places or {}))

    def prefetch(self, indices: Sequence[int], mode: str) -> None:
        """Count ``mode`` for several candidates in one call (the summaries of the last pass)."""
        self._count([(i, self.modes[i].index(mode)) for i in indices
                     if mode in self.modes[i] and self.costs[i][self.modes[i].index(mode)] is None])

    def cut_to(self, i: int, m: int, limit: int) -> bool:
        """Replace a whole text longer than ``limit`` tokens by its longest head that fits, with
        a last line saying how many lines were cut and where they are (a few tokenizer calls)."""
        text = self.texts[i][m] or ""
        lines, c = text.splitlines(), self.order[i]

        def head(n: int) -> str:
            return "\n".join(lines[:n] + [f"// … {len(lines) - n} more lines, to "
                                          f"{c.path}:{c.end_line}"])

        lo, hi, best = 2, len(lines) - 1, None
        while lo <= hi:
            mid = (lo + hi) // 2
            cost = self.count_many([head(mid)])[0]
            if cost <= limit:
                best, lo = (head(mid), cost), mid + 1
            else:
                hi = mid - 1
        if best is None:
            return False
        self.texts[i][m], self.costs[i][m] = best
        return True

    def cost(self, i: int, m: int) -> int:
        if i >= len(self.costs):
            self._grow(i)
        if self.costs[i][m] is None:
            if self.modes[i][m] == "full" and not self._wanted(i, "full"):
                return NEVER
            self._count([(i, m)])
        return self.costs[i][m]  # type: ignore[return-value]


def pack_hierarchical(ranked: Sequence[Candidate], budget: int, count_many: CountMany,
                      preamble: str = "", task: str = "ask", nearby: set[str] = frozenset(),
                      cursor_path: str = "") -> ContextPack:
    budget = max(0, budget)
    shares = SHARES.get(task, SHARES["ask"])
    order = sorted(ranked, key=lambda c: (not c.pinned, -c.score))
    # A whole text longer than this cannot be chosen: code runs under 6 characters a token.
    short = 6 * shares.full_max + 120
    capped = 6 * ITEM_CAP * budget + 200
    whole = [10 ** 12 if c.pinned or c.volatile or "cursor" in c.components else
             capped if task == "refactor" and c.components.get("link", 0) >= 1.0 else short
             for c in order]
    cc = _Costs(order, count_many, set(nearby), whole)
    used = count_many([preamble])[0] if preamble else 0
    sep = 1
    pick: dict[int, int] = {}
    parts = [part_of(c, cursor_path) for c in order]
    part_used = {"cursor": 0, "own_file": 0, "graph": 0, "search": 0}
    limit = {k: getattr(shares, k) * budget for k in part_used}
    item_cap = ITEM_CAP * budget

    in_file: dict[tuple[str, str, str], int] = {}  # supporting sections picked per file

    def grouped(i: int) -> int:
        """Tokens saved when another section of the same file is in: its header's file."""
        c = order[i]
        if c.pinned or parts[i] == "cursor":
            return 0
        others = in_file.get(file_key(c), 0) - (1 if i in pick else 0)
        return cc.place[file_key(c)] if others > 0 else 0

    def take(i: int, m: int, capped: bool = True) -> bool:
        """Mode ``m`` for candidate ``i`` if the budget (and, when ``capped``, its part's
        share) allows; only the cursor's item and pinned ones may pass ``ITEM_CAP``."""
        nonlocal used
        cost = cc.cost(i, m) + sep  # counts the batch (and its files' names) first
        saved = grouped(i)
        cost -= saved
        old = cc.cost(i, pick[i]) + sep - saved if i in pick else 0
        c, part = order[i], parts[i]
        if used - old + cost > budget:
            return False
        if not c.pinned and part != "cursor" and cost > item_cap:
            return False
        if capped and not c.pinned and part_used[part] - old + cost > limit[part]:
            return False
        used += cost - old
        part_used[part] += cost - old
        if i not in pick and not c.pinned and part != "cursor":
            in_file[file_key(c)] = in_file.get(file_key(c), 0) + 1
        pick[i] = m
        return True

    def touched(i: int) -> bool:
        """A refactor's direct relation (callee, caller, impl, test): its body is what changes."""
        return task == "refactor" and order[i].components.get("link", 0) >= 1.0

    def index_of(i: int, mode: str) -> int | None:
        return cc.modes[i].index(mode) if mode in cc.modes[i] else None

    for i, c in enumerate(order):  # (1) pinned, then the cursor's item within its share
        if c.pinned:
            any(take(i, m, capped=False) for m in range(len(cc.modes[i])))
    for i, c in enumerate(order):
        if parts[i] == "cursor" and not c.pinned:
            full = index_of(i, "full")
            if full is not None and cc.cost(i, full) > limit["cursor"] and \
                    cc.cut_to(i, full, int(limit["cursor"]) - sep):
                take(i, full)  # the head of a long cursor item, the cut said
            any(take(i, m) for m in range(len(cc.modes[i]))) or \
                any(take(i, m, capped=False) for m in range(1, len(cc.modes[i])))
    for i in range(len(order)):  # (2) breadth: the cheapest useful mode
        if budget - used < 8:
            break
        if i in pick:
            continue
        sig, full = index_of(i, "signature"), index_of(i, "full")
        whole = full is not None and (sig is None or cc.cost(i, full) <= cc.cost(i, sig) or (
            touched(i) and cc.cost(i, full) <= shares.full_max))
        if not (whole and take(i, full)) and sig is not None:
            take(i, sig)
    for i in list(pick):  # (3) depth: whole bodies where they pay
        full = index_of(i, "full")
        if full is not None and pick[i] != full and (
                cc.cost(i, full) <= shares.full_max or touched(i)):
            take(i, full)
    rest = [i for i in range(min(len(order), len(cc.costs))) if i not in pick]
    if budget - used >= 8:
        cc.prefetch(rest, "summary")
    for i in rest:  # (4) what still fits, any part
        if budget - used >= 8:
            sig = index_of(i, "signature")
            if not (sig is not None and take(i, sig, capped=False)):
                take(i, len(cc.modes[i]) - 1, capped=False)
    chosen = [Packed(order[i], cc.modes[i][m], cc.texts[i][m], cc.costs[i][m])
              for i, m in sorted(pick.items())]
    return fit(chosen, budget, count_many, preamble, _left_out(order, pick, cc))


def _left_out(order: list[Candidate], pick: dict[int, int], cc: _Costs) -> list[LeftOut]:
    """The best candidates not picked, with the cost of their cheapest useful mode."""
    out = []
    for i in range(len(order)):
        if len(out) >= LEFT_OUT:
            break
        if i in pick:
            continue
        modes = cc.modes[i]
        m = modes.index("signature") if "signature" in modes else 0
        out.append(LeftOut(order[i], modes[m], cc.cost(i, m)))
    return out
