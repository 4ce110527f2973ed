"""Rank layer: the context's data — candidates, packed sections, the pack — and its assembly.

A ``Candidate`` is one ranked item with its score parts; ``rank.packing`` chooses a mode for
each (``rank.render`` writes the text), and this module assembles the chosen sections: the
stable part first (pinned items, supporting definitions in path order) and the volatile part
last (the item at the cursor), so llama.cpp can reuse its KV cache across requests on the same
code. The final text is counted whole with the model's own tokenizer and trimmed until it fits,
so the budget is never exceeded even where tokens merge across section boundaries. What did not
fit is kept too (``left_out``: score parts and token cost of the best items left out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

CountMany = Callable[[Sequence[str]], list[int]]
MODES = ("full", "signature", "summary")
SEPARATOR = "\n\n"


@dataclass
class Candidate:
    id: str
    path: str
    name: str
    kind: str
    start_line: int
    end_line: int
    content: str
    signature: str = ""
    docs: str = ""
    score: float = 0.0
    why: str = ""
    components: dict[str, float] = field(default_factory=dict)
    crate: str = ""
    version: str = ""  # set for dependency items
    pinned: bool = False
    volatile: bool = False  # the cursor's own item: goes last
    best_mode: str = "full"  # the richest mode this candidate may use
    module_path: str = ""  # the header names the item without it
    members: list[tuple[str, str]] = field(default_factory=list)  # a trait's (name, signature)
    trait_line: str = ""  # a trait impl's method: the trait's declaration and where it is


@dataclass
class Packed:
    candidate: Candidate
    mode: str
    text: str
    tokens: int

    def to_json(self) -> dict:
        c = self.candidate
        out = {"id": c.id, "path": c.path, "name": c.name, "kind": c.kind,
               "start_line": c.start_line, "end_line": c.end_line, "mode": self.mode,
               "why": c.why, "tokens": self.tokens, "score": round(c.score, 4),
               "components": {k: round(v, 4) for k, v in c.components.items()}}
        if c.version:
            out["crate"], out["version"] = c.crate, c.version
        if c.pinned:
            out["pinned"] = True
        return out


@dataclass
class ContextPack:
    budget: int
    tokens: int
    items: list[Packed]
    prompt: str
    left_out: list["LeftOut"] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"budget": self.budget, "tokens": self.tokens,
                "items": [p.to_json() for p in self.items], "prompt": self.prompt,
                "left_out": [x.to_json() for x in self.left_out]}


@dataclass
class LeftOut:
    """A candidate that did not fit: what it would have cost in its cheapest useful mode."""
    candidate: Candidate
    mode: str
    tokens: int

    def to_json(self) -> dict:
        out = Packed(self.candidate, self.mode, "", self.tokens).to_json()
        out["reason"] = "did not fit the budget"
        return out


def modes_for(c: Candidate) -> tuple[str, ...]:
    return MODES[MODES.index(c.best_mode):]


def file_key(c: Candidate) -> tuple[str, str, str]:
    return (c.crate if c.version else "", c.version, c.path)


def _assemble(chosen: list[Packed], preamble: str) -> str:
    """Stable part first, the cursor's item last; the supporting definitions in file order,
    where a section in the same file as the one before names only its line (``// :42 Name``)."""
    stable = sorted((p for p in chosen if p.candidate.pinned),
                    key=lambda p: (file_key(p.candidate), p.candidate.start_line))
    middle = sorted((p for p in chosen if not p.candidate.pinned and not p.candidate.volatile),
                    key=lambda p: (file_key(p.candidate), p.candidate.start_line))
    last = [p for p in chosen if p.candidate.volatile and not p.candidate.pinned]
    texts, previous = [], None
    for p in middle:
        key = file_key(p.candidate)
        texts.append(continued(p.text, p.candidate) if key == previous else p.text)
        previous = key
    parts = ([preamble] if preamble else []) + [p.text for p in stable] + texts + \
        [p.text for p in last]
    return SEPARATOR.join(parts)


def continued(text: str, c: Candidate) -> str:
    """A section's text with its file left out of the header (same file as the one before)."""
    crate = f"{c.crate} {c.version} " if c.version else ""
    full = f"// {crate}{c.path}:"
    return "// :" + text[len(full):] if text.startswith(full) else text


def fit(chosen: list[Packed], budget: int, count_many: CountMany, preamble: str = "",
        left_out: list[LeftOut] | None = None) -> ContextPack:
    """Count the assembled text exactly; drop the lowest-ranked sections until it fits."""
    left_out = list(left_out or [])
    while True:
        text = _assemble(chosen, preamble)
        tokens = count_many([text])[0] if text else 0
        if tokens <= budget or not chosen:
            if tokens > budget:  # only the preamble is left and it does not fit
                text, tokens = "", 0
            ordered = sorted(chosen, key=lambda p: (not p.candidate.pinned, -p.candidate.score))
            left_out.sort(key=lambda x: -x.candidate.score)
            return ContextPack(budget, tokens, ordered, text, left_out)
        worst = min(chosen, key=lambda p: (p.candidate.pinned, p.candidate.score))
        chosen = [p for p in chosen if p is not worst]
        left_out.append(LeftOut(worst.candidate, worst.mode, worst.tokens))
